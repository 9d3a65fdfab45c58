// Claude on AWS Bedrock, as an account type of the Claude plugin: where a request goes for a
// `bedrock` account, how it is built and signed, what of its answer the client and the meter see.
import { parseJsonObject, type AccountView, type IncomingRequest, type ParsedRequest, type PluginRoute, type ResponseFilter, type UpstreamRequest } from '../../../core/plugin-api.ts'
import { createCountTokensFilter, createEventStreamFilter } from './answer.ts'
import { BEDROCK_TYPE } from './account-type.ts'
import { bedrockPath, bedrockRequest } from './request.ts'

export { bedrockAccountType, BEDROCK_TYPE } from './account-type.ts'
export { bedrockBase } from './request.ts'
export { createEventStreamMeter } from './answer.ts'

export const isBedrock = (account: AccountView) => account.type === BEDROCK_TYPE
export const EVENT_STREAM_TYPE = 'application/vnd.amazon.eventstream'

/** Bedrock has no model listing on its runtime endpoint: such an account answers only model calls. */
export function bedrockCannotServe (account: AccountView, parsed: ParsedRequest): string | undefined {
  return isBedrock(account) && parsed.model === undefined ? "this relay's Bedrock accounts do not list models" : undefined
}

export function upstreamPath (route: PluginRoute, parsed: ParsedRequest, account: AccountView): string | undefined {
  return bedrockPath(route.path, parsed, account)
}

export async function prepareBedrock (route: PluginRoute, req: IncomingRequest, parsed: ParsedRequest, account: AccountView): Promise<UpstreamRequest> {
  // The body was read by the parser already: a JSON object with a model.
  const read = parseJsonObject(req.body?.toString('utf8') ?? '{}', [])
  const body = 'value' in read ? read.value as Record<string, unknown> : {}
  const beta = req.headers['anthropic-beta']
  return bedrockRequest(account, route.path, req.upstreamPath, body, Array.isArray(beta) ? beta.join(',') : beta, parsed.stream && route.path === '/v1/messages')
}

export function filterBedrock (route: PluginRoute, contentType: string): ResponseFilter | undefined {
  if (route.path === '/v1/messages/count_tokens') return createCountTokensFilter()
  return contentType.startsWith(EVENT_STREAM_TYPE) ? createEventStreamFilter() : undefined
}
