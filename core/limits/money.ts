// Dollar amounts from policies as exact pico-USD (the unit costs are recorded in). Parsed from
// the number's decimal text, so 0.1 is exactly 100_000_000_000 and not a binary fraction.
import { formatUsd } from '../metering/pricing.ts'

export function usdToPico (usd: number): bigint {
  const [whole, frac = ''] = usd.toFixed(12).split('.')
  return BigInt(whole!) * 1_000_000_000_000n + BigInt(frac.padEnd(12, '0').slice(0, 12))
}

/** Dollars for people: cents, or micro-dollars for amounts below a cent (tiny test budgets). */
export function formatMoney (pico: bigint): string {
  return formatUsd(pico, pico !== 0n && pico < 10_000_000_000n ? 6 : 2)
}

/** Exact dollars as a decimal string for machines (`"0.031125"`, `"12.5"`): no rounding, no `$`. */
export function usdString (pico: bigint): string {
  return formatUsd(pico, 12).replace('$', '').replace(/\.?0+$/, '') || '0'
}
