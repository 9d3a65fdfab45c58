// Local users' sessions for the admin pages: log in (throttled per client address and per user
// name), who am I, log out. Logging in is the one admin call without an identity, so it lives outside the guarded
// API (`/_relay/admin/login`); `GET /_relay/admin/api/session` and logging out are guarded.
import type { BlockList } from 'node:net'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { errors, type RelayError } from '../errors.ts'
import { clientInfo, clientUsesHttps } from '../relay/client-info.ts'
import { SESSION_COOKIE, setSessionCookie, type AdminAuth } from './admin-auth.ts'
import { PASSWORD_MAX } from './passwords.ts'

/** Inside the guarded API scope. */
export async function sessionRoutes (app: FastifyInstance, opts: { auth: AdminAuth }): Promise<void> {
  app.get('/session', async request => ({ user: request.admin!.user, via: request.admin!.via, csrf: request.admin!.csrf ?? null }))
  app.post('/logout', async (request, reply) => {
    await opts.auth.closeSession(request)
    reply.clearCookie(SESSION_COOKIE, { path: '/_relay/' })
    return reply.code(204).send()
  })
}

/**
 * Outside it: `POST /_relay/admin/login {name, password}`. Attempts are counted per client
 * address (behind a gateway, the last untrusted hop of X-Forwarded-For: counting the socket's
 * peer would let one client lock every admin out) and per user name (so many addresses cannot
 * guess one password); either limit refuses with its own code and when to retry.
 */
export async function loginRoute (app: FastifyInstance, opts: { auth: AdminAuth, attempts: { max: number, windowMs: number }, trustedProxies: BlockList }): Promise<void> {
  // Two counts for one request: @fastify/rate-limit's own hook runs once a request, so each
  // count is its limiter, checked here.
  const throttle = (what: string, key: (request: FastifyRequest) => string) => {
    const count = app.createRateLimit({ max: opts.attempts.max, timeWindow: opts.attempts.windowMs, keyGenerator: key })
    return async (request: FastifyRequest) => {
      const result = await count(request)
      if (result.isAllowed || !result.isExceeded) return
      const seconds = Math.max(1, result.ttlInSeconds)
      const err = new errors.RELAY_ERR_LOGIN_THROTTLED(what, seconds) as RelayError
      err.retryAfter = seconds
      throw err
    }
  }
  const address = (request: FastifyRequest) => `address:${clientInfo(request.headers, request.socket.remoteAddress, opts.trustedProxies).ip ?? '-'}`
  const user = (request: FastifyRequest) => `user:${(request.body as { name: string }).name.toLowerCase()}`
  app.post('/_relay/admin/login', {
    onRequest: throttle('from this address', address),
    // After validation: the name is there.
    preHandler: throttle('for this user', user),
    schema: {
      body: {
        type: 'object', additionalProperties: false, required: ['name', 'password'],
        properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: PASSWORD_MAX } },
      },
    },
  }, async (request, reply) => {
    const { name, password } = request.body as { name: string, password: string }
    if (!await opts.auth.checkPassword(name, password)) {
      request.log.warn({ user: name }, 'admin login failed')
      throw new errors.RELAY_ERR_LOGIN_FAILED()
    }
    const session = await opts.auth.openSession(name)
    const https = clientUsesHttps(request.headers, request.socket.remoteAddress, 'encrypted' in request.socket && request.socket.encrypted === true, opts.trustedProxies)
    setSessionCookie(reply, https, session.id, opts.auth.sessionTtlMs)
    request.log.info({ user: name }, 'admin logged in')
    return { user: name, csrf: session.csrf, expiresAt: new Date(session.expiresAt).toISOString() }
  })
}
