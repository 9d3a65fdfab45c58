// A fake Factory on 127.0.0.1: its LLM API (`/api/llm/a/v1/messages` in Anthropic's wire
// format, `/api/llm/o/v1/responses` and `/o/v1/chat/completions` in OpenAI's, answered by the
// project's Anthropic and OpenAI mocks behind it), checking what Factory routes by: a bearer it
// issued, `x-factory-client`, `x-api-provider` for the format, `x-session-id`. Beside it, the
// WorkOS device login Droid uses (`/user_management/authorize/device`, `/authenticate` with the
// device-code and refresh grants; the first polls answer `authorization_pending`) and Factory's
// CLI org endpoint. Faults go through the inner mocks' queues.
import type { IncomingMessage } from 'node:http'
import { request } from 'undici'
import { startAnthropicMock, type AnthropicMock } from './anthropic-mock.ts'
import { startOpenAIMock, type OpenAIMock } from './openai-mock.ts'
import { startRecordingServer } from './recording-server.ts'

export interface FactoryMock {
  url: string
  /** The LLM API base, as an account's baseUrl. */
  llmBase: string
  anthropic: AnthropicMock
  openai: OpenAIMock
  requests: { method: string, url: string, headers: IncomingMessage['headers'], body: Buffer }[]
  /** Bearers the LLM API takes (Factory API keys and issued access tokens). */
  tokens: Set<string>
  /** How many device-code polls answer `authorization_pending` before the tokens. */
  pendingPolls: number
  refreshes: number
  close (): Promise<void>
}

export const DEVICE_CODE = 'device-code-0001'
export const USER_CODE = 'WDJB-MJHT'

/** An unsigned JWT with `exp` (what the relay reads of an access token). */
export function jwt (exp: number, extra: Record<string, unknown> = {}): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${part({ alg: 'none' })}.${part({ exp, ...extra })}.sig`
}

const PROVIDERS: Record<string, string[]> = { '/a/v1/messages': ['anthropic'], '/o/v1/responses': ['openai', 'azure_openai'], '/o/v1/chat/completions': ['anthropic', 'openai', 'azure_openai', 'google', 'fireworks', 'baseten'] }

export async function startFactoryMock (opts: { apiKeys?: string[], organization?: string } = {}): Promise<FactoryMock> {
  const anthropic = await startAnthropicMock()
  const openai = await startOpenAIMock()
  const requests: FactoryMock['requests'] = []
  let issued = 0
  const mock: FactoryMock = {
    url: '', llmBase: '', anthropic, openai, requests, tokens: new Set(opts.apiKeys ?? []), pendingPolls: 1, refreshes: 0,
    close: async () => {
      await server.close()
      await Promise.all([anthropic.close(), openai.close()])
    },
  }
  const refreshTokens = new Map<string, string | undefined>()
  const issue = (org: string | undefined) => {
    issued++
    const access = jwt(Math.floor(Date.now() / 1000) + 3600, { sub: 'user_01', n: issued })
    const refresh = `workos-refresh-${issued}`
    mock.tokens.add(access)
    refreshTokens.set(refresh, org)
    return { access_token: access, refresh_token: refresh, user: { email: 'dev@example.com' }, ...(org ? { organization_id: org } : {}), authentication_method: 'GoogleOAuth' }
  }
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  const server = await startRecordingServer(requests, (req, res, body) => {
    const path = (req.url ?? '').split('?')[0]!
    const form = new URLSearchParams(body.toString('utf8'))
    if (path === '/user_management/authorize/device') {
      return json(res, 200, { device_code: DEVICE_CODE, user_code: USER_CODE, verification_uri: `${mock.url}/device`, verification_uri_complete: `${mock.url}/device?user_code=${USER_CODE}`, expires_in: 300, interval: 0.05 })
    }
    if (path === '/user_management/authenticate') {
      if (form.get('client_id') !== 'client_01HNM792M5G5G1A2THWPXKFMXB') return json(res, 400, { error: 'invalid_client' })
      if (form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:device_code') {
        if (form.get('device_code') !== DEVICE_CODE) return json(res, 400, { error: 'invalid_grant' })
        if (mock.pendingPolls-- > 0) return json(res, 400, { error: 'authorization_pending', error_description: 'The user has not yet authorized' })
        return json(res, 200, issue(undefined))
      }
      if (form.get('grant_type') === 'refresh_token') {
        const known = refreshTokens.has(form.get('refresh_token') ?? '')
        if (!known) return json(res, 400, { error: 'invalid_grant', error_description: 'Refresh token already exchanged' })
        refreshTokens.delete(form.get('refresh_token')!)
        mock.refreshes++
        return json(res, 200, issue(form.get('organization_id') ?? undefined))
      }
      return json(res, 400, { error: 'unsupported_grant_type' })
    }
    if (path === '/api/cli/org') {
      const bearer = String(req.headers.authorization ?? '').replace(/^Bearer /, '')
      return mock.tokens.has(bearer) ? json(res, 200, { workosOrgIds: [opts.organization ?? 'org_01FACTORY'] }) : json(res, 401, { detail: 'Unauthorized' })
    }
    const llm = /^\/api\/llm(\/[ao]\/v1\/(?:messages|responses|chat\/completions))$/.exec(path)
    if (!llm) return json(res, 404, { detail: 'Not Found' })
    const bearer = String(req.headers.authorization ?? '').replace(/^Bearer /, '')
    if (!mock.tokens.has(bearer)) return json(res, 401, { type: 'error', error: { type: 'authentication_error', message: 'Invalid API key or token' } })
    const provider = String(req.headers['x-api-provider'] ?? '')
    if (req.headers['x-factory-client'] !== 'cli' || !PROVIDERS[llm[1]!]!.includes(provider) || !req.headers['x-session-id']) {
      return json(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: `unroutable: x-factory-client=${String(req.headers['x-factory-client'])} x-api-provider=${provider} x-session-id=${String(req.headers['x-session-id'])}` } })
    }
    const inner = llm[1]!.startsWith('/a/') ? anthropic.url : openai.url
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>
    request(`${inner}${llm[1]}`, { method: 'POST', headers, body }).then(async up => {
      res.writeHead(up.statusCode, Object.fromEntries(Object.entries(up.headers).filter(([k]) => !['connection', 'transfer-encoding', 'content-length', 'keep-alive'].includes(k))) as Record<string, string>)
      for await (const chunk of up.body) res.write(chunk)
      res.end()
    }).catch(() => res.destroy())
  })
  mock.url = server.url
  mock.llmBase = `${mock.url}/api/llm`
  return mock
}
