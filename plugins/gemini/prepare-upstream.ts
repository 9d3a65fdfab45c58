// Builds the call for the chosen account. An API-key account is the Gemini API: its key in
// `x-goog-api-key`, a Code Assist request unwrapped onto `/v1beta/models/<model>:<action>`. A
// Google-login account is Code Assist: its access token as a bearer, its project in each
// request, a Gemini API request wrapped onto `/v1internal:<action>` (always as an event stream
// when streaming; the answer filter gives a JSON-array client its array). The client's relay key
// was already removed from the headers and the query; a body not translated is byte-identical.
import type { AccountView, IncomingRequest, ParsedRequest, UpstreamRequest } from '../../core/plugin-api.ts'
import { unwrapRequest, withProject, wrapRequest } from './code-assist.ts'
import { CODE_ASSIST_BASE } from './oauth.ts'

export const API_BASE = 'https://generativelanguage.googleapis.com'

export const isGoogleLogin = (account: AccountView) => account.type === 'gemini-oauth'

export function upstreamBase (account: AccountView): string {
  return String(account.fields.baseUrl ?? (isGoogleLogin(account) ? CODE_ASSIST_BASE : API_BASE))
}

/** The action a request translates: a Code Assist call's, or a public generate/countTokens call's. */
const codeAssistAction = (parsed: ParsedRequest) => (typeof parsed.notes?.codeAssist === 'string' ? parsed.notes.codeAssist : undefined)
const publicAction = (parsed: ParsedRequest) => (typeof parsed.notes?.action === 'string' ? parsed.notes.action : undefined)

/** Where the request goes when the account speaks the other API (the model was checked to be a plain id). */
export function upstreamPath (parsed: ParsedRequest, account: AccountView): string | undefined {
  if (isGoogleLogin(account)) {
    const action = publicAction(parsed)
    return action ? `/v1internal:${action}` : undefined
  }
  const action = codeAssistAction(parsed)
  return action && parsed.model ? `/v1beta/models/${parsed.model}:${action}` : undefined
}

export function prepareUpstream (req: IncomingRequest, parsed: ParsedRequest, account: AccountView): UpstreamRequest {
  const base = upstreamBase(account).replace(/\/+$/, '')
  const headers: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = v
  let body = req.body
  let query = req.query
  const ca = codeAssistAction(parsed)
  const pub = publicAction(parsed)
  if (isGoogleLogin(account)) {
    delete headers['x-goog-api-key']
    headers.authorization = `Bearer ${String(account.fields.accessToken)}`
    const project = String(account.fields.projectId)
    if (ca !== undefined && body) body = withProject(body, project)
    if (pub !== undefined && body && parsed.model) {
      body = wrapRequest(body, parsed.model, pub, project)
      query = pub === 'streamGenerateContent' ? 'alt=sse' : ''
      // The answer is unwrapped by a filter, which reads it as text.
      delete headers['accept-encoding']
    }
  } else {
    // A Code Assist client's bearer credential was its relay key, removed by core; the account's key goes instead.
    headers['x-goog-api-key'] = String(account.fields.apiKey)
    if (ca !== undefined && body) {
      body = unwrapRequest(body)
      delete headers['accept-encoding']
    }
  }
  return { url: `${base}${req.upstreamPath}${query ? `?${query}` : ''}`, headers, body }
}
