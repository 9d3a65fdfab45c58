// Factory (Droid) subscription logins, as Droid and the incumbent do them: WorkOS's device
// authorization (RFC 8628). The relay asks WorkOS for a device code; the operator opens the URL,
// confirms the code there, and enters it back; the relay then collects the tokens. A token not
// yet scoped to a Factory organization is refreshed once with the first organization Factory
// names for it (its CLI org endpoint). Refreshes are WorkOS's `refresh_token` grant with the
// organization. Every endpoint and the client id are plugin options.
import { jwtClaims, oauthRefused, readText, request, tokenEndpointError, type OAuthContext, type OAuthSteps } from '../../core/plugin-api.ts'

export interface DroidOAuthOptions {
  deviceUrl: string
  tokenUrl: string
  clientId: string
  /** Factory's endpoint naming the organizations of a logged-in user. */
  orgUrl: string
}

export const DROID_OAUTH_DEFAULTS: DroidOAuthOptions = {
  deviceUrl: 'https://api.workos.com/user_management/authorize/device',
  tokenUrl: 'https://api.workos.com/user_management/authenticate',
  clientId: 'client_01HNM792M5G5G1A2THWPXKFMXB',
  orgUrl: 'https://app.factory.ai/api/cli/org',
}

/** How long the exchange waits for the operator's confirmation before giving up. */
const CONFIRM_WAIT_MS = 60_000

interface TokenAnswer {
  access_token?: string
  refresh_token?: string
  organization_id?: string
  user?: { email?: string }
  error?: string
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }

async function post (url: string, fields: Record<string, string>, ctx: OAuthContext): Promise<{ status: number, text: string }> {
  const res = await request(url, { method: 'POST', dispatcher: ctx.dispatcher, headers: FORM, body: new URLSearchParams(fields).toString() })
  return { status: res.statusCode, text: await readText(res.body) }
}

function parse (text: string): TokenAnswer {
  try { return JSON.parse(text) as TokenAnswer } catch { return {} }
}

function fieldsFrom (t: TokenAnswer, previous: Record<string, unknown> = {}): Record<string, unknown> {
  if (!t.access_token) throw new Error('WorkOS answered without an access_token')
  const out: Record<string, unknown> = { ...previous, accessToken: t.access_token }
  if (t.refresh_token) out.refreshToken = t.refresh_token
  if (t.organization_id) out.organizationId = t.organization_id
  if (typeof t.user?.email === 'string') out.email = t.user.email
  const exp = jwtClaims(t.access_token)?.exp
  if (typeof exp === 'number' && Number.isFinite(exp)) out.expiresAt = exp * 1000
  return out
}

/** A code as typed: case and separators do not matter. */
const normal = (code: string) => code.toUpperCase().replace(/[^A-Z0-9]/g, '')

export function droidOAuth (opts: DroidOAuthOptions): OAuthSteps {
  const refresh = async (fields: Record<string, unknown>, ctx: OAuthContext): Promise<Record<string, unknown>> => {
    if (typeof fields.refreshToken !== 'string') throw oauthRefused('this account has no refresh token')
    const { status, text } = await post(opts.tokenUrl, {
      grant_type: 'refresh_token', refresh_token: fields.refreshToken, client_id: opts.clientId,
      ...(typeof fields.organizationId === 'string' && fields.organizationId ? { organization_id: fields.organizationId } : {}),
    }, ctx)
    if (status < 200 || status >= 300) throw tokenEndpointError(status, text)
    return fieldsFrom(parse(text), fields)
  }
  return {
    async authorize (ctx) {
      const { status, text } = await post(opts.deviceUrl, { client_id: opts.clientId }, ctx)
      if (status < 200 || status >= 300) throw tokenEndpointError(status, text)
      const d = JSON.parse(text) as { device_code?: string, user_code?: string, verification_uri?: string, verification_uri_complete?: string, interval?: number }
      if (!d.device_code || !d.user_code || !d.verification_uri) throw new Error('WorkOS answered without a device code')
      const interval = typeof d.interval === 'number' && d.interval > 0 && d.interval <= 60 ? d.interval : 5
      return { url: d.verification_uri_complete ?? d.verification_uri, userCode: d.user_code, pending: { deviceCode: d.device_code, userCode: d.user_code, interval: String(interval) } }
    },
    async exchange (pasted, pending, ctx) {
      if (normal(pasted) !== normal(pending.userCode ?? '')) throw new Error(`enter the code of this login (${pending.userCode ?? ''}) once it is confirmed on the login page`)
      const interval = Number(pending.interval) * 1000
      const deadline = Date.now() + CONFIRM_WAIT_MS
      for (;;) {
        const { status, text } = await post(opts.tokenUrl, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: pending.deviceCode!, client_id: opts.clientId }, ctx)
        const answer = parse(text)
        if (status >= 200 && status < 300) {
          const fields = fieldsFrom(answer)
          return typeof fields.organizationId === 'string' ? fields : await withOrganization(fields, ctx)
        }
        // Not confirmed yet: asked again at the interval WorkOS named, for a minute.
        if ((answer.error === 'authorization_pending' || answer.error === 'slow_down') && Date.now() + interval < deadline) {
          await new Promise(resolve => setTimeout(resolve, answer.error === 'slow_down' ? interval * 2 : interval))
          continue
        }
        if (answer.error === 'authorization_pending') throw new Error('the code was not confirmed on the login page in time: start the login again')
        throw tokenEndpointError(status, text)
      }
    },
    refresh,
    expiresAt: fields => (typeof fields.expiresAt === 'number' ? fields.expiresAt : undefined),
  }

  /** A token without an organization, refreshed for the first organization Factory names. */
  async function withOrganization (fields: Record<string, unknown>, ctx: OAuthContext): Promise<Record<string, unknown>> {
    const res = await request(opts.orgUrl, { method: 'GET', dispatcher: ctx.dispatcher, headers: { authorization: `Bearer ${String(fields.accessToken)}`, accept: 'application/json' } })
    const text = await readText(res.body)
    let orgs: unknown
    try { orgs = (JSON.parse(text) as { workosOrgIds?: unknown }).workosOrgIds } catch {}
    const org = Array.isArray(orgs) ? orgs.find((o): o is string => typeof o === 'string' && o.length > 0) : undefined
    if (res.statusCode < 200 || res.statusCode >= 300 || org === undefined) throw new Error('Factory names no organization for this login')
    return refresh({ ...fields, organizationId: org }, ctx)
  }
}
