// Builds the call for the chosen account. API-key accounts take any Responses/Chat-compatible
// base URL as the SDKs do (`/v1` included); subscription (ChatGPT) accounts go to the Codex
// backend with the account id Codex sends; Azure accounts to their resource (azure.ts). The body
// goes byte-identical, except for a model the account calls otherwise (its model map, an Azure
// deployment) and a chat stream that did not ask for usage: the relay asks for it (and filters
// the answer out again).
import { withModelName, withServedModel, type AccountView, type IncomingRequest, type UpstreamRequest } from '../../core/plugin-api.ts'
import { AZURE_TYPE, azureBase, azureCredential, azureQuery, deploymentFor } from './azure.ts'

export const API_BASE = 'https://api.openai.com/v1'
export const CODEX_BASE = 'https://chatgpt.com/backend-api/codex'

export function upstreamBase (account: AccountView): string {
  if (account.type === AZURE_TYPE) return azureBase(account)
  return String(account.fields.baseUrl ?? (account.type === 'codex-oauth' ? CODEX_BASE : API_BASE))
}

/** A chat body that asks for the usage chunk (the relay's filter hides it again). */
export function withUsageRequested (body: Buffer): Buffer {
  const json = JSON.parse(body.toString('utf8')) as { stream_options?: Record<string, unknown> | null }
  json.stream_options = { ...(json.stream_options ?? {}), include_usage: true }
  return Buffer.from(JSON.stringify(json))
}

export function prepareUpstream (req: IncomingRequest, account: AccountView, injectUsage: boolean, model?: string): UpstreamRequest {
  const base = upstreamBase(account).replace(/\/+$/, '')
  const headers: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = v
  let query = req.query
  let body: Buffer | undefined
  if (account.type === AZURE_TYPE) {
    // The client's credential headers are gone already; Azure's own goes, and its api-version.
    Object.assign(headers, azureCredential(account))
    query = azureQuery(account)
    body = model === undefined ? req.body : withModelName(req.body, model, deploymentFor(account, model))
  } else if (account.type === 'codex-oauth') {
    headers.authorization = `Bearer ${String(account.fields.accessToken)}`
    if (typeof account.fields.accountId === 'string') headers['chatgpt-account-id'] = account.fields.accountId
  } else {
    headers.authorization = `Bearer ${String(account.fields.apiKey)}`
    if (typeof account.fields.organization === 'string') headers['openai-organization'] = account.fields.organization
    if (typeof account.fields.project === 'string') headers['openai-project'] = account.fields.project
  }
  // The account's model map, when it names the model otherwise (another relay's name for it).
  if (account.type !== AZURE_TYPE) body = withServedModel(req.body, account, model)
  if (injectUsage && body) {
    body = withUsageRequested(body)
    // The filter that hides the added usage chunk reads the stream: it must come uncompressed.
    delete headers['accept-encoding']
  }
  return { url: `${base}${req.upstreamPath}${query ? `?${query}` : ''}`, headers, body }
}
