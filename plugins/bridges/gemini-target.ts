// Where a bridge's Gemini request goes: the Gemini API's generateContent, streamGenerateContent
// as an event stream (`alt=sse`), or countTokens, under the model the client named. The
// notes are the Gemini plugin's own (`action`, `clientSse`), so its hooks treat the request as
// one of theirs: a Google-login account gets it wrapped for Code Assist and unwrapped back.
import type { BridgeTranslation } from '../../core/plugin-api.ts'
import { MODEL_ID } from '../gemini/code-assist.ts'
import type { GeminiRequest } from './chat-to-gemini.ts'

/**
 * Google's documented stand-in for a thought signature the client did not keep. Gemini 3 models
 * refuse a replayed function call without one; an OpenAI or Anthropic client has no field to
 * keep Gemini's signature in, so each replayed model turn's first call carries this instead.
 */
export const SKIP_SIGNATURE = 'skip_thought_signature_validator'

/** Models from before thought signatures were required (they are left as they are). */
const UNSIGNED_MODELS = /^(gemini-(1|2)[.-]|gemma-)/i

export function signReplayedCalls (request: GeminiRequest, model: string): void {
  if (UNSIGNED_MODELS.test(model)) return
  for (const c of request.contents) {
    if (c.role !== 'model') continue
    const first = c.parts.find(p => 'functionCall' in p)
    if (first && !('thoughtSignature' in first)) (first as { thoughtSignature?: string }).thoughtSignature = SKIP_SIGNATURE
  }
}

export type GeminiAction = 'generateContent' | 'streamGenerateContent' | 'countTokens'

export function geminiTarget (request: GeminiRequest, model: string, action: GeminiAction): BridgeTranslation | { error: string } {
  // The model goes into the upstream path: a plain id only.
  if (!MODEL_ID.test(model)) return { error: `model: ${JSON.stringify(model.slice(0, 64))} is not a Gemini model id` }
  signReplayedCalls(request, model)
  const stream = action === 'streamGenerateContent'
  return {
    // countTokens takes the whole request it would count, naming the model.
    body: action === 'countTokens' ? { generateContentRequest: { model: `models/${model}`, ...request } } : request,
    routePath: `/v1beta/models/:model(^[^:/]+)::${action}`,
    upstreamPath: `/v1beta/models/${model}:${action}`,
    ...(stream ? { query: 'alt=sse' } : {}),
    headers: {},
    notes: { action, clientSse: stream },
  }
}
