// The call to Factory's LLM API for a Droid account: the format's Factory path, the account's
// credential as a bearer (a Factory API key, or the login's access token), and Factory's routing
// headers as Droid sends them (`x-factory-client`, `x-api-provider`, `x-session-id`). What a
// Droid client sent of its own (its version, message id, betas) passes on; credentials do not.
// The body goes as sent, but for the account's model map and a chat stream's usage request.
import { randomUUID } from 'node:crypto'
import { withServedModel, type AccountView, type IncomingRequest, type ParsedRequest, type UpstreamRequest } from '../../core/plugin-api.ts'
import { apiProvider, type DroidFormat } from './formats.ts'
import { withUsageRequested } from '../openai/prepare-upstream.ts'

export const FACTORY_LLM_BASE = 'https://api.factory.ai/api/llm'

export function upstreamBase (account: AccountView): string {
  return String(account.fields.baseUrl ?? FACTORY_LLM_BASE)
}

export function prepareUpstream (format: DroidFormat, req: IncomingRequest, parsed: ParsedRequest, account: AccountView): UpstreamRequest {
  const headers: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = v
  const credential = typeof account.fields.accessToken === 'string' ? account.fields.accessToken : String(account.fields.apiKey)
  headers.authorization = `Bearer ${credential}`
  headers['x-factory-client'] ??= 'cli'
  headers['x-api-provider'] ??= apiProvider(format, parsed.model ?? '')
  // Factory keys its caches by session: the client's, else one for this conversation.
  headers['x-session-id'] ??= typeof parsed.sessionKey === 'string' && /^[\w-]{1,128}$/.test(parsed.sessionKey) ? parsed.sessionKey : randomUUID()
  let body = withServedModel(req.body, account, parsed.model)
  if (parsed.notes?.injectUsage === true && body) {
    body = withUsageRequested(body)
    // The filter that hides the added usage chunk reads the stream: it must come uncompressed.
    delete headers['accept-encoding']
  }
  return { url: `${upstreamBase(account).replace(/\/+$/, '')}${req.upstreamPath}`, headers, body }
}
