// The Gemini provider plugin: the Gemini API (`/v1beta` and `/v1`: generateContent,
// streamGenerateContent with `alt=sse` or as a JSON array, countTokens, models) for Gemini
// CLI's API-key mode and the Google Gen AI SDKs, and Gemini CLI's Code Assist mode
// (`v1internal:*`). Either is served by either kind of account: Gemini API keys, and Google
// logins as Gemini CLI makes them (Code Assist), the request translated where the two differ.
import { loginOptionsSchema, subscriptionServes, type AccountView, type JsonSchemaObject, type ParsedRequest, type PluginRoute, type RelayPlugin } from '../../core/plugin-api.ts'
import prices from './prices.json' with { type: 'json' }
import { classifyError } from './classify-error.ts'
import { errorBody, isNativeError, streamError } from './errors.ts'
import { createJsonMeter, createSseMeter } from './meter.ts'
import { parseRequest } from './parse-request.ts'
import { API_BASE, isGoogleLogin, prepareUpstream, upstreamBase, upstreamPath } from './prepare-upstream.ts'
import { LOCAL_CALLS, VIRTUAL_PROJECT } from './code-assist.ts'
import { createModelListFilter, createUnwrapFilter, createWrapFilter } from './answer-filters.ts'
import { CODE_ASSIST_BASE, GOOGLE_OAUTH_DEFAULTS, googleOAuth, type GoogleOAuthOptions } from './oauth.ts'
import { ANTIGRAVITY_BASE, ANTIGRAVITY_OAUTH_DEFAULTS, ANTIGRAVITY_TYPE, isAntigravity, isClaudeModel } from './antigravity.ts'

/** Each route under both API versions. `::` is a literal colon; the model is a regex parameter (no colon in it) so the actions stay apart. */
function versions (method: PluginRoute['method'], path: string, kind: PluginRoute['kind']): PluginRoute[] {
  return ['/v1beta', '/v1'].map(v => ({ method, path: `${v}${path}`, kind }))
}

const baseUrl = (fallback: string, description: string) => ({ title: 'Base URL', type: 'string', pattern: '^https?://[^\\s/?#@]+(/[^\\s?#]*)?$', default: fallback, description })

/** `options.oauth` (Gemini CLI's login) and `options.antigravityOAuth` (Antigravity's). */
function optionsSchema (): JsonSchemaObject {
  return { type: 'object', additionalProperties: false, properties: { oauth: loginOptionsSchema(GOOGLE_OAUTH_DEFAULTS), antigravityOAuth: loginOptionsSchema(ANTIGRAVITY_OAUTH_DEFAULTS) } }
}

/**
 * A Google-login account serves Gemini CLI only, unless the operator opts it in: Google's terms
 * cover Code Assist used through its own tools. Code Assist has no model list.
 */
function cannotServe (account: AccountView, parsed: ParsedRequest): string | undefined {
  // Claude models live on Antigravity's backend only.
  if (parsed.model !== undefined && isClaudeModel(parsed.model) && !isAntigravity(account)) return 'only Antigravity accounts serve Claude models on this relay\'s Gemini pool'
  // Antigravity's login covers its agent's two kinds of client here: Claude Code and Gemini CLI.
  if (isAntigravity(account) && parsed.clientKind !== 'claude-code' && parsed.clientKind !== 'gemini-cli' && account.fields.allowOtherClients !== true) return "this relay's Antigravity accounts serve Claude Code and Gemini CLI only"
  const policy = subscriptionServes(account, parsed, 'gemini-oauth', 'gemini-cli', "this relay's Google-login Gemini accounts serve Gemini CLI only")
  if (policy || !isGoogleLogin(account)) return policy
  if (parsed.notes?.listing === true && isAntigravity(account)) return undefined
  if (parsed.notes?.action === undefined && parsed.notes?.codeAssist === undefined) return 'Google-login Gemini accounts (Code Assist) have no model list: this relay needs a Gemini API key or Antigravity account for it'
  return undefined
}

function googleLoginSchema (base: string, client: string): JsonSchemaObject {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['accessToken'],
    properties: {
      accessToken: { title: 'Access token', type: 'string', minLength: 1, writeOnly: true, description: 'the OAuth access token' },
      refreshToken: { title: 'Refresh token', type: 'string', minLength: 1, writeOnly: true, description: 'renews the access token when it expires' },
      expiresAt: { title: 'Access token expires at', type: 'integer', description: 'epoch ms' },
      projectId: { title: 'Google Cloud project', type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$', description: 'the Google Cloud project Code Assist serves this account under (found at login, or given with --set projectId=…)' },
      tier: { title: 'Code Assist tier', type: 'string', description: 'Code Assist tier (free-tier, standard-tier, …)' },
      email: { title: 'Email', type: 'string', description: 'who logged in (shown only)' },
      baseUrl: baseUrl(base, 'Code Assist origin'),
      allowOtherClients: { title: 'Allow other clients', type: 'boolean', default: false, description: `let clients other than ${client} use this Google login (terms-of-service risk)` },
    },
  }
}

export function createGeminiPlugin (oauth: GoogleOAuthOptions, antigravityOAuth: GoogleOAuthOptions = ANTIGRAVITY_OAUTH_DEFAULTS): RelayPlugin {
  return {
    specificationVersion: 'v1',
    name: 'gemini',
    optionsSchema: optionsSchema(),
    configure: options => createGeminiPlugin((options as { oauth: GoogleOAuthOptions }).oauth, (options as { antigravityOAuth: GoogleOAuthOptions }).antigravityOAuth),
    routes: [
      ...versions('POST', '/models/:model(^[^:/]+)::generateContent', 'generate'),
      ...versions('POST', '/models/:model(^[^:/]+)::streamGenerateContent', 'generate'),
      ...versions('POST', '/models/:model(^[^:/]+)::countTokens', 'passthrough'),
      ...versions('GET', '/models', 'passthrough'),
      ...versions('GET', '/models/:model', 'passthrough'),
      // Code Assist: the setup calls are answered here; the generation calls are relayed.
      ...Object.entries(LOCAL_CALLS).map(([call, respond]): PluginRoute => ({ method: 'POST', path: `/v1internal::${call}`, kind: 'local', respond })),
      { method: 'POST', path: '/v1internal::generateContent', kind: 'generate' },
      { method: 'POST', path: '/v1internal::streamGenerateContent', kind: 'generate' },
      { method: 'POST', path: '/v1internal::countTokens', kind: 'passthrough' },
    ],
    accountTypes: {
      'gemini-api-key': {
        schema: {
          type: 'object',
          additionalProperties: false,
          required: ['apiKey'],
          properties: {
            apiKey: { title: 'API key', type: 'string', minLength: 1, writeOnly: true, description: 'Gemini API key' },
            baseUrl: baseUrl(API_BASE, 'API origin, optionally with a path prefix'),
          },
        },
      },
      'gemini-oauth': {
        oauth: googleOAuth(oauth, CODE_ASSIST_BASE),
        schema: googleLoginSchema(CODE_ASSIST_BASE, 'Gemini CLI'),
      },
      // Antigravity's Google login: Gemini and Claude models on Cloud Code.
      [ANTIGRAVITY_TYPE]: {
        oauth: googleOAuth(antigravityOAuth, ANTIGRAVITY_BASE),
        schema: googleLoginSchema(ANTIGRAVITY_BASE, 'Claude Code and Gemini CLI'),
      },
    },
    prices,
    parseRequest,
    upstreamBase,
    cannotServe,
    upstreamPath: (_route, req, parsed, account) => upstreamPath(parsed, account, req.upstreamPath),
    prepareUpstream: (_route, req, parsed, account) => prepareUpstream(req, parsed, account),
    filterResponse: (_route, parsed, headers, account) => {
      const eventStream = String(headers['content-type'] ?? '').startsWith('text/event-stream')
      const generates = (action: unknown) => action === 'generateContent' || action === 'streamGenerateContent'
      if (parsed.notes?.listing === true && isAntigravity(account)) return createModelListFilter()
      // countTokens answers bare in both APIs.
      if (isGoogleLogin(account)) return generates(parsed.notes?.action) ? createUnwrapFilter(eventStream, parsed.notes?.clientSse === true) : undefined
      return generates(parsed.notes?.codeAssist) ? createWrapFilter(eventStream) : undefined
    },
    classifyError: (status, headers, body) => classifyError(status, headers, body),
    createMeter: (_route, _parsed, headers) => (String(headers['content-type'] ?? '').startsWith('text/event-stream') ? createSseMeter() : createJsonMeter()),
    // Google's Gemini API models: another mount sends these only to accounts that list them.
    ownsModel: (model: string) => /^(gemini|gemma|learnlm|imagen|veo)-/i.test(model),
    errorBody,
    streamError,
    isNativeError,
    // One output token from a Flash model, in the API the account speaks.
    testRequest: account => (isGoogleLogin(account)
      ? {
          routePath: '/v1internal::generateContent', path: '/v1internal:generateContent', headers: { 'user-agent': 'GeminiCLI/relay-test' },
          body: { model: 'gemini-2.5-flash', project: VIRTUAL_PROJECT, user_prompt_id: 'relay-test', request: { contents: [{ role: 'user', parts: [{ text: 'ping' }] }], generationConfig: { maxOutputTokens: 1 } } },
        }
      : {
          routePath: '/v1beta/models/:model(^[^:/]+)::generateContent', path: '/v1beta/models/gemini-2.5-flash:generateContent',
          body: { contents: [{ role: 'user', parts: [{ text: 'ping' }] }], generationConfig: { maxOutputTokens: 1 } },
        }),
  }
}

export default createGeminiPlugin(GOOGLE_OAUTH_DEFAULTS)
