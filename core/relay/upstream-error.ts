// Turning upstream failures into what the client sees. The pool's own problems are hidden:
// a refused account credential becomes a 502 (a 401 would make the client blame its own relay
// key); other upstream errors keep their status and, when already in the provider's shape,
// their body.
import type { FastifyReply } from 'fastify'
import type { AccountView, ErrorClassification, RelayPlugin } from '../plugin-api.ts'
import { clientResponseHeaders } from './headers.ts'
import { decoderFor, encodingOf } from './content-encoding.ts'
import { ERROR_BODY_LIMIT, type AttemptResult, type UpstreamHeaders } from './forward.ts'
import { relayError, sendRelayError, toRelayError } from './render-error.ts'

export type UpstreamError = Extract<AttemptResult, { kind: 'upstream-error' }>

/**
 * An error body as text for the plugin to classify, decoded up to `ERROR_BODY_LIMIT`; a body
 * that would decode to more (or does not decode) is classified as the bytes that came.
 */
export function decodedBody (e: UpstreamError): Buffer {
  const decoder = decoderFor(encodingOf(e.headers['content-encoding']))
  try {
    return decoder ? decoder.whole(e.raw, ERROR_BODY_LIMIT) : e.raw
  } catch {
    return e.raw
  }
}

/** The provider's own message in an error body (`{error: {message}}`, as all three providers send it). */
export function providerMessage (body: Buffer, limit: number): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { message?: unknown }, message?: unknown }
    // Most providers nest it in `error`; AWS puts it at the top.
    const msg = parsed.error?.message ?? parsed.message
    if (typeof msg === 'string' && msg.length > 0) return msg.slice(0, limit)
  } catch {}
  return undefined
}

/** A one-line account-level description: status and the provider's message when it has one. */
export function describeUpstreamError (status: number, body: Buffer): string {
  const msg = providerMessage(body, 200)
  return msg === undefined ? `HTTP ${status}` : `HTTP ${status}: ${msg}`
}

/**
 * Statuses whose message is about the client's own request (what to change in it), so it is
 * passed on when the body cannot be: a bridge's client reads another provider's shape. A 429 or
 * a 5xx is about the pool's accounts, which stay the relay's business.
 */
const ABOUT_THE_REQUEST = new Set([400, 404, 413, 422])

/** Sends the final upstream error to the client; returns the status sent. */
export function sendUpstreamError (plugin: RelayPlugin, reply: FastifyReply, e: UpstreamError, body: Buffer, verdict: ErrorClassification, requestId: string, account?: AccountView): number {
  if (verdict.kind === 'auth_failed' || verdict.kind === 'forbidden') {
    const err = relayError('RELAY_ERR_UPSTREAM_AUTH')
    sendRelayError(reply, plugin, err)
    return err.statusCode
  }
  const passHeaders = clientResponseHeaders(e.headers as UpstreamHeaders)
  if (account) plugin.responseHeaders?.(account, passHeaders)
  delete passHeaders['content-length']
  delete passHeaders['content-encoding']
  // A limit the provider reports with another status (Bedrock's quota is a 400) is a limit to
  // the client too: a status it waits on, not one that says its request was wrong.
  const status = verdict.kind === 'rate_limited' ? 429 : e.status
  reply.code(status).headers(passHeaders).header('x-relay-request-id', requestId)
  if (status === e.status && e.size <= ERROR_BODY_LIMIT && plugin.isNativeError?.(body)) {
    reply.send(body)
    return status
  }
  const told = ABOUT_THE_REQUEST.has(status) ? providerMessage(body, 1000) : undefined
  const err = relayError('RELAY_ERR_UPSTREAM_BAD_RESPONSE', `The upstream provider answered with status ${status}${told === undefined ? '' : `: ${told}`}`)
  reply.header('content-type', 'application/json').send(JSON.stringify(plugin.errorBody(err.code, status, err.message)))
  return status
}

/** A failure before any response (connect, timeout) as a relay error. */
export function networkFailure (err: unknown) {
  const code = String((err as { code?: unknown }).code)
  // The upstream's response could not be read as HTTP (headers past undici's `maxHeaderSize`, a
  // malformed message): the gateway's own failure, as a proxy reports it.
  if (code === 'UND_ERR_HEADERS_OVERFLOW' || code.startsWith('HPE_')) return relayError('RELAY_ERR_UPSTREAM_BAD_RESPONSE', 'The upstream provider sent a response the relay cannot read (headers too large or malformed)')
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return relayError('RELAY_ERR_UPSTREAM_TIMEOUT')
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ENOTFOUND' ||
    code === 'EHOSTUNREACH' || code === 'UND_ERR_SOCKET' || code === 'EAI_AGAIN' || code === 'UND_ERR_CLOSED') {
    return relayError('RELAY_ERR_UPSTREAM_UNREACHABLE')
  }
  return toRelayError(err)
}
