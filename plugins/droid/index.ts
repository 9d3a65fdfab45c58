// The Droid (Factory) provider plugin: Factory accounts (a Factory API key, or the subscription
// login) serving the incumbent's `/droid` paths in Factory's three formats: Anthropic Messages
// at `/droid/claude/v1/messages`, OpenAI Responses at `/droid/openai/v1/responses`, Chat
// Completions at `/droid/comm/v1/chat/completions`, each relayed to Factory's LLM API
// (`/a/v1/messages`, `/o/v1/responses`, `/o/v1/chat/completions`). The formats are the Claude
// and OpenAI plugins' own: their parsers, meters and answer filters are used as they are.
//
// Factory's terms cover its subscription used through its own client: such an account serves
// Droid only, unless the operator opts it in; the relay does not reshape requests to look like
// Droid's (no injected system prompt).
import { oauthOptionsSchema, type AccountView, type ListedModel, type ParsedRequest, type PluginRoute, type RelayPlugin } from '../../core/plugin-api.ts'
import claude from '../claude/index.ts'
import openai from '../openai/index.ts'
import { errorBody, isNativeError, streamError } from './errors.ts'
import { FORMATS, formatOf } from './formats.ts'
import { droidOAuth, DROID_OAUTH_DEFAULTS, type DroidOAuthOptions } from './oauth.ts'
import { FACTORY_LLM_BASE, prepareUpstream, upstreamBase } from './prepare-upstream.ts'

const generate: PluginRoute[] = Object.keys(FORMATS).map(path => ({ method: 'POST', path, kind: 'generate' }))

/** Subscription logins serve Droid only, unless the operator opts the account in. */
function cannotServe (account: AccountView, parsed: ParsedRequest): string | undefined {
  if (typeof account.fields.accessToken !== 'string' || parsed.clientKind === 'droid-cli' || account.fields.allowOtherClients === true) return undefined
  return "this relay's Factory subscription accounts serve Droid only"
}

function format (route: PluginRoute) {
  const f = formatOf(route)
  if (!f) throw new Error(`no Droid format at ${route.path}`)
  return f
}

export function createDroidPlugin (oauth: DroidOAuthOptions): RelayPlugin {
  return {
    specificationVersion: 'v1',
    name: 'droid',
    optionsSchema: oauthOptionsSchema(DROID_OAUTH_DEFAULTS),
    configure: options => createDroidPlugin((options as { oauth: DroidOAuthOptions }).oauth),
    routes: [
      ...generate,
      // Droid's custom models may ask for a list at any of the three bases.
      ...['/claude/v1/models', '/openai/v1/models', '/comm/v1/models'].map((path): PluginRoute => ({ method: 'GET', path, kind: 'models' })),
    ],
    accountTypes: {
      droid: {
        oauth: droidOAuth(oauth),
        schema: {
          type: 'object',
          additionalProperties: false,
          properties: {
            apiKey: { title: 'Factory API key', type: 'string', minLength: 1, writeOnly: true, description: 'a Factory API key (fk-...); or log the account in with its subscription' },
            accessToken: { title: 'Access token', type: 'string', minLength: 1, writeOnly: true, description: 'the login\'s access token' },
            refreshToken: { title: 'Refresh token', type: 'string', minLength: 1, writeOnly: true, description: 'renews the access token when it expires' },
            expiresAt: { title: 'Access token expires at', type: 'integer', description: 'epoch ms' },
            organizationId: { title: 'Factory organization', type: 'string', maxLength: 200, description: 'the WorkOS organization the login is scoped to' },
            email: { title: 'Email', type: 'string', description: 'who logged in (shown only)' },
            baseUrl: { title: 'Base URL', type: 'string', pattern: '^https?://[^\\s/?#@]+(/[^\\s?#]*)?$', default: FACTORY_LLM_BASE, description: "Factory's LLM API" },
            allowOtherClients: { title: 'Allow other clients', type: 'boolean', default: false, description: 'let clients other than Droid use this subscription (terms-of-service risk)' },
          },
        },
        fieldsProblem: f => (f.apiKey === undefined && f.accessToken === undefined ? 'a droid account needs apiKey (a Factory API key), or a login (`ai-relay accounts login droid`)' : undefined),
      },
    },
    // Factory serves the vendors' models: priced from their tables.
    prices: { version: `${claude.prices!.version}+${openai.prices!.version}`, models: { ...claude.prices!.models, ...openai.prices!.models }, aliases: { ...claude.prices!.aliases, ...openai.prices!.aliases } },
    parseRequest: (route, req) => {
      // A listing: the Claude parser reads a GET for its client and nothing else.
      if (route.kind === 'models') return claude.parseRequest(route, req)
      const f = format(route)
      return f.plugin.parseRequest(f.route, { ...req, path: f.route.path })
    },
    upstreamBase,
    upstreamPath: route => format(route).factoryPath,
    prepareUpstream: (route, req, parsed, account) => prepareUpstream(format(route), req, parsed, account),
    cannotServe,
    // Claude, GPT and open models alike, through Factory.
    servesAnyModel: true,
    classifyError: (status, headers, body) => openai.classifyError(status, headers, body),
    createMeter: (route, parsed, headers) => {
      const f = format(route)
      return f.plugin.createMeter(f.route, parsed, headers)
    },
    filterResponse: (route, parsed, headers, account) => {
      const f = format(route)
      return f.plugin.filterResponse?.(f.route, parsed, headers, account)
    },
    modelList: (models: ListedModel[]) => ({ object: 'list', data: models.map(m => ({ id: m.id, object: 'model', type: 'model', created: 0, owned_by: m.provider, display_name: m.id })), has_more: false }),
    testRequest: () => ({
      routePath: '/claude/v1/messages', path: '/claude/v1/messages',
      headers: { 'anthropic-version': '2023-06-01', 'user-agent': 'factory-cli/relay-test', 'x-factory-client': 'cli' },
      body: { model: 'claude-haiku-4-5-20251001', max_tokens: 1, messages: [{ role: 'user', content: 'ping' }] },
    }),
    errorBody,
    streamError,
    isNativeError,
  }
}

export default createDroidPlugin(DROID_OAUTH_DEFAULTS)
