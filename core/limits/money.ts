// Dollar amounts from policies as exact pico-USD (the unit costs are recorded in). Parsed from
// the number's shortest decimal text, so 0.1 is exactly 100_000_000_000 and 68476377.76 is
// 68476377.76, not the binary fraction nearest to either.
import { formatUsd } from '../metering/pricing.ts'

export function usdToPico (usd: number): bigint {
  if (!Number.isFinite(usd)) throw new RangeError(`not an amount of dollars: ${usd}`)
  // The shortest decimal text that reads back as this number ("68476377.76", "1e-7",
  // "1.5e+300"): its digits, scaled to pico-USD exactly; below a pico-dollar, cut.
  const [, int, frac = '', exp = '0'] = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(Math.abs(usd)))!
  const scale = Number(exp) - frac.length + 12
  const digits = BigInt(int! + frac)
  const pico = scale >= 0 ? digits * 10n ** BigInt(scale) : digits / 10n ** BigInt(-scale)
  return usd < 0 ? -pico : pico
}

/** Dollars for people: cents, or micro-dollars for amounts below a cent (tiny test budgets). */
export function formatMoney (pico: bigint): string {
  return formatUsd(pico, pico !== 0n && pico < 10_000_000_000n ? 6 : 2)
}

/** Exact dollars as a decimal string for machines (`"0.031125"`, `"12.5"`): no rounding, no `$`. */
export function usdString (pico: bigint): string {
  return formatUsd(pico, 12).replace('$', '').replace(/\.?0+$/, '') || '0'
}
