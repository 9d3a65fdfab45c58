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

const routes: PluginRoute[] = [
  { method: 'POST', path: '/v1/messages', kind: 'generate' },
  { method: 'GET', path: '/v1/models', kind: 'models' },
]

export const messagesGemini: BridgeTranslator = {
  routes,
  parseRequest,
  translate (body, parsed) {
    const r = messagesToGemini(body)
    if (!r.ok) return { error: r.message }
    return geminiTarget(r.request, parsed.model!, parsed.stream)
  },
  streamFilter: parsed => geminiStreamToMessages({ model: parsed.model! }),
  convertAnswer: (answer, parsed) => geminiToMessages(answer as GeminiAnswer, parsed.model!),
  errorBody,
  streamError,
  modelList: modelListBody,
}
