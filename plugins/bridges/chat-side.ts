// The client side every Chat Completions bridge shares: reading the request for what the relay
// decides on (model, stream, conversation, client), and OpenAI's error shapes, whole and in a
// stream. The conversation is the client's `prompt_cache_key` or `user`: stickiness keeps it on
// one account, so the provider's prompt cache stays warm.
import { parseJsonObject, type IncomingRequest, type ParsedRequest, type PluginRefusal, type PluginRoute, type RelayErrorCode } from '../../core/plugin-api.ts'
import { detectClientKind } from '../openai/client-kind.ts'

const refuse = (message: string): PluginRefusal => ({ error: { code: 'RELAY_ERR_BODY_INVALID', message } })

export const CHAT_ROUTES: PluginRoute[] = [
  { method: 'POST', path: '/v1/chat/completions', kind: 'generate' },
  // The models every entry on the mount path serves this key (a picker's list: Cherry Studio, opencode).
  { method: 'GET', path: '/v1/models', kind: 'models' },
]


/** OpenAI's error object for a status (its `type` names). */
export function openAIError (code: string, status: number, message: string) {
  const type = status === 401 ? 'authentication_error' : status === 403 ? 'permission_error' : status === 404 ? 'not_found_error' : status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error'
  return { error: { message, type, param: null, code } }
}

export const openAIStreamError = (code: RelayErrorCode, message: string) => `data: ${JSON.stringify(openAIError(code, 500, message))}\n\n`

export function parseChatRequest (_route: PluginRoute, req: IncomingRequest): ParsedRequest | PluginRefusal {
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
}
