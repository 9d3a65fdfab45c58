// Which headers cross the relay. Towards the provider: the client's own headers minus its relay
// key, hop-by-hop headers, gateway/identity headers and cookies. Towards the client: the
// provider's headers minus hop-by-hop ones and cookies (one user's cookie is not another's).
import type { IncomingHttpHeaders } from 'node:http'
import { KEY_HEADERS } from '../keys/presented-key.ts'
import { isReadableEncoding } from './content-encoding.ts'

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'http2-settings',
])

const NOT_FORWARDED = new Set([
  ...HOP_BY_HOP, ...KEY_HEADERS, 'host', 'content-length', 'cookie', 'forwarded', 'via', 'x-real-ip',
  // A compressed request body is decoded by core (request-body.ts): it goes upstream plain.
  'content-encoding',
])

function listedInConnection (headers: IncomingHttpHeaders): Set<string> {
  const c = headers.connection
  return new Set(typeof c === 'string' ? c.toLowerCase().split(',').map(s => s.trim()).filter(Boolean) : [])
}

/**
 * The client's Accept-Encoding without encodings the relay could not decompress for metering:
 * the body still reaches the client byte for byte, but an unreadable one would go unbilled.
 */
function meterableAcceptEncoding (value: string): string | undefined {
  const kept = value.split(',').map(s => s.trim()).filter(s => isReadableEncoding(s.split(';')[0]!.trim()))
  return kept.length > 0 ? kept.join(', ') : undefined
}

export function upstreamRequestHeaders (headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const extra = listedInConnection(headers)
  const out: IncomingHttpHeaders = {}
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || NOT_FORWARDED.has(k) || extra.has(k)) continue
    // Gateway-set identity and client IPs are for the relay, never for the provider.
    if (k.startsWith('x-relay-') || k.startsWith('x-forwarded-')) continue
    if (k === 'accept-encoding') {
      const enc = meterableAcceptEncoding(String(v))
      if (enc) out[k] = enc
      continue
    }
    out[k] = v
  }
  return out
}

export function clientResponseHeaders (headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || k === 'set-cookie' || k.startsWith('x-relay-')) continue
    out[k] = v
  }
  return out
}
