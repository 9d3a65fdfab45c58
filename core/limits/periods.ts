// The periods limits count in. Rate windows are fixed windows aligned to the epoch (a "1h"
// window is a clock hour, "1d" a UTC day), so a refusal can say exactly when the window frees.
// Budgets reset at the start of the day, ISO week (Monday) or month in the configured zone.
import { DateTime } from 'luxon'
import ms from 'ms'

export type BudgetPeriod = 'day' | 'week' | 'month' | 'total'

export function durationMs (d: string): number {
  return ms(d as ms.StringValue)
}

export function rateWindow (window: string, now: number): { start: number, end: number } {
  const len = durationMs(window)
  const start = Math.floor(now / len) * len
  return { start, end: start + len }
}

export function budgetPeriod (period: BudgetPeriod, now: number, zone: string): { start: number, end: number | null } {
  if (period === 'total') return { start: 0, end: null }
  const start = DateTime.fromMillis(now, { zone }).startOf(period)
  return { start: start.toMillis(), end: start.plus({ [`${period}s`]: 1 }).toMillis() }
}
