// Asks the sidecar's forward-auth endpoint whether a request may proceed, as Caddy's
// forward_auth does: the client's headers without the body, the original target in
// X-Forwarded-Uri / X-Forwarded-Method. The sidecar answers 204 with the key holder's identity,
// or the refusal to show the client (status, Retry-After, the provider's error body).
import type { IncomingHttpHeaders } from 'node:http'
import { request, type Dispatcher } from 'undici'

/** Headers that describe the client's connection or body, not the request: never asked with. */
const NOT_ASKED = new Set(['connection', 'upgrade', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding', 'expect', 'te', 'trailer', 'host'])

export type Verdict =
  | { allowed: true, keyId: string, keyName: string, provider: string }
  | { allowed: false, status: number, headers: Record<string, string>, body: Buffer }

/**
 * A header only the gateway may set, in any spelling (Node keeps `x_relay_key_name` as a header
 * of its own, and many frameworks read it as X-Relay-Key-Name): the relay's identity headers,
 * and the SSO user (`X-Forwarded-User`, the relay's default `admin.sso.header`), which an SSO
 * middleware placed after this adapter's own sets.
 */
export function isGatewayHeader (name: string): boolean {
  const n = name.toLowerCase().replaceAll('_', '-')
  return n.startsWith('x-relay-') || n === 'x-forwarded-user'
}

/** A client's own identity headers: identity comes from the relay (or the SSO layer) only. */
export function withoutRelayHeaders (headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !isGatewayHeader(k)))
}

export async function askRelay (sidecar: string, dispatcher: Dispatcher, headers: IncomingHttpHeaders, method: string, originalUrl: string): Promise<Verdict> {
  const asked: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(withoutRelayHeaders(headers))) if (v !== undefined && !NOT_ASKED.has(k)) asked[k] = v
  asked['x-forwarded-uri'] = originalUrl
  asked['x-forwarded-method'] = method
  const res = await request(new URL('/_relay/authz', sidecar), { method: 'GET', headers: asked, dispatcher })
  const body = Buffer.from(await res.body.arrayBuffer())
  const header = (name: string) => {
    const v = res.headers[name]
    return Array.isArray(v) ? v[0] : v
  }
  if (res.statusCode >= 200 && res.statusCode < 300) {
    return { allowed: true, keyId: header('x-relay-key-id') ?? '', keyName: header('x-relay-key-name') ?? '', provider: header('x-relay-provider') ?? '-' }
  }
  const passed: Record<string, string> = {}
  for (const name of ['content-type', 'retry-after', 'x-should-retry', 'x-relay-error-code']) {
    const v = header(name)
    if (v !== undefined) passed[name] = v
  }
  return { allowed: false, status: res.statusCode, headers: passed, body }
}
