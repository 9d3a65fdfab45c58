// The keys the relay accepts, held in memory: the config file's declared keys plus the store's,
// reloaded when the store changes. Authenticating a request is one hash and one map lookup.
import type { KeyEntry } from '../config/schema.ts'
import { errors } from '../errors.ts'
import { declaredId } from '../ids.ts'
import type { KeyRecord } from '../store/store.ts'
import { legacyBindings, mergeBindings } from './bindings.ts'
import { hashesEqual, hashKey, keyHint, parseKeyHash } from './api-key.ts'

export function declaredKeys (entries: readonly KeyEntry[]): KeyRecord[] {
  return entries.map(entry => {
    // The entry's own fields; the rest is its policy.
    const { name: _n, key: _k, keyHash: _h, account: _a, group: _g, bindings: _b, disabled: _d, expiresAt: _e, ...policy } = entry
    const e = entry
    const { scheme, hash } = e.key !== undefined ? { scheme: 'sha256' as const, hash: hashKey(e.key) } : parseKeyHash(e.keyHash!)
    return {
      id: declaredId('key', e.name),
      name: e.name,
      hashScheme: scheme,
      hash,
      hint: e.key !== undefined ? keyHint(e.key) : `${scheme}:${hash.slice(0, 8)}…`,
      disabled: e.disabled ?? false,
      expiresAt: e.expiresAt ? Date.parse(e.expiresAt) : null,
      createdAt: 0,
      source: 'config' as const,
      // `account:`/`group:` are the single binding of before, for every provider; `bindings` win.
      bindings: mergeBindings(legacyBindings(e.account, e.group), e.bindings ?? {}),
      policy,
    }
  })
}

export class KeyRegistry {
  #byHash = new Map<string, KeyRecord>()
  #all: KeyRecord[] = []
  /** claude-relay-service's ENCRYPTION_KEY, when keys imported from it are to be accepted. */
  #crsSalt: string | undefined
  #hasCrs = false

  constructor (opts: { crsSalt?: string } = {}) {
    this.#crsSalt = opts.crsSalt
  }

  load (keys: KeyRecord[]): void {
    this.#all = keys
    this.#byHash = new Map(keys.map(k => [k.hash, k]))
    this.#hasCrs = keys.some(k => k.hashScheme === 'crs-sha256')
  }

  list (): readonly KeyRecord[] {
    return this.#all
  }

  /** The key record for a presented secret, or a coded 401 error. */
  authenticate (presented: string | undefined, now: number): KeyRecord {
    if (!presented) throw new errors.RELAY_ERR_KEY_MISSING()
    let hash = hashKey(presented)
    let key = this.#byHash.get(hash)
    // A key imported from the incumbent keeps working as its holder has it.
    if (!key && this.#hasCrs && this.#crsSalt !== undefined) {
      hash = hashKey(presented, 'crs-sha256', this.#crsSalt)
      const imported = this.#byHash.get(hash)
      if (imported?.hashScheme === 'crs-sha256') key = imported
    }
    // The map lookup finds the candidate; the constant-time compare is the actual check.
    if (!key || !hashesEqual(key.hash, hash)) throw new errors.RELAY_ERR_KEY_INVALID()
    if (key.disabled) throw new errors.RELAY_ERR_KEY_DISABLED()
    if (key.expiresAt !== null && key.expiresAt <= now) throw new errors.RELAY_ERR_KEY_EXPIRED(new Date(key.expiresAt).toISOString())
    return key
  }
}
