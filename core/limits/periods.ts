// The periods limits count in. Rate windows are fixed windows aligned to the epoch (a "1h"
// window is a clock hour, "1d" a UTC day), so a refusal can say exactly when the window frees.
// Budgets reset at the start of the day, ISO week (Monday) or month in the configured zone.
import { DateTime } from 'luxon'
import ms from 'ms'

export type BudgetPeriod = 'day' | 'week' | 'month' | 'total'

// Both are asked on every admission of a limited key; the strings come from the config, so
// their answers are remembered (bounded all the same: a reload may bring new ones).
const CACHE_MAX = 256
const durations = new Map<string, number>()

export function durationMs (d: string): number {
  let n = durations.get(d)
  if (n === undefined) {
    n = ms(d as ms.StringValue)
    if (durations.size >= CACHE_MAX) durations.clear()
    durations.set(d, n)
  }
  return n
}

export function rateWindow (window: string, now: number): { start: number, end: number } {
  const len = durationMs(window)
  const start = Math.floor(now / len) * len
  return { start, end: start + len }
}

/** The period containing `now`, computed with luxon (time-zone rules, DST, month lengths). */
export function computeBudgetPeriod (period: BudgetPeriod, now: number, zone: string): { start: number, end: number | null } {
  if (period === 'total') return { start: 0, end: null }
  const start = DateTime.fromMillis(now, { zone }).startOf(period)
  return { start: start.toMillis(), end: start.plus({ [`${period}s`]: 1 }).toMillis() }
}

// The last period seen per period kind and zone: luxon's zone arithmetic was ~5 % of a limited
// key's request (issue 14), and the answer only changes when `now` leaves the period.
const periods = new Map<string, { start: number, end: number }>()

export function budgetPeriod (period: BudgetPeriod, now: number, zone: string): { start: number, end: number | null } {
  if (period === 'total') return { start: 0, end: null }
  const k = `${period} ${zone}`
  const known = periods.get(k)
  if (known && now >= known.start && now < known.end) return { start: known.start, end: known.end }
  const fresh = computeBudgetPeriod(period, now, zone) as { start: number, end: number }
  if (periods.size >= CACHE_MAX) periods.clear()
  periods.set(k, fresh)
  return { start: fresh.start, end: fresh.end }
}
