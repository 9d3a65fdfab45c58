// What the relay knows about a request before it reads the body: its canonical target (every
// request, checked at the root) and, on relay routes, the key that presented itself in the
// headers or the query. A request without a valid key is refused here, before its body is
// uploaded: an anonymous caller can neither make the sidecar buffer bodies nor fill its logs.
import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { KeyRegistry } from '../keys/key-registry.ts'
import { presentedKey } from '../keys/presented-key.ts'
import type { KeyRecord } from '../store/store.ts'
import { parseTarget, TargetProblem, type RequestTarget } from './request-target.ts'
import { relayError } from './render-error.ts'

export interface RelayAuth {
  key: KeyRecord
  /** The secret as presented (to prove it is never forwarded). */
  presented: string
  /** The target's query without the relay key. */
  query: string
  /** Epoch ms when the request's headers arrived. */
  at: number
}

declare module 'fastify' {
  interface FastifyRequest {
    relayTarget: RequestTarget | null
    relayAuth: RelayAuth | null
  }
}

/**
 * The relay's pages as people type them: with a trailing slash (the address `admin users add`
 * prints). Every other target with one is refused: an empty last segment would let an empty
 * route parameter through.
 */
const SLASHED_PAGES = new Set(['/_relay/admin/', '/_relay/me/'])

/** Root onRequest hook: only origin-form targets, canonicalised once for everything after. */
export async function checkTarget (request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const url = request.raw.url ?? ''
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  if (SLASHED_PAGES.has(path) && (request.method === 'GET' || request.method === 'HEAD')) {
    return reply.redirect(path.slice(0, -1) + (q === -1 ? '' : url.slice(q)), 308)
  }
  const target = parseTarget(request.raw.url)
  if (target instanceof TargetProblem) throw relayError('RELAY_ERR_TARGET_INVALID', target.message)
  request.relayTarget = target
}

function hasBody (request: FastifyRequest): boolean {
  const h = request.headers
  return h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0')
}

/** The key presented in the headers or the query, authenticated; throws the coded 401. */
export function authenticate (keys: KeyRegistry, headers: IncomingHttpHeaders, query: string, at: number): RelayAuth {
  const presented = presentedKey(headers, query)
  return { key: keys.authenticate(presented.key, at), presented: presented.key!, query: presented.query, at }
}

/**
 * The relay key is read from its places and stripped from them; found in any header that is
 * forwarded it would reach the upstream, so the request is refused instead.
 */
export function refuseKeyElsewhere (forwarded: IncomingHttpHeaders, presented: string): void {
  for (const v of Object.values(forwarded)) {
    if (v !== undefined && (Array.isArray(v) ? v : [v]).some(s => s.includes(presented))) throw relayError('RELAY_ERR_KEY_MISPLACED')
  }
}

/** onRequest hook of relay routes: authenticates from the headers and the query only. */
export function identify (keys: KeyRegistry, now: () => number) {
  return async function identifyKey (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    try {
      request.relayAuth = authenticate(keys, request.headers, request.relayTarget?.query ?? '', now())
    } catch (err) {
      // The body was not read; closing the connection spares uploading it at all.
      if (hasBody(request)) reply.header('connection', 'close')
      throw err
    }
  }
}
