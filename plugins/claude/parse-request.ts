// What core needs from a Messages API request: model, stream flag, a conversation key for
// sticky selection, and the calling client. The body is only read, never re-serialised.
import { createHash } from 'node:crypto'
import { parseJsonObject, type ClientKind, type IncomingRequest, type ParsedRequest, type PluginRefusal, type PluginRoute } from '../../core/plugin-api.ts'
import { detectClientKind } from './client-kind.ts'

interface MessagesBody {
  model?: unknown
  stream?: unknown
  metadata?: { user_id?: unknown }
  system?: unknown
  messages?: unknown
}

const refuse = (message: string): PluginRefusal => ({ error: { code: 'RELAY_ERR_BODY_INVALID', message } })

export function parseRequest (route: PluginRoute, req: IncomingRequest): ParsedRequest | PluginRefusal {
  const clientKind: ClientKind = detectClientKind(req.headers)
  if (route.method === 'GET' || route.method === 'HEAD') return { stream: false, clientKind }
  if (!req.body || req.body.length === 0) return refuse('Request body is empty: a JSON object is required')
  // The fields the relay decides on must be read the same by the upstream: never twice.
  const read = parseJsonObject(req.body.toString('utf8'), ['model', 'stream'])
  if ('problem' in read) {
    if (read.problem === 'not-json') return refuse('Request body is not valid JSON')
    if (read.problem === 'not-object') return refuse('Request body must be a JSON object')
    return refuse(`${read.key}: the field is given more than once`)
  }
  const body = read.value as MessagesBody
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
  return sessionFromUserId(body.metadata?.user_id) ?? conversationHash(body)
}

function sessionFromUserId (userId: unknown): string | undefined {
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

/**
 * A client that names no session: the conversation is what stays the same across its turns,
 * its cached system blocks (all of the system prompt when none is marked for caching) and its
 * first user message. The hash is namespaced by relay key by the caller, so two people sending
 * the same prompt never share a binding.
 */
function conversationHash (body: MessagesBody): string | undefined {
  const system = Array.isArray(body.system)
    ? (body.system as { cache_control?: unknown }[]).filter(b => b && typeof b === 'object' && b.cache_control !== undefined)
    : []
  const systemPart = system.length > 0 ? system : body.system
  const first = Array.isArray(body.messages) ? (body.messages as { role?: unknown }[]).find(m => m && m.role === 'user') : undefined
  if (systemPart === undefined && first === undefined) return undefined
  return 'h:' + createHash('sha256').update(JSON.stringify([systemPart ?? null, first ?? null])).digest('hex').slice(0, 32)
}
