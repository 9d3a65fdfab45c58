// Gemini's usageMetadata → the relay's disjoint buckets. `promptTokenCount` includes
// `cachedContentTokenCount`; `toolUsePromptTokenCount` is prompt too (tool results fed back);
// `candidatesTokenCount` excludes `thoughtsTokenCount`, which is billed as output. So: input =
// prompt − cached + tool use, cache read = cached, output = candidates + thoughts, reasoning =
// thoughts. The incumbent dropped thinking and cached tokens; every count is kept here.
import { isTokenCount, type Usage } from '../../core/plugin-api.ts'

export function readUsageMetadata (u: unknown, invalid: string[]): Usage | undefined {
  if (u === null || typeof u !== 'object' || Array.isArray(u)) return undefined
  const o = u as Record<string, unknown>
  const count = (field: string): number | undefined => {
    const v = o[field]
    if (v === undefined || v === null) return undefined
    if (isTokenCount(v)) return v
    invalid.push(`${field}=${String(typeof v === 'object' ? JSON.stringify(v) : v).slice(0, 32)}`)
    return undefined
  }
  const prompt = count('promptTokenCount')
  const cached = count('cachedContentTokenCount')
  const toolUse = count('toolUsePromptTokenCount')
  const candidates = count('candidatesTokenCount')
  const thoughts = count('thoughtsTokenCount')
  const usage: Usage = {}
  if (prompt !== undefined) {
    if (cached !== undefined && cached > prompt) {
      invalid.push(`cachedContentTokenCount=${cached} > promptTokenCount=${prompt}`)
    } else {
      usage.input = prompt - (cached ?? 0) + (toolUse ?? 0)
      if (cached !== undefined) usage.cacheRead = cached
    }
  }
  if (candidates !== undefined || thoughts !== undefined) usage.output = (candidates ?? 0) + (thoughts ?? 0)
  if (thoughts !== undefined) usage.reasoning = thoughts
  return usage
}
