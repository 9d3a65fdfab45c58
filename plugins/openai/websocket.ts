// The Responses API over WebSocket, as Codex speaks it: the client sends
// `{"type":"response.create", …the Responses body}` for each turn; the upstream answers with the
// same event objects as the SSE stream, one per text message, ending with `response.completed`
// (or `.incomplete` / `.failed`, or an `error`). ChatGPT's Codex backend speaks it; an API-key
// account only when the operator says its upstream does (`websocket: true`).
import type { AccountView, ParsedRequest, WebSocketSupport } from '../../core/plugin-api.ts'

const ENDS = new Set(['response.completed', 'response.incomplete', 'response.failed', 'error'])

function typeOf (text: string): { type?: unknown, model?: unknown, prompt_cache_key?: unknown } | undefined {
  try {
    const json = JSON.parse(text) as unknown
    return json !== null && typeof json === 'object' && !Array.isArray(json) ? json as { type?: unknown } : undefined
  } catch {
    return undefined
  }
}

export const websocket: WebSocketSupport = {
  accepts: (account: AccountView) => account.fields.websocket === true,
  parseMessage (text: string, connection: ParsedRequest): ParsedRequest | undefined {
    const msg = typeOf(text)
    if (msg?.type !== 'response.create') return undefined
    return {
      model: typeof msg.model === 'string' ? msg.model : undefined,
      stream: true,
      sessionKey: connection.sessionKey ?? (typeof msg.prompt_cache_key === 'string' ? msg.prompt_cache_key : undefined),
      clientKind: connection.clientKind,
    }
  },
  endsRequest: (text: string) => {
    const t = typeOf(text)?.type
    return typeof t === 'string' && ENDS.has(t)
  },
}
