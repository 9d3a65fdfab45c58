// Claude subscription (Pro/Max) accounts, logged in as Claude Code logs in: OAuth 2 with PKCE
// (S256), the operator pastes the code the callback page shows, tokens come from the token
// endpoint and are refreshed with the refresh token. Every endpoint and the client id are
// plugin options so tests (and future changes on Anthropic's side) need no code change.
import { oauthRefused, pkceAuthorize, readPastedCode, tokenEndpointError, type OAuthContext, type OAuthEndpoints, type OAuthSteps, request, readText } from '../../core/plugin-api.ts'

export type ClaudeOAuthOptions = OAuthEndpoints

export const OAUTH_DEFAULTS: ClaudeOAuthOptions = {
  authorizeUrl: 'https://claude.ai/oauth/authorize',
  tokenUrl: 'https://platform.claude.com/v1/oauth/token',
  clientId: '9d1c250a-e61b-44d9-88ed-5944d1962f5e',
  redirectUri: 'https://platform.claude.com/oauth/code/callback',
  scopes: ['org:create_api_key', 'user:profile', 'user:inference'],
}

interface TokenResponse {
  access_token?: string
  refresh_token?: string
  expires_in?: number
  scope?: string
  account?: { email_address?: string }
}

async function tokenCall (opts: ClaudeOAuthOptions, body: Record<string, string>, ctx: OAuthContext): Promise<TokenResponse> {
  const res = await request(opts.tokenUrl, {
    method: 'POST',
    dispatcher: ctx.dispatcher,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  })
  const text = await readText(res.body)
  if (res.statusCode < 200 || res.statusCode >= 300) throw tokenEndpointError(res.statusCode, text)
  const json = JSON.parse(text) as TokenResponse
  if (!json.access_token) throw new Error('token endpoint answered without an access_token')
  return json
}

function fieldsFrom (t: TokenResponse, now: number): Record<string, unknown> {
  const out: Record<string, unknown> = { accessToken: t.access_token }
  if (t.refresh_token) out.refreshToken = t.refresh_token
  if (typeof t.expires_in === 'number') out.expiresAt = now + t.expires_in * 1000
  if (t.scope) out.scopes = t.scope.split(' ').filter(Boolean)
  if (t.account?.email_address) out.email = t.account.email_address
  return out
}

export function claudeOAuth (opts: ClaudeOAuthOptions): OAuthSteps {
  return {
    // Claude Code's own order: `code=true` first.
    authorize: () => pkceAuthorize(opts, { code: 'true' }),
    async exchange (pasted, pending, ctx) {
      const { code, state } = readPastedCode(pasted)
      if (!code) throw new Error('no authorization code was given')
      // Without the state, nothing ties the code to this login attempt.
      if (!state) throw new Error('the pasted code has no state (paste all of it: code#state, or the whole callback URL)')
      if (state !== pending.state) throw new Error('the pasted code belongs to another login attempt (state mismatch)')
      const t = await tokenCall(opts, {
        grant_type: 'authorization_code', code, state: pending.state!, client_id: opts.clientId,
        redirect_uri: opts.redirectUri, code_verifier: pending.verifier!,
      }, ctx)
      return fieldsFrom(t, ctx.now)
    },
    async refresh (fields, ctx) {
      if (typeof fields.refreshToken !== 'string') throw oauthRefused('this account has no refresh token (a setup token)')
      const t = await tokenCall(opts, { grant_type: 'refresh_token', refresh_token: fields.refreshToken, client_id: opts.clientId }, ctx)
      return { ...fields, ...fieldsFrom(t, ctx.now) }
    },
    expiresAt: fields => (typeof fields.expiresAt === 'number' ? fields.expiresAt : undefined),
  }
}
