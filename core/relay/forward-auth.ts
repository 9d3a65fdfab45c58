// Forward auth: the gateway asks, before it proxies a request, whether the relay key in it may
// proceed. Nginx `auth_request` and Caddy `forward_auth` send the client's headers without the
// body, with the original target in `X-Original-URI`/`X-Original-Method` (Nginx, set by the
// kit; read at `/_relay/authz/nginx` and `/denied` only) or `X-Forwarded-Uri`/`X-Forwarded-Method`
// (Caddy and the Express adapter; read at `/_relay/authz` only). Two uses: a gate in front of the relay
// routes (a bad or over-limit key is refused before its body is uploaded), and any other route
// of the site protected with relay keys (the key holder's identity passed on to it).
//
// Read-only: nothing is counted and no lease is taken; the relay route still admits and
// meters. The answer:
// - `/_relay/authz`: 204 with `X-Relay-Key-Id`, `X-Relay-Key-Name`, `X-Relay-Provider` (every
//   one always present: Caddy 2.6 passes a missing copied header on as a literal placeholder);
//   a refusal with its real status (401/403/429 + Retry-After) and the error in the shape of
//   the mount the target is under. Caddy and the Express adapter return it to the client as is.
// - `/_relay/authz/nginx`: the same, but every refusal is a 401 or a 403 (Nginx turns any other
//   status into a 500), with the real one in `X-Relay-Status`; the kit's `error_page` then asks
// - `/_relay/authz/denied` for the refusal to show the client, checked again: its real status
//   and native body. Should the check pass by then (a slot freed), the client is told to retry.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Admission } from '../limits/admission.ts'
import type { KeyRegistry } from '../keys/key-registry.ts'
import type { RelayPlugin } from '../plugin-api.ts'
import { authenticate } from './identify.ts'
import { parseTarget, TargetProblem } from './request-target.ts'
import { relayError, sendRelayError, toRelayError } from './render-error.ts'
import type { RelayError } from '../errors.ts'

export interface ForwardAuthDeps {
  keys: KeyRegistry
  admission: Admission
  /** Every plugin mount and alias: the target's mount names the provider and the error shape. */
  mounts: { prefix: string, plugin: RelayPlugin }[]
  now: () => number
}

type Style = 'plain' | 'nginx' | 'denied'

const PATHS: Record<Style, string> = { plain: '/_relay/authz', nginx: '/_relay/authz/nginx', denied: '/_relay/authz/denied' }

function one (v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

/** A header value Node will send: key names are free text to the operator. */
const headerSafe = (s: string) => (/^[\x20-\x7e]*$/.test(s) ? s : encodeURIComponent(s))

export function registerForwardAuth (app: FastifyInstance, deps: ForwardAuthDeps): void {
  for (const [style, url] of Object.entries(PATHS) as [Style, string][]) {
    // Any method: a gateway may ask with the original one.
    app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], url, handler: (request, reply) => decide(request, reply, style, deps) })
  }
}

async function decide (request: FastifyRequest, reply: FastifyReply, style: Style, deps: ForwardAuthDeps): Promise<FastifyReply> {
  const h = request.headers
  // Each gateway's endpoint reads only the header its gateway sets: the other one is a client's,
  // passed on untouched (Caddy passes a client's X-Original-URI; nginx a client's X-Forwarded-Uri).
  const [uriHeader, methodHeader] = style === 'plain' ? ['x-forwarded-uri', 'x-forwarded-method'] : ['x-original-uri', 'x-original-method']
  const uri = one(h[uriHeader]) ?? '/'
  const target = parseTarget(uri)
  const path = target instanceof TargetProblem ? '' : target.path
  const mount = deps.mounts.find(m => path === m.prefix || path.startsWith(`${m.prefix}/`))
  try {
    if (target instanceof TargetProblem) throw relayError('RELAY_ERR_TARGET_INVALID', target.message)
    const now = deps.now()
    const { key } = authenticate(deps.keys, h, target.query, now)
    await deps.admission.check(key, mount?.plugin.name, now)
    if (style === 'denied') {
      const err = relayError('RELAY_ERR_LIMIT_RATE', 'The limit that refused this request has freed up; retry')
      err.retryAfter = 1
      throw err
    }
    return reply.code(204).headers({
      'x-relay-key-id': key.id,
      'x-relay-key-name': headerSafe(key.name),
      'x-relay-provider': mount?.plugin.name ?? '-',
    }).send()
  } catch (thrown) {
    const err = toRelayError(thrown)
    request.log.info({ uri: path, method: one(h[methodHeader]), status: err.statusCode, code: err.code }, 'forward auth refused')
    return refuse(reply, err, style, mount?.plugin)
  }
}

function refuse (reply: FastifyReply, err: RelayError, style: Style, plugin: RelayPlugin | undefined): FastifyReply {
  reply.header('x-relay-error-code', err.code)
  if (style === 'nginx') {
    if (err.retryAfter !== undefined && !err.noRetry) reply.header('retry-after', String(err.retryAfter))
    return reply.code(err.statusCode === 401 ? 401 : 403).header('x-relay-status', String(err.statusCode)).send()
  }
  if (plugin) return sendRelayError(reply, plugin, err)
  // A route that is not a relay mount (an internal tool): a plain JSON error.
  if (err.noRetry) reply.header('x-should-retry', 'false')
  else if (err.retryAfter !== undefined) reply.header('retry-after', String(err.retryAfter))
  return reply.code(err.statusCode).header('content-type', 'application/json').send(JSON.stringify({ error: { code: err.code, message: err.message } }))
}
