// The Responses API over WebSocket, as Codex speaks it: the client sends
// `{"type":"response.create", …the Responses body}` for a turn, or `response.append` to carry on
// the last one (same model, more input); the upstream answers with the same event objects as the
// SSE stream, one per text message, ending with `response.completed` (or `.incomplete` /
// `.failed`, or an `error`). ChatGPT's Codex backend speaks it; an API-key account only when the
// operator says its upstream does (`websocket: true`). Both client messages make the upstream
// generate, so both are requests the relay admits and meters; any other message is refused.
import { parseJsonObject, servedModel, type AccountView, type ParsedRequest, type PluginRefusal, type WebSocketSupport } from '../../core/plugin-api.ts'

const ENDS = new Set(['response.completed', 'response.incomplete', 'response.failed', 'response.done', 'error'])

const refuse = (message: string): PluginRefusal => ({ error: { code: 'RELAY_ERR_BODY_INVALID', message } })

function typeOf (text: string): unknown {
  try {
    return (JSON.parse(text) as { type?: unknown } | null)?.type
  } catch {
    return undefined
  }
}

export const websocket: WebSocketSupport = {
  accepts: (account: AccountView) => account.fields.websocket === true,
  parseMessage (text: string, connection: ParsedRequest, previous: ParsedRequest | undefined): ParsedRequest | PluginRefusal {
    const read = parseJsonObject(text, ['type', 'model', 'stream'])
    if ('problem' in read) {
      return refuse(read.problem === 'duplicate'
        ? `The message names '${read.key}' more than once.`
        : 'Each WebSocket message must be a JSON object with a "type".')
    }
    const msg = read.value
    if (msg.type !== 'response.create' && msg.type !== 'response.append') {
      return refuse(`Unsupported message type ${JSON.stringify(msg.type)}: this endpoint takes response.create and response.append.`)
    }
    if (msg.model !== undefined && (typeof msg.model !== 'string' || msg.model.length === 0)) return refuse('Invalid type for \'model\': expected a string.')
    // An append carries on with the model of the request before it, unless it names its own.
    const model = typeof msg.model === 'string' ? msg.model : msg.type === 'response.append' ? previous?.model : undefined
    if (model === undefined) {
      return refuse(msg.type === 'response.append' ? 'response.append needs a response.create before it on this connection.' : 'Missing required parameter: \'model\'.')
    }
    return {
      model,
      stream: true,
      sessionKey: connection.sessionKey ?? (typeof msg.prompt_cache_key === 'string' ? msg.prompt_cache_key : previous?.sessionKey),
      clientKind: connection.clientKind,
    }
  },
  endsRequest: (text: string) => {
    const t = typeOf(text)
    return typeof t === 'string' && ENDS.has(t)
  },
  // A message that names its model names the account's own for it (its model map); an append
  // without one carries on with what the request before it was sent as.
  upstreamMessage (text: string, parsed: ParsedRequest, account: AccountView): string {
    if (parsed.model === undefined || servedModel(account, parsed.model) === parsed.model) return text
    const msg = JSON.parse(text) as Record<string, unknown>
    if (typeof msg.model !== 'string') return text
    msg.model = servedModel(account, parsed.model)
    return JSON.stringify(msg)
  },
}
