// The admin console's list of keys: searched, filtered, sorted and paged on the server, so a
// relay with ten thousand keys sends the browser one page. Each key on the page carries its
// requests and cost today and this month (in `limits.timeZone`) and its limits with their use;
// the whole list costs two aggregate reads (today, this month) however many keys there are.
import type { Runtime } from '../runtime.ts'
import type { KeyRecord, UsageTotal } from '../store/store.ts'
import { budgetPeriod, durationMs } from '../limits/periods.ts'
import { usdString } from '../limits/money.ts'
import { keyUsageReport, type LimitUse } from '../limits/key-usage.ts'
import { allKeys } from './records.ts'
import { keyView, type KeyView } from './keys.ts'

export const KEY_SORTS = ['name', 'created', 'lastUsed', 'requestsToday', 'costToday', 'requestsMonth', 'costMonth'] as const
export type KeySort = typeof KEY_SORTS[number]
export type KeyState = 'active' | 'disabled' | 'expired'

export interface KeyListQuery {
  /** A part of the name, the hint or a tag, whatever the case; or the exact id. */
  q?: string
  state?: KeyState
  tag?: string
  sort?: KeySort
  order?: 'asc' | 'desc'
  offset?: number
  limit?: number
}

export interface Spend { requests: number, costUsd: string }

export interface KeyListItem extends KeyView {
  state: KeyState
  tags: string[]
  today: Spend
  month: Spend
  /** Each limit with its current use (what `keys show` prints). */
  limits: LimitUse[]
  /** The limit nearest its maximum, as a fraction (1 = reached), or null without numeric limits. */
  nearest: { limit: string, ratio: number } | null
}

export interface KeyListPage {
  total: number
  offset: number
  limit: number
  items: KeyListItem[]
  /** Every tag in use, for the filter. */
  tags: string[]
}

const NONE: UsageTotal = { group: null, requests: 0, input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, costPico: 0n, unpricedRequests: 0 }

export function keyState (k: KeyRecord, activatedAt: number | undefined, now: number): KeyState {
  if (k.disabled) return 'disabled'
  const ends = [k.expiresAt, k.policy.validFor !== undefined && activatedAt !== undefined ? activatedAt + durationMs(k.policy.validFor) : null]
  return ends.some(e => e !== null && e <= now) ? 'expired' : 'active'
}

/** How close a limit is to its maximum (money is compared as numbers of dollars: a display value). */
function ratioOf (l: LimitUse): number | null {
  const used = typeof l.used === 'number' ? l.used : Number(String(l.used).replace(/[^0-9.]/g, ''))
  const max = typeof l.max === 'number' ? l.max : Number(String(l.max).replace(/[^0-9.]/g, ''))
  return Number.isFinite(used) && Number.isFinite(max) && max > 0 ? used / max : null
}

export function nearestLimit (limits: readonly LimitUse[]): KeyListItem['nearest'] {
  let best: KeyListItem['nearest'] = null
  for (const l of limits) {
    const ratio = ratioOf(l)
    if (ratio !== null && (best === null || ratio > best.ratio)) best = { limit: l.limit, ratio }
  }
  return best
}

/** `totals`: usage totals by key over a range (the store's, or a cache of them). */
export type KeyTotals = (since: number, until: number) => Promise<UsageTotal[]>

export async function listKeyPage (rt: Runtime, query: KeyListQuery, now: number, totals?: KeyTotals): Promise<KeyListPage> {
  const zone = rt.loaded.config.limits.timeZone
  const byKey = totals ?? ((since, until) => rt.store.queryUsage({ since, until, groupBy: 'key' }))
  const [keys, lastUsed, activations, today, month] = await Promise.all([
    allKeys(rt), rt.store.lastUsed(), rt.store.activations(),
    byKey(budgetPeriod('day', now, zone).start, now + 1),
    byKey(budgetPeriod('month', now, zone).start, now + 1),
  ])
  const todayBy = new Map(today.map(t => [t.group, t]))
  const monthBy = new Map(month.map(t => [t.group, t]))
  const q = query.q?.trim().toLowerCase()
  const matches = keys.filter(k => {
    if (query.state !== undefined && keyState(k, activations.get(k.id), now) !== query.state) return false
    if (query.tag !== undefined && !(k.policy.tags ?? []).includes(query.tag)) return false
    if (!q) return true
    return k.id === query.q || k.name.toLowerCase().includes(q) || k.hint.toLowerCase().includes(q) || (k.policy.tags ?? []).some(t => t.toLowerCase().includes(q))
  })
  const sort = query.sort ?? 'name'
  const value = (k: KeyRecord): number | string => {
    switch (sort) {
      case 'name': return k.name.toLowerCase()
      case 'created': return k.createdAt
      case 'lastUsed': return lastUsed.get(k.id) ?? -1
      case 'requestsToday': return (todayBy.get(k.id) ?? NONE).requests
      case 'requestsMonth': return (monthBy.get(k.id) ?? NONE).requests
      // Pico-USD as a number: exact enough to order by (2^53 pico is $9,007).
      case 'costToday': return Number((todayBy.get(k.id) ?? NONE).costPico)
      case 'costMonth': return Number((monthBy.get(k.id) ?? NONE).costPico)
    }
  }
  const sign = (query.order ?? (sort === 'name' ? 'asc' : 'desc')) === 'asc' ? 1 : -1
  const sorted = matches.map(k => ({ k, v: value(k) }))
    .sort((a, b) => (a.v < b.v ? -sign : a.v > b.v ? sign : a.k.name < b.k.name ? -1 : a.k.name > b.k.name ? 1 : 0))
  const offset = query.offset ?? 0
  const limit = query.limit ?? 50
  const page = sorted.slice(offset, offset + limit).map(x => x.k)
  const spend = (t: UsageTotal | undefined): Spend => ({ requests: t?.requests ?? 0, costUsd: usdString(t?.costPico ?? 0n) })
  const items = await Promise.all(page.map(async k => {
    const report = await keyUsageReport(k, rt.store, zone, now, activations)
    return {
      ...keyView(k, lastUsed), state: keyState(k, activations.get(k.id), now), tags: k.policy.tags ?? [],
      today: spend(todayBy.get(k.id)), month: spend(monthBy.get(k.id)), limits: report.limits, nearest: nearestLimit(report.limits),
    }
  }))
  const tags = [...new Set(keys.flatMap(k => k.policy.tags ?? []))].sort()
  return { total: sorted.length, offset, limit, items, tags }
}
