// Sends a relay error in the plugin's native shape. Used for every refusal on a plugin's mount,
// fastify's own 400/404/413 included, so clients never see a foreign error format.
import type { FastifyReply } from 'fastify'
import { errors, isRelayError, type RelayError, type RelayErrorCode } from '../errors.ts'
import type { RelayPlugin } from '../plugin-api.ts'

export function relayError (code: RelayErrorCode, message?: string): RelayError {
  const e = new errors[code]() as RelayError
  if (message !== undefined) e.message = message
  return e
}

/** Any thrown value → a RelayError; unknown errors become a bare 500 (details only in the log). */
export function toRelayError (err: unknown): RelayError {
  if (isRelayError(err)) return err
  const e = err as { statusCode?: number, code?: string, message?: string }
  // fastify's own request errors (content parser, body limit)
  if (e?.statusCode === 413) return relayError('RELAY_ERR_BODY_TOO_LARGE', e.message)
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 && e.code?.startsWith('FST_')) {
    return relayError('RELAY_ERR_BODY_INVALID', e.message)
  }
  return relayError('RELAY_ERR_INTERNAL')
}

/**
 * The status and headers a refusal goes out with, in this provider's terms. A refusal that must
 * not be retried has no Retry-After (clients wait it out, even for hours) and says so with
 * `x-should-retry: false`; the plugin may move it to the status its clients stop on.
 */
export function refusalHead (plugin: RelayPlugin, err: RelayError): { status: number, headers: Record<string, string> } {
  const headers: Record<string, string> = {}
  if (err.noRetry) headers['x-should-retry'] = 'false'
  else if (err.retryAfter !== undefined) headers['retry-after'] = String(err.retryAfter)
  return { status: plugin.refusalStatus?.(err.code, err.statusCode, { noRetry: err.noRetry === true }) ?? err.statusCode, headers }
}

export function sendRelayError (reply: FastifyReply, plugin: RelayPlugin, err: RelayError): FastifyReply {
  const { status, headers } = refusalHead(plugin, err)
  if (err.code === 'RELAY_ERR_METHOD_NOT_ALLOWED') reply.header('allow', (err as RelayError & { allow?: string }).allow ?? '')
  return reply
    .code(status)
    .headers(headers)
    // The relay's own code beside the provider's shape, for operators and the gateways' logs.
    .header('x-relay-error-code', err.code)
    .header('content-type', 'application/json')
    .send(JSON.stringify(plugin.errorBody(err.code, status, err.message, { retryAfter: err.retryAfter })))
}
