// A fake OAuth token endpoint on 127.0.0.1: the authorization-code grant (with PKCE) and the
// refresh grant, rotating both tokens on every refresh the way the real ones do. Claude's flavour
// takes JSON at /v1/oauth/token; Codex's (`codex: true`) takes the code as a form at
// /oauth/token and answers with JWTs: an access token with `exp`, an id token whose claims name
// the ChatGPT account, the user and the plan. Google's (`google: true`) takes forms at /token
// with the client secret, answers with a one-hour token and an id token naming the user, and
// does not rotate the refresh token (a refresh answer carries none).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface OAuthMock {
  url: string
  tokenUrl: string
  /** Bodies the token endpoint received, parsed. */
  calls: Record<string, string>[]
  refreshes: number
  /** The access token now valid. */
  access (): string
  /** Delays refresh answers, so concurrent callers overlap. */
  refreshDelayMs: number
  /** Refuses every refresh (a revoked grant). */
  revoked: boolean
  /** Answers refreshes with this status (a token endpoint having an outage), when set. */
  refreshStatus: number | undefined
  close (): Promise<void>
}

export const GOOD_CODE = 'good-code'

export const CODEX_ACCOUNT_ID = 'chatgpt-acct-0001'

const jwt = (claims: Record<string, unknown>) => `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`

export const GOOGLE_CLIENT_SECRET = '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'

export async function startOAuthMock (opts: { codex?: boolean, google?: boolean, googleSecret?: string } = {}): Promise<OAuthMock> {
  const path = opts.google ? '/token' : opts.codex ? '/oauth/token' : '/v1/oauth/token'
  let generation = 0
  let refreshToken = ''
  const access = () => (opts.codex ? jwt({ exp: 1_900_000_000 + generation, sub: 'user-1', gen: generation }) : opts.google ? `ya29.mock-${generation}` : `at-${generation}`)
  const tokens = () => {
    generation++
    if (opts.google) {
      const first = refreshToken === ''
      if (first) refreshToken = '1//mock-refresh'
      return {
        access_token: access(), expires_in: 3599, token_type: 'Bearer', scope: 'https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email',
        id_token: jwt({ iss: 'https://accounts.google.com', email: 'dev@example.com', email_verified: true }),
        ...(first || mock.calls.at(-1)?.grant_type === 'authorization_code' ? { refresh_token: refreshToken } : {}),
      }
    }
    refreshToken = `rt-${generation}`
    if (opts.codex) {
      return {
        access_token: access(), refresh_token: refreshToken, token_type: 'Bearer',
        id_token: jwt({ email: 'dev@example.com', 'https://api.openai.com/auth': { chatgpt_account_id: CODEX_ACCOUNT_ID, chatgpt_plan_type: 'pro' } }),
      }
    }
    return { token_type: 'Bearer', access_token: access(), refresh_token: refreshToken, expires_in: 28_800, scope: 'user:inference user:profile', account: { uuid: 'acct-uuid', email_address: 'max@example.com' } }
  }
  const mock: OAuthMock = {
    url: '', tokenUrl: '', calls: [], refreshes: 0, refreshDelayMs: 0, revoked: false, refreshStatus: undefined,
    access,
    close: () => new Promise(resolve => { server.closeAllConnections(); server.close(() => resolve()) }),
  }
  const server: Server = createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8').on('data', (c: string) => { raw += c })
    req.on('end', async () => {
      const form = String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')
      const body = form ? Object.fromEntries(new URLSearchParams(raw)) : JSON.parse(raw || '{}') as Record<string, string>
      mock.calls.push(body)
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(json))
      }
      if (req.url !== path) return send(404, { error: 'not_found' })
      if (opts.google && (body.client_secret !== (opts.googleSecret ?? GOOGLE_CLIENT_SECRET) || !body.client_id)) return send(401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' })
      if (body.grant_type === 'authorization_code') {
        if (body.code !== GOOD_CODE || !body.code_verifier || (!opts.codex && !opts.google && !body.state)) return send(400, { error: 'invalid_grant' })
        return send(200, tokens())
      }
      if (body.grant_type === 'refresh_token') {
        mock.refreshes++
        if (mock.refreshDelayMs) await new Promise(resolve => setTimeout(resolve, mock.refreshDelayMs))
        if (mock.refreshStatus !== undefined) return send(mock.refreshStatus, { error: 'server_error' })
        if (mock.revoked || body.refresh_token !== refreshToken) return send(400, { error: 'invalid_grant', error_description: `refresh token ${body.refresh_token} is not valid` })
        return send(200, tokens())
      }
      send(400, { error: 'unsupported_grant_type' })
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  mock.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  mock.tokenUrl = `${mock.url}${path}`
  tokens()
  return mock
}
