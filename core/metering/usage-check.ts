// Token counts from an upstream are data, not truth. Before any money math each count must be
// a non-negative safe integer no larger than any real request can be; a count that is not is
// dropped (left unknown) and named, so the request is still recorded, marked and unpriced.
// Costs are range-checked for the same reason: a poisoned count must not overflow the store's
// 64-bit integers and stop every other record from being written.
import type { Usage } from '../usage.ts'

/** No request reads or writes more tokens than this in one bucket (contexts are ~1M today). */
const MAX_TOKENS = 1_000_000_000
/** No single request costs more than this: $10,000 in pico-USD (well inside 64 bits, summed). */
export const MAX_REQUEST_COST_PICO = 10_000n * 10n ** 12n

const FIELDS = ['input', 'output', 'cacheWrite5m', 'cacheWrite1h', 'cacheRead', 'reasoning'] as const

export function isTokenCount (v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_TOKENS
}

export interface CheckedUsage {
  usage: Usage
  /** Human-readable problems (`output=1.5`), empty when every count was valid. */
  problems: string[]
}

export function checkUsage (u: Usage): CheckedUsage {
  const usage: Usage = {}
  const problems: string[] = []
  for (const f of FIELDS) {
    const v = u[f]
    if (v === undefined) continue
    if (isTokenCount(v)) usage[f] = v
    else problems.push(`${f}=${String(v).slice(0, 32)}`)
  }
  return { usage, problems }
}

export function costInRange (pico: bigint): boolean {
  return pico >= 0n && pico <= MAX_REQUEST_COST_PICO
}
