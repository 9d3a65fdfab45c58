// Usage and the request log over HTTP, for the admin API (every key) and self-service (the
// caller's own key only: `keyId` is then fixed by the route, never taken from the query).
// Money goes out as decimal strings of USD (exact, from pico-USD integers), tokens as numbers.
import type { FastifyInstance } from 'fastify'
import type { Runtime } from '../runtime.ts'
import type { RequestLogRow, UsageTotal } from '../store/store.ts'
import { usdString } from '../limits/money.ts'
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
    by: { type: 'string', enum: ['key', 'model', 'account'], default: 'model' },
    granularity: { type: 'string', enum: ['hour', 'day', 'month'], default: 'day' },
  },
} as const

export const requestQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    key: { type: 'string', maxLength: 128 },
    account: { type: 'string', maxLength: 128 },
    model: { type: 'string', maxLength: 128 },
    status: { type: 'integer', minimum: 0, maximum: 999 },
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
    upstreamRequestId: r.upstreamRequestId ?? null, userAgent: r.userAgent ?? null, clientIp: r.clientIp ?? null,
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

export interface RequestFilter { key?: string, account?: string, model?: string, status?: number, since?: string, until?: string, cursor?: string, limit: number }

/**
 * A page of the request log. `q.model` ending in `*` is a prefix. For the admin (`names`), `key`
 * and `account` may be a name or an id, and rows carry the names; a name nobody has finds nothing.
 */
export async function requestPage (rt: Runtime, q: RequestFilter, keyId?: string, names?: { keys: readonly { id: string, name: string }[], accounts: readonly { id: string, name: string }[] }) {
  const byNameOrId = (list: readonly { id: string, name: string }[], ref: string | undefined) =>
    ref === undefined ? undefined : (list.find(r => r.id === ref) ?? list.find(r => r.name.toLowerCase() === ref.toLowerCase()))?.id ?? null
  const key = keyId ?? (names ? byNameOrId(names.keys, q.key) : q.key)
  const account = names ? byNameOrId(names.accounts, q.account) : q.account
  if (key === null || account === null) return { items: [], nextCursor: null }
  const prefix = q.model !== undefined && /^[^*]+\*$/.test(q.model) ? q.model.slice(0, -1) : undefined
  const rows = await rt.store.queryRequests({
    keyId: key, accountId: account, ...(prefix !== undefined ? { modelPrefix: prefix } : { model: q.model }), status: q.status,
    since: q.since ? Date.parse(q.since) : undefined, until: q.until ? Date.parse(q.until) : undefined,
    before: q.cursor ? decodeCursor(q.cursor) : undefined, limit: q.limit + 1,
  })
  const page = rows.slice(0, q.limit)
  const keyNames = new Map(names?.keys.map(k => [k.id, k.name]))
  const accountNames = new Map(names?.accounts.map(a => [a.id, a.name]))
  const items = page.map(r => (names ? { ...requestView(r), keyName: keyNames.get(r.keyId) ?? null, accountName: r.accountId === null ? null : accountNames.get(r.accountId) ?? null } : requestView(r)))
  return { items, nextCursor: rows.length > q.limit ? encodeCursor(page.at(-1)!) : null }
}

/** `names`: ids of keys or accounts → their names, for the admin (self-service groups by model). */
export async function usageReport (rt: Runtime, q: { since?: string, until?: string, by: 'key' | 'model' | 'account', granularity: 'hour' | 'day' | 'month' }, now: number, keyId?: string, names?: Map<string, string>) {
  const { since, until } = range(q, now)
  const [totals, series] = await Promise.all([
    rt.store.queryUsage({ since, until, groupBy: q.by, keyId }),
    rt.store.usageSeries({ since, until, groupBy: q.by, granularity: q.granularity, keyId }),
  ])
  return {
    since: new Date(since).toISOString(), until: new Date(until).toISOString(), by: q.by, granularity: q.granularity,
    totals: totals.map(t => named(totalView(t), names)),
    series: series.map(p => named({ bucket: new Date(p.bucket).toISOString(), ...totalView(p) }, names)),
  }
}

function named<T extends { group: string | null }> (t: T, names: Map<string, string> | undefined): T & { name?: string } {
  const name = t.group === null ? undefined : names?.get(t.group)
  return name === undefined ? t : { ...t, name }
}

export async function usageRoutes (app: FastifyInstance, opts: { rt: Runtime }): Promise<void> {
  // The admin may narrow the usage to one key (its page): `key` is its id or name.
  const adminUsageSchema = { ...usageQuerySchema, properties: { ...usageQuerySchema.properties, key: { type: 'string', minLength: 1, maxLength: 128 } } }
  app.get('/usage', { schema: { querystring: adminUsageSchema } }, async request => {
    const { key, ...q } = request.query as { by: 'key' | 'model' | 'account', key?: string }
    const keys = await allKeys(opts.rt)
    const keyId = key === undefined ? undefined : (keys.find(k => k.id === key) ?? keys.find(k => k.name === key))?.id
    if (key !== undefined && keyId === undefined) throw new errors.RELAY_ERR_NOT_FOUND('key', key)
    const records = q.by === 'key' ? keys : q.by === 'account' ? await allAccounts(opts.rt) : []
    return usageReport(opts.rt, q as never, Date.now(), keyId, new Map(records.map(r => [r.id, r.name])))
  })
  app.get('/requests', { schema: { querystring: requestQuerySchema } }, async request =>
    requestPage(opts.rt, request.query as RequestFilter, undefined, { keys: await allKeys(opts.rt), accounts: await allAccounts(opts.rt) }))
}
