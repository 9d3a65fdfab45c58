// What the key and account commands share: names as the config allows them, the records of
// the file and the store together, and finding a record by name or id (config-declared ones
// are read-only).
import { errors } from '../errors.ts'
import { NAME_PATTERN, PROXY_PATTERN } from '../config/schema.ts'
import type { SecretBox } from '../secrets/secret-box.ts'
import type { KeyRecord, Source } from '../store/store.ts'
import type { Runtime } from '../runtime.ts'
import type { CliIo, CliValues } from './main.ts'

const NAME_RE = new RegExp(NAME_PATTERN)
export const NAME_RULE = 'letters, digits, . _ -; at most 64, starting with a letter or digit'

interface Named { id: string, name: string, source: Source }

export interface ListedAccount extends Named {
  provider: string
  type: string
  priority: number
  disabled: boolean
  /** The non-secret fields (base URL, expiry and identity of a login). */
  fields: Record<string, unknown>
}

export async function allKeys (rt: Runtime): Promise<KeyRecord[]> {
  return [...rt.declaredKeys, ...await rt.store.listKeys()]
}

export async function allAccounts (rt: Runtime): Promise<ListedAccount[]> {
  const stored = (await rt.store.listAccounts()).map(a => ({ ...a, plain: a.fields }))
  const declared = rt.declaredAccounts.map(a => ({ ...a, plain: plainOf(rt, a.provider, a.type, a.fields) }))
  return [...declared, ...stored].map(a => ({
    id: a.id, name: a.name, provider: a.provider, type: a.type, priority: a.priority, disabled: a.disabled, source: a.source, fields: a.plain,
  }))
}

/** A declared account's fields without its credentials. */
function plainOf (rt: Runtime, provider: string, type: string, fields: Record<string, unknown>): Record<string, unknown> {
  const t = rt.accountTypes.resolve(provider, type)
  if (typeof t === 'string') return {}
  return Object.fromEntries(Object.entries(fields).filter(([k]) => !t.secretFields.includes(k)))
}

/** A new record's name: the config's rule, and free in the file and the store. A string is the problem. */
export function checkNewName (kind: 'key' | 'account', name: string, existing: Named[]): string | undefined {
  if (!NAME_RE.test(name)) return `--name: ${NAME_RULE}`
  if (existing.some(x => x.name === name)) throw new errors.RELAY_ERR_NAME_TAKEN(kind, name)
  return undefined
}

export function findByRef<T extends Named> (kind: 'key' | 'account', list: T[], ref: string | undefined): T {
  const record = list.find(x => x.id === ref || x.name === ref)
  if (!record) throw new errors.RELAY_ERR_NOT_FOUND(kind, String(ref))
  return record
}

export function writable<T extends Named> (kind: 'key' | 'account', list: T[], ref: string | undefined): T {
  const record = findByRef(kind, list, ref)
  if (record.source === 'config') throw new errors.RELAY_ERR_READ_ONLY(kind, record.name)
  return record
}

export async function disableStored<T extends Named> (
  kind: 'key' | 'account', list: T[], ref: string | undefined, update: (id: string) => Promise<unknown>, io: CliIo,
): Promise<number> {
  const record = writable(kind, list, ref)
  await update(record.id)
  io.out(`Disabled ${kind} "${record.name}" (${record.id}).`)
  return 0
}

/** How a new account sits in the pool, as `accounts add` and `accounts login` take it. */
export interface Placement {
  priority: number
  groups: string[]
  maxConcurrency: number | null
  models: string[] | null
  /** Sealed proxy URL (it may hold credentials). */
  sealedProxy: string | null
}

/** Reads --priority, --group, --max-concurrency, --models and --proxy-env; a string is the problem. */
export function placementFrom (v: CliValues, io: CliIo, box: SecretBox): Placement | string {
  const priority = v.priority === undefined ? 50 : Number(v.priority)
  if (!Number.isInteger(priority) || priority < 1 || priority > 100) return '--priority must be an integer from 1 to 100'
  const maxConcurrency = v['max-concurrency'] === undefined ? null : Number(v['max-concurrency'])
  if (maxConcurrency !== null && (!Number.isInteger(maxConcurrency) || maxConcurrency < 1)) return '--max-concurrency must be a positive integer'
  const badGroup = v.group.find(g => !NAME_RE.test(g))
  if (badGroup !== undefined) return `--group ${badGroup}: ${NAME_RULE}`
  let sealedProxy: string | null = null
  if (v['proxy-env'] !== undefined) {
    const url = io.env[v['proxy-env']]
    if (!url) return `--proxy-env: environment variable ${v['proxy-env']} is not set`
    if (!new RegExp(PROXY_PATTERN).test(url)) return '--proxy-env: expected http://[user:pass@]host:port or socks5://[user:pass@]host:port'
    sealedProxy = box.seal(url)
  }
  return { priority, groups: v.group, maxConcurrency, models: v.models.length > 0 ? v.models : null, sealedProxy }
}

export function pairs (list: string[], flag: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const item of list) {
    const eq = item.indexOf('=')
    if (eq <= 0) throw new errors.RELAY_ERR_BODY_INVALID(`${flag} expects field=value, got "${item.split('=')[0]}"`)
    out.set(item.slice(0, eq), item.slice(eq + 1))
  }
  return out
}

/**
 * The `--set field=value` fields of an account type. `true`, `false` and numbers are taken as
 * such (the schema decides whether they fit); credentials are refused here, on the command line.
 */
export function plainFields (set: string[], secretFields: string[]): Record<string, unknown> | string {
  const fields: Record<string, unknown> = {}
  for (const [k, val] of pairs(set, '--set')) {
    if (secretFields.includes(k)) return `${k} is a credential: give it on stdin or with --secret-env ${k}=ENV_VAR, never as an argument`
    fields[k] = /^(true|false|-?\d+(\.\d+)?)$/.test(val) ? JSON.parse(val) as unknown : val
  }
  return fields
}

/**
 * Puts an account back in service (enabled again, logged in again): active, no cooldown, no
 * failure streaks. The last error and the provider's rate-limit report are kept for the record.
 */
export async function resetAccountState (rt: Runtime, accountId: string): Promise<void> {
  const previous = (await rt.store.listAccountStates()).find(st => st.accountId === accountId)
  await rt.store.saveAccountState({
    accountId, status: 'active', reason: null, cooldownUntil: null, consecutiveFailures: 0, refreshFailures: 0,
    lastError: previous?.lastError ?? null, lastErrorAt: previous?.lastErrorAt ?? null, rateLimits: previous?.rateLimits ?? null, updatedAt: Date.now(),
  })
}
