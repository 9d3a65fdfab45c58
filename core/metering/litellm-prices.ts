// Prices from a LiteLLM-format `model_prices_and_context_window.json` (what the incumbent and
// many teams already maintain), turned into the relay's exact table: USD per token as a float →
// micro-USD per million tokens as an integer. A rate that is not a finite non-negative number
// below $1 per token, or that does not land on a whole micro-USD per million tokens (finer than
// the table can hold), skips that model; nothing here throws on a hostile file.
import type { ModelPrice, PriceTable } from './pricing.ts'

/** $1 per token would be $1,000,000 per million: nothing real costs that much. */
const MAX_USD_PER_TOKEN = 1

interface LiteLLMEntry {
  input_cost_per_token?: unknown
  output_cost_per_token?: unknown
  cache_read_input_token_cost?: unknown
  cache_creation_input_token_cost?: unknown
  cache_creation_input_token_cost_above_1hr?: unknown
  input_cost_per_token_above_200k_tokens?: unknown
  output_cost_per_token_above_200k_tokens?: unknown
  cache_read_input_token_cost_above_200k_tokens?: unknown
}

/**
 * USD per token → µUSD per MTok (× 10¹²). Done on the decimal text of the number, not in
 * floating point, so 2.5e-06 is exactly 2500000 and 1.1e-07 exactly 110000.
 */
export function usdPerTokenToMicros (v: unknown): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_USD_PER_TOKEN) return undefined
  const [mantissa, exp = '0'] = v.toExponential().split('e')
  const [int, frac = ''] = mantissa!.split('.')
  const digits = int! + frac
  const shift = Number(exp) + 12 - frac.length
  if (shift < 0) {
    const cut = digits.slice(digits.length + shift)
    if (/[^0]/.test(cut)) return undefined
    return Number(digits.slice(0, digits.length + shift) || '0')
  }
  const n = Number(digits + '0'.repeat(shift))
  return Number.isSafeInteger(n) ? n : undefined
}

export interface LiteLLMRead {
  table: PriceTable
  /** Model names left out, with why. */
  skipped: string[]
}

export function readLiteLLMPrices (json: unknown, version: string): LiteLLMRead {
  const models: Record<string, ModelPrice> = {}
  const skipped: string[] = []
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return { table: { version, models }, skipped: ['(the file is not a JSON object)'] }
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === 'sample_spec' || raw === null || typeof raw !== 'object') continue
    const e = raw as LiteLLMEntry
    if (e.input_cost_per_token === undefined && e.output_cost_per_token === undefined) continue
    const rate = (v: unknown) => (v === undefined || v === null ? null : usdPerTokenToMicros(v) ?? 'bad')
    const input = rate(e.input_cost_per_token)
    const output = rate(e.output_cost_per_token)
    const cacheRead = rate(e.cache_read_input_token_cost)
    const cacheWrite5m = rate(e.cache_creation_input_token_cost)
    const cacheWrite1h = rate(e.cache_creation_input_token_cost_above_1hr)
    const longIn = rate(e.input_cost_per_token_above_200k_tokens)
    const longOut = rate(e.output_cost_per_token_above_200k_tokens)
    const longRead = rate(e.cache_read_input_token_cost_above_200k_tokens)
    const all = [input, output, cacheRead, cacheWrite5m, cacheWrite1h, longIn, longOut, longRead]
    if (typeof input !== 'number' || typeof output !== 'number' || all.includes('bad')) {
      skipped.push(`${name}: a rate is missing, negative, not a number or finer than 1 micro-USD per million tokens`)
      continue
    }
    const price: ModelPrice = { input, output }
    if (typeof cacheRead === 'number') price.cacheRead = cacheRead
    if (typeof cacheWrite5m === 'number') price.cacheWrite5m = cacheWrite5m
    if (typeof cacheWrite1h === 'number') price.cacheWrite1h = cacheWrite1h
    if (typeof longIn === 'number' && typeof longOut === 'number') {
      price.longPrompt = { thresholdTokens: 200_000, input: longIn, output: longOut, ...(typeof longRead === 'number' ? { cacheRead: longRead } : {}) }
    }
    models[name] = price
  }
  return { table: { version, models }, skipped }
}
