// Builds the call to Anthropic for the chosen account. The body goes byte-identical (prompt
// cache prefixes, cache_control, thinking blocks and fields we do not know survive), the
// client's query (Claude Code's `?beta=true`) and anthropic-version/-beta headers pass through
// unless an API-key account's header policy says otherwise; only an account's model map changes
// the body (its `model`).
import { addPolicyHeaders, strippedRequestHeaders, withServedModel, type AccountView, type IncomingRequest, type UpstreamRequest } from '../../core/plugin-api.ts'

const DEFAULT_BASE_URL = 'https://api.anthropic.com'
/** Subscription tokens are only accepted with this beta flag. */
const OAUTH_BETA = 'oauth-2025-04-20'

export function upstreamBase (account: AccountView): string {
  return String(account.fields.baseUrl ?? DEFAULT_BASE_URL)
}

export function prepareUpstream (req: IncomingRequest, account: AccountView, model?: string): UpstreamRequest {
  const base = upstreamBase(account).replace(/\/+$/, '')
  // The account's header policy (a relay in a chain): what it must not get, first, so a strip
  // cannot remove the credential set below; what it gets added, last.
  const headers = strippedRequestHeaders(req.headers, account.fields)
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
  addPolicyHeaders(headers, account.fields)
  return {
    url: `${base}${req.upstreamPath}${req.query ? `?${req.query}` : ''}`,
    headers,
    // The account's model map, when it names the model otherwise (a Bedrock profile, another relay's name).
    body: withServedModel(req.body, account, model),
  }
}
