// A fake Claude OAuth token endpoint on 127.0.0.1: the authorization-code grant (with PKCE) and
// the refresh grant, rotating both tokens on every refresh the way the real one does.
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

export async function startOAuthMock (): Promise<OAuthMock> {
  let generation = 0
  let refreshToken = ''
  const tokens = () => {
    generation++
    refreshToken = `rt-${generation}`
    return { token_type: 'Bearer', access_token: `at-${generation}`, refresh_token: refreshToken, expires_in: 28_800, scope: 'user:inference user:profile', account: { uuid: 'acct-uuid', email_address: 'max@example.com' } }
  }
  const mock: OAuthMock = {
    url: '', tokenUrl: '', calls: [], refreshes: 0, refreshDelayMs: 0, revoked: false, refreshStatus: undefined,
    access: () => `at-${generation}`,
    close: () => new Promise(resolve => { server.closeAllConnections(); server.close(() => resolve()) }),
  }
  const server: Server = createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8').on('data', (c: string) => { raw += c })
    req.on('end', async () => {
      const body = JSON.parse(raw || '{}') as Record<string, string>
      mock.calls.push(body)
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(json))
      }
      if (req.url !== '/v1/oauth/token') return send(404, { error: 'not_found' })
      if (body.grant_type === 'authorization_code') {
        if (body.code !== GOOD_CODE || !body.code_verifier || !body.state) return send(400, { error: 'invalid_grant' })
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
  mock.tokenUrl = `${mock.url}/v1/oauth/token`
  tokens()
  return mock
}
