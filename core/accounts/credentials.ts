// Keeps OAuth accounts' credentials fresh: ahead of expiry, and once after an upstream 401.
//
// One refresh at a time per account (single-flight): concurrent requests wait for it and then
// use its result. A request that got a 401 with credentials another request has meanwhile
// replaced just retries with the new ones, so a burst of 401s costs exactly one refresh.
//
// A refresh that fails for good (the provider refused the grant) marks the account as needing a
// new login; one that fails for a passing reason (network, 5xx, timeout) is retried with
// exponential backoff, the account resting meanwhile if its credential is no longer usable. A
// credential known to be expired is never handed out.
//
// A refresh result must survive a reload of the pool from the store that raced it (the refresh
// token has rotated: losing the new one kills the account). Every replaced access token is
// remembered with its successor, and `adopt` brings any account object loaded with a replaced
// credential up to date.
import type { Dispatcher } from 'undici'
import type { Logger } from 'pino'
import type { OAuthSteps } from '../plugin-api.ts'
import type { SecretBox } from '../secrets/secret-box.ts'
import type { Store } from '../store/store.ts'
import type { AccountHealth } from '../scheduler/account-health.ts'
import type { AccountTypes } from './account-types.ts'
import type { AccountPool, PoolAccount } from './account-pool.ts'

/** Refresh this long before the access token expires (the incumbent used 60 s). */
const REFRESH_AHEAD_MS = 60_000
/** Backoff after passing refresh failures: 30 s, doubling, at most 10 min. */
const BACKOFF_BASE_MS = 30_000
const BACKOFF_MAX_MS = 600_000
/** How long one instance may hold an account's refresh before another may try (and how long others wait for it). */
const REFRESH_LOCK_MS = 15_000
/** Replaced credentials remembered for reloads (a handful per account over a process's life). */
const REPLACED_CAP = 10_000

function refreshBackoffMs (failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, Math.min(failures - 1, 16)))
}

export interface CredentialDeps {
  types: AccountTypes
  store: Store
  box: SecretBox
  health: AccountHealth
  pool: AccountPool
  dispatcherFor: (account: PoolAccount) => Dispatcher
  now: () => number
  log: Logger
}

/** What to do after a 401: retry with fresh credentials, or the account's state is already recorded, or it cannot recover. */
export type AfterUnauthorized = 'retry' | 'handled' | 'unrecoverable'

export class Credentials {
  #deps: CredentialDeps
  #inflight = new Map<string, Promise<boolean>>()
  /** Account id → no refresh before this time (passing failures). */
  #retryAt = new Map<string, number>()
  /** An access token → the fields that replaced it. */
  #replaced = new Map<unknown, Record<string, unknown>>()

  constructor (deps: CredentialDeps) {
    this.#deps = deps
  }

  #steps (account: PoolAccount): OAuthSteps | undefined {
    const type = this.#deps.types.resolve(account.provider, account.type)
    return typeof type === 'string' ? undefined : type.spec.oauth
  }

  refreshable (account: PoolAccount): boolean {
    return this.#steps(account) !== undefined && typeof account.fields.refreshToken === 'string'
  }

  #mayTry (account: PoolAccount): boolean {
    return this.#deps.now() >= (this.#retryAt.get(account.id) ?? 0)
  }

  /**
   * Refreshes when the access token expires within REFRESH_AHEAD_MS. Never throws; false when
   * the account's credential is known to be expired and could not be refreshed (it must not be sent).
   */
  async ensureFresh (account: PoolAccount): Promise<boolean> {
    const steps = this.#steps(account)
    const expiresAt = steps?.expiresAt(account.fields)
    const now = this.#deps.now()
    if (!steps || expiresAt === undefined || expiresAt - now > REFRESH_AHEAD_MS) return true
    if (this.refreshable(account) && this.#mayTry(account) && await this.#refresh(account, steps, expiresAt <= now)) return true
    const usable = (steps.expiresAt(account.fields) ?? Infinity) > this.#deps.now()
    if (!usable) {
      const retryAt = this.#retryAt.get(account.id)
      if (!this.refreshable(account)) this.#deps.health.needsLogin(account.id, 'the access token expired and there is no refresh token', this.#deps.now())
      else if (retryAt !== undefined) this.#deps.health.restUntil(account.id, retryAt, this.#deps.now())
    }
    return usable
  }

  /** After a 401 for the credentials `used`. */
  async afterUnauthorized (account: PoolAccount, used: Record<string, unknown>): Promise<AfterUnauthorized> {
    if (account.fields !== used) return 'retry'
    const steps = this.#steps(account)
    if (!steps || !this.refreshable(account)) return 'unrecoverable'
    if (!this.#mayTry(account)) {
      this.#deps.health.refreshFailing(account.id, 'the credential was refused while refreshes are backing off', this.#retryAt.get(account.id)!, true, this.#deps.now())
      return 'handled'
    }
    return (await this.#refresh(account, steps, true)) ? 'retry' : 'handled'
  }

  /** Brings an account loaded from the store up to date with refreshes it may have raced. */
  adopt (account: PoolAccount): void {
    for (let hops = 0; hops < 100; hops++) {
      const next = this.#replaced.get(account.fields.accessToken)
      if (!next) return
      account.fields = next
    }
  }

  #refresh (account: PoolAccount, steps: OAuthSteps, rest: boolean): Promise<boolean> {
    let running = this.#inflight.get(account.id)
    if (!running) {
      running = this.#run(account, steps, rest).finally(() => this.#inflight.delete(account.id))
      this.#inflight.set(account.id, running)
    }
    return running
  }

  async #run (account: PoolAccount, steps: OAuthSteps, rest: boolean): Promise<boolean> {
    const { store } = this.#deps
    // Across instances sharing a store: one refreshes, the others take its result (a second
    // refresh would spend the rotated refresh token the first one just received).
    const lockName = `refresh:${account.id}`
    if (store.lock && !await store.lock(lockName, REFRESH_LOCK_MS)) return this.#takeOthersRefresh(account)
    try {
      return await this.#refreshHere(account, steps, rest)
    } finally {
      await store.unlock?.(lockName).catch(() => {})
    }
  }

  /** Another instance is refreshing: waits for the store to hold newer credentials, and adopts them. */
  async #takeOthersRefresh (account: PoolAccount): Promise<boolean> {
    const { store, box, types } = this.#deps
    const before = account.fields.accessToken
    // An account of a type this relay no longer knows cannot take another's credentials.
    if (typeof types.resolve(account.provider, account.type) === 'string') return false
    for (const end = Date.now() + REFRESH_LOCK_MS; Date.now() < end;) {
      await new Promise(resolve => setTimeout(resolve, 200))
      const stored = (await store.listAccounts()).find(a => a.id === account.id)
      if (!stored?.sealedSecrets) continue
      const fields = { ...stored.fields, ...JSON.parse(box.open(stored.sealedSecrets)) as Record<string, unknown> }
      if (fields.accessToken === before) continue
      this.#replace(account, before, fields)
      this.#deps.health.refreshed(account.id, this.#deps.now())
      return true
    }
    return false
  }

  /** Remembers credentials that replace those holding `before`, and moves the account's copies onto them. */
  #replace (account: PoolAccount, before: unknown, fields: Record<string, unknown>): void {
    if (this.#replaced.size >= REPLACED_CAP) this.#replaced.clear()
    this.#replaced.set(before, fields)
    for (const a of [account, this.#deps.pool.byId(account.id)]) if (a) this.adopt(a)
  }

  async #refreshHere (account: PoolAccount, steps: OAuthSteps, rest: boolean): Promise<boolean> {
    const { types, store, box, log, health } = this.#deps
    const before = account.fields
    let fields: Record<string, unknown>
    try {
      const raw = await steps.refresh(before, { dispatcher: this.#deps.dispatcherFor(account), now: this.#deps.now() })
      const type = types.resolve(account.provider, account.type)
      if (typeof type === 'string') throw new Error(type)
      const check = types.check(type, raw)
      if (!check.ok) throw new Error(`refreshed credentials do not fit the account type: ${check.problems.map(p => `${p.path} ${p.message}`).join('; ')}`)
      fields = { ...check.plain, ...check.secrets }
      // In memory first: from here on nothing may lose the rotated token, not even a failed write.
      this.#replace(account, before.accessToken, fields)
      if (account.source === 'store') {
        await store.updateAccount(account.id, { fields: check.plain, sealedSecrets: box.seal(JSON.stringify(check.secrets)) })
          .catch((err: unknown) => log.error({ err, account: account.name }, 'storing refreshed credentials failed (kept in memory)'))
      }
    } catch (err) {
      const reason = (err as Error).message
      const now = this.#deps.now()
      if ((err as { definitive?: boolean }).definitive) {
        log.warn({ account: account.name, reason }, 'account credential refresh refused: the account needs a new login')
        health.needsLogin(account.id, reason, now)
      } else {
        const retryAt = now + refreshBackoffMs(health.state(account.id).refreshFailures + 1)
        this.#retryAt.set(account.id, retryAt)
        log.warn({ account: account.name, reason, retryAt: new Date(retryAt).toISOString() }, 'account credential refresh failed; will retry')
        health.refreshFailing(account.id, reason, retryAt, rest, now)
      }
      return false
    }
    this.#retryAt.delete(account.id)
    health.refreshed(account.id, this.#deps.now())
    log.info({ account: account.name }, 'account credentials refreshed')
    return true
  }
}
