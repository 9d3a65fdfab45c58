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

/** A key as listed: everything but its hash. */
export interface KeyView {
  id: string
  name: string
  hint: string
  disabled: boolean
  source: KeyRecord['source']
  account: string | null
  group: string | null
  expiresAt: string | null
  createdAt: string
  lastUsedAt: string | null
  policy: KeyPolicy
}

/** A change to a key; absent fields are kept. `account`/`group`: a name, or null to unbind. */
export interface KeyChange {
  policy?: unknown
  account?: string | null
  group?: string | null
  /** ISO-8601, or null for never. */
  expiresAt?: string | null
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString())

export function keyView (k: KeyRecord, lastUsed: Map<string, number>): KeyView {
  return {
    id: k.id, name: k.name, hint: k.hint, disabled: k.disabled, source: k.source, account: k.boundAccount, group: k.boundGroup,
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
  const fields = await resolveChange(rt, change, { policy: {}, boundAccount: null, boundGroup: null, expiresAt: null })
  const secret = generateKey()
  const key: KeyRecord = {
    id: randomId('key'), name, hashScheme: 'sha256', hash: hashKey(secret), hint: keyHint(secret),
    disabled: false, createdAt: Date.now(), source: 'store', ...fields,
  }
  await rt.store.insertKey(key)
  return { key, secret }
}

export async function updateKey (rt: Runtime, ref: string, change: KeyChange): Promise<KeyRecord> {
  const key = writable('key', await allKeys(rt), ref)
  const fields = await resolveChange(rt, change, key)
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

const validatePolicy = createValidator(policySchema)

/** The stored fields a change makes of `current`. A key is bound to one account or one group at most. */
async function resolveChange (rt: Runtime, change: KeyChange, current: Pick<KeyRecord, 'policy' | 'boundAccount' | 'boundGroup' | 'expiresAt'>): Promise<Pick<KeyRecord, 'policy' | 'boundAccount' | 'boundGroup' | 'expiresAt'>> {
  let { policy, boundAccount, boundGroup, expiresAt } = current
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
  if (change.account !== undefined && change.account !== null && change.group !== undefined && change.group !== null) {
    throw invalid('a key is bound to one account or one group, not both')
  }
  // Binding to one clears the other.
  if (change.account !== undefined) {
    boundAccount = change.account
    if (boundAccount !== null) boundGroup = null
  }
  if (change.group !== undefined) {
    boundGroup = change.group
    if (boundGroup !== null) boundAccount = null
  }
  if (boundAccount !== null && boundAccount !== current.boundAccount && !(await allAccounts(rt)).some(a => a.name === boundAccount)) {
    throw new errors.RELAY_ERR_NOT_FOUND('account', boundAccount)
  }
  return { policy, boundAccount, boundGroup, expiresAt }
}
