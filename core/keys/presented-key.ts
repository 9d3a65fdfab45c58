// Where a client puts its relay key, read and removed through one decoded view. The order is the
// incumbent's, so every client configured for it keeps working: x-api-key, x-goog-api-key,
// Authorization: Bearer, api-key, ?key=. The query is decoded part by part exactly as it is
// read (URLSearchParams semantics), and every part whose decoded name is `key` in any case is
// removed: a name that authenticates when decoded must not survive in the upstream URL.
import type { IncomingHttpHeaders } from 'node:http'

export const KEY_HEADERS = ['x-api-key', 'x-goog-api-key', 'authorization', 'api-key'] as const

export interface PresentedKey {
  /** The key the client presented, or undefined. */
  key: string | undefined
  /** The raw query without any `key` parameter. */
  query: string
}

function fromHeaders (headers: IncomingHttpHeaders): string | undefined {
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
  return undefined
}

export function presentedKey (headers: IncomingHttpHeaders, rawQuery: string): PresentedKey {
  let queryKey: string | undefined
  const kept: string[] = []
  if (rawQuery !== '') {
    for (const part of rawQuery.split('&')) {
      // One part, decoded the way it is read: `+` is a space, malformed escapes stay as they are.
      const [name, value] = new URLSearchParams(part).entries().next().value ?? ['', '']
      if (name.trim().toLowerCase() === 'key') {
        if (name === 'key' && queryKey === undefined && value !== '') queryKey = value
        continue
      }
      kept.push(part)
    }
  }
  return { key: fromHeaders(headers) ?? queryKey, query: rawQuery === '' ? '' : kept.join('&') }
}
