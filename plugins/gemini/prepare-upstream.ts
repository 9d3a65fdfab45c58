// Builds the call to the Gemini API for the chosen account: the account's key in
// `x-goog-api-key` (the client's relay key was already removed from the headers and the query),
// the path and query (`alt=sse`) as the client sent them, the body byte-identical.
import type { AccountView, IncomingRequest, UpstreamRequest } from '../../core/plugin-api.ts'

export const API_BASE = 'https://generativelanguage.googleapis.com'

export function upstreamBase (account: AccountView): string {
  return String(account.fields.baseUrl ?? API_BASE)
}

export function prepareUpstream (req: IncomingRequest, account: AccountView): UpstreamRequest {
  const base = upstreamBase(account).replace(/\/+$/, '')
  const headers: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = v
  headers['x-goog-api-key'] = String(account.fields.apiKey)
  return { url: `${base}${req.upstreamPath}${req.query ? `?${req.query}` : ''}`, headers, body: req.body }
}
