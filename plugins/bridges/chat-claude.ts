// The Chat Completions → Claude translator for `bridge()`: OpenAI-format clients (the openai
// SDK, the Vercel AI SDK, opencode, IDE plugins) on Claude accounts. Errors go back in OpenAI's
// shape (chat-side.ts).
import type { BridgeTranslator } from '../../core/plugin-api.ts'
import { chatToAnthropic } from './chat-to-anthropic.ts'
import { anthropicToChat, type AnthropicMessage } from './anthropic-to-chat.ts'
import { anthropicStreamToChat } from './anthropic-stream-to-chat.ts'
import { CHAT_ROUTES, openAIError, openAIStreamError, parseChatRequest } from './chat-side.ts'
import { modelListBody } from './model-list.ts'

export const chatClaude: BridgeTranslator = {
  routes: CHAT_ROUTES,
  parseRequest: parseChatRequest,
  translate (body, parsed) {
    const r = chatToAnthropic(body, parsed.model!)
    // What Claude serves is what was asked for: the model named in the body decides.
    if (!r.ok) return { error: r.message }
    return { body: r.request, routePath: '/v1/messages', upstreamPath: '/v1/messages', headers: { 'anthropic-version': '2023-06-01' } }
  },
  streamFilter: parsed => anthropicStreamToChat({ model: parsed.model!, includeUsage: parsed.notes?.includeUsage === true }),
  convertAnswer: (answer, parsed) => anthropicToChat(answer as AnthropicMessage, parsed.model!),
  errorBody: (code, status, message) => openAIError(code, status, message),
  streamError: openAIStreamError,
  modelList: modelListBody,
}
