// Builds the call for the chosen account. An API-key account is the Gemini API: its key in
// `x-goog-api-key`, a Code Assist request unwrapped onto `/v1beta/models/<model>:<action>`. A
// Google-login account is Code Assist: its access token as a bearer, its project in each
// request, a Gemini API request wrapped onto `/v1internal:<action>` (always as an event stream
// when streaming; the answer filter gives a JSON-array client its array). The client's relay key
// was already removed from the headers and the query; a body not translated is byte-identical.
import { servedModel, type AccountView, type IncomingRequest, type ParsedRequest, type UpstreamRequest } from '../../core/plugin-api.ts'
import { countForModel, envelopeForModel, unwrapRequest, withProject, wrapRequest } from './code-assist.ts'
import { CODE_ASSIST_BASE } from './oauth.ts'
import { ANTIGRAVITY_BASE, ANTIGRAVITY_USER_AGENT, antigravityEnvelope, isAntigravity } from './antigravity.ts'

export const API_BASE = 'https://generativelanguage.googleapis.com'

/** A Google login: Gemini CLI's (Code Assist) or Antigravity's, both on the Cloud Code backend. */
export const isGoogleLogin = (account: AccountView) => account.type === 'gemini-oauth' || isAntigravity(account)

export function upstreamBase (account: AccountView): string {
  return String(account.fields.baseUrl ?? (isAntigravity(account) ? ANTIGRAVITY_BASE : isGoogleLogin(account) ? CODE_ASSIST_BASE : API_BASE))
}

/** The action a request translates: a Code Assist call's, or a public generate/countTokens call's. */
const codeAssistAction = (parsed: ParsedRequest) => (typeof parsed.notes?.codeAssist === 'string' ? parsed.notes.codeAssist : undefined)
const publicAction = (parsed: ParsedRequest) => (typeof parsed.notes?.action === 'string' ? parsed.notes.action : undefined)

/** The model this account sends upstream (its model map), when the request names one. */
const served = (parsed: ParsedRequest, account: AccountView) => (parsed.model === undefined ? undefined : servedModel(account, parsed.model))

/**
 * Where the request goes when the account speaks the other API, or names the model otherwise
 * (its model map; a mapped name that is not a plain id makes a path core refuses to send).
 */
export function upstreamPath (parsed: ParsedRequest, account: AccountView, path: string): string | undefined {
  if (isAntigravity(account) && parsed.notes?.listing === true) return '/v1internal:fetchAvailableModels'
  const model = served(parsed, account)
  if (isGoogleLogin(account)) {
    const action = publicAction(parsed)
    return action ? `/v1internal:${action}` : undefined
  }
  const action = codeAssistAction(parsed)
  if (action && model) return `/v1beta/models/${model}:${action}`
  // A public call under a mapped name: the same version and action, the model in the path replaced.
  const pub = publicAction(parsed)
  if (model !== undefined && model !== parsed.model) return path.replace(/\/models\/[^/]*$/, `/models/${model}${pub ? `:${pub}` : ''}`)
  return undefined
}

/** Antigravity's live model list: a POST with an empty body, answered as Gemini's list by a filter. */
function listingCall (base: string, account: AccountView): UpstreamRequest {
  return {
    method: 'POST',
    url: `${base}/v1internal:fetchAvailableModels`,
    headers: { authorization: `Bearer ${String(account.fields.accessToken)}`, 'user-agent': ANTIGRAVITY_USER_AGENT, requesttype: 'agent', 'content-type': 'application/json', accept: 'application/json' },
    body: Buffer.from('{}'),
  }
}

export function prepareUpstream (req: IncomingRequest, parsed: ParsedRequest, account: AccountView): UpstreamRequest {
  const base = upstreamBase(account).replace(/\/+$/, '')
  if (isAntigravity(account) && parsed.notes?.listing === true) return listingCall(base, account)
  const headers: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = v
  let body = req.body
  let query = req.query
  const ca = codeAssistAction(parsed)
  const pub = publicAction(parsed)
  const model = served(parsed, account)
  const mapped = model !== undefined && model !== parsed.model
  if (isGoogleLogin(account)) {
    delete headers['x-goog-api-key']
    headers.authorization = `Bearer ${String(account.fields.accessToken)}`
    const project = String(account.fields.projectId)
    if (ca !== undefined && body) body = withProject(mapped ? envelopeForModel(body, model!) : body, project)
    if (pub !== undefined && body && model) {
      body = wrapRequest(body, model, pub, project)
      query = pub === 'streamGenerateContent' ? 'alt=sse' : ''
      // The answer is unwrapped by a filter, which reads it as text.
      delete headers['accept-encoding']
    }
    // Antigravity's backend takes its own client's envelope and headers (countTokens has no envelope).
    if (isAntigravity(account) && body && (ca ?? pub) !== 'countTokens') {
      body = antigravityEnvelope(body, parsed.sessionKey)
      headers['user-agent'] = ANTIGRAVITY_USER_AGENT
      headers.requesttype = 'agent'
    }
  } else {
    // A Code Assist client's bearer credential was its relay key, removed by core; the account's key goes instead.
    headers['x-goog-api-key'] = String(account.fields.apiKey)
    if (ca !== undefined && body) {
      body = unwrapRequest(body)
      delete headers['accept-encoding']
    } else if (pub === 'countTokens' && mapped && body) {
      body = countForModel(body, model!)
    }
  }
  return { url: `${base}${req.upstreamPath}${query ? `?${query}` : ''}`, headers, body }
}
