// The last check before a pooled credential leaves the relay, made by core whatever a plugin
// built: the upstream URL must be on the account's base origin (no userinfo), its path must be
// the base path followed by the route's canonical path, untouched by URL normalisation, and the
// caller's relay key must appear nowhere in the URL or the headers.
import type { PluginRoute, UpstreamRequest } from '../plugin-api.ts'
import { relayError } from './render-error.ts'

export interface PinnedUpstream {
  origin: string
  /** Path and query as they go on the request line. */
  path: string
}

/** The route's path as it goes after an account's base URL: without the part the base holds (`pathInBase`). */
export function routeUpstreamPath (route: PluginRoute, path: string): string {
  return route.pathInBase !== undefined && path.startsWith(`${route.pathInBase}/`) ? path.slice(route.pathInBase.length) : path
}

function refuse (why: string): never {
  throw relayError('RELAY_ERR_UPSTREAM_TARGET', `Refused to send an upstream request: ${why}`)
}

/**
 * `base` is the account's base URL (origin and an optional path prefix); `routePath` the
 * canonical mount-relative path of the request; `relayKey` what the caller presented.
 */
export function pinUpstream (up: UpstreamRequest, base: string, routePath: string, relayKey: string | undefined): PinnedUpstream {
  let url: URL
  let baseUrl: URL
  try {
    url = new URL(up.url)
    baseUrl = new URL(base)
  } catch {
    return refuse('the URL does not parse')
  }
  if (url.username !== '' || url.password !== '') refuse('the URL carries userinfo')
  if (url.origin !== baseUrl.origin || url.origin === 'null') refuse("the URL leaves the account's origin")
  const expected = baseUrl.pathname.replace(/\/+$/, '') + routePath
  if (url.pathname !== expected) refuse("the URL's path is not the route's path")
  // The string the plugin built must not have been rewritten by URL parsing (dot segments,
  // backslashes): what is checked is what is sent.
  const given = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/.exec(up.url)?.[1]
  if (given !== expected) refuse("the URL's path is not in canonical form")
  if (relayKey) {
    const variants = new Set([relayKey, encodeURIComponent(relayKey)])
    const leaks = (s: string) => { for (const v of variants) if (s.includes(v)) return true; return false }
    if (leaks(up.url) || leaks(url.href)) refuse('the relay key is in the URL')
    for (const v of Object.values(up.headers)) {
      if ((Array.isArray(v) ? v : [v]).some(leaks)) refuse('the relay key is in a header')
    }
  }
  return { origin: url.origin, path: url.pathname + url.search }
}
