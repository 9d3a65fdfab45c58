// Anthropic's usage object → the relay's Usage. The buckets are disjoint: `input_tokens` does
// not include cache writes or reads. The cache write total is split by TTL in `cache_creation`;
// an old response without the split is billed as 5-minute writes (the default TTL).
import type { Usage } from '../../core/plugin-api.ts'

export interface AnthropicUsage {
  input_tokens?: number | null
  output_tokens?: number | null
  cache_creation_input_tokens?: number | null
  cache_read_input_tokens?: number | null
  cache_creation?: { ephemeral_5m_input_tokens?: number | null, ephemeral_1h_input_tokens?: number | null } | null
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined)

/** Fields present in `u` replace those in `into` (message_delta repeats cumulative counts). */
export function mergeUsage (into: Usage, u: AnthropicUsage | undefined | null): void {
  if (!u || typeof u !== 'object') return
  const input = num(u.input_tokens)
  if (input !== undefined) into.input = input
  const output = num(u.output_tokens)
  if (output !== undefined) into.output = output
  const read = num(u.cache_read_input_tokens)
  if (read !== undefined) into.cacheRead = read
  const split = u.cache_creation
  const w5 = num(split?.ephemeral_5m_input_tokens)
  const w1 = num(split?.ephemeral_1h_input_tokens)
  if (w5 !== undefined || w1 !== undefined) {
    into.cacheWrite5m = w5 ?? 0
    into.cacheWrite1h = w1 ?? 0
  } else {
    // A total without the split: keep any 1-hour count already seen, the rest is 5-minute.
    const total = num(u.cache_creation_input_tokens)
    if (total !== undefined) {
      into.cacheWrite1h ??= 0
      into.cacheWrite5m = Math.max(0, total - into.cacheWrite1h)
    }
  }
}
