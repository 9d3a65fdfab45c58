// Usage and the request log over HTTP, for the admin API (every key) and self-service (the
// caller's own key only: `keyId` is then fixed by the route, never taken from the query).
// Money goes out as decimal strings of USD (exact, from pico-USD integers), tokens as numbers.
import type { FastifyInstance } from 'fastify'
import type { Runtime } from '../runtime.ts'
import type { RequestLogRow, UsageTotal } from '../store/store.ts'
import { addUsageTotal } from '../store/aggregate-sums.ts'
import { usdString } from '../limits/money.ts'
import { costParts, priceAt } from '../metering/pricing.ts'
import { allAccounts, allKeys, invalid } from '../manage/records.ts'
import { errors } from '../errors.ts'

const MAX_RANGE_MS = 400 * 86_400_000
const PAGE_MAX = 200

export const usageQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    since: { type: 'string', format: 'date-time' },
    until: { type: 'string', format: 'date-time' },
    by: { type: 'string', enum: ['key', 'model', 'account', 'provider', 'client'], default: 'model' },
    granularity: { type: 'string', enum: ['hour', 'day', 'month'], default: 'day' },
    // The chart's lines: the `top` groups by cost and the `top` by tokens, the rest summed as one
    // group (OTHERS_GROUP); `limit`: how many totals come back (the biggest first; `groups` says how many there are).
    top: { type: 'integer', minimum: 1, maximum: 100 },
    limit: { type: 'integer', minimum: 1, maximum: 100_000 },
  },
} as const

export const requestQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    key: { type: 'string', maxLength: 128 },
    account: { type: 'string', maxLength: 128 },
    model: { type: 'string', maxLength: 128 },
    status: { type: 'string', pattern: '^([1-5]xx|[0-9]{1,3})$' },
    provider: { type: 'string', maxLength: 64 },
    client: { type: 'string', maxLength: 64 },
    since: { type: 'string', format: 'date-time' },
    until: { type: 'string', format: 'date-time' },
    cursor: { type: 'string', maxLength: 256 },
    limit: { type: 'integer', minimum: 1, maximum: PAGE_MAX, default: 50 },
  },
} as const

/** `since`/`until` (ISO), by default the last 30 days; ranges are bounded. */
export function range (q: { since?: string, until?: string }, now: number): { since: number, until: number } {
  const until = q.until ? Date.parse(q.until) : now + 1
  const since = q.since ? Date.parse(q.since) : until - 30 * 86_400_000
  if (!(since < until)) throw invalid('since must be before until')
  if (until - since > MAX_RANGE_MS) throw invalid('the range is limited to 400 days')
  return { since, until }
}

export function totalView (t: UsageTotal) {
  return {
    group: t.group, requests: t.requests,
    tokens: { input: t.input, output: t.output, cacheWrite5m: t.cacheWrite5m, cacheWrite1h: t.cacheWrite1h, cacheRead: t.cacheRead },
    costUsd: usdString(t.costPico), unpricedRequests: t.unpricedRequests,
  }
}

export function requestView (r: RequestLogRow) {
  return {
    id: r.requestId, time: new Date(r.time).toISOString(), keyId: r.keyId, accountId: r.accountId, provider: r.provider, model: r.model,
    path: r.path, stream: r.stream, status: r.status, state: r.state, usage: r.usage,
    costUsd: r.costPico === null ? null : usdString(r.costPico), unpriced: r.unpriced,
    latencyMs: r.latencyMs, ttfbMs: r.ttfbMs, partial: r.partial, attempts: r.attempts, clientKind: r.clientKind, flags: r.flags, repeats: r.repeats,
    upstreamRequestId: r.upstreamRequestId ?? null, userAgent: r.userAgent ?? null, clientIp: r.clientIp ?? null, bridge: r.bridge ?? null, requestedModel: r.requestedModel ?? null,
  }
}

/** An opaque cursor: the last row's time and id (rows are ordered by both, newest first). */
function encodeCursor (r: RequestLogRow): string {
  return Buffer.from(JSON.stringify([r.time, r.requestId])).toString('base64url')
}

function decodeCursor (cursor: string): { time: number, requestId: string } {
  try {
    const [time, requestId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown]
    if (typeof time === 'number' && Number.isSafeInteger(time) && typeof requestId === 'string' && requestId.length <= 128) return { time, requestId }
  } catch {}
  throw invalid('cursor: not one this API gave')
}

export interface RequestFilter { key?: string, account?: string, model?: string, status?: string, provider?: string, client?: string, since?: string, until?: string, cursor?: string, limit: number }

/**
 * A page of the request log. `q.model` with `*` or `?` is a glob; `q.status` a status or a class (`5xx`). For the admin (`names`), `key`
 * and `account` may be a name or an id, and rows carry the names; a name nobody has finds nothing.
 */
export async function requestPage (rt: Runtime, q: RequestFilter, keyId?: string, names?: { keys: readonly { id: string, name: string }[], accounts: readonly { id: string, name: string }[] }) {
  const byNameOrId = (list: readonly { id: string, name: string }[], ref: string | undefined) =>
    ref === undefined ? undefined : (list.find(r => r.id === ref) ?? list.find(r => r.name.toLowerCase() === ref.toLowerCase()))?.id ?? null
  const key = keyId ?? (names ? byNameOrId(names.keys, q.key) : q.key)
  const account = names ? byNameOrId(names.accounts, q.account) : q.account
  if (key === null || account === null) return { items: [], nextCursor: null }
  // A model with * or ? is a glob (`claude-*`, `*-mini`); else the exact name.
  const glob = q.model !== undefined && /[*?]/.test(q.model) ? q.model : undefined
  const status = q.status === undefined ? {} : /^[1-5]xx$/.test(q.status) ? { statusClass: Number(q.status[0]) } : { status: Number(q.status) }
  const rows = await rt.store.queryRequests({
    keyId: key, accountId: account, ...(glob !== undefined ? { modelGlob: glob } : { model: q.model }), ...status, provider: q.provider, clientKind: q.client,
    since: q.since ? Date.parse(q.since) : undefined, until: q.until ? Date.parse(q.until) : undefined,
    before: q.cursor ? decodeCursor(q.cursor) : undefined, limit: q.limit + 1,
  })
  const page = rows.slice(0, q.limit)
  const keyNames = new Map(names?.keys.map(k => [k.id, k.name]))
  const accountNames = new Map(names?.accounts.map(a => [a.id, a.name]))
  const items = page.map(r => (names ? { ...requestView(r), keyName: keyNames.get(r.keyId) ?? null, accountName: r.accountId === null ? null : accountNames.get(r.accountId) ?? null } : requestView(r)))
  return { items, nextCursor: rows.length > q.limit ? encodeCursor(page.at(-1)!) : null }
}

/**
 * One request in full, for the admin: its key and accounts by name (every account tried, in
 * order), who sent it, its tokens by kind, and its cost by kind at the price table it was billed
 * with (when that table is still the one in force; else the recorded total only).
 */
export async function requestDetail (rt: Runtime, id: string) {
  const r = await rt.store.getRequest(id)
  if (!r) throw new errors.RELAY_ERR_NOT_FOUND('request', id)
  const [keys, accounts, states] = await Promise.all([allKeys(rt), allAccounts(rt), rt.store.listAccountStates()])
  const accountName = (a: string) => accounts.find(x => x.id === a)?.name ?? null
  // What each account tried answered: the row keeps the order, the account's state its latest
  // errors with their times; an error within the request's span is that attempt's.
  const errorsOf = (a: string) => (states.find(st => st.accountId === a)?.recentErrors ?? [])
    .filter(e => e.at >= r.time - 1000 && e.at <= r.time + r.latencyMs + 5000).map(e => e.message)
  const hit = r.model === null ? undefined : rt.pricing.lookup(r.model)
  const parts = hit && r.costPico !== null && r.priceVersion === rt.pricing.version ? costParts(priceAt(hit.price, r.time), r.usage) : undefined
  const sum = parts && Object.values(parts).reduce((a, b) => a + b, 0n)
  return {
    ...requestView(r),
    keyName: keys.find(k => k.id === r.keyId)?.name ?? null,
    accountName: r.accountId === null ? null : accountName(r.accountId),
    accountsTried: r.accountsTried.map(a => ({ id: a, name: accountName(a), errors: errorsOf(a) })),
    cost: {
      totalUsd: r.costPico === null ? null : usdString(r.costPico),
      pricedAs: hit?.id ?? null,
      priceVersion: r.priceVersion,
      // By kind only when they add up to what was billed (a fallback rate or another table: no).
      byKind: parts && sum === r.costPico ? Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, usdString(v)])) : null,
    },
  }
}

/** `names`: ids of keys or accounts → their names, for the admin (self-service groups by model). */
/**
 * Totals and series over a range by key, model, account, provider or client kind. `names`: ids of keys or
 * accounts → their names, for the admin (self-service groups by model). By provider, the
 * accounts' usage is summed per their provider (`providers`: account id → provider).
 */
export async function usageReport (rt: Runtime, q: { since?: string, until?: string, by: 'key' | 'model' | 'account' | 'provider' | 'client', granularity: 'hour' | 'day' | 'month', top?: number, limit?: number }, now: number, keyId?: string, names?: Map<string, string>, providers?: Map<string, string>) {
  const { since, until } = range(q, now)
  const groupBy = q.by === 'provider' ? 'account' : q.by
  const byProvider = <T extends UsageTotal & { bucket?: number }>(rows: T[]) => foldTotals(rows, t => providers?.get(t.group ?? '') ?? null)
  const rawTotals = await rt.store.queryUsage({ since, until, groupBy, keyId })
  const totals = q.by === 'provider' ? byProvider(rawTotals) : rawTotals
  // Ten thousand keys make hundreds of thousands of points; a chart draws a few lines: the top
  // groups by cost and by tokens get their own, the store sums the rest in the same sweep.
  const tokens = (t: UsageTotal) => t.input + t.output + t.cacheWrite5m + t.cacheWrite1h + t.cacheRead
  const keep = q.top === undefined || q.by === 'provider' || totals.length <= 2 * q.top ? undefined
    : [...new Set([...totals.slice(0, q.top), ...[...totals].sort((a, b) => tokens(b) - tokens(a)).slice(0, q.top)].map(t => t.group))]
  const rawSeries = await rt.store.usageSeries({ since, until, groupBy, granularity: q.granularity, keyId, keep })
  const series = q.by === 'provider' ? byProvider(rawSeries) : rawSeries
  return {
    since: new Date(since).toISOString(), until: new Date(until).toISOString(), by: q.by, granularity: q.granularity,
    groups: totals.length,
    totals: (q.limit === undefined ? totals : totals.slice(0, q.limit)).map(t => named(totalView(t), names)),
    series: series.map(p => named({ bucket: new Date(p.bucket).toISOString(), ...totalView(p) }, names)),
  }
}

/** Totals (or points of a series: per bucket too) summed under another group, most costly first. */
function foldTotals<T extends UsageTotal & { bucket?: number }> (rows: T[], groupOf: (t: T) => string | null): T[] {
  const out = new Map<string, T>()
  for (const t of rows) {
    const group = groupOf(t)
    const id = `${t.bucket ?? ''}\u0000${group ?? ''}`
    const into = out.get(id)
    if (into) addUsageTotal(into, t)
    else out.set(id, { ...t, group })
  }
  return [...out.values()].sort((a, b) => (a.bucket ?? 0) - (b.bucket ?? 0) || (a.costPico === b.costPico ? 0 : a.costPico > b.costPico ? -1 : 1))
}

function named<T extends { group: string | null }> (t: T, names: Map<string, string> | undefined): T & { name?: string } {
  const name = t.group === null ? undefined : names?.get(t.group)
  return name === undefined ? t : { ...t, name }
}

export async function usageRoutes (app: FastifyInstance, opts: { rt: Runtime }): Promise<void> {
  // The admin may narrow the usage to one key (its page): `key` is its id or name.
  const adminUsageSchema = { ...usageQuerySchema, properties: { ...usageQuerySchema.properties, key: { type: 'string', minLength: 1, maxLength: 128 } } }
  app.get('/usage', { schema: { querystring: adminUsageSchema } }, async request => {
    const { key, ...q } = request.query as { by: 'key' | 'model' | 'account' | 'provider' | 'client', key?: string }
    const [keys, accounts] = await Promise.all([allKeys(opts.rt), allAccounts(opts.rt)])
    const keyId = key === undefined ? undefined : (keys.find(k => k.id === key) ?? keys.find(k => k.name === key))?.id
    if (key !== undefined && keyId === undefined) throw new errors.RELAY_ERR_NOT_FOUND('key', key)
    const records = q.by === 'key' ? keys : q.by === 'account' ? accounts : []
    return usageReport(opts.rt, q as never, Date.now(), keyId, new Map(records.map(r => [r.id, r.name])), new Map(accounts.map(a => [a.id, a.provider])))
  })
  app.get('/requests/:id', { schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 128 } } } } }, async request =>
    requestDetail(opts.rt, (request.params as { id: string }).id))
  app.get('/requests', { schema: { querystring: requestQuerySchema } }, async request =>
    requestPage(opts.rt, request.query as RequestFilter, undefined, { keys: await allKeys(opts.rt), accounts: await allAccounts(opts.rt) }))
}
