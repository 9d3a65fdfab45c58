// What the relay knows about each account's health, and the rules that change it. Upstream
// outcomes come in already classified by the provider plugin; this file decides what they do:
//   rate limited      → cooldown until the provider's reset time, else a default
//   overloaded/5xx/network → cooldown only after N failures in a row (one blip benches no one)
//   credential refused → unauthorized (an operator or an OAuth refresh fixes it)
//   forbidden          → disabled with the provider's reason
//   client error       → nothing: one user's broken request must not bench a shared account
// State changes are written through to the store so the CLI can show them and a restart keeps
// them; the in-flight count and first-byte times live only in memory.
import { globMatcher } from '../globs.ts'
import { ACCOUNT_ERRORS_KEPT, type AccountStateRecord } from '../store/store.ts'
import type { ErrorClassification, RateLimitSnapshot, RateLimitWindow } from '../plugin-api.ts'
import type { PoolAccount } from '../accounts/account-pool.ts'

export interface HealthPolicy {
  rateLimitCooldownMs: number
  failureThreshold: number
  failureCooldownMs: number
  slowFirstByteRatio: number
  slowFirstByteMinMs: number
}

interface Live {
  state: AccountStateRecord
  inflight: number
  /** Exponentially weighted mean time to first byte, ms. */
  ttfb: number | undefined
}

/** Weight of the newest sample in the first-byte average. */
const TTFB_ALPHA = 0.3
/** Rate-limit reports are persisted at most this often per account (they come with every response). */
const RATE_LIMIT_PERSIST_MS = 5000

export type Unusable = 'disabled' | 'unauthorized' | 'cooling' | 'at-capacity' | 'model'

/** Told of every state change and every success (notifications); must not throw. */
export interface HealthListener {
  changed (previous: AccountStateRecord, next: AccountStateRecord): void
  succeeded (id: string): void
  rateLimits (id: string, snapshot: RateLimitSnapshot): void
}

export class AccountHealth {
  #live = new Map<string, Live>()
  #policy: HealthPolicy
  #persist: (s: AccountStateRecord) => void
  #listener: HealthListener | undefined

  constructor (policy: HealthPolicy, persist: (s: AccountStateRecord) => void, listener?: HealthListener) {
    this.#policy = policy
    this.#persist = persist
    this.#listener = listener
  }

  /** Replaces the persisted part of the state (start-up, or after the CLI changed it). */
  load (states: AccountStateRecord[]): void {
    const seen = new Set<string>()
    for (const s of states) {
      seen.add(s.accountId)
      this.#entry(s.accountId).state = s
    }
    for (const [id, live] of this.#live) if (!seen.has(id)) live.state = fresh(id, live.state.updatedAt)
  }

  state (id: string): AccountStateRecord {
    return this.#entry(id).state
  }

  inflight (id: string): number {
    return this.#live.get(id)?.inflight ?? 0
  }

  firstByteMs (id: string): number | undefined {
    return this.#live.get(id)?.ttfb
  }

  /** Why the account cannot take this request now, or undefined when it can. */
  unusable (a: PoolAccount, now: number, model: string | undefined): Unusable | undefined {
    const live = this.#live.get(a.id)
    const st = live?.state
    if (a.disabled || st?.status === 'disabled') return 'disabled'
    if (st?.status === 'unauthorized') return 'unauthorized'
    if (st?.cooldownUntil != null && st.cooldownUntil > now) return 'cooling'
    if (a.maxConcurrency !== null && (live?.inflight ?? 0) >= a.maxConcurrency) return 'at-capacity'
    if (model !== undefined && !a.serves(model)) return 'model'
    if (st?.rateLimits && rejectedFor(st.rateLimits, now, model)) return 'cooling'
    return undefined
  }

  acquire (id: string): void {
    this.#entry(id).inflight++
  }

  release (id: string): void {
    const live = this.#entry(id)
    live.inflight = Math.max(0, live.inflight - 1)
  }

  /** A 2xx: the failure streak ends, the first-byte average moves. */
  succeeded (id: string, ttfbMs: number | null, now: number): void {
    this.#listener?.succeeded(id)
    const live = this.#entry(id)
    if (ttfbMs !== null) live.ttfb = live.ttfb === undefined ? ttfbMs : live.ttfb + TTFB_ALPHA * (ttfbMs - live.ttfb)
    if (live.state.consecutiveFailures > 0) this.#save(live, { consecutiveFailures: 0 }, now)
  }

  failed (id: string, verdict: ErrorClassification, message: string, now: number): void {
    const live = this.#entry(id)
    const p = this.#policy
    const error = { lastError: message, lastErrorAt: now }
    switch (verdict.kind) {
      case 'client_error':
        return
      case 'rate_limited':
        // A limit on one model family (reported in the same response) benches only that family.
        if (familyOnly(live.state.rateLimits, now)) {
          this.#save(live, error, now)
          return
        }
        this.#save(live, { ...error, cooldownUntil: verdict.until && verdict.until > now ? verdict.until : now + p.rateLimitCooldownMs }, now)
        return
      case 'auth_failed':
        this.#save(live, { ...error, status: 'unauthorized', reason: message }, now)
        return
      case 'forbidden':
        this.#save(live, { ...error, status: 'disabled', reason: message }, now)
        return
      case 'overloaded':
      case 'server_error': {
        const failures = live.state.consecutiveFailures + 1
        const cooldown = failures >= p.failureThreshold ? { cooldownUntil: now + p.failureCooldownMs, consecutiveFailures: 0 } : { consecutiveFailures: failures }
        this.#save(live, { ...error, ...cooldown }, now)
      }
    }
  }

  /** The provider refused the account's OAuth grant for good: only a new login helps. */
  needsLogin (id: string, reason: string, now: number): void {
    this.#save(this.#entry(id), { status: 'unauthorized', reason: `log in again: ${reason}`, lastError: `token refresh refused: ${reason}`, lastErrorAt: now }, now)
  }

  /**
   * An OAuth refresh failed for a passing reason (network, 5xx, timeout). With `rest` (the
   * credential cannot be used meanwhile) the account cools down until the retry.
   */
  refreshFailing (id: string, reason: string, retryAt: number, rest: boolean, now: number): void {
    const live = this.#entry(id)
    this.#save(live, {
      refreshFailures: live.state.refreshFailures + 1,
      lastError: `token refresh failed (${reason}); retrying at ${new Date(retryAt).toISOString()}`,
      lastErrorAt: now,
      ...(rest ? { cooldownUntil: retryAt } : {}),
    }, now)
  }

  /** The account cannot serve until `until` (its credential is expired while refreshes back off). */
  restUntil (id: string, until: number, now: number): void {
    const live = this.#entry(id)
    if ((live.state.cooldownUntil ?? 0) < until) this.#save(live, { cooldownUntil: until }, now)
  }

  refreshed (id: string, now: number): void {
    const live = this.#entry(id)
    if (live.state.refreshFailures > 0) this.#save(live, { refreshFailures: 0, cooldownUntil: null }, now)
  }

  rateLimits (id: string, snapshot: RateLimitSnapshot): void {
    const live = this.#entry(id)
    const previous = live.state.rateLimits?.at ?? 0
    live.state = { ...live.state, rateLimits: snapshot }
    this.#listener?.rateLimits(id, snapshot)
    if (snapshot.at - previous >= RATE_LIMIT_PERSIST_MS) this.#persist(live.state)
  }

  /**
   * True when `id` is markedly slower to first byte than the other accounts (median of theirs):
   * a sticky conversation should leave it while it may.
   */
  slowerThanPeers (id: string, peers: readonly PoolAccount[]): boolean {
    const mine = this.#live.get(id)?.ttfb
    if (mine === undefined || mine < this.#policy.slowFirstByteMinMs) return false
    const others = peers.filter(a => a.id !== id).map(a => this.#live.get(a.id)?.ttfb).filter((t): t is number => t !== undefined).sort((x, y) => x - y)
    if (others.length === 0) return false
    const median = others[Math.floor(others.length / 2)]!
    return mine > median * this.#policy.slowFirstByteRatio
  }

  /** The earliest time a cooling account comes back, for `Retry-After`. */
  earliestCooldownEnd (accounts: readonly PoolAccount[], now: number): number | undefined {
    let earliest: number | undefined
    for (const a of accounts) {
      const until = this.#live.get(a.id)?.state.cooldownUntil
      if (until != null && until > now && (earliest === undefined || until < earliest)) earliest = until
    }
    return earliest
  }

  #entry (id: string): Live {
    let live = this.#live.get(id)
    if (!live) {
      live = { state: fresh(id, 0), inflight: 0, ttfb: undefined }
      this.#live.set(id, live)
    }
    return live
  }

  #save (live: Live, patch: Partial<AccountStateRecord>, now: number): void {
    const previous = live.state
    live.state = { ...live.state, ...patch, updatedAt: now }
    // Each new error joins the history the console shows (bounded, newest first).
    if (patch.lastError != null && patch.lastErrorAt != null && patch.lastErrorAt !== previous.lastErrorAt) {
      live.state.recentErrors = [{ at: patch.lastErrorAt, message: patch.lastError.slice(0, 500) }, ...(previous.recentErrors ?? [])].slice(0, ACCOUNT_ERRORS_KEPT)
    }
    this.#listener?.changed(previous, live.state)
    this.#persist(live.state)
  }
}

const rejectedNow = (w: RateLimitWindow, now: number) => w.status === 'rejected' && w.resetsAt !== undefined && w.resetsAt > now

/** A window the provider reported as exhausted blocks the account, or its family's models. */
function rejectedFor (snapshot: RateLimitSnapshot, now: number, model: string | undefined): boolean {
  return snapshot.windows.some(w => rejectedNow(w, now) && (w.models === undefined || (model !== undefined && globMatcher(w.models)(model))))
}

function familyOnly (snapshot: RateLimitSnapshot | null, now: number): boolean {
  const rejected = snapshot?.windows.filter(w => rejectedNow(w, now)) ?? []
  return rejected.length > 0 && rejected.every(w => w.models !== undefined)
}

function fresh (accountId: string, at: number): AccountStateRecord {
  return { accountId, status: 'active', reason: null, cooldownUntil: null, consecutiveFailures: 0, lastError: null, lastErrorAt: null, rateLimits: null, updatedAt: at, refreshFailures: 0 }
}
