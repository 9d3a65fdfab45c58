// Builds the call to Anthropic for the chosen account. The body goes byte-identical (prompt
// cache prefixes, cache_control, thinking blocks and fields we do not know survive), the
// client's query (Claude Code's `?beta=true`) and anthropic-version/-beta headers pass through;
// only an account's model map changes the body (its `model`).
import { withServedModel, type AccountView, type IncomingRequest, type UpstreamRequest } from '../../core/plugin-api.ts'

const DEFAULT_BASE_URL = 'https://api.anthropic.com'
/** Subscription tokens are only accepted with this beta flag. */
const OAUTH_BETA = 'oauth-2025-04-20'

export function upstreamBase (account: AccountView): string {
  return String(account.fields.baseUrl ?? DEFAULT_BASE_URL)
}

export function prepareUpstream (req: IncomingRequest, account: AccountView, model?: string): UpstreamRequest {
  const base = upstreamBase(account).replace(/\/+$/, '')
  const headers: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = v
  if (account.type === 'claude-oauth') {
    headers.authorization = `Bearer ${String(account.fields.accessToken)}`
    const beta = String(headers['anthropic-beta'] ?? '').split(',').map(s => s.trim()).filter(Boolean)
    if (!beta.includes(OAUTH_BETA)) beta.push(OAUTH_BETA)
    headers['anthropic-beta'] = beta.join(',')
  } else if (account.fields.authStyle === 'bearer') {
    // A Claude-compatible relay that reads only a bearer token (another relay in a chain).
    headers.authorization = `Bearer ${String(account.fields.apiKey)}`
  } else {
    headers['x-api-key'] = String(account.fields.apiKey)
  }
  return {
    url: `${base}${req.upstreamPath}${req.query ? `?${req.query}` : ''}`,
    headers,
    // The account's model map, when it names the model otherwise (a Bedrock profile, another relay's name).
    body: withServedModel(req.body, account, model),
  }
}
