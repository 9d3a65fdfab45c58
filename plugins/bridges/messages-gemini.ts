// The Anthropic Messages → Gemini translator for `bridge()`: Claude Code and the Anthropic SDKs
// on Gemini accounts. The client side is the Claude plugin's own: its request reader (Claude
// Code's session header, its client kind) and Anthropic's error shapes.
import type { BridgeTranslator, PluginRoute } from '../../core/plugin-api.ts'
import { modelListBody } from './model-list.ts'
import { parseRequest } from '../claude/parse-request.ts'
import { errorBody, streamError } from '../claude/errors.ts'
import { geminiToMessages, messagesToGemini } from './messages-to-gemini.ts'
import type { GeminiAnswer } from './chat-to-gemini.ts'
import { geminiStreamToMessages } from './gemini-stream-to-messages.ts'
import { geminiTarget } from './gemini-target.ts'
import { count } from './checks.ts'

const COUNT = '/v1/messages/count_tokens'

const routes: PluginRoute[] = [
  { method: 'POST', path: '/v1/messages', kind: 'generate' },
  // Counted by Gemini's countTokens (Claude Code asks before it compacts a long conversation).
  { method: 'POST', path: COUNT, kind: 'passthrough' },
  { method: 'GET', path: '/v1/models', kind: 'models' },
]

export const messagesGemini: BridgeTranslator = {
  routes,
  parseRequest,
  translate (body, parsed, route) {
    const counting = route.path === COUNT
    // A count has no max_tokens: the translation's own check is not the client's business here.
    const r = messagesToGemini(counting ? { ...body, max_tokens: 1 } : body)
    if (!r.ok) return { error: r.message }
    if (counting) delete r.request.generationConfig
    return geminiTarget(r.request, parsed.model!, counting ? 'countTokens' : parsed.stream ? 'streamGenerateContent' : 'generateContent')
  },
  streamFilter: parsed => geminiStreamToMessages({ model: parsed.model! }),
  convertAnswer: (answer, parsed) => (parsed.notes?.action === 'countTokens'
    ? { input_tokens: count((answer as { totalTokens?: unknown }).totalTokens) }
    : geminiToMessages(answer as GeminiAnswer, parsed.model!)),
  errorBody,
  streamError,
  modelList: modelListBody,
}
