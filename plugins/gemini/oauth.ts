// Google accounts logged in as Gemini CLI logs in ("Login with Google"): OAuth 2 with PKCE at
// accounts.google.com with Gemini CLI's installed-app client, and its no-browser redirect
// (codeassist.google.com/authcode), which shows the code for the operator to paste. Google
// answers with a one-hour access token and a refresh token that does not rotate. Every endpoint,
// the client id and secret and the scopes are plugin options.
//
// A Code Assist call needs the account's Cloud project: found once at login (loadCodeAssist, then
// onboardUser for an account never onboarded) and stored with the account. An account stored
// without one (imported with bare tokens) is given one by its first refresh, which core runs
// before the account serves anything.
import { jwtClaims, oauthRefused, pkceAuthorize, readPastedCode, tokenEndpointError, type OAuthContext, type OAuthEndpoints, type OAuthSteps, request, readText } from '../../core/plugin-api.ts'

export interface GoogleOAuthOptions extends OAuthEndpoints {
  /** Gemini CLI's installed-app client is confidential in name only; Google requires the secret. */
  clientSecret: string
}

export const GOOGLE_OAUTH_DEFAULTS: GoogleOAuthOptions = {
  authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenUrl: 'https://oauth2.googleapis.com/token',
  clientId: '681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com',
  clientSecret: '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',
  redirectUri: 'https://codeassist.google.com/authcode',
  scopes: ['https://www.googleapis.com/auth/cloud-platform', 'https://www.googleapis.com/auth/userinfo.email', 'https://www.googleapis.com/auth/userinfo.profile'],
}

export const CODE_ASSIST_BASE = 'https://cloudcode-pa.googleapis.com'

interface TokenResponse {
  access_token?: string
  refresh_token?: string
  expires_in?: number
  id_token?: string
}

async function tokenCall (opts: GoogleOAuthOptions, form: Record<string, string>, ctx: OAuthContext): Promise<TokenResponse> {
  const res = await request(opts.tokenUrl, {
    method: 'POST', dispatcher: ctx.dispatcher,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ ...form, client_id: opts.clientId, client_secret: opts.clientSecret }).toString(),
  })
  const text = await readText(res.body)
  if (res.statusCode < 200 || res.statusCode >= 300) throw tokenEndpointError(res.statusCode, text)
  const json = JSON.parse(text) as TokenResponse
  if (!json.access_token) throw new Error('token endpoint answered without an access_token')
  return json
}

function fieldsFrom (t: TokenResponse, now: number, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...previous, accessToken: t.access_token }
  // Google repeats the refresh token only at the first consent; a refresh keeps the one we have.
  if (t.refresh_token) out.refreshToken = t.refresh_token
  const email = jwtClaims(t.id_token)?.email
  if (typeof email === 'string') out.email = email
  const lifetime = typeof t.expires_in === 'number' && Number.isFinite(t.expires_in) && t.expires_in > 0 ? t.expires_in : 3600
  out.expiresAt = now + Math.round(lifetime * 1000)
  return out
}

/** Gemini CLI's own client metadata, sent with the setup calls as it sends it. */
const METADATA = { ideType: 'IDE_UNSPECIFIED', platform: 'PLATFORM_UNSPECIFIED', pluginType: 'GEMINI' }
/** How often, and how many times, an onboarding still running is asked about (Gemini CLI: every 5 s). */
const ONBOARD_POLL_MS = 2000
const ONBOARD_POLLS = 30
/** An operation name from onboardUser goes into a URL path: only plain ones are followed. */
const OPERATION_NAME = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_.-]+)*$/

interface Tier { id?: unknown, isDefault?: unknown, userDefinedCloudaicompanionProject?: unknown }
interface LoadAnswer { currentTier?: Tier, paidTier?: Tier, allowedTiers?: Tier[], cloudaicompanionProject?: unknown }
interface Operation { name?: unknown, done?: unknown, response?: { cloudaicompanionProject?: { id?: unknown } } }

async function codeAssistCall<T> (base: string, method: string, path: string, token: string, body: unknown, ctx: OAuthContext): Promise<T> {
  const res = await request(`${base.replace(/\/+$/, '')}/v1internal${path}`, {
    method: method as 'GET' | 'POST', dispatcher: ctx.dispatcher,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await readText(res.body)
  if (res.statusCode >= 200 && res.statusCode < 300) return JSON.parse(text) as T
  let message = ''
  try { message = String((JSON.parse(text) as { error?: { message?: unknown } }).error?.message ?? '').slice(0, 200) } catch {}
  const problem = `Code Assist ${path.replace(/^:/, '')} answered ${res.statusCode}${message ? `: ${message}` : ''}`
  // 401/403: this Google account may not use Code Assist (or not this way); only a new login helps.
  throw res.statusCode === 401 || res.statusCode === 403 || res.statusCode === 400 ? oauthRefused(problem) : new Error(problem)
}

const plainId = (v: unknown): string | undefined => (typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(v) ? v : undefined)

/**
 * The Cloud project Code Assist serves this account under, and its tier, as Gemini CLI finds
 * them: `loadCodeAssist`, and for an account not yet onboarded `onboardUser` (a long-running
 * operation, polled). `wanted` is a project the operator named (needed by tiers without a
 * Google-managed project, such as Code Assist Standard).
 */
export async function discoverProject (base: string, token: string, wanted: string | undefined, ctx: OAuthContext): Promise<{ projectId: string, tier?: string }> {
  const load = await codeAssistCall<LoadAnswer>(base, 'POST', ':loadCodeAssist', token, { cloudaicompanionProject: wanted, metadata: { ...METADATA, duetProject: wanted } }, ctx)
  if (load.currentTier) {
    const projectId = plainId(load.cloudaicompanionProject) ?? wanted
    if (!projectId) throw oauthRefused('this Google account has no Code Assist project: log in again with --set projectId=<your Google Cloud project>')
    return { projectId, tier: plainId(load.paidTier?.id) ?? plainId(load.currentTier.id) }
  }
  const tier = (Array.isArray(load.allowedTiers) ? load.allowedTiers : []).find(t => t?.isDefault === true) ?? { id: 'legacy-tier' }
  const tierId = plainId(tier.id) ?? 'legacy-tier'
  // The free tier gets a Google-managed project; the others use the operator's.
  const project = tierId === 'free-tier' ? undefined : wanted
  let op = await codeAssistCall<Operation>(base, 'POST', ':onboardUser', token, { tierId, cloudaicompanionProject: project, metadata: project ? { ...METADATA, duetProject: project } : METADATA }, ctx)
  for (let polls = 0; op.done !== true; polls++) {
    const name = typeof op.name === 'string' && OPERATION_NAME.test(op.name) && !op.name.split('/').includes('..') ? op.name : undefined
    if (!name || polls >= ONBOARD_POLLS) throw new Error('Code Assist onboarding did not finish; try the login again')
    await new Promise(resolve => setTimeout(resolve, ONBOARD_POLL_MS))
    op = await codeAssistCall<Operation>(base, 'GET', `/${name}`, token, undefined, ctx)
  }
  const projectId = plainId(op.response?.cloudaicompanionProject?.id) ?? project
  if (!projectId) throw oauthRefused(`Code Assist assigned no project to this account (tier ${tierId}): log in again with --set projectId=<your Google Cloud project>`)
  return { projectId, tier: tierId }
}

export function googleOAuth (opts: GoogleOAuthOptions, codeAssistBase: string): OAuthSteps {
  const withProject = async (fields: Record<string, unknown>, base: unknown, ctx: OAuthContext) => {
    const found = await discoverProject(typeof base === 'string' ? base : codeAssistBase, String(fields.accessToken), plainId(fields.projectId), ctx)
    return { ...fields, projectId: found.projectId, ...(found.tier ? { tier: found.tier } : {}) }
  }
  return {
    // `access_type=offline` asks for a refresh token; `prompt=consent` makes Google send one again
    // on a second login of the same Google account (it sends it only at a consent).
    authorize: () => pkceAuthorize(opts, {}, { access_type: 'offline', prompt: 'consent' }),
    async exchange (pasted, pending, ctx) {
      const { code, state } = readPastedCode(pasted)
      if (!code) throw new Error('no authorization code was given')
      // The code page shows the code alone; a pasted address carries the state, which must match.
      if (state !== undefined && state !== pending.state) throw new Error('the pasted code belongs to another login attempt (state mismatch)')
      const tokens = await tokenCall(opts, { grant_type: 'authorization_code', code, redirect_uri: opts.redirectUri, code_verifier: pending.verifier! }, ctx)
      const given = ctx.given ?? {}
      const wanted = plainId(given.projectId)
      return withProject(fieldsFrom(tokens, ctx.now, wanted ? { projectId: wanted } : {}), given.baseUrl, ctx)
    },
    async refresh (fields, ctx) {
      if (typeof fields.refreshToken !== 'string') throw oauthRefused('this account has no refresh token')
      const next = fieldsFrom(await tokenCall(opts, { grant_type: 'refresh_token', refresh_token: fields.refreshToken }, ctx), ctx.now, fields)
      return plainId(next.projectId) ? next : withProject(next, fields.baseUrl, ctx)
    },
    // An account without its project must be given one (by a refresh) before it serves.
    expiresAt: fields => (!plainId(fields.projectId) ? 0 : typeof fields.expiresAt === 'number' ? fields.expiresAt : undefined),
  }
}
