// Numbers, money and times as people read them, in the widget's language (Intl). The API sends
// money as exact decimal strings (12 places of a dollar); a table shows cents, and an amount too
// small for cents shows its first significant digits rather than "$0.00".
import { getLocale } from './localization.ts'

const intlLocale = (): string => (getLocale() === 'zh-Hans' ? 'zh-CN' : 'en-US')

export function formatCount (n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '–' : new Intl.NumberFormat(intlLocale()).format(n)
}

/** A count in few characters for an axis: 1.2K, 3.4M (万 and 亿 in Chinese). */
export function formatCompact (n: number): string {
  return Number.isFinite(n) ? new Intl.NumberFormat(intlLocale(), { notation: 'compact', maximumFractionDigits: 1 }).format(n) : '–'
}

/** `"0.000756"` → `$0.000756`, `"1234.5"` → `$1,234.50`; not a decimal string → `–`. */
export function formatUsd (decimal: string | null | undefined): string {
  if (decimal === null || decimal === undefined || !/^-?\d+(\.\d+)?$/.test(decimal)) return '–'
  const n = Number(decimal)
  const small = n !== 0 && Math.abs(n) < 0.01
  return new Intl.NumberFormat(intlLocale(), {
    style: 'currency', currency: 'USD',
    ...(small ? { maximumSignificantDigits: 3 } : { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
  }).format(n)
}

/** An ISO time as a local date and time, to the minute (seconds for the request log). */
export function formatTime (iso: string | null | undefined, seconds = false): string {
  if (!iso) return '–'
  const t = new Date(iso)
  if (Number.isNaN(t.getTime())) return '–'
  return new Intl.DateTimeFormat(intlLocale(), { dateStyle: 'short', timeStyle: seconds ? 'medium' : 'short' }).format(t)
}

/** A time from now in words: `in 3 minutes`, `2 hours ago` (the largest unit that fits). */
export function formatRelative (iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '–'
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return '–'
  const s = (t - now) / 1000
  const units: [Intl.RelativeTimeFormatUnit, number][] = [['day', 86_400], ['hour', 3600], ['minute', 60], ['second', 1]]
  const [unit, size] = units.find(([, n]) => Math.abs(s) >= n) ?? ['second', 1]
  return new Intl.RelativeTimeFormat(intlLocale(), { numeric: 'auto' }).format(Math.round(s / size), unit)
}

/**
 * A time on a chart's axis, as short as the spacing of its ticks allows: `12/7 14:00` when they
 * are hours apart, `12/7` days apart, `Dec 2026` months apart (or their Chinese forms).
 */
export function formatAxisTime (ms: number, stepMs: number): string {
  const options: Intl.DateTimeFormatOptions = stepMs < 86_400_000 ? { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' }
    : stepMs < 28 * 86_400_000 ? { month: 'numeric', day: 'numeric' } : { year: 'numeric', month: 'short' }
  return new Intl.DateTimeFormat(intlLocale(), options).format(new Date(ms))
}
