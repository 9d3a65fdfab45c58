// The request target as the relay trusts it. Only origin-form targets (`/path?query`) are
// accepted: an absolute-form target (`http://host/...`) would let a caller choose the authority
// that the pooled credential is sent to. The path is decoded once, segment by segment, checked,
// and re-encoded canonically, so encoded dot segments, encoded slashes and backslashes can
// never move the upstream path outside the route that matched.

export interface RequestTarget {
  /** The canonical path: every segment decoded once, checked and re-encoded. */
  path: string
  /** The raw query without the leading `?` (checked to be plain printable ASCII), or ''. */
  query: string
}

/** Why a target was refused; the message is for the client (it echoes nothing of the target). */
export class TargetProblem {
  constructor (readonly message: string) {}
}

/** Characters a path segment keeps as they are (RFC 3986 pchar without `%`). */
const PCHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@]/
// A query part is printable ASCII without spaces, `#`, quotes or angle brackets; `%` only as an escape.
const QUERY = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$/
const CONTROL = /[\u0000-\u001f\u007f]/

/** A segment made only of characters kept as they are: most are (`v1`, `messages`). */
const PLAIN_SEGMENT = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]*$/

function encodeSegment (segment: string): string {
  if (PLAIN_SEGMENT.test(segment)) return segment
  let out = ''
  for (const ch of segment) out += PCHAR.test(ch) ? ch : encodeURIComponent(ch)
  return out
}

export function parseTarget (raw: string | undefined): RequestTarget | TargetProblem {
  if (!raw || raw.charCodeAt(0) !== 0x2f || raw.startsWith('//')) return new TargetProblem('Only origin-form request targets (/path?query) are accepted')
  if (raw.includes('#')) return new TargetProblem('A request target may not carry a fragment')
  const q = raw.indexOf('?')
  const rawPath = q === -1 ? raw : raw.slice(0, q)
  const query = q === -1 ? '' : raw.slice(q + 1)
  if (!QUERY.test(query)) return new TargetProblem('The query string contains characters that are not allowed')
  if (rawPath === '/') return { path: '/', query }
  const segments = rawPath.split('/').slice(1)
  const out: string[] = []
  for (const seg of segments) {
    let decoded: string
    try {
      decoded = decodeURIComponent(seg)
    } catch {
      return new TargetProblem('The path contains a malformed percent-encoding')
    }
    // An empty segment (`//`, a trailing `/`) would let an empty route parameter through.
    if (decoded === '') return new TargetProblem('The path contains an empty segment')
    if (decoded === '.' || decoded === '..') return new TargetProblem('The path contains a dot segment')
    if (decoded.includes('/') || decoded.includes('\\')) return new TargetProblem('The path contains an encoded slash or a backslash')
    if (CONTROL.test(decoded)) return new TargetProblem('The path contains a control character')
    out.push(encodeSegment(decoded))
  }
  return { path: '/' + out.join('/'), query }
}
