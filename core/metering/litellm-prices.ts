// Prices from a LiteLLM-format `model_prices_and_context_window.json` (what the incumbent and
// many teams already maintain), turned into the relay's exact table: USD per token as a float →
// micro-USD per million tokens as an integer. A rate that is not a finite non-negative number
// below $1 per token, or that does not land on a whole micro-USD per million tokens (finer than
// the table can hold), skips that model; nothing here throws on a hostile file.
import type { ModelPrice, PriceTable } from './pricing.ts'

/** $1 per token would be $1,000,000 per million: nothing real costs that much. */
const MAX_USD_PER_TOKEN = 1

/** Longer names are not model names a client sends (and would only bloat the table). */
const MAX_NAME_LENGTH = 200

/**
 * LiteLLM keys Google AI Studio's models as `gemini/<model>`; clients send the bare name. Other
 * prefixes (`azure/`, `openrouter/`, `bedrock/`, …) are other vendors' prices for the same model
 * and never what the relay's accounts are billed, so they are left out.
 */
const BARE_PREFIXES = ['gemini/']

type LiteLLMEntry = Record<string, unknown>

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

/**
 * The long-context tier: LiteLLM names it by its threshold (`input_cost_per_token_above_200k_tokens`,
 * `…_above_272k_tokens`). The relay holds one tier: the lowest threshold given.
 */
function longTier (e: LiteLLMEntry): number | undefined {
  let lowest: number | undefined
  for (const key of Object.keys(e)) {
    const m = /^input_cost_per_token_above_(\d{1,4})k_tokens$/.exec(key)
    if (m && (lowest === undefined || Number(m[1]) < lowest)) lowest = Number(m[1])
  }
  return lowest === undefined || lowest === 0 ? undefined : lowest
}

export function readLiteLLMPrices (json: unknown, version: string): LiteLLMRead {
  // No prototype: a key named `__proto__` or `constructor` is a model name like any other.
  const models: Record<string, ModelPrice> = Object.create(null)
  const skipped: string[] = []
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return { table: { version, models }, skipped: ['(the file is not a JSON object)'] }
  const entries = Object.entries(json as Record<string, unknown>)
  const bare = new Set(entries.map(([name]) => name).filter(name => !name.includes('/')))
  for (const [key, raw] of entries) {
    if (key === 'sample_spec' || raw === null || typeof raw !== 'object' || Array.isArray(raw)) continue
    const prefix = BARE_PREFIXES.find(p => key.startsWith(p))
    const name = prefix ? key.slice(prefix.length) : key
    // A bare entry of the same name wins over a prefixed one; other vendors' entries are not read.
    if (name.includes('/') || (prefix && bare.has(name)) || name.length === 0) continue
    if (name.length > MAX_NAME_LENGTH) {
      skipped.push(`${name.slice(0, 40)}…: the name is longer than ${MAX_NAME_LENGTH} characters`)
      continue
    }
    const e = raw as LiteLLMEntry
    if (e.input_cost_per_token === undefined && e.output_cost_per_token === undefined) continue
    const rate = (v: unknown) => (v === undefined || v === null ? null : usdPerTokenToMicros(v) ?? 'bad')
    const tier = longTier(e)
    const input = rate(e.input_cost_per_token)
    const output = rate(e.output_cost_per_token)
    const cacheRead = rate(e.cache_read_input_token_cost)
    const cacheWrite5m = rate(e.cache_creation_input_token_cost)
    const cacheWrite1h = rate(e.cache_creation_input_token_cost_above_1hr)
    const longIn = tier === undefined ? null : rate(e[`input_cost_per_token_above_${tier}k_tokens`])
    const longOut = tier === undefined ? null : rate(e[`output_cost_per_token_above_${tier}k_tokens`])
    const longRead = tier === undefined ? null : rate(e[`cache_read_input_token_cost_above_${tier}k_tokens`])
    const longWrite = tier === undefined ? null : rate(e[`cache_creation_input_token_cost_above_${tier}k_tokens`])
    const all = [input, output, cacheRead, cacheWrite5m, cacheWrite1h, longIn, longOut, longRead, longWrite]
    if (typeof input !== 'number' || typeof output !== 'number' || all.includes('bad')) {
      skipped.push(`${name}: a rate is missing, negative, not a number or finer than 1 micro-USD per million tokens`)
      continue
    }
    // A zero price is how such files spell "not known yet" as often as "free": billing $0 by
    // accident is the one mistake the relay must not make. A model that is really free is
    // priced in the config's `pricing.models`.
    if (input === 0 && output === 0) {
      skipped.push(`${name}: priced at $0 (set it in pricing.models if it really is free)`)
      continue
    }
    const price: ModelPrice = { input, output }
    if (typeof cacheRead === 'number') price.cacheRead = cacheRead
    if (typeof cacheWrite5m === 'number') price.cacheWrite5m = cacheWrite5m
    if (typeof cacheWrite1h === 'number') price.cacheWrite1h = cacheWrite1h
    if (tier !== undefined && typeof longIn === 'number' && typeof longOut === 'number') {
      price.longPrompt = {
        thresholdTokens: tier * 1000,
        input: longIn,
        output: longOut,
        ...(typeof longRead === 'number' ? { cacheRead: longRead } : {}),
        ...(typeof longWrite === 'number' ? { cacheWrite5m: longWrite } : {}),
      }
    }
    models[name] = price
  }
  return { table: { version, models }, skipped }
}
