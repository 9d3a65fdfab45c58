// Keeps OAuth accounts' credentials fresh: ahead of expiry, and once after an upstream 401.
// One refresh at a time per account (single-flight): concurrent requests wait for it and then
// use its result. A request that got a 401 with credentials another request has meanwhile
// replaced just retries with the new ones, so a burst of 401s costs exactly one refresh.
// New credentials are sealed and stored (store accounts) and swapped into the in-memory account.
import type { Dispatcher } from 'undici'
import type { Logger } from 'pino'
import type { OAuthSteps } from '../plugin-api.ts'
import type { SecretBox } from '../secrets/secret-box.ts'
import type { Store } from '../store/store.ts'
import type { AccountTypes } from './account-types.ts'
import type { PoolAccount } from './account-pool.ts'

/** Refresh this long before the access token expires (the incumbent used 60 s). */
const REFRESH_AHEAD_MS = 60_000

export interface CredentialDeps {
  types: AccountTypes
  store: Store
  box: SecretBox
  dispatcherFor: (account: PoolAccount) => Dispatcher
  now: () => number
  log: Logger
}

export class Credentials {
  #deps: CredentialDeps
  #inflight = new Map<string, Promise<boolean>>()

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

  /**
   * Refreshes when the access token expires within REFRESH_AHEAD_MS. Never throws; false when
   * the account's credential is known to be expired and could not be refreshed (it must not be sent).
   */
  async ensureFresh (account: PoolAccount): Promise<boolean> {
    const steps = this.#steps(account)
    const expiresAt = steps?.expiresAt(account.fields)
    if (!steps || expiresAt === undefined || expiresAt - this.#deps.now() > REFRESH_AHEAD_MS) return true
    if (this.refreshable(account) && await this.#refresh(account, steps)) return true
    return (steps.expiresAt(account.fields) ?? Infinity) > this.#deps.now()
  }

  /**
   * After a 401 for the credentials `used`: true when the request should be retried on the same
   * account (fresh credentials are in place), false when the account cannot recover.
   */
  async afterUnauthorized (account: PoolAccount, used: Record<string, unknown>): Promise<boolean> {
    if (account.fields !== used) return true
    const steps = this.#steps(account)
    if (!steps || !this.refreshable(account)) return false
    return this.#refresh(account, steps)
  }

  #refresh (account: PoolAccount, steps: OAuthSteps): Promise<boolean> {
    let running = this.#inflight.get(account.id)
    if (!running) {
      running = this.#run(account, steps).finally(() => this.#inflight.delete(account.id))
      this.#inflight.set(account.id, running)
    }
    return running
  }

  async #run (account: PoolAccount, steps: OAuthSteps): Promise<boolean> {
    const { types, store, box, log } = this.#deps
    try {
      const fields = await steps.refresh(account.fields, { dispatcher: this.#deps.dispatcherFor(account), now: this.#deps.now() })
      const type = types.resolve(account.provider, account.type)
      if (typeof type === 'string') return false
      const check = types.check(type, fields)
      if (!check.ok) throw new Error(`refreshed credentials do not fit the account type: ${check.problems.map(p => `${p.path} ${p.message}`).join('; ')}`)
      if (account.source === 'store') await store.updateAccount(account.id, { fields: check.plain, sealedSecrets: box.seal(JSON.stringify(check.secrets)) })
      account.fields = { ...check.plain, ...check.secrets }
      log.info({ account: account.name }, 'account credentials refreshed')
      return true
    } catch (err) {
      log.warn({ account: account.name, reason: (err as Error).message }, 'account credential refresh failed')
      return false
    }
  }
}
