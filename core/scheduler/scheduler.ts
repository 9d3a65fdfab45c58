// Account selection for one request attempt: binding first (a key's dedicated account or
// group for the request's provider), then the conversation's sticky account, then priority and least-recent use. Also
// the bookkeeping around an attempt: in-flight counts, outcomes, sticky renewal.
//
// The shared pool of a provider is its accounts that belong to no group and are no key's
// dedicated account: those are reserved for the keys bound to them. An account's `shared`
// setting overrides that (true: in the pool even so, as claude-relay-service's shared accounts
// are; false: never, only for the keys bound to it or its groups).
import type { AccountPool, PoolAccount } from '../accounts/account-pool.ts'
import type { KeyRecord, StickyBinding } from '../store/store.ts'
import { bindingFor } from '../keys/bindings.ts'
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

export type NoAccount =
  | { kind: 'busy', retryAfter: number | undefined }
  | { kind: 'no-accounts' }
  | { kind: 'client-not-served', accounts: readonly PoolAccount[] }
  | { kind: 'model-not-served' }
  | { kind: 'dead', unauthorized: number, disabled: number }

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
  #nextTurn: ((ids: string[]) => Promise<string>) | undefined

  constructor (deps: { pool: AccountPool, health: AccountHealth, selector: AccountSelector, sticky: StickySessions, maxSessionSwitches: number, nextTurn?: (ids: string[]) => Promise<string> }) {
    this.#pool = deps.pool
    this.#health = deps.health
    this.#selector = deps.selector
    this.#sticky = deps.sticky
    this.#maxSwitches = deps.maxSessionSwitches
    this.#nextTurn = deps.nextTurn
  }

  /** Accounts named by some key's `account` binding leave the shared pool. */
  setDedicated (names: Iterable<string>): void {
    this.#dedicated = new Set(names)
  }

  candidates (provider: string, key: KeyRecord): PoolAccount[] {
    const binding = bindingFor(key.bindings, provider)
    if (binding && 'account' in binding) {
      const a = this.#pool.byName(binding.account)
      return a && a.provider === provider ? [a] : []
    }
    const all = this.#pool.ofProvider(provider)
    if (binding) return all.filter(a => a.groups.includes(binding.group))
    return all.filter(a => a.shared ?? (a.groups.length === 0 && !this.#dedicated.has(a.name)))
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
    let account = this.#selector.select({ candidates, model: req.model, exclude: req.exclude, preferred, now: req.now }, this.#health)
    // Several instances: among equally good accounts, whose turn it is is decided by the shared store.
    if (account && this.#nextTurn && account.id !== preferred) {
      const local = account
      const tied = candidates.filter(a => a !== local && a.priority === local.priority && !req.exclude.has(a.id) && this.#health.unusable(a, req.now, req.model) === undefined)
      if (tied.length > 0) {
        // The local pick first: it wins a tie of never-picked accounts and a store outage.
        tied.unshift(local)
        const id = await this.#nextTurn(tied.map(a => a.id))
        account = tied.find(a => a.id === id) ?? account
        if (account !== local) this.#selector.mark(account.id, req.now)
      }
    }
    return account && { account, sticky }
  }

  /**
   * Why no account could be picked: a passing state (cooling down, at capacity: retry later,
   * `retryAfter` seconds) or a lasting one that only the operator or a different request can
   * change (no account at all, none serving this client or model, all disabled or logged out).
   */
  whyNone (req: Omit<PickRequest, 'session' | 'exclude'>): NoAccount {
    const all = this.candidates(req.provider, req.key)
    if (all.length === 0) return { kind: 'no-accounts' }
    const accepted = req.accepts ? all.filter(req.accepts) : all
    if (accepted.length === 0) return { kind: 'client-not-served', accounts: all }
    const serving = req.model === undefined ? accepted : accepted.filter(a => a.serves(req.model!))
    if (serving.length === 0) return { kind: 'model-not-served' }
    const reasons = serving.map(a => this.#health.unusable(a, req.now, req.model))
    if (reasons.some(r => r === undefined || r === 'cooling' || r === 'at-capacity')) {
      const end = this.#health.earliestCooldownEnd(serving, req.now)
      return { kind: 'busy', retryAfter: end === undefined ? undefined : Math.max(1, Math.ceil((end - req.now) / 1000)) }
    }
    return { kind: 'dead', unauthorized: reasons.filter(r => r === 'unauthorized').length, disabled: reasons.filter(r => r === 'disabled').length }
  }

  async served (session: string | undefined, pick: Pick, now: number): Promise<void> {
    if (session) await this.#sticky.served(session, pick.account.id, pick.sticky, now)
  }
}
