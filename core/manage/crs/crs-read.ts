// Reads a claude-relay-service deployment out of its Redis (read only): accounts of the types this
// relay takes and a count of the others, account groups with their members, API keys, and each
// key's usage totals. The layout is the incumbent's (src/models/redis.js, the account services and
// accountGroupService, v1.1.3xx); docs/import-crs.md lists every field.
import type { Redis } from 'ioredis'

/** One account kind of the incumbent: its Redis prefix, the salt of its secrets, what it becomes here. */
export interface CrsAccountKind {
  prefix: string
  /** The incumbent's scrypt salt for this kind's encrypted fields. */
  salt: string
  /** This relay's provider and account type. */
  provider: string
  type: string
  /** The incumbent's platform name (groups and key bindings use it). */
  platform: 'claude' | 'openai' | 'gemini' | 'droid'
  /** How the incumbent's keys name such an account in a binding field (`responses:<id>`). */
  bindingPrefix: string
  /** Kept as one JSON string, not a hash (its Bedrock accounts); its key is sha256(ENCRYPTION_KEY), not scrypt's. */
  json?: true
}

export const ACCOUNT_KINDS: readonly CrsAccountKind[] = [
  { prefix: 'claude:account:', salt: 'salt', provider: 'claude', type: 'claude-oauth', platform: 'claude', bindingPrefix: '' },
  { prefix: 'claude_console_account:', salt: 'claude-console-salt', provider: 'claude', type: 'claude-api-key', platform: 'claude', bindingPrefix: '' },
  { prefix: 'openai_responses_account:', salt: 'openai-responses-salt', provider: 'openai', type: 'openai-api-key', platform: 'openai', bindingPrefix: 'responses:' },
  { prefix: 'gemini_api_account:', salt: 'gemini-api-salt', provider: 'gemini', type: 'gemini-api-key', platform: 'gemini', bindingPrefix: 'api:' },
  // Its salt is configurable there (`security.azureOpenaiSalt`); this is its default.
  { prefix: 'azure_openai:account:', salt: 'azure-openai-account-default-salt', provider: 'openai', type: 'azure-openai', platform: 'openai', bindingPrefix: '' },
  { prefix: 'bedrock_account:', salt: '', provider: 'claude', type: 'bedrock', platform: 'claude', bindingPrefix: '', json: true },
  { prefix: 'droid:account:', salt: 'droid-account-salt', provider: 'droid', type: 'droid', platform: 'droid', bindingPrefix: '' },
  // Its Google logins: Gemini CLI's, or Antigravity's (`oauthProvider`), the type chosen per record.
  { prefix: 'gemini_account:', salt: 'gemini-account-salt', provider: 'gemini', type: 'gemini-oauth', platform: 'gemini', bindingPrefix: '' },
  // Its "CCR" accounts: a Claude-compatible relay upstream.
  { prefix: 'ccr_account:', salt: 'ccr-account-salt', provider: 'claude', type: 'claude-api-key', platform: 'claude', bindingPrefix: '' },
]

/** Account kinds the incumbent has and this relay cannot take, with why. */
export const NOT_IMPORTED_KINDS: readonly { prefix: string, what: string, why: string }[] = [
  { prefix: 'openai:account:', what: 'ChatGPT (Codex) subscription', why: 'its login is bound to the incumbent\'s OAuth client: log it in again with `ai-relay accounts login codex`' },
]

export interface CrsRecord { id: string, h: Record<string, string> }
export interface CrsAccount extends CrsRecord { kind: CrsAccountKind }
export interface CrsGroup { id: string, name: string, platform: string, members: string[] }
export interface CrsKeyUsage {
  /** `usage:<id>`: token and request totals. */
  totals: Record<string, string>
  /** `usage:cost:total:<id>` in USD (with the incumbent's per-key rates applied), unparsed. */
  costTotal: string | undefined
  /** `usage:<id>:model:alltime:<model>`: per model totals with `ratedCostMicro`. */
  models: Map<string, Record<string, string>>
}
export interface CrsKey extends CrsRecord { usage: CrsKeyUsage }

export interface CrsSnapshot {
  accounts: CrsAccount[]
  groups: Map<string, CrsGroup>
  keys: CrsKey[]
  notImported: { what: string, why: string, count: number }[]
}

/** The most records of one kind read: past it, the deployment is not a team's but a broken dump. */
export const MAX_RECORDS = 100_000

async function scan (redis: Redis, match: string): Promise<string[]> {
  const out: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000)
    cursor = next
    out.push(...keys)
    if (out.length > MAX_RECORDS * 4) throw new Error(`more than ${MAX_RECORDS * 4} Redis keys match ${match}: not a claude-relay-service deployment this import can read`)
  } while (cursor !== '0')
  return out
}

/** A record kept as a JSON string, as a hash would hold it: its nested values as JSON text. */
function jsonRecord (text: string | null): Record<string, string> {
  let o: unknown
  try { o = JSON.parse(text ?? '') } catch { return {} }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return {}
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]))
}

/** Records under `prefix`: hashes (or JSON strings) whose id has no further `:` (indexes and sub-keys are not records). */
async function records (redis: Redis, prefix: string, json = false): Promise<CrsRecord[]> {
  const out: CrsRecord[] = []
  for (const name of (await scan(redis, `${prefix}*`)).sort()) {
    const id = name.slice(prefix.length)
    if (!id || id.includes(':') || id === 'index' || id === 'hash_map') continue
    if (await redis.type(name) !== (json ? 'string' : 'hash')) continue
    const h = json ? jsonRecord(await redis.get(name)) : await redis.hgetall(name)
    // Indexes are hashes too: a record has its id or its name.
    if (!Object.hasOwn(h, 'id') && !Object.hasOwn(h, 'name')) continue
    out.push({ id, h })
    if (out.length > MAX_RECORDS) throw new Error(`more than ${MAX_RECORDS} records under ${prefix}`)
  }
  return out
}

export async function readCrs (redis: Redis): Promise<CrsSnapshot> {
  const accounts: CrsAccount[] = []
  for (const kind of ACCOUNT_KINDS) accounts.push(...(await records(redis, kind.prefix, kind.json)).map(r => ({ ...r, kind })))
  const notImported: CrsSnapshot['notImported'] = []
  for (const k of NOT_IMPORTED_KINDS) {
    const count = (await records(redis, k.prefix)).length
    if (count > 0) notImported.push({ what: k.what, why: k.why, count })
  }
  const groups = new Map<string, CrsGroup>()
  for (const g of await records(redis, 'account_group:')) {
    const members = await redis.smembers(`account_group_members:${g.id}`)
    groups.set(g.id, { id: g.id, name: g.h.name ?? g.id, platform: g.h.platform ?? '', members: members.slice(0, MAX_RECORDS) })
  }
  const keys: CrsKey[] = []
  for (const k of await records(redis, 'apikey:')) {
    const models = new Map<string, Record<string, string>>()
    const prefix = `usage:${k.id}:model:alltime:`
    for (const name of (await scan(redis, `${prefix}*`)).sort()) {
      if (await redis.type(name) === 'hash') models.set(name.slice(prefix.length), await redis.hgetall(name))
    }
    const totals = await redis.type(`usage:${k.id}`) === 'hash' ? await redis.hgetall(`usage:${k.id}`) : {}
    const costTotal = await redis.type(`usage:cost:total:${k.id}`) === 'string' ? (await redis.get(`usage:cost:total:${k.id}`)) ?? undefined : undefined
    keys.push({ ...k, usage: { totals, costTotal, models } })
  }
  return { accounts, groups, keys, notImported }
}
