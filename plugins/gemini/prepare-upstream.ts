// Builds the call to the Gemini API for the chosen account: the account's key in
// `x-goog-api-key` (the client's relay key was already removed from the headers and the query),
// the path and query (`alt=sse`) as the client sent them, the body byte-identical.
import type { AccountView, IncomingRequest, ParsedRequest, UpstreamRequest } from '../../core/plugin-api.ts'
import type { Envelope } from './code-assist.ts'

export const API_BASE = 'https://generativelanguage.googleapis.com'

export function upstreamBase (account: AccountView): string {
  return String(account.fields.baseUrl ?? API_BASE)
}

/**
 * A Code Assist call served by an API-key account goes to the Gemini API: `models/<model>:<action>`
 * (the model was checked to be a plain id when the request was parsed).
 */
export function codeAssistPath (parsed: ParsedRequest): string | undefined {
  const action = parsed.notes?.codeAssist
  return typeof action === 'string' && parsed.model ? `/v1beta/models/${parsed.model}:${action}` : undefined
}

export function prepareUpstream (req: IncomingRequest, parsed: ParsedRequest, account: AccountView): UpstreamRequest {
  const base = upstreamBase(account).replace(/\/+$/, '')
  const headers: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = v
  // A Code Assist client's bearer credential was its relay key, removed by core; the account's key goes instead.
  headers['x-goog-api-key'] = String(account.fields.apiKey)
  let body = req.body
  if (parsed.notes?.codeAssist !== undefined && body) {
    // Unwrapped: the Gemini API takes the envelope's `request`; the answer is wrapped back by a filter.
    const { request } = JSON.parse(body.toString('utf8')) as Envelope
    const { session_id: _s, model: _m, ...plain } = request ?? {}
    body = Buffer.from(JSON.stringify(plain))
    delete headers['accept-encoding']
  }
  return { url: `${base}${req.upstreamPath}${req.query ? `?${req.query}` : ''}`, headers, body }
}
