// Where a client puts its relay key. The order is the incumbent's, so every client configured
// for it keeps working: x-api-key, x-goog-api-key, Authorization: Bearer, api-key, ?key=.
import type { IncomingHttpHeaders } from 'node:http'

export const KEY_HEADERS = ['x-api-key', 'x-goog-api-key', 'authorization', 'api-key'] as const

export function extractKey (headers: IncomingHttpHeaders, query: URLSearchParams | undefined): string | undefined {
  for (const h of KEY_HEADERS) {
    let v = headers[h]
    if (Array.isArray(v)) v = v[0]
    if (!v) continue
    if (h === 'authorization') {
      const m = /^Bearer\s+(.+)$/i.exec(v)
      if (m) return m[1]!.trim()
      continue
    }
    return v.trim()
  }
  return query?.get('key') || undefined
}
