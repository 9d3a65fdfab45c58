// The Chat Completions → Claude translator for `bridge()`: OpenAI-format clients (the openai
// SDK, the Vercel AI SDK, opencode, IDE plugins) on Claude accounts. Errors go back in OpenAI's
// shape; the conversation is the client's `prompt_cache_key` or `user` (stickiness keeps it on
// one account, so Anthropic's prompt cache stays warm).
import { parseJsonObject, type BridgeTranslator, type ParsedRequest, type PluginRefusal, type PluginRoute, type IncomingRequest } from '../../core/plugin-api.ts'
import { detectClientKind } from '../openai/client-kind.ts'
import { chatToAnthropic } from './chat-to-anthropic.ts'
import { anthropicToChat, type AnthropicMessage } from './anthropic-to-chat.ts'
import { anthropicStreamToChat } from './anthropic-stream-to-chat.ts'

const refuse = (message: string): PluginRefusal => ({ error: { code: 'RELAY_ERR_BODY_INVALID', message } })

/** OpenAI's error object for a status (its `type` names). */
export function openAIError (code: string, status: number, message: string) {
  const type = status === 401 ? 'authentication_error' : status === 403 ? 'permission_error' : status === 404 ? 'not_found_error' : status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error'
  return { error: { message, type, param: null, code } }
}

export const chatClaude: BridgeTranslator = {
  routes: [{ method: 'POST', path: '/v1/chat/completions', kind: 'generate' }],
  parseRequest (_route: PluginRoute, req: IncomingRequest): ParsedRequest | PluginRefusal {
    const clientKind = detectClientKind(req.headers)
    if (!req.body || req.body.length === 0) return refuse('We could not parse the JSON body of your request: it is empty.')
    // The fields the relay decides on may not be named twice (the upstream could read the other).
    const parsed = parseJsonObject(req.body.toString('utf8'), ['model', 'stream', 'messages'])
    if ('problem' in parsed) return refuse(parsed.problem === 'duplicate' ? `${parsed.key}: named twice in the body` : 'We could not parse the JSON body of your request: it must be a JSON object.')
    const b = parsed.value
    if (typeof b.model !== 'string' || b.model === '') return refuse('model: required')
    const session = typeof b.prompt_cache_key === 'string' ? b.prompt_cache_key : typeof b.user === 'string' ? b.user : undefined
    const options = b.stream_options as { include_usage?: unknown } | null | undefined
    return {
      model: b.model, stream: b.stream === true, clientKind, ...(session ? { sessionKey: session } : {}),
      notes: { includeUsage: options?.include_usage === true },
    }
  },
  translate (body, parsed) {
    const r = chatToAnthropic(body, parsed.model!)
    // What Claude serves is what was asked for: the model named in the body decides.
    if (!r.ok) return { error: r.message }
    return { body: r.request, routePath: '/v1/messages', upstreamPath: '/v1/messages', headers: { 'anthropic-version': '2023-06-01' } }
  },
  streamFilter: parsed => anthropicStreamToChat({ model: parsed.model!, includeUsage: parsed.notes?.includeUsage === true }),
  convertAnswer: (answer, parsed) => anthropicToChat(answer as AnthropicMessage, parsed.model!),
  errorBody: (code, status, message) => openAIError(code, status, message),
  streamError: (code, message) => `data: ${JSON.stringify(openAIError(code, 500, message))}\n\n`,
}
