// OpenAI's usage objects → the relay's disjoint buckets. Responses: `input_tokens` includes
// `input_tokens_details.cached_tokens`, `output_tokens` includes `output_tokens_details.
// reasoning_tokens`. Chat Completions says the same as `prompt_tokens` / `completion_tokens`.
// So: input = input − cached, cache read = cached, output as reported (reasoning is billed as
// output and kept apart for information). Counts must be non-negative safe integers and the
// cached part no larger than the input; anything else is named in `invalid`.
import { isTokenCount, type Usage } from '../../core/plugin-api.ts'

interface Details { cached_tokens?: unknown, reasoning_tokens?: unknown }
export interface OpenAIUsageObject {
  input_tokens?: unknown
  output_tokens?: unknown
  prompt_tokens?: unknown
  completion_tokens?: unknown
  input_tokens_details?: Details | null
  output_tokens_details?: Details | null
  prompt_tokens_details?: Details | null
  completion_tokens_details?: Details | null
}

export function readUsage (u: unknown, invalid: string[]): Usage | undefined {
  if (u === null || typeof u !== 'object' || Array.isArray(u)) return undefined
  const o = u as OpenAIUsageObject
  const count = (field: string, v: unknown): number | undefined => {
    if (v === undefined || v === null) return undefined
    if (isTokenCount(v)) return v
    invalid.push(`${field}=${String(typeof v === 'object' ? JSON.stringify(v) : v).slice(0, 32)}`)
    return undefined
  }
  const chat = o.prompt_tokens !== undefined || o.completion_tokens !== undefined
  const total = count(chat ? 'prompt_tokens' : 'input_tokens', chat ? o.prompt_tokens : o.input_tokens)
  const cached = count('cached_tokens', (chat ? o.prompt_tokens_details : o.input_tokens_details)?.cached_tokens)
  const output = count(chat ? 'completion_tokens' : 'output_tokens', chat ? o.completion_tokens : o.output_tokens)
  const reasoning = count('reasoning_tokens', (chat ? o.completion_tokens_details : o.output_tokens_details)?.reasoning_tokens)
  const usage: Usage = {}
  if (total !== undefined) {
    if (cached !== undefined && cached > total) {
      invalid.push(`cached_tokens=${cached} > input=${total}`)
    } else {
      usage.input = total - (cached ?? 0)
      if (cached !== undefined) usage.cacheRead = cached
    }
  }
  if (output !== undefined) usage.output = output
  if (reasoning !== undefined && (output === undefined || reasoning <= output)) usage.reasoning = reasoning
  return usage
}
