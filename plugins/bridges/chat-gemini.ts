// The Chat Completions → Gemini translator for `bridge()`: OpenAI-format clients on Gemini
// accounts (API keys, and Google logins whose operator allowed other clients).
import type { BridgeTranslator } from '../../core/plugin-api.ts'
import { chatToGemini, geminiToChat, type GeminiAnswer } from './chat-to-gemini.ts'
import { geminiStreamToChat } from './gemini-stream-to-chat.ts'
import { geminiTarget } from './gemini-target.ts'
import { CHAT_ROUTES, openAIError, openAIStreamError, parseChatRequest } from './chat-side.ts'
import { modelListBody } from './model-list.ts'

export const chatGemini: BridgeTranslator = {
  routes: CHAT_ROUTES,
  parseRequest: parseChatRequest,
  translate (body, parsed) {
    const r = chatToGemini(body)
    if (!r.ok) return { error: r.message }
    return geminiTarget(r.request, parsed.model!, parsed.stream ? 'streamGenerateContent' : 'generateContent')
  },
  streamFilter: parsed => geminiStreamToChat({ model: parsed.model!, includeUsage: parsed.notes?.includeUsage === true }),
  convertAnswer: (answer, parsed) => geminiToChat(answer as GeminiAnswer, parsed.model!),
  errorBody: (code, status, message) => openAIError(code, status, message),
  streamError: openAIStreamError,
  modelList: modelListBody,
}
