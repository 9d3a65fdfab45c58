// A route that several entries on one mount path have (`POST /v1/chat/completions` at `/openai`
// for the OpenAI plugin and the chat bridges to Claude and Gemini): each request goes to the
// entry that serves its model. The model is read by the first entry's own parser (they speak
// one format); then, in order:
//   1. an entry whose provider has an account this key may use that lists the model by name or
//      glob (an OpenAI-compatible account serving `claude-*` keeps it);
//   2. the first entry that claims it: its `models` globs from the config, else its provider's
//      own model names (`ownsModel`: `claude-*` for a bridge to Claude);
//   3. the entry that is not a bridge (the path's own format), which refuses a foreign model
//      itself, naming the path that serves it.
// A request without a model, or that its parser refuses, goes to the path's own entry too.
import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify'
import { isRefusal, type PluginRoute, type RelayPlugin } from '../plugin-api.ts'
import { globMatcher } from '../globs.ts'
import { incomingRequest, parsedBefore, relayHandler, type RelayDeps } from './relay-handler.ts'
import { relayError } from './render-error.ts'
import { listModels, type ModelSource } from './model-list.ts'

export interface RouteCandidate {
  plugin: RelayPlugin
  route: PluginRoute
  /** The entry's `models` globs from the config. */
  models?: string[]
}

/** The models an entry answers for: its `models` globs, else its own (a reseller's: those its price table names). */
function claimsOf (c: RouteCandidate): (model: string) => boolean {
  if (c.models) return globMatcher(c.models)
  const table = c.plugin.prices?.models ?? {}
  return c.plugin.servesAnyModel === true ? m => Object.hasOwn(table, m) : m => c.plugin.ownsModel?.(m) ?? false
}

export function sharedRouteHandler (cands: RouteCandidate[], prefix: string, deps: RelayDeps): RouteHandlerMethod {
  const handlers = cands.map(c => relayHandler(c.plugin, c.route, prefix, deps))
  const claims = cands.map(claimsOf)
  const own = Math.max(0, cands.findIndex(c => !c.plugin.bridge))
  const choose = (request: FastifyRequest): number => {
    const first = cands[0]!
    const parsed = first.plugin.parseRequest(first.route, incomingRequest(request, first.route, prefix))
    parsedBefore.set(request, (plugin, route) => (plugin === first.plugin && route === first.route ? parsed : undefined))
    const model = isRefusal(parsed) ? undefined : parsed.model
    if (model === undefined) return own
    const key = request.relayAuth!.key
    const listed = cands.findIndex(c => deps.scheduler.candidates(c.plugin.name, key).some(a => !a.disabled && a.models !== null && a.serves(model)))
    if (listed !== -1) return listed
    const claimed = claims.findIndex(claim => claim(model))
    if (claimed !== -1) return claimed
    if (cands[own]!.plugin.bridge) throw relayError('RELAY_ERR_MODEL_NOT_SERVED', `No provider at ${prefix} serves the model ${model}`)
    return own
  }
  return async function byModel (request: FastifyRequest, reply: FastifyReply) {
    return handlers[choose(request)]!.call(this, request, reply)
  }
}

/** A `models` route: what the key can use through every entry on the path, in `format`'s shape. */
export function modelsHandler (cands: RouteCandidate[], format: RelayPlugin, deps: RelayDeps): RouteHandlerMethod {
  const sources: ModelSource[] = cands.map(c => ({ provider: c.plugin.name, claims: claimsOf(c) }))
  return async function models (request: FastifyRequest, reply: FastifyReply) {
    const listed = listModels(sources, request.relayAuth!.key, {
      candidates: (provider, key) => deps.scheduler.candidates(provider, key),
      priced: () => deps.pricing.list().map(e => e.model),
    })
    return reply.header('content-type', 'application/json').send(JSON.stringify(format.modelList?.(listed) ?? { data: listed }))
  }
}
