// What core needs from a Messages API request: model, stream flag, a conversation key for
// sticky selection, and the calling client. The body is only read, never re-serialised.
import type { ClientKind, IncomingRequest, ParsedRequest, PluginRefusal, PluginRoute } from '../../core/plugin-api.ts'
import { detectClientKind } from './client-kind.ts'

interface MessagesBody {
  model?: unknown
  stream?: unknown
  metadata?: { user_id?: unknown }
}

const refuse = (message: string): PluginRefusal => ({ error: { code: 'RELAY_ERR_BODY_INVALID', message } })

export function parseRequest (route: PluginRoute, req: IncomingRequest): ParsedRequest | PluginRefusal {
  const clientKind: ClientKind = detectClientKind(req.headers)
  if (route.method === 'GET' || route.method === 'HEAD') return { stream: false, clientKind }
  if (!req.body || req.body.length === 0) return refuse('Request body is empty: a JSON object is required')
  let body: MessagesBody
  try {
    body = JSON.parse(req.body.toString('utf8')) as MessagesBody
  } catch (err) {
    return refuse(`Request body is not valid JSON: ${(err as Error).message}`)
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return refuse('Request body must be a JSON object')
  if (typeof body.model !== 'string' || body.model.length === 0) return refuse('model: Field required')
  if (body.stream !== undefined && typeof body.stream !== 'boolean') return refuse('stream: Input should be a valid boolean')
  return {
    model: body.model,
    stream: body.stream === true,
    sessionKey: sessionKeyOf(req, body),
    clientKind,
  }
}

/**
 * Claude Code names its session in `X-Claude-Code-Session-Id`; it and older clients also put
 * it in `metadata.user_id`, today a JSON string {"device_id","account_uuid","session_id"},
 * before that `user_<hash>_account_<uuid>_session_<uuid>`.
 */
function sessionKeyOf (req: IncomingRequest, body: MessagesBody): string | undefined {
  const header = req.headers['x-claude-code-session-id']
  if (typeof header === 'string' && header.length > 0) return header
  const userId = body.metadata?.user_id
  if (typeof userId !== 'string') return undefined
  if (userId.startsWith('{')) {
    try {
      const sid = (JSON.parse(userId) as { session_id?: unknown }).session_id
      return typeof sid === 'string' && sid.length > 0 ? sid : undefined
    } catch {
      return undefined
    }
  }
  return /_session_([0-9a-f-]{8,})$/i.exec(userId)?.[1]
}
