// ChatGPT subscription accounts, logged in as Codex logs in: OAuth 2 with PKCE (S256) at
// auth.openai.com. Codex's redirect goes to a local port nothing listens on here, so the operator
// pastes the address the browser ends on (or `code#state`). The id token's claims name the
// ChatGPT account (sent upstream as `chatgpt-account-id`), the user and the plan; the access
// token's `exp` its expiry. Every endpoint and the client id are plugin options.
import { jwtClaims, oauthRefused, pkceAuthorize, readPastedCode, tokenEndpointError, type OAuthContext, type OAuthEndpoints, type OAuthSteps, request, readText } from '../../core/plugin-api.ts'

export type CodexOAuthOptions = OAuthEndpoints

export const CODEX_OAUTH_DEFAULTS: CodexOAuthOptions = {
  authorizeUrl: 'https://auth.openai.com/oauth/authorize',
  tokenUrl: 'https://auth.openai.com/oauth/token',
  clientId: 'app_EMoamEEZ73f0CkXaXp7hrann',
  redirectUri: 'http://localhost:1455/auth/callback',
  scopes: ['openid', 'profile', 'email', 'offline_access'],
}

interface TokenResponse {
  id_token?: string
  access_token?: string
  refresh_token?: string
  expires_in?: number
}

async function tokenCall (opts: CodexOAuthOptions, body: string, contentType: string, ctx: OAuthContext): Promise<TokenResponse> {
  const res = await request(opts.tokenUrl, { method: 'POST', dispatcher: ctx.dispatcher, headers: { 'content-type': contentType, accept: 'application/json' }, body })
  const text = await readText(res.body)
  if (res.statusCode < 200 || res.statusCode >= 300) throw tokenEndpointError(res.statusCode, text)
  const json = JSON.parse(text) as TokenResponse
  if (!json.access_token) throw new Error('token endpoint answered without an access_token')
  return json
}

/** The account's fields from a token answer; `previous` keeps what a refresh does not repeat. */
function fieldsFrom (t: TokenResponse, now: number, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...previous, accessToken: t.access_token }
  if (t.refresh_token) out.refreshToken = t.refresh_token
  const id = jwtClaims(t.id_token)
  const auth = id?.['https://api.openai.com/auth'] as { chatgpt_account_id?: unknown, chatgpt_plan_type?: unknown } | undefined
  if (typeof auth?.chatgpt_account_id === 'string') out.accountId = auth.chatgpt_account_id
  if (typeof auth?.chatgpt_plan_type === 'string') out.plan = auth.chatgpt_plan_type
  if (typeof id?.email === 'string') out.email = id.email
  const exp = jwtClaims(t.access_token)?.exp
  if (typeof exp === 'number' && Number.isFinite(exp)) out.expiresAt = exp * 1000
  else if (typeof t.expires_in === 'number') out.expiresAt = now + t.expires_in * 1000
  return out
}

export function codexOAuth (opts: CodexOAuthOptions): OAuthSteps {
  return {
    authorize: () => pkceAuthorize(opts, {}, { id_token_add_organizations: 'true', codex_cli_simplified_flow: 'true' }),
    async exchange (pasted, pending, ctx) {
      const { code, state } = readPastedCode(pasted)
      if (!code) throw new Error('no authorization code was given')
      if (!state) throw new Error('the pasted code has no state (paste the whole address the browser ended on)')
      if (state !== pending.state) throw new Error('the pasted code belongs to another login attempt (state mismatch)')
      const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: opts.redirectUri, client_id: opts.clientId, code_verifier: pending.verifier! })
      const fields = fieldsFrom(await tokenCall(opts, body.toString(), 'application/x-www-form-urlencoded', ctx), ctx.now)
      if (typeof fields.accountId !== 'string') throw new Error('the id token names no ChatGPT account (chatgpt_account_id)')
      return fields
    },
    async refresh (fields, ctx) {
      if (typeof fields.refreshToken !== 'string') throw oauthRefused('this account has no refresh token')
      const body = JSON.stringify({ client_id: opts.clientId, grant_type: 'refresh_token', refresh_token: fields.refreshToken, scope: 'openid profile email' })
      return fieldsFrom(await tokenCall(opts, body, 'application/json', ctx), ctx.now, fields)
    },
    expiresAt: fields => (typeof fields.expiresAt === 'number' ? fields.expiresAt : undefined),
  }
}
