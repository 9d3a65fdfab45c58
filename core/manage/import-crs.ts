// Importing an existing claude-relay-service (the incumbent) from its Redis: API keys (kept as
// it hashed them, so holders change nothing), accounts (credentials decrypted with its scheme and
// sealed with ours), limits, key bindings, and usage totals. Read-only on the incumbent's Redis.
//
// Its layout (src/models/redis.js and the account services, v1.1.3xx): `apikey:<id>` hashes with
// the key as sha256(key + ENCRYPTION_KEY); accounts under per-type prefixes with secrets as
// `ivhex:cipherhex`, AES-256-CBC with the key scrypt(ENCRYPTION_KEY, <per-type salt>, 32);
// `usage:<keyId>` token totals and `usage:cost:total:<keyId>` in USD. docs/import-crs.md says
// which fields map and which cannot.
import { createDecipheriv, scryptSync } from 'node:crypto'
import type { Redis } from 'ioredis'
import { randomId } from '../ids.ts'
import { NAME_PATTERN } from '../config/schema.ts'
import type { Runtime } from '../runtime.ts'
import type { KeyRecord } from '../store/store.ts'
import type { KeyPolicy } from '../limits/policy-schema.ts'
import { usdToPico } from '../limits/money.ts'
import { allAccounts, allKeys } from './records.ts'
import { addAccount, type Placement } from './accounts.ts'

export interface ImportReport {
  keys: string[]
  accounts: string[]
  usage: number
  skipped: string[]
}

/** The account types imported: the incumbent's key prefix, its salt, and how its fields become ours. */
interface Source {
  prefix: string
  salt: string
  provider: string
  type: string
  fields (h: Record<string, string>, decrypt: (v: string) => string): Record<string, unknown> | string
}

const SOURCES: Source[] = [
  {
    prefix: 'claude:account:', salt: 'salt', provider: 'claude', type: 'claude-oauth',
    fields: (h, d) => {
      const accessToken = d(h.accessToken ?? '')
      if (!accessToken) return 'no access token'
      const expiresAt = Number(h.expiresAt)
      const email = d(h.email ?? '')
      return { accessToken, ...(d(h.refreshToken ?? '') ? { refreshToken: d(h.refreshToken!) } : {}), ...(Number.isFinite(expiresAt) && expiresAt > 0 ? { expiresAt } : {}), ...(email ? { email } : {}), ...(h.scopes ? { scopes: h.scopes.split(' ').filter(Boolean) } : {}) }
    },
  },
  {
    prefix: 'claude_console_account:', salt: 'claude-console-salt', provider: 'claude', type: 'claude-api-key',
    fields: (h, d) => (d(h.apiKey ?? '') ? { apiKey: d(h.apiKey!), ...(h.apiUrl ? { baseUrl: h.apiUrl.replace(/\/+$/, '').replace(/\/v1(\/messages)?$/, '') } : {}) } : 'no API key'),
  },
  {
    prefix: 'openai_responses_account:', salt: 'openai-responses-salt', provider: 'openai', type: 'openai-api-key',
    // The incumbent keeps the origin; our base URL is the SDKs' (with /v1).
    fields: (h, d) => (d(h.apiKey ?? '') ? { apiKey: d(h.apiKey!), ...(h.baseApi ? { baseUrl: /\/v1$/.test(h.baseApi.replace(/\/+$/, '')) ? h.baseApi.replace(/\/+$/, '') : `${h.baseApi.replace(/\/+$/, '')}/v1` } : {}) } : 'no API key'),
  },
  {
    prefix: 'gemini_api_account:', salt: 'gemini-api-salt', provider: 'gemini', type: 'gemini-api-key',
    fields: (h, d) => (d(h.apiKey ?? '') ? { apiKey: d(h.apiKey!), ...(h.baseUrl ? { baseUrl: h.baseUrl.replace(/\/+$/, '') } : {}) } : 'no API key'),
  },
]

/** Account kinds the incumbent has and this relay cannot take (named in the report). */
const NOT_IMPORTED = ['openai:account:', 'gemini_account:', 'bedrock_account:', 'azure_openai_account:', 'droid:account:', 'ccr_account:']

/** The incumbent's secret decryption: AES-256-CBC, key scrypt(ENCRYPTION_KEY, salt, 32), `ivhex:cipherhex`. */
export function crsDecrypt (encryptionKey: string, salt: string): (value: string) => string {
  const key = scryptSync(encryptionKey, salt, 32)
  return value => {
    if (!value) return ''
    const [iv, data] = value.split(':')
    // A value that is not in its format was stored in clear (as its own fallback does).
    if (!iv || !data || !/^[0-9a-f]{32}$/i.test(iv)) return value
    const decipher = createDecipheriv('aes-256-cbc', key, Buffer.from(iv, 'hex'))
    return decipher.update(data, 'hex', 'utf8') + decipher.final('utf8')
  }
}

async function scan (redis: Redis, match: string): Promise<string[]> {
  const out: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 500)
    cursor = next
    out.push(...keys)
  } while (cursor !== '0')
  return out
}

/** A name our config rules take, free among `taken`. */
function freeName (wanted: string, taken: Set<string>): string {
  let base = wanted.normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+|-+$/g, '').slice(0, 56) || 'imported'
  if (!new RegExp(NAME_PATTERN).test(base)) base = 'imported'
  let name = base
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`
  taken.add(name)
  return name
}

/** An imported total's cost is one row's: pico-USD in a signed 64-bit column (~$9.2M). */
const MAX_IMPORTED_PICO = 9_000_000n * 10n ** 12n
/** Token totals past this are not a team's history but a broken record. */
const MAX_IMPORTED_TOKENS = Number.MAX_SAFE_INTEGER

const num = (v: string | undefined) => {
  const n = Number(v)
  return Number.isFinite(n) && n > 0 ? n : undefined
}

/** The incumbent's limits as a key policy. */
export function crsPolicy (h: Record<string, string>): KeyPolicy {
  const policy: KeyPolicy = {}
  const concurrency = num(h.concurrencyLimit)
  if (concurrency) policy.concurrency = Math.floor(concurrency)
  const window = num(h.rateLimitWindow)
  if (window) {
    const requests = num(h.rateLimitRequests)
    const costUsd = num(h.rateLimitCost)
    if (requests !== undefined || costUsd !== undefined) {
      policy.rateLimits = [{ window: `${Math.floor(window)}m`, ...(requests ? { requests: Math.floor(requests) } : {}), ...(costUsd ? { costUsd } : {}) } as NonNullable<KeyPolicy['rateLimits']>[number]]
    }
  }
  const budgets: NonNullable<KeyPolicy['budgets']> = {}
  if (num(h.dailyCostLimit)) budgets.dailyUsd = num(h.dailyCostLimit)
  if (num(h.totalCostLimit)) budgets.totalUsd = num(h.totalCostLimit)
  if (num(h.weeklyOpusCostLimit)) budgets.models = [{ models: 'claude-opus-*', period: 'week', usd: num(h.weeklyOpusCostLimit)! }]
  if (Object.keys(budgets).length > 0) policy.budgets = budgets
  let permissions: unknown
  try { permissions = JSON.parse(h.permissions ?? '[]') } catch { permissions = h.permissions }
  const providers = (Array.isArray(permissions) ? permissions : typeof permissions === 'string' && permissions !== 'all' ? [permissions] : [])
    .map(p => String(p)).filter(p => ['claude', 'openai', 'gemini'].includes(p))
  if (providers.length > 0) policy.providers = providers
  if (h.enableModelRestriction === 'true') {
    let restricted: unknown
    try { restricted = JSON.parse(h.restrictedModels ?? '[]') } catch { restricted = [] }
    if (Array.isArray(restricted) && restricted.length > 0) policy.models = { deny: restricted.map(String) }
  }
  const days = num(h.activationDays)
  if (h.expirationMode === 'activation' && days) policy.validFor = `${Math.floor(days)}${h.activationUnit === 'hours' ? 'h' : 'd'}`
  let tags: unknown
  try { tags = JSON.parse(h.tags ?? '[]') } catch { tags = [] }
  if (Array.isArray(tags) && tags.length > 0) policy.tags = tags.map(String).slice(0, 16)
  return policy
}

function proxyUrl (raw: string | undefined): string | undefined {
  if (!raw) return undefined
  try {
    const p = JSON.parse(raw) as { type?: string, host?: string, port?: number | string, username?: string, password?: string }
    if (!p.host || !p.port) return undefined
    const auth = p.username ? `${encodeURIComponent(p.username)}:${encodeURIComponent(p.password ?? '')}@` : ''
    return `${p.type === 'socks5' ? 'socks5' : 'http'}://${auth}${p.host}:${p.port}`
  } catch {
    return undefined
  }
}

export async function importCrs (rt: Runtime, redis: Redis, encryptionKey: string, now = Date.now()): Promise<ImportReport> {
  const report: ImportReport = { keys: [], accounts: [], usage: 0, skipped: [] }
  // Accounts first: keys bound to them name them.
  const accountNames = new Set((await allAccounts(rt)).map(a => a.name))
  const imported = new Map<string, string>()
  for (const source of SOURCES) {
    const decrypt = crsDecrypt(encryptionKey, source.salt)
    for (const redisKey of await scan(redis, `${source.prefix}*`)) {
      const id = redisKey.slice(source.prefix.length)
      if (id.includes(':') || id === 'index') continue
      const h = await redis.hgetall(redisKey)
      let fields: Record<string, unknown> | string
      try {
        fields = source.fields(h, decrypt)
      } catch {
        fields = 'its credentials do not decrypt with this ENCRYPTION_KEY'
      }
      if (typeof fields === 'string') {
        report.skipped.push(`account ${h.name ?? id} (${source.prefix}): ${fields}`)
        continue
      }
      const name = freeName(h.name ?? id, accountNames)
      const placement: Partial<Placement> = { priority: Math.min(100, Math.max(1, Math.floor(num(h.priority) ?? 50))) }
      const proxy = proxyUrl(h.proxy)
      if (proxy) placement.proxy = proxy
      try {
        await addAccount(rt, { name, provider: source.provider, type: source.type, fields, ...placement })
        if (h.isActive === 'false' || h.schedulable === 'false') {
          const added = (await allAccounts(rt)).find(a => a.name === name)!
          await rt.store.updateAccount(added.id, { disabled: true })
        }
        imported.set(id, name)
        report.accounts.push(name)
      } catch (err) {
        report.skipped.push(`account ${h.name ?? id}: ${(err as Error).message}`)
      }
    }
  }
  for (const prefix of NOT_IMPORTED) {
    const n = (await scan(redis, `${prefix}*`)).filter(k => !k.slice(prefix.length).includes(':')).length
    if (n > 0) report.skipped.push(`${n} account(s) under ${prefix}: this relay has no matching account type (log them in again)`)
  }

  const keyNames = new Set((await allKeys(rt)).map(k => k.name))
  const hashes = new Set((await allKeys(rt)).map(k => k.hash))
  for (const redisKey of await scan(redis, 'apikey:*')) {
    const id = redisKey.slice('apikey:'.length)
    if (id.includes(':') || id === 'hash_map') continue
    const h = await redis.hgetall(redisKey)
    if (h.isDeleted === 'true') continue
    if (!/^[0-9a-f]{64}$/.test(h.apiKey ?? '')) {
      report.skipped.push(`key ${h.name ?? id}: no key hash`)
      continue
    }
    if (hashes.has(h.apiKey!)) {
      report.skipped.push(`key ${h.name ?? id}: already imported`)
      continue
    }
    const boundTo = [h.claudeAccountId, h.claudeConsoleAccountId, h.openaiAccountId, h.geminiAccountId].find(x => x && imported.has(x))
    const expiresAt = h.expiresAt ? Date.parse(h.expiresAt) : NaN
    const name = freeName(h.name ?? id, keyNames)
    const record: KeyRecord = {
      id: randomId('key'), name, hashScheme: 'crs-sha256', hash: h.apiKey!, hint: 'crs…',
      disabled: h.isActive === 'false', expiresAt: Number.isNaN(expiresAt) ? null : expiresAt, createdAt: Date.parse(h.createdAt ?? '') || now,
      source: 'store', bindings: boundTo ? { '*': { account: imported.get(boundTo)! } } : {}, policy: crsPolicy(h),
    }
    await rt.store.insertKey(record)
    hashes.add(record.hash)
    report.keys.push(name)
    // Its history as one row at its creation: reports show what it used; today's budgets are untouched.
    const u = await redis.hgetall(`usage:${id}`)
    const cost = Number(await redis.get(`usage:cost:total:${id}`) ?? 0)
    const tokens = (f: string) => Math.min(MAX_IMPORTED_TOKENS, Math.max(0, Math.floor(Number(u[f] ?? 0)) || 0))
    let costPico = Number.isFinite(cost) && cost > 0 ? usdToPico(cost) : 0n
    if (costPico > MAX_IMPORTED_PICO) {
      report.skipped.push(`key ${name}: its total cost (${cost} USD) is past what a row holds; imported without it`)
      costPico = 0n
    }
    if (Object.keys(u).length > 0 || cost > 0) {
      await rt.store.writeUsage({ records: [{
        requestId: `crs-import-${id}`, time: record.createdAt, keyId: record.id, accountId: null, provider: 'claude', model: 'imported-from-crs',
        path: '/import/claude-relay-service', stream: false, status: 200,
        usage: { input: tokens('totalInputTokens'), output: tokens('totalOutputTokens'), cacheWrite5m: tokens('totalCacheCreateTokens'), cacheRead: tokens('totalCacheReadTokens') },
        costPico, unpriced: false, priceVersion: 'crs-import', latencyMs: 0, ttfbMs: null, partial: false,
        attempts: 0, accountsTried: [], clientKind: 'other', billable: true, flags: `imported totals of ${tokens('totalRequests')} request(s)`,
      }] })
      report.usage++
    }
  }
  return report
}
