// The OpenAI provider plugin: the Responses API (Codex CLI, the SDKs) and Chat Completions,
// with API-key accounts (any OpenAI-compatible base URL) and ChatGPT subscription accounts
// (as Codex logs in). Mounted at `/openai`; the routes exist with and without `/v1`, because
// Codex's base URL may end in `/openai/v1` or, as the incumbent documented it, `/openai`.
import { oauthOptionsSchema, subscriptionServes, type AccountView, type ParsedRequest, type PluginRoute, type RelayPlugin } from '../../core/plugin-api.ts'
import prices from './prices.json' with { type: 'json' }
import { classifyError } from './classify-error.ts'
import { errorBody, isNativeError, streamError, streamStartError } from './errors.ts'
import { createChatSseMeter, createJsonMeter, createResponsesSseMeter } from './meter.ts'
import { codexOAuth, CODEX_OAUTH_DEFAULTS, type CodexOAuthOptions } from './oauth.ts'
import { isChat, parseRequest } from './parse-request.ts'
import { API_BASE, CODEX_BASE, prepareUpstream, upstreamBase } from './prepare-upstream.ts'
import { readRateLimits } from './rate-limits.ts'
import { websocket } from './websocket.ts'
import { AZURE_TYPE, azureAccountType, azureCannotServe, azurePath, azureTestRequest } from './azure.ts'
import { createUsageChunkFilter } from './usage-filter.ts'

const baseUrl = (fallback: string) => ({ title: 'Base URL', type: 'string', pattern: '^https?://[^\\s/?#@]+(/[^\\s?#]*)?$', default: fallback, description: 'base URL as the SDKs take it' })

const optionsSchema = oauthOptionsSchema(CODEX_OAUTH_DEFAULTS)

/** Each path with and without `/v1`; the account base URLs hold the `/v1`. */
function both (method: PluginRoute['method'], path: string, kind: PluginRoute['kind']): PluginRoute[] {
  return [{ method, path: `/v1${path}`, kind, pathInBase: '/v1' }, { method, path, kind }]
}

/**
 * Subscription accounts serve Codex CLI only, unless the operator opts an account in: OpenAI's
 * terms cover a ChatGPT plan used through Codex, and other clients on it risk the plan. An Azure
 * account serves only the models it has a deployment for.
 */
function cannotServe (account: AccountView, parsed: ParsedRequest): string | undefined {
  return subscriptionServes(account, parsed, 'codex-oauth', 'codex-cli', "this relay's ChatGPT subscription accounts serve Codex CLI only") ??
    azureCannotServe(account, parsed)
}

export function createOpenAIPlugin (oauth: CodexOAuthOptions): RelayPlugin {
  return {
    specificationVersion: 'v1',
    name: 'openai',
    optionsSchema,
    configure: options => createOpenAIPlugin((options as { oauth: CodexOAuthOptions }).oauth),
    routes: [
      ...both('POST', '/responses', 'generate'),
      ...both('POST', '/responses/compact', 'generate'),
      ...both('POST', '/chat/completions', 'generate'),
      // Codex's WebSocket mode (its built-in provider asks for it first).
      ...both('GET', '/responses', 'websocket'),
      ...both('GET', '/models', 'passthrough'),
      ...both('GET', '/models/:model', 'passthrough'),
    ],
    accountTypes: {
      'openai-api-key': {
        // The incumbent's name for an OpenAI-Responses-compatible account.
        aliases: ['openai-responses'],
        schema: {
          type: 'object',
          additionalProperties: false,
          required: ['apiKey'],
          properties: {
            apiKey: { title: 'API key', type: 'string', minLength: 1, writeOnly: true, description: 'OpenAI (or compatible) API key' },
            baseUrl: baseUrl(API_BASE),
            organization: { title: 'Organization', type: 'string', minLength: 1, description: 'sent as the OpenAI-Organization header' },
            project: { title: 'Project', type: 'string', minLength: 1, description: 'sent as the OpenAI-Project header' },
            websocket: { title: 'WebSocket upstream', type: 'boolean', default: false, description: 'the upstream serves the Responses API over WebSocket too (else WebSocket clients are told to use HTTP)' },
          },
        },
      },
      'codex-oauth': {
        oauth: codexOAuth(oauth),
        schema: {
          type: 'object',
          additionalProperties: false,
          required: ['accessToken'],
          properties: {
            accessToken: { title: 'Access token', type: 'string', minLength: 1, writeOnly: true, description: 'the OAuth access token' },
            refreshToken: { title: 'Refresh token', type: 'string', minLength: 1, writeOnly: true, description: 'renews the access token when it expires' },
            accountId: { title: 'ChatGPT account id', type: 'string', minLength: 1, description: 'ChatGPT account id (sent as chatgpt-account-id)' },
            expiresAt: { title: 'Access token expires at', type: 'integer', description: 'epoch ms' },
            email: { title: 'Email', type: 'string', description: 'who logged in (shown only)' },
            plan: { title: 'Plan', type: 'string', description: 'the subscription plan (shown only)' },
            baseUrl: baseUrl(CODEX_BASE),
            websocket: { title: 'WebSocket upstream', type: 'boolean', default: true, description: 'the upstream serves the Responses API over WebSocket (the ChatGPT Codex backend does)' },
            allowOtherClients: { title: 'Allow other clients', type: 'boolean', default: false, description: 'let clients other than Codex CLI use this subscription (terms-of-service risk)' },
          },
        },
      },
      [AZURE_TYPE]: azureAccountType,
    },
    prices,
    parseRequest,
    upstreamBase,
    upstreamPath: (_route, req, parsed, account) => (account.type === AZURE_TYPE ? azurePath(req, parsed, account) : undefined),
    prepareUpstream: (_route, req, parsed, account) => prepareUpstream(req, account, parsed.notes?.injectUsage === true, parsed.model),
    cannotServe,
    classifyError: (status, headers, body) => classifyError(status, headers, body),
    createMeter: (route, _parsed, headers) => {
      const sse = String(headers['content-type'] ?? '').startsWith('text/event-stream')
      if (!sse) return createJsonMeter()
      return isChat(route) ? createChatSseMeter() : createResponsesSseMeter()
    },
    filterResponse: (_route, parsed) => (parsed.notes?.injectUsage === true ? createUsageChunkFilter() : undefined),
    readRateLimits,
    // The ChatGPT backend takes only streamed, unstored calls with instructions, as Codex sends them.
    testRequest: account => account.type === AZURE_TYPE ? azureTestRequest(account) : ({
      routePath: '/v1/responses', path: '/v1/responses',
      body: account.type === 'codex-oauth'
        ? { model: 'gpt-5.4', instructions: 'Answer in one word.', input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'ping' }] }], stream: true, store: false }
        : { model: 'gpt-5.4-mini', input: 'ping', max_output_tokens: 16 },
    }),
    // OpenAI's models: another mount sends these only to accounts that list them.
    ownsModel: (model: string) => /^(gpt-|chatgpt-|codex-|o\d|text-embedding-|dall-e|whisper-|tts-|omni-|computer-use-)/i.test(model),
    // Codex retries every 429 and then shows only "exceeded retry limit": a refusal that must
    // not be retried is a 403, for which it prints the relay's reason (measured, Codex 0.171).
    refusalStatus: (_code, status, hints) => (status === 429 && hints.noRetry ? 403 : status),
    errorBody,
    streamError,
    streamStartError,
    isNativeError,
    websocket,
  }
}

export default createOpenAIPlugin(CODEX_OAUTH_DEFAULTS)
