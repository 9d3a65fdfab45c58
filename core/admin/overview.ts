// The admin console's first view: how much went through today, this week and this month; what
// is happening now (requests in the last minute, in flight, the event loop's delay); which
// accounts need attention and which keys are near a limit; the top keys and models; models
// served without a price; and whether the store and the notification targets are well. Every
// number is computed from the store's aggregates and the live process, not from the request
// log, so it stays fast however long the log grows.
import type { Runtime } from '../runtime.ts'
import type { UsageTotalsCache } from './usage-totals-cache.ts'
import type { UsageTotal } from '../store/store.ts'
import type { EventLoopLag } from '../ops/live-stats.ts'
import type { TargetStatus } from '../ops/notify/notifier.ts'
import { budgetPeriod } from '../limits/periods.ts'
import { keyUsageReport } from '../limits/key-usage.ts'
import { usdString } from '../limits/money.ts'
import { listAccounts } from '../manage/accounts.ts'
import { keyState, nearestLimit } from '../manage/key-list.ts'
import { allKeys } from '../manage/records.ts'
import { totalView } from './usage-api.ts'
import { addUsageTotal } from '../store/aggregate-sums.ts'

export interface OverviewSources {
  rt: Runtime
  totals: UsageTotalsCache
  health: () => { status: string, inflight: number, usage: Record<string, unknown> }
  live: { lastMinute: () => number, eventLoopLag: () => EventLoopLag }
  notifications: () => TargetStatus[]
}

/** Keys at or past this fraction of a limit are listed as near it. */
export const NEAR_LIMIT = 0.8
const TOP = 5
const LISTED = 10
const DAY = 86_400_000

function sum (totals: UsageTotal[]): UsageTotal {
  const s: UsageTotal = { group: null, requests: 0, input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, costPico: 0n, unpricedRequests: 0 }
  for (const t of totals) addUsageTotal(s, t)
  return s
}

export async function overview (src: OverviewSources, now: number) {
  const { rt } = src
  const zone = rt.loaded.config.limits.timeZone
  const until = now + 1
  const today = budgetPeriod('day', now, zone).start
  const month = budgetPeriod('month', now, zone).start
  const t = src.totals
  const [dayByModel, weekByModel, weekByKey, thirtyByModel, monthByKey, keys, accounts, unpriced, activations] = await Promise.all([
    t.totals('model', today, until, now),
    t.totals('model', now - 7 * DAY, until, now),
    t.totals('key', now - 7 * DAY, until, now),
    t.totals('model', now - 30 * DAY, until, now),
    t.totals('key', month, until, now),
    allKeys(rt), listAccounts(rt, now), rt.store.unpricedModels(now - 30 * DAY), rt.store.activations(),
  ])
  const names = new Map(keys.map(k => [k.id, k.name]))

  // Near a limit: only keys with a limit that spent this month can be (a rate window or
  // concurrency in use implies spend today), so 10,000 idle keys cost nothing here.
  const spent = new Set(monthByKey.map(t => t.group))
  const limited = keys.filter(k => spent.has(k.id) && (k.policy.concurrency !== undefined || k.policy.rateLimits !== undefined || k.policy.budgets !== undefined))
  const near = (await Promise.all(limited.map(async k => {
    const nearest = nearestLimit((await keyUsageReport(k, rt.store, zone, now, activations)).limits)
    return nearest && nearest.ratio >= NEAR_LIMIT ? { id: k.id, name: k.name, limit: nearest.limit, ratio: nearest.ratio } : undefined
  }))).filter(x => x !== undefined).sort((a, b) => b.ratio - a.ratio)

  const keyStates = { active: 0, disabled: 0, expired: 0 }
  for (const k of keys) keyStates[keyState(k, activations.get(k.id), now)]++
  const accountStates: Record<string, number> = {}
  for (const a of accounts) accountStates[a.state] = (accountStates[a.state] ?? 0) + 1
  const health = src.health()

  return {
    time: new Date(now).toISOString(),
    timeZone: zone,
    periods: { today: totalView(sum(dayByModel)), last7Days: totalView(sum(weekByModel)), last30Days: totalView(sum(thirtyByModel)) },
    live: { requestsLastMinute: src.live.lastMinute(), inflight: health.inflight, eventLoopLag: src.live.eventLoopLag() },
    accounts: {
      total: accounts.length,
      byState: accountStates,
      needAttention: accounts.filter(a => a.state !== 'active').slice(0, LISTED)
        .map(a => ({ id: a.id, name: a.name, provider: a.provider, state: a.state, reason: a.reason, cooldownUntil: a.cooldownUntil })),
    },
    keys: { total: keys.length, byState: keyStates, nearLimit: near.slice(0, LISTED), nearLimitCount: near.length },
    topKeys: weekByKey.slice(0, TOP).map(t => ({ id: t.group, name: t.group === null ? null : names.get(t.group) ?? null, requests: t.requests, costUsd: usdString(t.costPico) })),
    topModels: weekByModel.slice(0, TOP).map(t => ({ model: t.group, requests: t.requests, costUsd: usdString(t.costPico) })),
    unpriced: unpriced.slice(0, LISTED).map(u => ({ provider: u.provider, model: u.model, unpriced: u.unpriced, fallback: u.fallback, lastAt: new Date(u.lastAt).toISOString() })),
    store: { kind: rt.loaded.config.store.kind, status: health.status, ...health.usage },
    notifications: src.notifications().map(t => ({ ...t, lastSentAt: t.lastSentAt === null ? null : new Date(t.lastSentAt).toISOString(), lastFailedAt: t.lastFailedAt === null ? null : new Date(t.lastFailedAt).toISOString() })),
  }
}
