// Usage totals for the console's lists and overview, which ask the same long ranges (this month,
// the last 7 and 30 days) every few seconds: the whole hours before the current one come from a
// copy at most a minute old, the current hour is read fresh. The sum is exactly the full range's
// (aggregates are hourly: a range starting mid-hour counts from its hour either way); what can be
// late is a row settled after its hour ended (a long stream), by at most the copy's age.
import { bucketStart } from '../store/buckets.ts'
import { addUsageTotal } from '../store/aggregate-sums.ts'
import type { Store, UsageGroup, UsageTotal } from '../store/store.ts'

const TTL_MS = 60_000
/** Ranges remembered at once (a console asks a handful). */
const MAX_ENTRIES = 64

export class UsageTotalsCache {
  #store: Pick<Store, 'queryUsage'>
  #entries = new Map<string, { at: number, totals: Promise<UsageTotal[]> }>()

  constructor (store: Pick<Store, 'queryUsage'>) {
    this.#store = store
  }

  /** Totals of [since, until) by group, most costly first, as `Store.queryUsage` gives them. */
  async totals (groupBy: UsageGroup, since: number, until: number, now: number): Promise<UsageTotal[]> {
    const hour = bucketStart('hour', now)
    if (since >= hour || until <= hour) return this.#store.queryUsage({ since, until, groupBy })
    const key = `${groupBy}\u0000${bucketStart('hour', since)}\u0000${hour}`
    let entry = this.#entries.get(key)
    if (!entry || now - entry.at > TTL_MS) {
      for (const [k, e] of this.#entries) if (now - e.at > TTL_MS || this.#entries.size >= MAX_ENTRIES) this.#entries.delete(k)
      entry = { at: now, totals: this.#store.queryUsage({ since, until: hour, groupBy }) }
      // A failed read is not remembered.
      entry.totals.catch(() => this.#entries.delete(key))
      this.#entries.set(key, entry)
    }
    const [past, current] = await Promise.all([entry.totals, this.#store.queryUsage({ since: hour, until, groupBy })])
    const merged = new Map<string | null, UsageTotal>()
    for (const t of [...past, ...current]) {
      const into = merged.get(t.group)
      if (into) addUsageTotal(into, t)
      else merged.set(t.group, { ...t })
    }
    return [...merged.values()].sort((a, b) => (a.costPico === b.costPico ? String(a.group).localeCompare(String(b.group)) : a.costPico > b.costPico ? -1 : 1))
  }
}
