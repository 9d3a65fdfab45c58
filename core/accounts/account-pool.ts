// The accounts the relay can send requests to, held in memory with credentials decrypted once
// at load (the incumbent re-read and re-decrypted every account on every request).
import { globMatcher } from '../globs.ts'
import type { AccountEntry } from '../config/schema.ts'
import type { AccountView } from '../plugin-api.ts'
import type { SecretBox } from '../secrets/secret-box.ts'
import type { AccountRecord, Source } from '../store/store.ts'
import { declaredId } from '../ids.ts'
import type { AccountTypes } from './account-types.ts'

export interface PoolAccount extends AccountView {
  provider: string
  priority: number
  disabled: boolean
  source: Source
  groups: string[]
  maxConcurrency: number | null
  /** Glob patterns as configured (null: every model). */
  models: string[] | null
  /** Whether this account may serve a model, from `models`. */
  serves: (model: string) => boolean
  /** Egress proxy URL of this account (may hold credentials: never log it); null for the default. */
  proxy: string | null
  /** In the shared pool: true always, false never, null unless bound to a key or in a group. */
  shared: boolean | null
}

const SERVES_ALL = () => true

function modelMatcher (patterns: string[] | null | undefined): (model: string) => boolean {
  return patterns && patterns.length > 0 ? globMatcher(patterns) : SERVES_ALL
}

/** Config entries are validated at load, so here they only need shaping. */
export function declaredAccounts (entries: readonly AccountEntry[], types: AccountTypes): PoolAccount[] {
  return entries.map(e => {
    const type = types.resolve(e.provider, e.type)
    const canonical = typeof type === 'string' ? e.type : type.name
    const check = typeof type === 'string' ? undefined : types.check(type, e)
    const fields = check?.ok ? { ...check.plain, ...check.secrets } : {}
    return {
      id: declaredId('acc', e.name), name: e.name, provider: e.provider, type: canonical,
      priority: e.priority, disabled: e.disabled, fields, source: 'config' as const,
      groups: e.groups, maxConcurrency: e.maxConcurrency ?? null, models: e.models ?? null, serves: modelMatcher(e.models),
      modelMap: e.modelMap ?? null, proxy: e.proxy ?? null, shared: e.shared ?? null,
    }
  })
}

export function storedAccount (r: AccountRecord, box: SecretBox): PoolAccount {
  const secrets = r.sealedSecrets ? JSON.parse(box.open(r.sealedSecrets)) as Record<string, unknown> : {}
  return {
    id: r.id, name: r.name, provider: r.provider, type: r.type, priority: r.priority,
    disabled: r.disabled, fields: { ...r.fields, ...secrets }, source: 'store',
    groups: r.groups, maxConcurrency: r.maxConcurrency, models: r.models, serves: modelMatcher(r.models),
    modelMap: r.modelMap ?? null, proxy: r.sealedProxy ? box.open(r.sealedProxy) : null, shared: r.shared ?? null,
  }
}

export class AccountPool {
  #byProvider = new Map<string, PoolAccount[]>()
  #byName = new Map<string, PoolAccount>()
  #byId = new Map<string, PoolAccount>()
  #all: PoolAccount[] = []

  load (accounts: PoolAccount[]): void {
    this.#all = accounts
    this.#byName = new Map(accounts.map(a => [a.name, a]))
    this.#byId = new Map(accounts.map(a => [a.id, a]))
    this.#byProvider = new Map()
    for (const a of accounts) {
      const list = this.#byProvider.get(a.provider) ?? []
      list.push(a)
      this.#byProvider.set(a.provider, list)
    }
  }

  list (): readonly PoolAccount[] {
    return this.#all
  }

  ofProvider (provider: string): readonly PoolAccount[] {
    return this.#byProvider.get(provider) ?? []
  }

  byName (name: string): PoolAccount | undefined {
    return this.#byName.get(name)
  }

  byId (id: string): PoolAccount | undefined {
    return this.#byId.get(id)
  }
}
