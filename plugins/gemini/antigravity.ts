// Antigravity accounts: a Google login with Antigravity's OAuth client, on the same Cloud Code
// backend as Gemini CLI's Code Assist (`v1internal:*`), which serves Claude models beside
// Gemini's. Its requests are Code Assist envelopes as Antigravity sends them (as recorded by the
// incumbent and the other relays): `userAgent: "antigravity"`, a `requestId`, the session in
// `request.sessionId`, Antigravity's user agent and `requestType: agent` headers, tools in
// VALIDATED mode, no safety settings. For a Claude model the function declarations go as
// `parameters`, a JSON Schema cut down to the OpenAPI subset the backend takes (`$schema`,
// `additionalProperties` and their like make it answer 400).
import { randomUUID } from 'node:crypto'
import type { AccountView } from '../../core/plugin-api.ts'
import type { GoogleOAuthOptions } from './oauth.ts'

export const ANTIGRAVITY_TYPE = 'antigravity-oauth'
export const ANTIGRAVITY_BASE = 'https://cloudcode-pa.googleapis.com'
export const ANTIGRAVITY_USER_AGENT = 'antigravity/1.15.8 windows/amd64'

export const ANTIGRAVITY_OAUTH_DEFAULTS: GoogleOAuthOptions = {
  authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenUrl: 'https://oauth2.googleapis.com/token',
  clientId: '1071006060591-tmhssin2h21lcre235vtolojh4g403ep.apps.googleusercontent.com',
  clientSecret: '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',
  // Antigravity's installed-app redirect: nothing listens there, the operator pastes the address.
  redirectUri: 'http://localhost:51121/oauth-callback',
  scopes: [
    'https://www.googleapis.com/auth/cloud-platform', 'https://www.googleapis.com/auth/userinfo.email', 'https://www.googleapis.com/auth/userinfo.profile',
    'https://www.googleapis.com/auth/cclog', 'https://www.googleapis.com/auth/experimentsandconfigs',
  ],
}

export const isAntigravity = (account: AccountView) => account.type === ANTIGRAVITY_TYPE
export const isClaudeModel = (model: string) => /^claude-/i.test(model)

const MAX_DEPTH = 32
const TEXT_KEYS = ['format', 'description', 'pattern', 'title'] as const
const COUNT_KEYS = ['minItems', 'maxItems', 'minimum', 'maximum', 'minLength', 'maxLength'] as const
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * A JSON Schema cut down to the OpenAPI Schema subset the backend takes for a Claude function's
 * parameters: only those keys, each only in its own shape; `const` as a one-value enum, a
 * `["x","null"]` type as nullable; `required` only what `properties` has; nesting cut at a depth.
 */
export function cleanSchema (schema: unknown, depth = 0): Record<string, unknown> {
  if (!isObject(schema) || depth > MAX_DEPTH) return { type: 'object' }
  const out: Record<string, unknown> = {}
  const { type } = schema
  if (typeof type === 'string') out.type = type
  else if (Array.isArray(type)) {
    const types = type.filter((t): t is string => typeof t === 'string')
    out.type = types.find(t => t !== 'null') ?? 'string'
    if (types.includes('null')) out.nullable = true
  }
  if (typeof schema.nullable === 'boolean') out.nullable = schema.nullable
  for (const k of TEXT_KEYS) if (typeof schema[k] === 'string') out[k] = schema[k]
  for (const k of COUNT_KEYS) if (typeof schema[k] === 'number' && Number.isFinite(schema[k])) out[k] = schema[k]
  if (Array.isArray(schema.enum)) out.enum = schema.enum
  else if (schema.const !== undefined) out.enum = [schema.const]
  if (isObject(schema.properties)) out.properties = Object.fromEntries(Object.entries(schema.properties).map(([name, sub]) => [name, cleanSchema(sub, depth + 1)]))
  const items = Array.isArray(schema.items) ? schema.items[0] : schema.items
  if (items !== undefined) out.items = cleanSchema(items, depth + 1)
  if (Array.isArray(schema.anyOf)) out.anyOf = schema.anyOf.slice(0, 32).map(sub => cleanSchema(sub, depth + 1))
  // A `required` naming what `properties` does not have is refused: kept to what is there.
  if (Array.isArray(schema.required) && isObject(out.properties)) {
    const props = out.properties
    const required = schema.required.filter((r): r is string => typeof r === 'string' && Object.hasOwn(props, r))
    if (required.length > 0) out.required = [...new Set(required)]
  }
  return out
}

interface Declaration { parameters?: unknown, parametersJsonSchema?: unknown }
interface Payload {
  session_id?: unknown
  sessionId?: unknown
  safetySettings?: unknown
  tools?: { functionDeclarations?: Declaration[] }[]
  toolConfig?: { functionCallingConfig?: { mode?: unknown } & Record<string, unknown> }
  generationConfig?: Record<string, unknown>
}

/**
 * A Code Assist envelope (already for this account's project and model) as Antigravity sends it.
 * `session` names the conversation (the client's, else one per request).
 */
export function antigravityEnvelope (body: Buffer, session: string | undefined): Buffer {
  const envelope = JSON.parse(body.toString('utf8')) as { model?: unknown, request?: Payload } & Record<string, unknown>
  const model = typeof envelope.model === 'string' ? envelope.model : ''
  const request: Payload = envelope.request ?? {}
  const sessionId = typeof request.session_id === 'string' ? request.session_id : session ?? `sess-${randomUUID()}`
  delete request.session_id
  delete request.safetySettings
  request.sessionId = sessionId
  if (Array.isArray(request.tools) && request.tools.length > 0 && request.toolConfig?.functionCallingConfig?.mode !== 'NONE') {
    request.toolConfig = { functionCallingConfig: { ...(request.toolConfig?.functionCallingConfig ?? {}), mode: 'VALIDATED' } }
  }
  if (isClaudeModel(model)) {
    for (const tool of request.tools ?? []) {
      for (const decl of tool?.functionDeclarations ?? []) {
        decl.parameters = cleanSchema(decl.parametersJsonSchema ?? decl.parameters)
        delete decl.parametersJsonSchema
      }
    }
  }
  return Buffer.from(JSON.stringify({ ...envelope, requestId: `req-${randomUUID()}`, userAgent: 'antigravity', request }))
}
