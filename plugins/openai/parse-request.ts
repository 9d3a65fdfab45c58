// What core needs from a Responses or Chat Completions request: model, stream flag, the
// conversation for sticky selection, the client. The body is only read here; prepare-upstream
// changes it in one case only (a stream that did not ask for usage, see `notes.injectUsage`).
import { parseJsonObject, type ClientKind, type IncomingRequest, type ParsedRequest, type PluginRefusal, type PluginRoute } from '../../core/plugin-api.ts'
import { detectClientKind } from './client-kind.ts'

interface OpenAIBody {
  model?: unknown
  stream?: unknown
  stream_options?: { include_usage?: unknown } | null
  prompt_cache_key?: unknown
  session_id?: unknown
  conversation_id?: unknown
}

const refuse = (message: string): PluginRefusal => ({ error: { code: 'RELAY_ERR_BODY_INVALID', message } })

export const isChat = (route: PluginRoute) => route.path.endsWith('/chat/completions')

/**
 * The conversation, as Codex names it: the `session-id` header (older releases `session_id`,
 * which an Nginx without `underscores_in_headers` drops), `x-session-id`, then the body's
 * `prompt_cache_key` (the same id, and it survives any gateway).
 */
function sessionKeyOf (req: IncomingRequest, body: OpenAIBody): string | undefined {
  for (const h of ['session-id', 'session_id', 'x-session-id']) {
    const v = req.headers[h]
    if (typeof v === 'string' && v.length > 0) return v
  }
  for (const v of [body.prompt_cache_key, body.session_id, body.conversation_id]) {
    if (typeof v === 'string' && v.length > 0) return v
  }
  return undefined
}

export function parseRequest (route: PluginRoute, req: IncomingRequest): ParsedRequest | PluginRefusal {
  const clientKind: ClientKind = detectClientKind(req.headers)
  // A GET is a listing, or a WebSocket's opening (whose conversation the headers name).
  if (route.method === 'GET' || route.method === 'HEAD') return { stream: false, clientKind, sessionKey: sessionKeyOf(req, {}) }
  if (!req.body || req.body.length === 0) return refuse('We could not parse the JSON body of your request: it is empty.')
  // The fields the relay decides on must be read the same by the upstream: never twice.
  const read = parseJsonObject(req.body.toString('utf8'), ['model', 'stream', 'stream_options'])
  if ('problem' in read) {
    if (read.problem === 'not-json') return refuse('We could not parse the JSON body of your request. (HINT: This likely means you aren\'t using your HTTP library correctly.)')
    if (read.problem === 'not-object') return refuse('The request body must be a JSON object.')
    return refuse(`Duplicate parameter: '${read.key}' is given more than once.`)
  }
  const body = read.value as OpenAIBody
  if (typeof body.model !== 'string' || body.model.length === 0) return refuse('Missing required parameter: \'model\'.')
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') return refuse('Invalid type for \'stream\': expected a boolean.')
  const stream = body.stream === true
  // Chat streams report usage only when asked; the relay asks, and hides the answer again.
  const injectUsage = isChat(route) && stream && body.stream_options?.include_usage !== true
  return { model: body.model, stream, sessionKey: sessionKeyOf(req, body), clientKind, ...(injectUsage ? { notes: { injectUsage: true } } : {}) }
}
