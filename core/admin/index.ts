// The admin side of the sidecar, in its own fastify scope (cookies, CORS and rate limits apply
// here only, never to relay routes): the login, the guarded admin API, and self-service.
import type { FastifyInstance } from 'fastify'
import cookie from '@fastify/cookie'
import cors from '@fastify/cors'
import type { BlockList } from 'node:net'
import rateLimit from '@fastify/rate-limit'
import type { Runtime } from '../runtime.ts'
import type { KeyRegistry } from '../keys/key-registry.ts'
import { AdminAuth } from './admin-auth.ts'
import { adminApi, adminErrorHandler } from './admin-api.ts'
import { loginRoute } from './session-api.ts'
import { selfService } from './self-service.ts'
import { adminPages } from './admin-pages.ts'
import type { AccountTester } from './account-test.ts'
import type { ReloadResult } from '../ops/config-reload.ts'
import type { LivePriceControl } from './prices-api.ts'
import type { OpsApiDeps } from './ops-api.ts'

export interface AdminDeps {
  rt: Runtime
  /** Gateways whose X-Forwarded-For and X-Forwarded-Proto are believed (`relay.trustedProxies`). */
  trustedProxies: BlockList
  keys: KeyRegistry
  changed: () => Promise<void>
  health: () => unknown
  testAccount: AccountTester
  reloadConfig: () => Promise<ReloadResult>
  prices: LivePriceControl
  live: OpsApiDeps['live']
  notifications: OpsApiDeps['notifications']
  now: () => number
}

/** Registers the admin side; returns the list of its routes (filled as fastify registers them). */
export function registerAdmin (app: FastifyInstance, deps: AdminDeps): { method: string, url: string }[] {
  const config = deps.rt.loaded.config.admin
  const auth = new AdminAuth(config, deps.rt.store, deps.now)
  const routes: { method: string, url: string }[] = []
  app.register(async function adminScope (scope) {
    // Every route, for the test that proves each admin route refuses what it must.
    scope.addHook('onRoute', r => { for (const method of [r.method].flat()) routes.push({ method, url: r.url }) })
    scope.decorateRequest('admin', null)
    await scope.register(cookie)
    // Pages of these origins may call the APIs with the visitor's credentials; no one else's.
    await scope.register(cors, {
      origin: config.corsOrigins,
      credentials: true,
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['content-type', 'authorization', 'x-csrf-token', 'x-requested-with', 'x-api-key'],
      maxAge: 600,
    })
    await scope.register(rateLimit, { global: false })
    scope.setErrorHandler(adminErrorHandler)
    scope.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: { code: 'RELAY_ERR_ROUTE_NOT_FOUND', message: 'Not found' } }))
    await scope.register(loginRoute, { auth, attempts: config.loginAttempts, trustedProxies: deps.trustedProxies })
    await scope.register(adminPages, { frameAncestors: config.frameAncestors })
    await scope.register(adminApi, { prefix: '/_relay/admin/api', rt: deps.rt, auth, changed: deps.changed, health: deps.health, testAccount: deps.testAccount, reloadConfig: deps.reloadConfig, prices: deps.prices, live: deps.live, notifications: deps.notifications, now: deps.now })
    await scope.register(selfService, { prefix: '/_relay/me/api', rt: deps.rt, keys: deps.keys, now: deps.now })
  })
  return routes
}
