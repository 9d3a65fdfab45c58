// What every provider's OAuth login needs the same way (offered to plugins through the plugin
// API): a PKCE verifier, challenge and state, and reading what the operator pasted back.
import { createHash, randomBytes } from 'node:crypto'

export interface Pkce {
  verifier: string
  challenge: string
  state: string
}

/** A fresh PKCE pair (S256) and a random state. */
export function pkce (): Pkce {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url'), state: randomBytes(32).toString('base64url') }
}

/**
 * What the operator pasted: `code#state` as a callback page shows it, or the whole callback URL
 * (`...?code=…&state=…`) as the browser's address bar does when the redirect goes nowhere.
 */
export function readPastedCode (pasted: string): { code?: string, state?: string } {
  const text = pasted.trim()
  if (/^https?:\/\//i.test(text)) {
    try {
      const url = new URL(text)
      const params = new URLSearchParams(url.hash.length > 1 && !url.searchParams.has('code') ? url.hash.slice(1) : url.search)
      const code = params.get('code') ?? undefined
      return { code: code?.split('#')[0], state: params.get('state') ?? code?.split('#')[1] }
    } catch {
      return {}
    }
  }
  const [code, state] = text.split('#')
  return { code: code || undefined, state: state || undefined }
}

/** The claims of a JWT, unverified (the token came from the provider over TLS; we only read it). */
export function jwtClaims (token: unknown): Record<string, unknown> | undefined {
  if (typeof token !== 'string') return undefined
  const payload = token.split('.')[1]
  if (!payload) return undefined
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown
    return claims !== null && typeof claims === 'object' && !Array.isArray(claims) ? claims as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

/**
 * The error for a token endpoint's non-2xx answer. A 4xx names a problem with the grant itself
 * (invalid_grant, invalid_client, ...): definitive, only a new login helps. Rate limits,
 * timeouts and 5xx pass (an unreachable endpoint is thrown by the HTTP client as it is). The
 * message carries the provider's error code only: the body may echo a token.
 */
export function tokenEndpointError (status: number, bodyText: string): Error & { definitive?: true } {
  let reason = ''
  try { reason = String((JSON.parse(bodyText) as { error?: unknown }).error ?? '').slice(0, 64) } catch {}
  const message = `token endpoint answered ${status}${reason ? ` (${reason})` : ''}`
  const passing = status >= 500 || status === 408 || status === 429
  return passing ? new Error(message) : Object.assign(new Error(message), { definitive: true as const })
}
