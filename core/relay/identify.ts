// What the relay knows about a request before it reads the body: its canonical target (every
// request, checked at the root) and, on relay routes, the key that presented itself in the
// headers or the query. A request without a valid key is refused here, before its body is
// uploaded: an anonymous caller can neither make the sidecar buffer bodies nor fill its logs.
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

/** Root onRequest hook: only origin-form targets, canonicalised once for everything after. */
export async function checkTarget (request: FastifyRequest): Promise<void> {
  const target = parseTarget(request.raw.url)
  if (target instanceof TargetProblem) throw relayError('RELAY_ERR_TARGET_INVALID', target.message)
  request.relayTarget = target
}

function hasBody (request: FastifyRequest): boolean {
  const h = request.headers
  return h['transfer-encoding'] !== undefined || (h['content-length'] !== undefined && h['content-length'] !== '0')
}

/** onRequest hook of relay routes: authenticates from the headers and the query only. */
export function identify (keys: KeyRegistry, now: () => number) {
  return async function identifyKey (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const at = now()
    const { key, query } = presentedKey(request.headers, request.relayTarget?.query ?? '')
    try {
      request.relayAuth = { key: keys.authenticate(key, at), presented: key!, query, at }
    } catch (err) {
      // The body was not read; closing the connection spares uploading it at all.
      if (hasBody(request)) reply.header('connection', 'close')
      throw err
    }
  }
}
