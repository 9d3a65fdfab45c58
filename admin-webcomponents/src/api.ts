// The admin and self-service APIs as the widgets call them. Authentication is the page's
// session cookie (sent with `credentials: 'include'`, also across origins the relay allows),
// an admin token set as a property (`Authorization: Bearer`), or a relay key for self-service.
// Calls that change something carry the session's CSRF token, fetched once.

/** One problem the server found in a body: where, in English, and what rule (ajv's keyword and params). */
export interface ProblemDetail { path: string, message: string, keyword?: string | null, params?: Record<string, unknown> }

export class ApiError extends Error {
  /** The server's problems by JSON path (`/policy/concurrency`), when it checked a body. */
  readonly details: ProblemDetail[]
  /** What the server's message was filled with (a name, a number), for saying it in another language. */
  params: unknown[] = []

  /** The whole answer, for the calls whose refusal carries more than an error (a config reload's problems). */
  readonly body: unknown

  constructor (readonly status: number, readonly code: string, message: string, details: ProblemDetail[] = [], body?: unknown) {
    super(message)
    this.details = details
    this.body = body
  }
}

export interface ApiAuth {
  /** The sidecar's origin ('' for the page's own). */
  baseUrl: string
  token?: string
  /** A relay key, for self-service. */
  relayKey?: string
}

const csrfByBase = new Map<string, Promise<string | null>>()

async function csrfFor (auth: ApiAuth): Promise<string | null> {
  let pending = csrfByBase.get(auth.baseUrl)
  if (!pending) {
    pending = fetch(`${auth.baseUrl}/_relay/admin/api/session`, { credentials: 'include' })
      .then(async r => (r.ok ? ((await r.json()) as { csrf: string | null }).csrf : null), () => null)
    csrfByBase.set(auth.baseUrl, pending)
  }
  return pending
}

/** Forgets the CSRF token (after a login or logout). */
export function resetSession (baseUrl: string): void {
  csrfByBase.delete(baseUrl)
}

export async function call<T> (auth: ApiAuth, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (auth.token) headers.authorization = `Bearer ${auth.token}`
  else if (auth.relayKey) headers['x-api-key'] = auth.relayKey
  else if (method !== 'GET') {
    const csrf = await csrfFor(auth)
    if (csrf) headers['x-csrf-token'] = csrf
    headers['x-requested-with'] = 'relay-admin'
  }
  const res = await fetch(`${auth.baseUrl}${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: auth.token || auth.relayKey ? 'omit' : 'include',
  })
  if (res.status === 204) return undefined as T
  const text = await res.text()
  let json: unknown
  try { json = JSON.parse(text) } catch { json = undefined }
  if (!res.ok) {
    const e = (json as { error?: { code?: string, message?: string, details?: ProblemDetail[], params?: unknown[] } } | undefined)?.error
    const err = new ApiError(res.status, e?.code ?? 'HTTP_ERROR', e?.message ?? `HTTP ${res.status}`, Array.isArray(e?.details) ? e.details : [], json)
    if (Array.isArray(e?.params)) err.params = e.params
    throw err
  }
  return json as T
}
