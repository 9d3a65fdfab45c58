// Account selection for one request attempt: binding first (a key's dedicated account or
// group), then the conversation's sticky account, then priority and least-recent use. Also
// the bookkeeping around an attempt: in-flight counts, outcomes, sticky renewal.
//
// The shared pool of a provider is its accounts that belong to no group and are no key's
// dedicated account: those are reserved for the keys bound to them.
import type { AccountPool, PoolAccount } from '../accounts/account-pool.ts'
import type { KeyRecord, StickyBinding } from '../store/store.ts'
import type { AccountHealth } from './account-health.ts'
import type { AccountSelector } from './select-account.ts'
import type { StickySessions } from './sticky-sessions.ts'

export interface PickRequest {
  provider: string
  key: KeyRecord
  model: string | undefined
  /** Namespaced session key, when the request belongs to a conversation. */
  session: string | undefined
  exclude: ReadonlySet<string>
  /** The provider's own say on whether an account may take this request. */
  accepts?: (a: PoolAccount) => boolean
  now: number
}

export interface Pick {
  account: PoolAccount
  /** The conversation's binding as it was before this request. */
  sticky: StickyBinding | undefined
}

export class Scheduler {
  #pool: AccountPool
  #health: AccountHealth
  #selector: AccountSelector
  #sticky: StickySessions
  #maxSwitches: number
  #dedicated = new Set<string>()

  constructor (deps: { pool: AccountPool, health: AccountHealth, selector: AccountSelector, sticky: StickySessions, maxSessionSwitches: number }) {
    this.#pool = deps.pool
    this.#health = deps.health
    this.#selector = deps.selector
    this.#sticky = deps.sticky
    this.#maxSwitches = deps.maxSessionSwitches
  }

  /** Accounts named by some key's `account` binding leave the shared pool. */
  setDedicated (names: Iterable<string>): void {
    this.#dedicated = new Set(names)
  }

  candidates (provider: string, key: KeyRecord): PoolAccount[] {
    if (key.boundAccount !== null) {
      const a = this.#pool.byName(key.boundAccount)
      return a && a.provider === provider ? [a] : []
    }
    const all = this.#pool.ofProvider(provider)
    if (key.boundGroup !== null) return all.filter(a => a.groups.includes(key.boundGroup!))
    return all.filter(a => a.groups.length === 0 && !this.#dedicated.has(a.name))
  }

  async pick (req: PickRequest): Promise<Pick | undefined> {
    const all = this.candidates(req.provider, req.key)
    const candidates = req.accepts ? all.filter(req.accepts) : all
    const sticky = req.session ? await this.#sticky.get(req.session, req.now) : undefined
    let preferred = sticky?.accountId
    if (preferred !== undefined && sticky!.switches < this.#maxSwitches) {
      // Leave a markedly slow account while the conversation may still move.
      const usable = candidates.filter(a => this.#health.unusable(a, req.now, req.model) === undefined)
      if (this.#health.slowerThanPeers(preferred, usable)) preferred = undefined
    }
    const account = this.#selector.select({ candidates, model: req.model, exclude: req.exclude, preferred, now: req.now }, this.#health)
    return account && { account, sticky }
  }

  /** Seconds until some candidate comes back from a cooldown, for `Retry-After`. */
  retryAfterSeconds (provider: string, key: KeyRecord, now: number): number | undefined {
    const end = this.#health.earliestCooldownEnd(this.candidates(provider, key), now)
    return end === undefined ? undefined : Math.max(1, Math.ceil((end - now) / 1000))
  }

  async served (session: string | undefined, pick: Pick, now: number): Promise<void> {
    if (session) await this.#sticky.served(session, pick.account.id, pick.sticky, now)
  }
}
