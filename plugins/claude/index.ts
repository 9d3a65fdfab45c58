// The Anthropic (Claude) provider plugin: the Messages API for Claude Code and the SDKs, with
// API-key accounts, subscription (OAuth) accounts and AWS Bedrock accounts (bedrock/).
import { HEADER_POLICY_FIELDS, headerPolicyProblem, oauthOptionsSchema, stripResponseHeaders, subscriptionServes, type AccountView, type ParsedRequest, type RelayPlugin } from '../../core/plugin-api.ts'
import prices from './prices.json' with { type: 'json' }
import { classifyError } from './classify-error.ts'
import { errorBody, isNativeError, streamError, streamStartError } from './errors.ts'
import { createJsonMeter, createSseMeter } from './meter.ts'
import { claudeOAuth, OAUTH_DEFAULTS, type ClaudeOAuthOptions } from './oauth.ts'
import { parseRequest } from './parse-request.ts'
import { prepareUpstream, upstreamBase } from './prepare-upstream.ts'
import { readRateLimits } from './rate-limits.ts'
import * as bedrock from './bedrock/index.ts'

const baseUrl = { title: 'Base URL', type: 'string', pattern: '^https?://[^\\s/?#@]+(/[^\\s?#]*)?$', default: 'https://api.anthropic.com', description: 'API origin, optionally with a path prefix' }

const optionsSchema = oauthOptionsSchema(OAUTH_DEFAULTS)

/**
 * Subscription accounts serve Claude Code only, unless the operator opts an account in:
 * Anthropic's consumer terms cover use through their own clients, and other clients sending
 * through a subscription may breach them. The relay does not reshape such requests.
 */
function cannotServe (account: AccountView, parsed: ParsedRequest): string | undefined {
  return subscriptionServes(account, parsed, 'claude-oauth', 'claude-code', "this relay's Claude subscription accounts serve Claude Code only") ??
    bedrock.bedrockCannotServe(account, parsed)
}

export function createClaudePlugin (oauth: ClaudeOAuthOptions): RelayPlugin {
  return {
    specificationVersion: 'v1',
    name: 'claude',
    optionsSchema,
    configure: options => createClaudePlugin((options as { oauth: ClaudeOAuthOptions }).oauth),
    routes: [
      { method: 'POST', path: '/v1/messages', kind: 'generate' },
      { method: 'POST', path: '/v1/messages/count_tokens', kind: 'passthrough' },
      { method: 'GET', path: '/v1/models', kind: 'passthrough' },
      { method: 'GET', path: '/v1/models/:model', kind: 'passthrough' },
      // Claude Code's connectivity check, sent without a key before the first request.
      { method: 'HEAD', path: '/api/hello', kind: 'local', respond: () => ({ status: 200 }) },
      { method: 'GET', path: '/api/hello', kind: 'local', respond: () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"message":"hello"}' }) },
    ],
    accountTypes: {
      'claude-api-key': {
        aliases: ['claude-console'],
        schema: {
          type: 'object',
          additionalProperties: false,
          required: ['apiKey'],
          properties: {
            apiKey: { title: 'API key', type: 'string', minLength: 1, writeOnly: true, description: 'Anthropic API key (sk-ant-...)' },
            baseUrl,
            authStyle: { title: 'Send the key as', type: 'string', enum: ['x-api-key', 'bearer'], default: 'x-api-key', description: 'x-api-key, as Anthropic takes it, or Authorization: Bearer, as some Claude-compatible relays want' },
            // A Claude-compatible relay in a chain may want headers kept from it, or added.
            ...HEADER_POLICY_FIELDS,
          },
        },
        fieldsProblem: headerPolicyProblem,
      },
      [bedrock.BEDROCK_TYPE]: bedrock.bedrockAccountType,
      'claude-oauth': {
        oauth: claudeOAuth(oauth),
        schema: {
          type: 'object',
          additionalProperties: false,
          required: ['accessToken'],
          properties: {
            accessToken: { title: 'Access token', type: 'string', minLength: 1, writeOnly: true, description: 'the OAuth access token; a long-lived token from `claude setup-token` works alone' },
            refreshToken: { title: 'Refresh token', type: 'string', minLength: 1, writeOnly: true, description: 'renews the access token when it expires' },
            expiresAt: { title: 'Access token expires at', type: 'integer', description: 'epoch ms' },
            scopes: { title: 'Scopes', type: 'array', items: { type: 'string' }, description: 'what the login granted' },
            email: { title: 'Email', type: 'string', description: 'who logged in (shown only)' },
            baseUrl,
            allowOtherClients: { title: 'Allow other clients', type: 'boolean', default: false, description: 'let clients other than Claude Code use this subscription (terms-of-service risk)' },
          },
        },
      },
    },
    prices,
    parseRequest,
    upstreamBase: account => (bedrock.isBedrock(account) ? bedrock.bedrockBase(account) : upstreamBase(account)),
    upstreamPath: (route, _req, parsed, account) => (bedrock.isBedrock(account) ? bedrock.upstreamPath(route, parsed, account) : undefined),
    prepareUpstream: (route, req, parsed, account) => (bedrock.isBedrock(account) ? bedrock.prepareBedrock(route, req, parsed, account) : prepareUpstream(req, account, parsed.model)),
    cannotServe,
    classifyError,
    createMeter: (_route, _parsed, headers) => {
      const type = String(headers['content-type'] ?? '')
      if (type.startsWith(bedrock.EVENT_STREAM_TYPE)) return bedrock.createEventStreamMeter()
      return type.startsWith('text/event-stream') ? createSseMeter() : createJsonMeter()
    },
    filterResponse: (route, _parsed, headers, account) => (bedrock.isBedrock(account) ? bedrock.filterBedrock(route, String(headers['content-type'] ?? '')) : undefined),
    responseHeaders: (account, headers) => stripResponseHeaders(headers, account.fields),
    readRateLimits,
    // The cheapest call there is: one output token from the smallest model.
    testRequest: () => ({
      routePath: '/v1/messages', path: '/v1/messages',
      headers: { 'anthropic-version': '2023-06-01' },
      body: { model: 'claude-haiku-4-5', max_tokens: 1, messages: [{ role: 'user', content: 'ping' }] },
    }),
    // Anthropic's models: another mount sends these only to accounts that list them.
    ownsModel: (model: string) => /^claude-/i.test(model),
    errorBody,
    streamError,
    streamStartError,
    isNativeError,
  }
}

export default createClaudePlugin(OAUTH_DEFAULTS)
