// Google's error shape: {"error":{"code","message","status"}}, with `details` such as
// RetryInfo. In an SSE stream an error after the start is a `data:` event holding the same.
import type { RelayErrorCode } from '../../core/plugin-api.ts'

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'INVALID_ARGUMENT',
  413: 'INVALID_ARGUMENT',
  415: 'INVALID_ARGUMENT',
  426: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
}

/**
 * With a wait, a RetryInfo detail as Google sends it: Gemini CLI retries after that delay, and
 * takes one over five minutes as final (the relay asks for at most a minute).
 */
export function errorBody (_code: RelayErrorCode, status: number, message: string, hints?: { retryAfter?: number }) {
  const retryInfo = hints?.retryAfter !== undefined ? { details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${hints.retryAfter}s` }] } : {}
  return { error: { code: status, message, status: STATUS[status] ?? 'INTERNAL', ...retryInfo } }
}

export function streamError (code: RelayErrorCode, message: string): string {
  return `data: ${JSON.stringify(errorBody(code, 500, message))}\n\n`
}

export function isNativeError (body: Buffer): boolean {
  try {
    const e = (JSON.parse(body.toString('utf8')) as { error?: { code?: unknown, message?: unknown } }).error
    return e !== null && typeof e === 'object' && typeof e.message === 'string'
  } catch {
    return false
  }
}
