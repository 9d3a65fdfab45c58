// OpenAI's error shape: {"error":{"message","type","param","code"}}. The SDKs branch on the
// status; Codex shows the message. In a Responses stream an error after the start is a
// `response.failed` event (what Codex reports and retries on); in a chat stream a data chunk
// holding `error`.
import type { PluginRoute, RelayErrorCode } from '../../core/plugin-api.ts'
import { isChat } from './parse-request.ts'

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  405: 'invalid_request_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  429: 'rate_limit_error',
}

const CODE_BY_RELAY: Partial<Record<RelayErrorCode, string>> = {
  RELAY_ERR_KEY_MISSING: 'missing_api_key',
  RELAY_ERR_KEY_INVALID: 'invalid_api_key',
  RELAY_ERR_KEY_DISABLED: 'invalid_api_key',
  RELAY_ERR_KEY_EXPIRED: 'invalid_api_key',
  RELAY_ERR_LIMIT_RATE: 'rate_limit_exceeded',
  RELAY_ERR_LIMIT_CONCURRENCY: 'rate_limit_exceeded',
  // Not `insufficient_quota`: Codex shows its own "Quota exceeded. Check your plan and billing
  // details." for that and drops the relay's reason (which budget, when it resets).
  RELAY_ERR_LIMIT_BUDGET: 'budget_exceeded',
  RELAY_ERR_LIMIT_BUDGET_EXHAUSTED: 'budget_exceeded',
  RELAY_ERR_MODEL_NOT_SERVED: 'model_not_found',
  RELAY_ERR_ROUTE_NOT_FOUND: 'unknown_url',
}

export function errorBody (code: RelayErrorCode, status: number, message: string) {
  return { error: { message, type: TYPE_BY_STATUS[status] ?? 'server_error', param: null, code: CODE_BY_RELAY[code] ?? null } }
}

export function streamError (code: RelayErrorCode, message: string, route?: PluginRoute): string {
  const error = { code: CODE_BY_RELAY[code] ?? 'server_error', message }
  if (route && isChat(route)) return `data: ${JSON.stringify({ error: { ...error, type: 'server_error', param: null } })}\n\n`
  return `event: response.failed\ndata: ${JSON.stringify({ type: 'response.failed', response: { status: 'failed', error } })}\n\n`
}

export function isNativeError (body: Buffer): boolean {
  try {
    const e = (JSON.parse(body.toString('utf8')) as { error?: { message?: unknown } }).error
    return e !== null && typeof e === 'object' && typeof e.message === 'string'
  } catch {
    return false
  }
}

const STATUS_BY_CODE: Record<string, number> = { rate_limit_exceeded: 429, usage_limit_reached: 429, insufficient_quota: 429, server_error: 500, server_is_overloaded: 503, invalid_prompt: 400, context_length_exceeded: 400 }

/**
 * The upstream may answer 200 and open the stream with an error (`event: error`, or
 * `response.failed`, or a chat chunk holding `error`): a failure before the first byte.
 */
export function streamStartError (firstEvent: string): { status: number, body: string } | undefined {
  const named = /^event: ?(error|response\.failed)\s*$/m.exec(firstEvent)?.[1]
  const data = firstEvent.split(/\r?\n/).filter(l => l.startsWith('data:')).map(l => l.slice(5).trimStart()).join('\n')
  let json: { type?: unknown, code?: unknown, message?: unknown, error?: { code?: unknown, message?: unknown }, response?: { error?: { code?: unknown, message?: unknown } } }
  try {
    json = JSON.parse(data) as typeof json
  } catch {
    return named ? { status: 500, body: JSON.stringify(errorBody('RELAY_ERR_UPSTREAM_BAD_RESPONSE', 500, 'The upstream stream opened with an error')) } : undefined
  }
  const err = json.error ?? json.response?.error ?? (named ? { code: json.code, message: json.message } : undefined)
  if (!err || (!named && json.type !== 'response.failed' && json.error === undefined)) return undefined
  const code = typeof err.code === 'string' ? err.code : 'server_error'
  const status = STATUS_BY_CODE[code] ?? 500
  return { status, body: JSON.stringify({ error: { message: typeof err.message === 'string' ? err.message : 'The upstream failed', type: status === 429 ? 'rate_limit_error' : 'server_error', param: null, code } }) }
}
