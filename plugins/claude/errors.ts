// Anthropic's error shape: {"type":"error","error":{"type":"...","message":"..."}}. Clients
// (Claude Code, the SDKs) branch on `error.type` and the status, so both must be right.
import type { RelayErrorCode } from '../../core/plugin-api.ts'

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  503: 'overloaded_error',
  529: 'overloaded_error',
}

function errorType (code: RelayErrorCode, status: number): string {
  // A pool that only the operator can repair is not an overload: Claude Code would retry an
  // overloaded_error for minutes and then blame Anthropic's capacity.
  if (code === 'RELAY_ERR_POOL_UNUSABLE') return 'api_error'
  return TYPE_BY_STATUS[status] ?? 'api_error'
}

export function errorBody (code: RelayErrorCode, status: number, message: string) {
  return { type: 'error', error: { type: errorType(code, status), message } }
}

/** The `error` event Anthropic sends when a stream fails after it started. */
export function streamError (code: RelayErrorCode, message: string): string {
  const body = { type: 'error', error: { type: code === 'RELAY_ERR_POOL_EXHAUSTED' ? 'overloaded_error' : 'api_error', message } }
  return `event: error\ndata: ${JSON.stringify(body)}\n\n`
}

export function isNativeError (body: Buffer): boolean {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { type?: unknown, error?: { type?: unknown } }
    return parsed.type === 'error' && typeof parsed.error?.type === 'string'
  } catch {
    return false
  }
}

const STATUS_BY_TYPE: Record<string, number> = { overloaded_error: 529, rate_limit_error: 429, api_error: 500, authentication_error: 401, permission_error: 403 }

/** Anthropic may answer 200 and then open the stream with `event: error` (overloaded, mostly). */
export function streamStartError (firstEvent: string): { status: number, body: string } | undefined {
  if (!/^event: ?error\s*$/m.test(firstEvent)) return undefined
  const data = firstEvent.split(/\r?\n/).filter(l => l.startsWith('data:')).map(l => l.slice(5).trimStart()).join('\n')
  try {
    const type = (JSON.parse(data) as { error?: { type?: string } }).error?.type
    return { status: (type ? STATUS_BY_TYPE[type] : undefined) ?? 500, body: data }
  } catch {
    return { status: 500, body: data }
  }
}
