// Builds the call to Anthropic for the chosen account. The body goes byte-identical (prompt
// cache prefixes, cache_control, thinking blocks and fields we do not know survive), the
// client's query (Claude Code's `?beta=true`) and anthropic-version/-beta headers pass through.
import type { AccountView, IncomingRequest, UpstreamRequest } from '../../core/plugin-api.ts'

export const DEFAULT_BASE_URL = 'https://api.anthropic.com'

export function prepareUpstream (req: IncomingRequest, account: AccountView): UpstreamRequest {
  const base = String(account.fields.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '')
  const headers: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = v
  headers['x-api-key'] = String(account.fields.apiKey)
  return {
    url: `${base}${req.path}${req.query ? `?${req.query}` : ''}`,
    headers,
    body: req.body,
  }
}
