// Registers one plugin's routes under its mount (and each alias) in their own fastify scope:
// the key checked from the headers before the body is read, raw-body parsing (the body is
// forwarded byte-identical, so nothing may re-serialise it), and error/not-found handlers that
// answer in the plugin's native error shape.
import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify'
import { errors, type RelayError } from '../errors.ts'
import type { KeyRegistry } from '../keys/key-registry.ts'
import type { PluginRoute, RelayPlugin } from '../plugin-api.ts'
import { identify } from './identify.ts'
import { decodeRequestBody } from './request-body.ts'
import { relayHandler, type RelayDeps } from './relay-handler.ts'
import { relayError, sendRelayError, toRelayError } from './render-error.ts'
import { CLIENT_CLOSED, newExchange, settle } from './exchange.ts'
import { clientInfo } from './client-info.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The plugin route a fastify route serves (read by the error handler). */
    pluginRoute?: PluginRoute
  }
}

export interface MountDeps extends RelayDeps {
  keys: KeyRegistry
}

/** How one plugin's scope is mounted when it shares its mount path with others (mounts.ts). */
export interface ScopeOptions {
  /** The routes this scope registers (default: all the plugin's). */
  routes?: PluginRoute[]
  /** A route's handler other than the plugin's own (a route shared by model, a `models` list). */
  handlerFor?: (route: PluginRoute) => RouteHandlerMethod | undefined
  /** Every route on the mount path, for the 405's `allow`; only one scope per path answers 404s. */
  notFound?: PluginRoute[] | false
}

/** The client went away while the request was still arriving (a cut upload). */
function clientGone (request: FastifyRequest): boolean {
  // (A request read to its end is destroyed too, by auto-destroy: only an incomplete one counts.)
  return request.raw.socket?.destroyed === true || (!request.raw.complete && request.raw.destroyed)
}

export function mountPlugin (app: FastifyInstance, plugin: RelayPlugin, mount: string, deps: MountDeps, bodyLimit: number, opts: ScopeOptions = {}): void {
  const routesHere = opts.routes ?? plugin.routes
  const allRoutes = opts.notFound === false ? [] : opts.notFound ?? plugin.routes
  app.register(async function pluginScope (scope) {
    scope.removeAllContentTypeParsers()
    // The body stays raw (forwarded byte-identical), only a client's compression is undone.
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (req, body, done) => {
      if (req.headers['content-encoding'] === undefined) return done(null, body)
      decodeRequestBody(req.headers['content-encoding'], body as Buffer, bodyLimit).then(plain => done(null, plain), (err: Error) => done(err, undefined))
    })

    scope.setErrorHandler(async (err, request, reply) => {
      const path = (request.relayTarget?.path ?? '').slice(mount.length)
      const gone = clientGone(request)
      const relayErr: RelayError = (err as { statusCode?: number }).statusCode === 413 && (err as { code?: string }).code !== 'RELAY_ERR_BODY_TOO_LARGE'
        ? new errors.RELAY_ERR_BODY_TOO_LARGE(bodyLimit) as RelayError
        : toRelayError(err)
      const status = gone ? CLIENT_CLOSED : relayErr.statusCode
      if (!gone && relayErr.code === 'RELAY_ERR_INTERNAL') request.log.error({ err }, 'unhandled error')
      else request.log.info({ path, status, code: gone ? undefined : relayErr.code }, gone ? 'client closed the request before its body arrived' : 'relay refused')
      // A key-holder's request that failed before the pipeline (cut upload, body too large) still gets its row.
      const auth = request.relayAuth
      // A request settled below is counted there; one refused before its key was known, here.
      if (!auth && !gone) deps.metrics?.refused(relayErr.code)
      const route = request.routeOptions.config as { pluginRoute?: PluginRoute } | undefined
      if (auth && route?.pluginRoute) {
        const ex = newExchange(request.id, auth.at, plugin.name, route.pluginRoute, path, clientInfo(request.headers, request.socket.remoteAddress, deps.trustedProxies))
        ex.key = auth.key
        ex.bridge = plugin.bridge
        ex.status = status
        await settle(ex, deps, request.log)
      }
      if (gone) return reply.hijack()
      return sendRelayError(reply.header('x-relay-request-id', request.id), plugin, relayErr)
    })

    if (opts.notFound !== false) scope.setNotFoundHandler((request, reply) => {
      const path = (request.relayTarget?.path ?? '').slice(mount.length)
      const allowed = allRoutes.filter(r => routeMatches(r.path, path)).map(r => r.method)
      const err = allowed.length > 0
        ? Object.assign(relayError('RELAY_ERR_METHOD_NOT_ALLOWED', `Method ${request.method} is not allowed on ${path}`), { allow: [...new Set(allowed)].join(', ') })
        : relayError('RELAY_ERR_ROUTE_NOT_FOUND', `Not found: ${request.method} ${path}`)
      request.log.info({ path, status: err.statusCode, code: err.code }, 'relay refused')
      return sendRelayError(reply.header('x-relay-request-id', request.id), plugin, err)
    })

    const identifyKey = identify(deps.keys, deps.now)
    for (const route of routesHere) {
      if (route.kind === 'websocket') {
        // Upgrades never reach fastify (the server's upgrade listener bridges them): a plain GET here is told to upgrade.
        scope.route({
          method: 'GET',
          url: route.path,
          handler: async (request, reply) => sendRelayError(reply.header('x-relay-request-id', request.id), plugin, relayError('RELAY_ERR_UPGRADE_REQUIRED', 'This endpoint speaks WebSocket; over HTTP, POST to it')),
        })
        continue
      }
      if (route.kind === 'local') {
        const answer = route.respond
        scope.route({
          method: route.method,
          url: route.path,
          handler: async (_request, reply) => {
            const r = answer?.() ?? { status: 204 }
            return reply.code(r.status).headers(r.headers ?? {}).send(r.body ?? '')
          },
        })
        continue
      }
      scope.route({
        method: route.method,
        url: route.path,
        config: { pluginRoute: route },
        onRequest: identifyKey,
        handler: opts.handlerFor?.(route) ?? relayHandler(plugin, route, mount, deps),
      })
    }
  }, { prefix: mount })
}

function routeMatches (pattern: string, path: string): boolean {
  const re = new RegExp('^' + pattern.split('/').map(seg => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/') + '/?$')
  return re.test(path)
}
