// Turns what the relay observes into notifications: account state changes (rate-limited with
// its reset time, refused, disabled by the provider, serving again), a subscription window
// nearly used up, a key's budget nearly spent or its expiry, and store errors. Each condition
// is reported once per occurrence (a window per reset time, a budget per period).
import type { AccountPool } from '../../accounts/account-pool.ts'
import type { HealthListener } from '../../scheduler/account-health.ts'
import type { KeyRecord, Store } from '../../store/store.ts'
import { policyCounters } from '../../limits/admission.ts'
import { formatMoney } from '../../limits/money.ts'
import type { Notifier } from './notifier.ts'

/** Remembered occurrences at most (a few per account and key). */
const SEEN_CAP = 50_000

export function healthWatcher (notifier: Notifier, pool: AccountPool, opts: { windowUtilisation: number, now: () => number }): HealthListener {
  const troubled = new Set<string>()
  const seenWindows = new Set<string>()
  const who = (id: string) => {
    const a = pool.byId(id)
    return a ? { account: a.name, provider: a.provider } : { account: id, provider: 'unknown' }
  }
  return {
    changed (prev, next) {
      if (!notifier.enabled) return
      const id = next.accountId
      if (next.status === 'unauthorized' && prev.status !== 'unauthorized') {
        troubled.add(id)
        notifier.notify({ type: 'account.unauthorized', ...who(id), reason: next.reason ?? next.lastError ?? 'refused' })
      } else if (next.status === 'disabled' && prev.status !== 'disabled') {
        troubled.add(id)
        notifier.notify({ type: 'account.disabled', ...who(id), reason: next.reason ?? 'by the provider' })
      } else if (next.cooldownUntil != null && next.cooldownUntil > opts.now() && next.cooldownUntil !== prev.cooldownUntil) {
        troubled.add(id)
        notifier.notify({ type: 'account.rate_limited', ...who(id), until: next.cooldownUntil, reason: next.lastError ?? 'resting' })
      } else if (next.status === 'active' && prev.status !== 'active' && troubled.delete(id)) {
        notifier.notify({ type: 'account.recovered', ...who(id) })
      }
    },
    succeeded (id) {
      if (troubled.delete(id)) notifier.notify({ type: 'account.recovered', ...who(id) })
    },
    rateLimits (id, snapshot) {
      if (!notifier.enabled) return
      for (const w of snapshot.windows) {
        if (w.utilisation === undefined || w.utilisation < opts.windowUtilisation) continue
        const seen = `${id}:${w.name}:${w.resetsAt ?? ''}`
        if (seenWindows.has(seen)) continue
        if (seenWindows.size >= SEEN_CAP) seenWindows.clear()
        seenWindows.add(seen)
        notifier.notify({ type: 'account.window_high', ...who(id), window: w.name, utilisation: w.utilisation, resetsAt: w.resetsAt })
      }
    },
  }
}

/** After a request's spend is counted: a budget at or past the configured share, once per period. */
export function budgetWatcher (notifier: Notifier, store: Store, opts: { fraction: number, timeZone: () => string }) {
  const seen = new Set<string>()
  return async (key: KeyRecord, model: string | undefined, now: number): Promise<void> => {
    if (!notifier.enabled || !key.policy.budgets) return
    const budgets = policyCounters(key.policy, now, opts.timeZone(), model).filter(c => c.id.startsWith('budget:') && c.costPico !== undefined)
    if (budgets.length === 0) return
    const values = await store.readCounters(key.id, budgets)
    budgets.forEach((b, i) => {
      const used = values[i]!.costPico
      const fraction = Number((used * 10_000n) / b.costPico!) / 10_000
      const once = `${key.id}:${b.id}:${b.start}`
      if (fraction < opts.fraction || seen.has(once)) return
      if (seen.size >= SEEN_CAP) seen.clear()
      seen.add(once)
      notifier.notify({ type: 'key.budget_high', key: key.name, budget: b.id.slice('budget:'.length), used: formatMoney(used), limit: formatMoney(b.costPico!), fraction })
    })
  }
}

/** Keys whose fixed expiry has passed since the last look: each reported once. */
export function expiryWatcher (notifier: Notifier) {
  const reported = new Set<string>()
  let first = true
  return (keys: readonly KeyRecord[], now: number): void => {
    if (!notifier.enabled) return
    for (const k of keys) {
      if (k.expiresAt === null || k.expiresAt > now || reported.has(k.id) || k.disabled) continue
      reported.add(k.id)
      // Keys that had expired before the relay started were reported by the run that saw it happen.
      if (!first) notifier.notify({ type: 'key.expired', key: k.name })
    }
    first = false
  }
}
