// Azure OpenAI accounts: a resource's deployments, reached with its `api-key` (or an Entra ID
// token as a bearer). Azure names a deployment where OpenAI names a model: the v1 API
// (`{endpoint}/openai/v1/responses`, `/chat/completions`) takes the deployment in the body's
// `model`; the dated API puts it in the path (`/openai/deployments/{name}/chat/completions`) and
// wants `?api-version=`. Which deployment serves a model is the account's `deployments` (exact
// names in any case, then globs), else a deployment named as the model, as Azure's portal
// proposes. The answer names the deployment's model, so the row is priced as what ran.
import { mapModel, servedModel, type AccountTypeSpec, type AccountView, type IncomingRequest, type ParsedRequest, type TestRequest } from '../../core/plugin-api.ts'

export const AZURE_TYPE = 'azure-openai'
/** Azure's deployment names: letters, digits, `-`, `_`, `.` (they go into a path). */
const DEPLOYMENT = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'
const DEPLOYMENT_NAME = new RegExp(DEPLOYMENT)
const API_VERSION = /^(v1|preview|\d{4}-\d{2}-\d{2}(-preview)?)$/

export const azureAccountType: AccountTypeSpec = {
  // The incumbent's name for the same accounts.
  aliases: ['azure_openai'],
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['endpoint'],
    properties: {
      endpoint: { title: 'Resource endpoint', type: 'string', pattern: '^https?://[^\\s/?#@]+(/[^\\s?#]*)?$', description: 'https://<resource>.openai.azure.com, or the gateway in front of it' },
      apiKey: { title: 'API key', type: 'string', minLength: 1, writeOnly: true, description: "the resource's key, sent as the api-key header" },
      bearerToken: { title: 'Entra ID token', type: 'string', minLength: 1, writeOnly: true, description: 'instead of a key: an access token for https://cognitiveservices.azure.com, sent as Authorization: Bearer' },
      apiVersion: { title: 'API version', type: 'string', pattern: API_VERSION.source, default: 'v1', description: 'v1 (the current API), or a dated version such as 2024-10-21 for a resource that has only those' },
      deployments: {
        title: 'Deployments',
        type: 'object',
        maxProperties: 200,
        propertyNames: { minLength: 1, maxLength: 200 },
        additionalProperties: { type: 'string', pattern: DEPLOYMENT },
        description: 'model → deployment, one "model: deployment" per line (globs allowed); a model not listed goes to the deployment of its own name',
      },
    },
  },
  fieldsProblem: fields => (fields.apiKey === undefined && fields.bearerToken === undefined
    ? 'an azure-openai account needs apiKey (sent as api-key) or bearerToken (an Entra ID token)'
    : undefined),
}

const isV1 = (account: AccountView) => (account.fields.apiVersion ?? 'v1') === 'v1' || account.fields.apiVersion === 'preview'

export function azureBase (account: AccountView): string {
  return `${String(account.fields.endpoint).replace(/\/+$/, '')}/openai`
}

/** The deployment that serves `model` for this account (its model map first, then `deployments`). */
export function deploymentFor (account: AccountView, model: string): string {
  const served = servedModel(account, model)
  return mapModel(account.fields.deployments as Record<string, string> | undefined, served)
}

/**
 * A model that names no deployment this account could call: a model no entry maps, whose own
 * name is not a deployment name (the client's text must never become a path of its own).
 */
export function azureCannotServe (account: AccountView, parsed: ParsedRequest): string | undefined {
  if (account.type !== AZURE_TYPE || parsed.model === undefined) return undefined
  return DEPLOYMENT_NAME.test(deploymentFor(account, parsed.model)) ? undefined : `no deployment of this relay's Azure accounts serves "${parsed.model.slice(0, 80)}"`
}

/** The path under `{endpoint}/openai` for a request the client sent to `req.upstreamPath`. */
export function azurePath (req: IncomingRequest, parsed: ParsedRequest, account: AccountView): string {
  if (isV1(account)) return `/v1${req.upstreamPath}`
  if (req.upstreamPath === '/chat/completions' && parsed.model !== undefined) return `/deployments/${deploymentFor(account, parsed.model)}/chat/completions`
  return req.upstreamPath
}

/** The query Azure wants: the account's api-version (none for v1); what the client sent is not Azure's. */
export function azureQuery (account: AccountView): string {
  const version = String(account.fields.apiVersion ?? 'v1')
  return version === 'v1' ? '' : `api-version=${version}`
}

/** Azure's credential header for the account. */
export function azureCredential (account: AccountView): Record<string, string> {
  return typeof account.fields.apiKey === 'string' ? { 'api-key': account.fields.apiKey } : { authorization: `Bearer ${String(account.fields.bearerToken)}` }
}

/** One token from the account's first named deployment (Chat Completions: every API version has it). */
export function azureTestRequest (account: AccountView): TestRequest {
  const named = Object.keys((account.fields.deployments ?? {}) as Record<string, string>).find(m => !/[*?[\]{}]/.test(m))
  return {
    routePath: '/v1/chat/completions', path: '/v1/chat/completions',
    body: { model: named ?? 'gpt-4o-mini', messages: [{ role: 'user', content: 'ping' }], max_completion_tokens: 16 },
  }
}
