// What a `models` route lists: the models a key can use through the plugins on one mount path.
// No upstream is asked (a provider's own list names models the relay cannot price, and would
// cost a call per picker refresh): a provider's models are the priced ones it claims (the
// entry's `models` globs, else its own model names), plus the exact names its accounts list;
// only providers the key has an enabled account of and may use; narrowed to what the accounts
// serve when each lists its models, and to the key's model permissions.
import type { KeyRecord } from '../store/store.ts'
import type { PoolAccount } from '../accounts/account-pool.ts'
import type { ListedModel } from '../plugin-api.ts'
import { globMatcher } from '../globs.ts'

export interface ModelSource {
  provider: string
  /** The models this source answers for on its mount path. */
  claims: (model: string) => boolean
}

export interface ModelListDeps {
  /** The accounts of a provider this key may be served by. */
  candidates: (provider: string, key: KeyRecord) => PoolAccount[]
  /** Every priced model name. */
  priced: () => string[]
}

const GLOB_CHARS = /[*?[\]{}!()+@]/

export function listModels (sources: ModelSource[], key: KeyRecord, deps: ModelListDeps): ListedModel[] {
  const out = new Map<string, ListedModel>()
  const policy = key.policy
  const allowed = (m: string) => !(policy.models?.deny?.some(p => globMatcher([p])(m)) ?? false) && (policy.models?.allow === undefined || globMatcher(policy.models.allow)(m))
  const priced = deps.priced()
  for (const source of sources) {
    if (policy.providers && !policy.providers.includes(source.provider)) continue
    const accounts = deps.candidates(source.provider, key).filter(a => !a.disabled)
    if (accounts.length === 0) continue
    const named = accounts.flatMap(a => (a.models ?? []).filter(m => !GLOB_CHARS.test(m)))
    const everyListed = accounts.every(a => a.models !== null)
    const ids = [...priced.filter(source.claims), ...named]
      .filter(m => (!everyListed || accounts.some(a => a.serves(m))) && allowed(m))
      .sort()
    for (const id of ids) if (!out.has(id)) out.set(id, { id, provider: source.provider })
  }
  return [...out.values()]
}
