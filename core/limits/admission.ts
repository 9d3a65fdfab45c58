// Admission: whether a key may send this request now, decided before an account is picked.
// Permissions (provider, model, client) are checked here; counters and the concurrency lease
// are checked and taken atomically in the store. Refusals are coded errors with the status the
// client should see: 401 for an expired key, 403 for what the key may never do, 429 with
// Retry-After for what frees up later.
//
// Token and cost limits compare recorded spend (settled requests) with the limit; requests
// still in flight reserve nothing, so spend can pass a limit by at most what the requests in
// flight at that moment end up costing. The next request is then refused.
import { errors, type RelayError } from '../errors.ts'
import { globMatcher } from '../globs.ts'
import { randomId } from '../ids.ts'
import type { ParsedRequest, PluginRoute, Usage } from '../plugin-api.ts'
import type { AdmissionVerdict, CounterLimit, CounterRef, KeyRecord, Store } from '../store/store.ts'
import { formatMoney, usdToPico } from './money.ts'
import { budgetPeriod, durationMs, rateWindow, type BudgetPeriod } from './periods.ts'
import type { KeyPolicy } from './policy-schema.ts'
import { LeaseKeeper } from './lease-keeper.ts'
import { counterRefusal } from '../store/counter-rule.ts'

/** A concurrency refusal cannot know when a slot frees; clients are told to wait this long. */
const CONCURRENCY_RETRY_AFTER = 2
/**
 * The longest wait a refusal asks a client to sit out (Retry-After). A limit that frees up later
 * (a daily budget, most of a 5-hour window) is marked `noRetry`: it says when it resets, and is
 * sent with `x-should-retry: false` and no Retry-After (each plugin picks the status its clients
 * then stop on). Measured with the real clients: the Anthropic SDK slept through a Retry-After of
 * 20 hours, Codex waits out any Retry-After, Gemini CLI retried for minutes.
 */
export const LONGEST_RETRY_AFTER = 60

export interface Admitted {
  keyId: string
  leaseId?: string
  /** The counters the request was admitted under; its spend is added to them at settle. */
  counters: CounterRef[]
}

const PERIOD_WORD: Record<BudgetPeriod, string> = { day: 'Daily', week: 'Weekly', month: 'Monthly', total: 'Total' }

/** Every counter a policy defines at `now`; model budgets only where `model` matches (all when undefined). */
export function policyCounters (policy: KeyPolicy, now: number, zone: string, model: string | undefined, allModels = false): CounterLimit[] {
  const out: CounterLimit[] = []
  for (const w of policy.rateLimits ?? []) {
    out.push({
      id: `rate:${w.window}`, ...rateWindow(w.window, now), countsRequest: true,
      requests: w.requests, tokens: w.tokens, costPico: w.costUsd !== undefined ? usdToPico(w.costUsd) : undefined,
    })
  }
  const b = policy.budgets
  const budget = (id: string, period: BudgetPeriod, usd: number | undefined) => {
    if (usd !== undefined) out.push({ id, ...budgetPeriod(period, now, zone), countsRequest: false, costPico: usdToPico(usd) })
  }
  budget('budget:day', 'day', b?.dailyUsd)
  budget('budget:week', 'week', b?.weeklyUsd)
  budget('budget:month', 'month', b?.monthlyUsd)
  budget('budget:total', 'total', b?.totalUsd)
  for (const mb of b?.models ?? []) {
    if (allModels || (model !== undefined && globMatcher(mb.models)(model))) budget(`budget:model:${mb.models}:${mb.period}`, mb.period, mb.usd)
  }
  return out
}

/** Tokens that count against token limits: cache reads are excluded (a long Claude Code context re-read every turn would otherwise exhaust any limit at a tenth of the price). */
function limitTokens (u: Usage): number {
  return (u.input ?? 0) + (u.output ?? 0) + (u.cacheWrite5m ?? 0) + (u.cacheWrite1h ?? 0)
}

export class Admission {
  #store: Store
  #zone: string
  #leaseTtlMs: number
  #shared: boolean
  #activated = new Map<string, number>()
  readonly leases: LeaseKeeper

  /** `shared`: the store is shared by several instances (per-account limits are counted in it). */
  constructor (store: Store, opts: { timeZone: string, leaseTtlMs: number, now: () => number, onError: (err: unknown) => void, shared?: boolean }) {
    this.#store = store
    this.#zone = opts.timeZone
    this.#leaseTtlMs = opts.leaseTtlMs
    this.#shared = opts.shared ?? false
    this.leases = new LeaseKeeper(store, opts.leaseTtlMs, opts.now, opts.onError)
  }

  get timeZone (): string {
    return this.#zone
  }

  /** A reloaded config's zone: windows and budgets of requests from now on. */
  set timeZone (zone: string) {
    this.#zone = zone
  }

  /** Activation times from the store (start-up, and after the CLI changed it). */
  async reload (): Promise<void> {
    this.#activated = await this.#store.activations()
  }

  /**
   * Admits or throws the refusal. `counted` is false for calls that must not use up limits
   * (count_tokens, models): they are only checked against the key's permissions.
   */
  async admit (key: KeyRecord, provider: string, route: PluginRoute, parsed: ParsedRequest, now: number): Promise<Admitted> {
    const policy = key.policy
    const forbidden = permissionProblem(policy, provider, parsed)
    if (forbidden) throw new errors.RELAY_ERR_KEY_FORBIDDEN(forbidden)
    if (policy.validFor !== undefined) {
      let at = this.#activated.get(key.id)
      if (at === undefined) {
        at = await this.#store.activate(key.id, now)
        this.#activated.set(key.id, at)
      }
      const end = at + durationMs(policy.validFor)
      if (end <= now) throw new errors.RELAY_ERR_KEY_EXPIRED(new Date(end).toISOString())
    }
    if (route.kind !== 'generate') return { keyId: key.id, counters: [] }

    const counters = policyCounters(policy, now, this.#zone, parsed.model)
    const lease = policy.concurrency !== undefined ? { id: randomId('lease'), expiresAt: now + this.#leaseTtlMs } : undefined
    if (counters.length === 0 && !lease) return { keyId: key.id, counters }
    const verdict = await this.#store.admit({ keyId: key.id, concurrency: policy.concurrency, lease, counters }, now)
    if (!verdict.ok) throw refusal(verdict, policy, now)
    if (lease) this.leases.hold(lease.id)
    return { keyId: key.id, leaseId: lease?.id, counters: counters.map(({ id, start, end }) => ({ id, start, end })) }
  }

  /**
   * Whether `key` may send a request to `provider` now, read-only (forward auth, before a body
   * is uploaded): the key's permissions that need no body, its validity period, its limits as
   * they stand (model budgets, which need the model, are left to the relay route). Nothing is
   * counted and no lease is taken; the relay route still admits. Throws the refusal.
   */
  async check (key: KeyRecord, provider: string | undefined, now: number): Promise<void> {
    const policy = key.policy
    if (provider !== undefined && policy.providers && !policy.providers.includes(provider)) {
      throw new errors.RELAY_ERR_KEY_FORBIDDEN(`This key may not use the ${provider} provider (allowed: ${policy.providers.join(', ')})`)
    }
    if (policy.validFor !== undefined) {
      // Not activated yet: its first relay call will activate it, so it is valid now.
      const at = this.#activated.get(key.id) ?? (await this.#store.activations()).get(key.id)
      const end = at === undefined ? undefined : at + durationMs(policy.validFor)
      if (end !== undefined && end <= now) throw new errors.RELAY_ERR_KEY_EXPIRED(new Date(end).toISOString())
    }
    if (policy.concurrency !== undefined) {
      const inUse = await this.#store.activeLeases(key.id, now)
      if (inUse >= policy.concurrency) throw refusal({ ok: false, limit: 'concurrency', inUse, nextExpiry: null }, policy, now)
    }
    const counters = policyCounters(policy, now, this.#zone, undefined)
    if (counters.length === 0) return
    const values = await this.#store.readCounters(key.id, counters)
    for (const [i, c] of counters.entries()) {
      const refused = counterRefusal(c, values[i]!)
      if (refused) throw refusal(refused, policy, now)
    }
  }

  /**
   * One of an account's `maxConcurrency` slots across every instance sharing the store (a lease
   * under the account's id, renewed and expiring like a key's): its lease id, undefined when the
   * account is full, or null when there is nothing to count (no cap, or one instance alone,
   * which counts in memory).
   */
  async accountSlot (account: { id: string, maxConcurrency: number | null }, now: number): Promise<string | null | undefined> {
    if (!this.#shared || account.maxConcurrency === null) return null
    const lease = { id: randomId('lease'), expiresAt: now + this.#leaseTtlMs }
    const verdict = await this.#store.admit({ keyId: `account:${account.id}`, concurrency: account.maxConcurrency, lease, counters: [] }, now)
    if (!verdict.ok) return undefined
    this.leases.hold(lease.id)
    return lease.id
  }

  async releaseSlot (leaseId: string): Promise<void> {
    await this.leases.release(leaseId)
  }

  /** Frees the request's concurrency slot (first thing at settle, whatever else fails). */
  async release (admitted: Admitted): Promise<void> {
    if (admitted.leaseId) await this.leases.release(admitted.leaseId)
  }

  /** Adds the settled request's spend to the counters it was admitted under. */
  async addSpend (admitted: Admitted, usage: Usage, costPico: bigint | null): Promise<void> {
    const tokens = limitTokens(usage)
    if (admitted.counters.length > 0 && (tokens > 0 || (costPico ?? 0n) > 0n)) {
      await this.#store.recordSpend(admitted.keyId, admitted.counters, tokens, costPico ?? 0n)
    }
  }
}

function permissionProblem (policy: KeyPolicy, provider: string, parsed: ParsedRequest): string | undefined {
  if (policy.providers && !policy.providers.includes(provider)) return `This key may not use the ${provider} provider (allowed: ${policy.providers.join(', ')})`
  if (policy.clients && !policy.clients.includes(parsed.clientKind)) return `This key may not be used from this client (${parsed.clientKind}; allowed: ${policy.clients.join(', ')})`
  const model = parsed.model
  if (model !== undefined && policy.models) {
    const denied = policy.models.deny?.find(p => globMatcher([p])(model))
    if (denied !== undefined) return `This key may not use model ${model} (denied by ${denied})`
    if (policy.models.allow && !globMatcher(policy.models.allow)(model)) return `This key may not use model ${model} (allowed: ${policy.models.allow.join(', ')})`
  }
  return undefined
}

function refusal (v: Exclude<AdmissionVerdict, { ok: true }>, policy: KeyPolicy, now: number): RelayError {
  if (v.limit === 'concurrency') {
    const err = new errors.RELAY_ERR_LIMIT_CONCURRENCY(`Concurrency limit reached: this key may have ${policy.concurrency} requests in flight`) as RelayError
    err.retryAfter = CONCURRENCY_RETRY_AFTER
    return err
  }
  const c = v.counter
  const retryAfter = c.end === null ? undefined : Math.max(1, Math.ceil((c.end - now) / 1000))
  const resets = c.end === null ? '' : `; resets at ${new Date(c.end).toISOString()}`
  let err: RelayError
  if (c.id.startsWith('rate:')) {
    const window = c.id.slice(5)
    const limit = v.what === 'requests' ? `${c.requests} requests` : v.what === 'tokens' ? `${c.tokens} tokens` : formatMoney(c.costPico!)
    err = new errors.RELAY_ERR_LIMIT_RATE(`Rate limit reached: ${limit} per ${window} for this key${resets}`) as RelayError
  } else {
    const parts = c.id.split(':')
    const period = parts.at(-1) as BudgetPeriod
    const scope = parts[1] === 'model' ? ` for models ${parts.slice(2, -1).join(':')}` : ''
    const message = `${PERIOD_WORD[period]} budget of ${formatMoney(c.costPico!)}${scope} reached for this key${resets}`
    // A total budget never frees up: a 429 would only invite retries.
    err = (c.end === null ? new errors.RELAY_ERR_LIMIT_BUDGET_EXHAUSTED(message) : new errors.RELAY_ERR_LIMIT_BUDGET(message)) as RelayError
  }
  err.retryAfter = retryAfter
  if (retryAfter !== undefined && retryAfter > LONGEST_RETRY_AFTER) err.noRetry = true
  return err
}
