// The records every management path shares (the operator CLI and the admin API): names as the
// config allows them, the keys and accounts of the file and the store together, and finding a
// record by name or id (config-declared ones are read-only).
import { errors, type RelayError } from '../errors.ts'
import { NAME_PATTERN } from '../config/schema.ts'
import type { KeyRecord, Source } from '../store/store.ts'
import type { Runtime } from '../runtime.ts'

const NAME_RE = new RegExp(NAME_PATTERN)
export const NAME_RULE = 'letters, digits, . _ -; at most 64, starting with a letter or digit'

export interface Named { id: string, name: string, source: Source }

export interface ListedAccount extends Named {
  provider: string
  type: string
  priority: number
  disabled: boolean
  /** The non-secret fields (base URL, expiry and identity of a login). */
  fields: Record<string, unknown>
}

/** Bad input from an operator: a 400 with this message. */
export function invalid (message: string): RelayError {
  return new errors.RELAY_ERR_BODY_INVALID(message) as RelayError
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

/** A new record's name: the config's rule, and free in the file and the store. */
export function checkNewName (kind: 'key' | 'account', name: string, existing: Named[]): void {
  if (!NAME_RE.test(name)) throw invalid(`name: ${NAME_RULE}`)
  if (existing.some(x => x.name === name)) throw new errors.RELAY_ERR_NAME_TAKEN(kind, name)
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

/**
 * Puts an account back in service (enabled again, logged in again): active, no cooldown, no
 * failure streaks. The last error and the provider's rate-limit report are kept for the record.
 */
export async function resetAccountState (rt: Runtime, accountId: string): Promise<void> {
  const previous = (await rt.store.listAccountStates()).find(st => st.accountId === accountId)
  await rt.store.saveAccountState({
    accountId, status: 'active', reason: null, cooldownUntil: null, consecutiveFailures: 0, refreshFailures: 0,
    lastError: previous?.lastError ?? null, lastErrorAt: previous?.lastErrorAt ?? null, rateLimits: previous?.rateLimits ?? null, updatedAt: Date.now(),
    ...(previous?.recentErrors ? { recentErrors: previous.recentErrors } : {}),
  })
}
