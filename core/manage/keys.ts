// What an operator can do to relay keys, whether from the CLI or the admin API: create (the
// secret returned once), list, show with live limit use, update policy / binding / expiry,
// rotate, disable / enable, delete. Input is checked here and refused with coded errors (400
// for bad input, 404, 409 for a name taken or a config-declared key).
import { errors } from '../errors.ts'
import { randomId } from '../ids.ts'
import { generateKey, hashKey, keyHint } from '../keys/api-key.ts'
import { keyUsageReport, type KeyUsageReport } from '../limits/key-usage.ts'
import { policySchema, type KeyPolicy } from '../limits/policy-schema.ts'
import { createValidator, formatAjvErrors } from '../config/validator.ts'
import type { Runtime } from '../runtime.ts'
import type { KeyRecord } from '../store/store.ts'
import { allAccounts, allKeys, checkNewName, findByRef, invalid, writable } from './records.ts'
import { describeBindings, EVERY_PROVIDER, mergeBindings, type Binding, type KeyBindings } from '../keys/bindings.ts'

/** A key as listed: everything but its hash. */
export interface KeyView {
  id: string
  name: string
  hint: string
  disabled: boolean
  source: KeyRecord['source']
  /** Per provider (or `*` for every other one): `{ account }` or `{ group }`. */
  bindings: KeyBindings
  /** The bindings in words. */
  boundTo: string
  expiresAt: string | null
  createdAt: string
  lastUsedAt: string | null
  policy: KeyPolicy
}

/**
 * A change to a key; absent fields are kept. `bindings`: per provider (or `*`), a binding, or
 * null for the shared pool; other providers' bindings are kept. `account`/`group`: the binding
 * of every provider (`*`), as before bindings were per provider; null removes it.
 */
export interface KeyChange {
  policy?: unknown
  bindings?: Record<string, Binding | null>
  account?: string | null
  group?: string | null
  /** ISO-8601, or null for never. */
  expiresAt?: string | null
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString())

export function keyView (k: KeyRecord, lastUsed: Map<string, number>): KeyView {
  return {
    id: k.id, name: k.name, hint: k.hint, disabled: k.disabled, source: k.source, bindings: k.bindings, boundTo: describeBindings(k.bindings),
    expiresAt: iso(k.expiresAt), createdAt: new Date(k.createdAt).toISOString(), lastUsedAt: iso(lastUsed.get(k.id)), policy: k.policy,
  }
}

export async function listKeys (rt: Runtime): Promise<KeyView[]> {
  const used = await rt.store.lastUsed()
  return (await allKeys(rt)).map(k => keyView(k, used))
}

export async function showKey (rt: Runtime, ref: string, now = Date.now()): Promise<KeyUsageReport> {
  return keyUsageReport(findByRef('key', await allKeys(rt), ref), rt.store, rt.loaded.config.limits.timeZone, now)
}

export async function createKey (rt: Runtime, name: string | undefined, change: KeyChange = {}): Promise<{ key: KeyRecord, secret: string }> {
  if (!name) throw invalid('a key needs a name')
  checkNewName('key', name, await allKeys(rt))
  const created = newKey(name, await resolveKeyChange(rt, change, NO_FIELDS))
  await rt.store.insertKey(created.key)
  return created
}

/** A new key's stored fields before any change. */
export const NO_FIELDS: Pick<KeyRecord, 'policy' | 'bindings' | 'expiresAt'> = { policy: {}, bindings: {}, expiresAt: null }

/** A new stored key with a fresh secret (returned once; only its hash is kept). */
export function newKey (name: string, fields: Pick<KeyRecord, 'policy' | 'bindings' | 'expiresAt'>): { key: KeyRecord, secret: string } {
  const secret = generateKey()
  const key: KeyRecord = {
    id: randomId('key'), name, hashScheme: 'sha256', hash: hashKey(secret), hint: keyHint(secret),
    disabled: false, createdAt: Date.now(), source: 'store', ...fields,
  }
  return { key, secret }
}

export async function updateKey (rt: Runtime, ref: string, change: KeyChange): Promise<KeyRecord> {
  const key = writable('key', await allKeys(rt), ref)
  const fields = await resolveKeyChange(rt, change, key)
  await rt.store.updateKey(key.id, fields)
  return { ...key, ...fields }
}

/** A new secret for the same key (its id, limits and history stay); the old one stops working within a second. */
export async function rotateKey (rt: Runtime, ref: string): Promise<{ key: KeyRecord, secret: string }> {
  const key = writable('key', await allKeys(rt), ref)
  const secret = generateKey()
  const patch = { hashScheme: 'sha256' as const, hash: hashKey(secret), hint: keyHint(secret) }
  await rt.store.updateKey(key.id, patch)
  return { key: { ...key, ...patch }, secret }
}

export async function setKeyDisabled (rt: Runtime, ref: string, disabled: boolean): Promise<KeyRecord> {
  const key = writable('key', await allKeys(rt), ref)
  await rt.store.updateKey(key.id, { disabled })
  return { ...key, disabled }
}

/** Its usage history stays under its id. */
export async function deleteKey (rt: Runtime, ref: string): Promise<KeyRecord> {
  const key = writable('key', await allKeys(rt), ref)
  await rt.store.deleteKey(key.id)
  return key
}

/** The policy schema, compiled once for every caller (the admin API, the CLI, the import). */
export const validatePolicy = createValidator(policySchema)

/** The stored fields a change makes of `current`. */
export async function resolveKeyChange (rt: Runtime, change: KeyChange, current: Pick<KeyRecord, 'policy' | 'bindings' | 'expiresAt'>): Promise<Pick<KeyRecord, 'policy' | 'bindings' | 'expiresAt'>> {
  let { policy, expiresAt } = current
  if (change.policy !== undefined) {
    if (!validatePolicy(change.policy)) throw invalid(`policy: ${formatAjvErrors(validatePolicy.errors).map(e => `${e.path || '/'} ${e.message}`).join('; ')}`)
    const { expiresAt: policyExpiry, ...rest } = change.policy as KeyPolicy
    policy = rest
    // A policy's `expiresAt` is the key's expiry column.
    if (policyExpiry !== undefined) expiresAt = Date.parse(policyExpiry)
  }
  if (change.expiresAt !== undefined) {
    if (change.expiresAt === null) {
      expiresAt = null
    } else {
      const t = Date.parse(change.expiresAt)
      if (Number.isNaN(t)) throw invalid(`expiresAt: not an ISO-8601 time: ${change.expiresAt}`)
      expiresAt = t
    }
  }
  return { policy, bindings: await resolveBindings(rt, change, current.bindings), expiresAt }
}

/** The bindings a change makes of `current`; each newly named account must exist and serve its provider. */
async function resolveBindings (rt: Runtime, change: KeyChange, current: KeyBindings): Promise<KeyBindings> {
  if (change.account != null && change.group != null) throw invalid('a key is bound to one account or one group for every provider, not both (per provider: bindings)')
  const every: Record<string, Binding | null> = {}
  const star = current[EVERY_PROVIDER]
  if (change.account !== undefined) {
    if (change.account !== null) every[EVERY_PROVIDER] = { account: change.account }
    else if (star && 'account' in star) every[EVERY_PROVIDER] = null
  }
  if (change.group !== undefined) {
    if (change.group !== null) every[EVERY_PROVIDER] = { group: change.group }
    else if (star && 'group' in star) every[EVERY_PROVIDER] = null
  }
  const bindings = mergeBindings(current, { ...every, ...change.bindings })
  const accounts = await allAccounts(rt)
  // A binding the key already had under the same provider is not checked again (its account may
  // have left the config since; changing another field must still work).
  const had = (provider: string, account: string) => {
    const was = Object.hasOwn(current, provider) ? current[provider] : undefined
    return was !== undefined && 'account' in was && was.account === account
  }
  for (const [provider, b] of Object.entries(bindings)) {
    if (!('account' in b) || had(provider, b.account)) continue
    const account = accounts.find(a => a.name === b.account)
    if (!account) throw new errors.RELAY_ERR_NOT_FOUND('account', b.account)
    if (provider !== EVERY_PROVIDER && account.provider !== provider) throw invalid(`account ${account.name} is a ${account.provider} account: it cannot serve ${provider} requests`)
  }
  return bindings
}
