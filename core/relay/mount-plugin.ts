// Registers one plugin's routes under its mount (and each alias) in their own fastify scope:
// raw-body parsing (the body is forwarded byte-identical, so nothing may re-serialise it), and
// error/not-found handlers that answer in the plugin's native error shape.
import type { FastifyInstance } from 'fastify'
import { errors, type RelayError } from '../errors.ts'
import type { RelayPlugin } from '../plugin-api.ts'
import { relayHandler, type RelayDeps } from './relay-handler.ts'
import { relayError, sendRelayError, toRelayError } from './render-error.ts'

export function mountPlugin (app: FastifyInstance, plugin: RelayPlugin, mount: string, deps: RelayDeps, bodyLimit: number): void {
  app.register(async function pluginScope (scope) {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => { done(null, body) })

    scope.setErrorHandler((err, request, reply) => {
      const relayErr: RelayError = (err as { statusCode?: number }).statusCode === 413
        ? new errors.RELAY_ERR_BODY_TOO_LARGE(bodyLimit) as RelayError
        : toRelayError(err)
      if (relayErr.code === 'RELAY_ERR_INTERNAL') request.log.error({ err }, 'unhandled error')
      request.log.info({ path: request.routeOptions.url ?? request.url.split('?')[0], status: relayErr.statusCode, code: relayErr.code }, 'relay refused')
      return sendRelayError(reply.header('x-relay-request-id', request.id), plugin, relayErr)
    })

    scope.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0]!.slice(mount.length)
      const allowed = plugin.routes.filter(r => routeMatches(r.path, path)).map(r => r.method)
      const err = allowed.length > 0
        ? Object.assign(relayError('RELAY_ERR_METHOD_NOT_ALLOWED', `Method ${request.method} is not allowed on ${path}`), { allow: [...new Set(allowed)].join(', ') })
        : relayError('RELAY_ERR_ROUTE_NOT_FOUND', `Not found: ${request.method} ${path}`)
      request.log.info({ path, status: err.statusCode, code: err.code }, 'relay refused')
      return sendRelayError(reply.header('x-relay-request-id', request.id), plugin, err)
    })

    for (const route of plugin.routes) {
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
      scope.route({ method: route.method, url: route.path, handler: relayHandler(plugin, route, mount, deps) })
    }
  }, { prefix: mount })
}

function routeMatches (pattern: string, path: string): boolean {
  const re = new RegExp('^' + pattern.split('/').map(seg => (seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/') + '/?$')
  return re.test(path)
}
