// Every enabled plugin on its mount paths. Several entries may share a path (bridges beside
// the plugin whose format they speak: `/openai` serves OpenAI, Claude and Gemini models alike):
// a route more than one of them has is registered once, and each request goes to the entry
// that serves its model (shared-route.ts); a `models` route lists what all of them serve. Each
// entry keeps its own scope (its body parser and its error shape); one scope per path answers
// its 404s and 405s, naming the methods of every entry there.
import type { FastifyInstance, RouteHandlerMethod } from 'fastify'
import type { PluginRoute, RelayPlugin } from '../plugin-api.ts'
import { mountPlugin, type MountDeps } from './mount-plugin.ts'
import { modelsHandler, sharedRouteHandler, type RouteCandidate } from './shared-route.ts'

export interface MountedEntry {
  plugin: RelayPlugin
  mount: string
  aliases: string[]
  /** Globs of the models this entry serves where it shares a path (else its plugin's own names). */
  models?: string[]
}

const routeKey = (r: PluginRoute) => `${r.method} ${r.path}`

export function mountAll (app: FastifyInstance, entries: MountedEntry[], deps: MountDeps, bodyLimit: number): void {
  const byPrefix = new Map<string, MountedEntry[]>()
  for (const e of entries) {
    for (const prefix of [e.mount, ...e.aliases]) byPrefix.set(prefix, [...byPrefix.get(prefix) ?? [], e])
  }
  for (const [prefix, here] of byPrefix) {
    if (here.length === 1 && !here[0]!.plugin.routes.some(r => r.kind === 'models')) {
      mountPlugin(app, here[0]!.plugin, prefix, deps, bodyLimit)
      continue
    }
    /** Each route key → the entries that have it, in config order. */
    const claims = new Map<string, RouteCandidate[]>()
    for (const e of here) {
      for (const route of e.plugin.routes) claims.set(routeKey(route), [...claims.get(routeKey(route)) ?? [], { plugin: e.plugin, route, models: e.models }])
    }
    // The plugin whose own format the path speaks (not a bridge) answers its unknown paths.
    const primary = here.find(e => !e.plugin.bridge) ?? here[0]!
    const everyRoute = here.flatMap(e => e.plugin.routes)
    const handlers = new Map<string, RouteHandlerMethod>()
    for (const [key, cands] of claims) {
      const listing = cands.find(c => c.route.kind === 'models')
      if (listing) handlers.set(key, modelsHandler(cands, listing.plugin, deps))
      else if (cands.length > 1) handlers.set(key, sharedRouteHandler(cands, prefix, deps))
    }
    for (const e of here) {
      // A shared route is registered once, in the scope of the first entry that has it.
      const routes = e.plugin.routes.filter(r => claims.get(routeKey(r))![0]!.plugin === e.plugin)
      if (routes.length === 0 && e !== primary) continue
      mountPlugin(app, e.plugin, prefix, deps, bodyLimit, {
        routes,
        handlerFor: r => handlers.get(routeKey(r)),
        notFound: e === primary ? everyRoute : false,
      })
    }
  }
}
