// Anthropic's usage object → the relay's Usage. The buckets are disjoint: `input_tokens` does
// not include cache writes or reads. The cache write total is split by TTL in `cache_creation`;
// an old response without the split is billed as 5-minute writes (the default TTL).
import { isTokenCount, type Usage } from '../../core/plugin-api.ts'

export interface AnthropicUsage {
  input_tokens?: number | null
  output_tokens?: number | null
  cache_creation_input_tokens?: number | null
  cache_read_input_tokens?: number | null
  cache_creation?: { ephemeral_5m_input_tokens?: number | null, ephemeral_1h_input_tokens?: number | null } | null
}

/**
 * Reads the usage fields present in `u` into `into` (fields present replace earlier values:
 * message_delta repeats cumulative counts). A count must be a non-negative safe integer; any
 * other value is left out and its field named in `invalid`, so the request is still recorded,
 * marked and unpriced, instead of poisoning the money math.
 */
export function mergeUsage (into: Usage, u: AnthropicUsage | undefined | null, invalid: string[] = []): void {
  if (!u || typeof u !== 'object') return
  const num = (field: string, v: unknown): number | undefined => {
    if (v === undefined || v === null) return undefined
    if (isTokenCount(v)) return v
    invalid.push(`${field}=${String(typeof v === 'object' ? JSON.stringify(v) : v).slice(0, 32)}`)
    return undefined
  }
  const input = num('input_tokens', u.input_tokens)
  if (input !== undefined) into.input = input
  const output = num('output_tokens', u.output_tokens)
  if (output !== undefined) into.output = output
  const read = num('cache_read_input_tokens', u.cache_read_input_tokens)
  if (read !== undefined) into.cacheRead = read
  const split = u.cache_creation !== null && typeof u.cache_creation === 'object' ? u.cache_creation : undefined
  const w5 = num('ephemeral_5m_input_tokens', split?.ephemeral_5m_input_tokens)
  const w1 = num('ephemeral_1h_input_tokens', split?.ephemeral_1h_input_tokens)
  if (w5 !== undefined || w1 !== undefined) {
    into.cacheWrite5m = w5 ?? 0
    into.cacheWrite1h = w1 ?? 0
  } else {
    // A total without the split: keep any 1-hour count already seen, the rest is 5-minute.
    const total = num('cache_creation_input_tokens', u.cache_creation_input_tokens)
    if (total !== undefined) {
      into.cacheWrite1h ??= 0
      into.cacheWrite5m = Math.max(0, total - into.cacheWrite1h)
    }
  }
}
