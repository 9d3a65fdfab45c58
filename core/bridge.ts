// A bridge: a plugin that takes requests in one API's format (the client's) and serves them with
// another plugin's accounts (the target's). Everything about accounts is the target's: its name
// (so its pool, scheduler, stickiness, limits and health), account types, base URLs, credentials
// (its own prepareUpstream, given the translated request), error classification, rate limits and
// prices; the meter is the target's own meter on the target's bytes, so usage is read from the
// provider's answer, never from the translation. The translator owns the client side: parsing,
// translating the body, rewriting the answer, and errors in the client's shape.
//
// The plugin loader composes each bridge the config enables with its target (by name); core
// does not yet pick the plugin of a shared mount by model (docs/design/issue-26-bridges.md).
import type { IncomingHttpHeaders } from 'node:http'
import type { AccountView, BridgeTranslation, BridgeTranslator, IncomingRequest, ParsedRequest, PluginRoute, RelayPlugin, ResponseFilter } from './plugin-contract.ts'
import type { RelayErrorCode } from './errors.ts'
import { createJsonRewriter } from './response-rewriters.ts'

/** A whole JSON answer rewritten once it has all arrived; past the limit it is passed as it came (the client can still read it). */
const wholeJsonAnswer = (convert: (answer: unknown) => unknown): ResponseFilter => createJsonRewriter(convert, { overflow: 'pass' })

/** Two filters in a row: the target's own (Code Assist unwrapped) and then the translator's. */
function chain (first: ResponseFilter | undefined, second: ResponseFilter): ResponseFilter {
  if (!first) return second
  return {
    write: c => second.write(first.write(c)),
    end: () => Buffer.concat([second.write(first.end()), second.end()]),
  }
}

export function composeBridge (target: RelayPlugin, t: BridgeTranslator, name: string): RelayPlugin {
  const translations = new WeakMap<ParsedRequest, BridgeTranslation>()
  const targetRoute = (path: string): PluginRoute => {
    const r = target.routes.find(x => x.path === path)
    if (!r) throw new Error(`the target plugin ${target.name} has no route ${path}`)
    return r
  }
  const translated = (parsed: ParsedRequest): BridgeTranslation => {
    const known = translations.get(parsed)
    // parseRequest translated every generate request; core calls nothing else before it.
    if (!known) throw new Error('a bridged request reached the upstream untranslated')
    return known
  }
  /** The request as the target would have received it, so its hooks decide as for their own. */
  const asTarget = (req: IncomingRequest, tr: BridgeTranslation, upstreamPath = tr.upstreamPath): IncomingRequest => ({
    ...req,
    path: tr.upstreamPath,
    upstreamPath,
    query: tr.query ?? '',
    // Identity encoding: the answer is rewritten, and core rewrites only what is not compressed.
    headers: { ...tr.headers, 'content-type': 'application/json', 'accept-encoding': 'identity' } satisfies IncomingHttpHeaders,
    body: Buffer.from(JSON.stringify(tr.body)),
  })
  return {
    ...target,
    bridge: name,
    routes: t.routes,
    parseRequest (route, req) {
      const parsed = t.parseRequest(route, req)
      if ('error' in parsed) return parsed
      if (route.kind !== 'generate' && route.kind !== 'passthrough') return parsed
      // Translated once, here: a request the target cannot take is refused before any account is chosen.
      let r: BridgeTranslation | { error: string }
      try {
        const body = JSON.parse(req.body?.toString('utf8') ?? '{}') as Record<string, unknown>
        r = t.translate(body, parsed, route)
      } catch {
        return { error: { code: 'RELAY_ERR_BODY_INVALID' as RelayErrorCode, message: 'We could not parse the JSON body of your request.' } }
      }
      if ('error' in r) return { error: { code: 'RELAY_ERR_BODY_INVALID' as RelayErrorCode, message: r.error } }
      const forTarget: ParsedRequest = r.notes ? { ...parsed, notes: { ...parsed.notes, ...r.notes } } : parsed
      translations.set(forTarget, r)
      return forTarget
    },
    upstreamPath (_route, req, parsed, account) {
      const tr = translated(parsed)
      // The target may send it elsewhere for this account (Gemini's Code Assist for a Google login).
      return target.upstreamPath?.(targetRoute(tr.routePath), asTarget(req, tr), parsed, account) ?? tr.upstreamPath
    },
    prepareUpstream (_route, req, parsed, account: AccountView) {
      const tr = translated(parsed)
      return target.prepareUpstream(targetRoute(tr.routePath), asTarget(req, tr, req.upstreamPath), parsed, account)
    },
    createMeter (_route, parsed, headers) {
      const tr = translations.get(parsed)
      return target.createMeter(targetRoute(tr?.routePath ?? target.routes[0]!.path), parsed, headers)
    },
    filterResponse (_route, parsed, headers, account) {
      const tr = translated(parsed)
      const sse = String(headers['content-type'] ?? '').startsWith('text/event-stream')
      const own = target.filterResponse?.(targetRoute(tr.routePath), parsed, headers, account)
      return chain(own, sse ? t.streamFilter(parsed) : wholeJsonAnswer(answer => t.convertAnswer(answer, parsed)))
    },
    errorBody: t.errorBody,
    streamError: t.streamError,
    modelList: t.modelList,
    // The target's error bodies are not the client's: core answers in the client's shape.
    isNativeError: () => false,
    // A stream's first event is the target's: its error check is the target's.
    streamStartError: target.streamStartError,
    websocket: undefined,
  }
}
