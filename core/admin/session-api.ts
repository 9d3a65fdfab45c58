// Local users' sessions for the admin pages: log in (rate-limited per address), who am I, log
// out. Logging in is the one admin call without an identity, so it lives outside the guarded
// API (`/_relay/admin/login`); `GET /_relay/admin/api/session` and logging out are guarded.
import type { FastifyInstance } from 'fastify'
import { errors } from '../errors.ts'
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

/** Outside it: `POST /_relay/admin/login {name, password}`. */
export async function loginRoute (app: FastifyInstance, opts: { auth: AdminAuth, attempts: { max: number, windowMs: number } }): Promise<void> {
  app.post('/_relay/admin/login', {
    config: { rateLimit: { max: opts.attempts.max, timeWindow: opts.attempts.windowMs } },
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
    setSessionCookie(reply, request, session.id, opts.auth.sessionTtlMs)
    request.log.info({ user: name }, 'admin logged in')
    return { user: name, csrf: session.csrf, expiresAt: new Date(session.expiresAt).toISOString() }
  })
}
