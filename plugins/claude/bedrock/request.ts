// A Messages API call as Bedrock's InvokeModel: `POST /model/{modelId}/invoke` (or
// `/invoke-with-response-stream`), the body without `model` and `stream`, with Bedrock's
// `anthropic_version` and the betas it knows in `anthropic_beta`; count_tokens as Bedrock's
// CountTokens. Signed with SigV4 by @smithy/signature-v4 for an access key, or sent with a
// Bedrock API key as a bearer. The client's own headers are Anthropic's business, not AWS's:
// none of them goes.
import { Hash } from '@smithy/hash-node'
import { SignatureV4 } from '@smithy/signature-v4'
import { servedModel, type AccountView, type ParsedRequest, type UpstreamRequest } from '../../../core/plugin-api.ts'

export const BEDROCK_VERSION = 'bedrock-2023-05-31'
const STREAM_TYPE = 'application/vnd.amazon.eventstream'

/**
 * Claude's model names → Bedrock's model ids, for an account whose model map does not name
 * them; the region's geography prefix (`us.`, `eu.`, `apac.`) makes the id a cross-region
 * inference profile, which the newer models require.
 */
const MODEL_IDS: Readonly<Record<string, string>> = {
  'claude-opus-4-5': 'anthropic.claude-opus-4-5-20251101-v1:0',
  'claude-opus-4-5-20251101': 'anthropic.claude-opus-4-5-20251101-v1:0',
  'claude-sonnet-4-5': 'anthropic.claude-sonnet-4-5-20250929-v1:0',
  'claude-sonnet-4-5-20250929': 'anthropic.claude-sonnet-4-5-20250929-v1:0',
  'claude-haiku-4-5': 'anthropic.claude-haiku-4-5-20251001-v1:0',
  'claude-haiku-4-5-20251001': 'anthropic.claude-haiku-4-5-20251001-v1:0',
  'claude-opus-4-1': 'anthropic.claude-opus-4-1-20250805-v1:0',
  'claude-opus-4-1-20250805': 'anthropic.claude-opus-4-1-20250805-v1:0',
  'claude-sonnet-4-0': 'anthropic.claude-sonnet-4-20250514-v1:0',
  'claude-sonnet-4-20250514': 'anthropic.claude-sonnet-4-20250514-v1:0',
  'claude-opus-4-0': 'anthropic.claude-opus-4-20250514-v1:0',
  'claude-opus-4-20250514': 'anthropic.claude-opus-4-20250514-v1:0',
  'claude-3-7-sonnet-20250219': 'anthropic.claude-3-7-sonnet-20250219-v1:0',
  'claude-3-5-haiku-20241022': 'anthropic.claude-3-5-haiku-20241022-v1:0',
}

/**
 * The betas Bedrock takes in `anthropic_beta`; it refuses others (Claude Code's own
 * `claude-code-20250219`, the OAuth one). Listed as lossy in the README.
 */
export const BEDROCK_BETAS = new Set([
  'interleaved-thinking-2025-05-14', 'context-1m-2025-08-07', 'context-management-2025-06-27', 'effort-2025-11-24',
  'tool-search-tool-2025-10-19', 'tool-examples-2025-10-29', 'token-efficient-tools-2025-02-19', 'output-128k-2025-02-19',
  'computer-use-2025-01-24', 'computer-use-2025-11-24', 'fine-grained-tool-streaming-2025-05-14',
])

export function bedrockBase (account: AccountView): string {
  return String(account.fields.baseUrl ?? `https://bedrock-runtime.${String(account.fields.region)}.amazonaws.com`)
}

function geography (region: string): string | undefined {
  if (region.startsWith('us-gov-')) return 'us-gov'
  const area = region.split('-')[0]
  return area === 'us' ? 'us' : area === 'eu' ? 'eu' : area === 'ap' ? 'apac' : undefined
}

/** The Bedrock model id for `model`: the account's model map, else the built-in id with the region's profile prefix, else as asked. */
export function bedrockModelId (account: AccountView, model: string): string {
  const served = servedModel(account, model)
  if (served !== model || /(^|\.)anthropic\./.test(model)) return served
  const id = MODEL_IDS[model.toLowerCase()]
  if (!id) return model
  const geo = geography(String(account.fields.region))
  return geo ? `${geo}.${id}` : id
}

/** The path under the endpoint: the model id raw (`:` is a path character), one action. */
export function bedrockPath (upstreamPath: string, parsed: ParsedRequest, account: AccountView): string | undefined {
  if (parsed.model === undefined) return undefined
  const id = bedrockModelId(account, parsed.model)
  if (upstreamPath === '/v1/messages') return `/model/${id}/${parsed.stream ? 'invoke-with-response-stream' : 'invoke'}`
  // CountTokens takes a foundation model, not a cross-region profile.
  if (upstreamPath === '/v1/messages/count_tokens') return `/model/${id.replace(/^(us|eu|apac|us-gov|global)\./, '')}/count-tokens`
  return undefined
}

/** Keeps of a `cache_control` what Bedrock takes (`type`, `ttl`); newer clients add fields it refuses. */
function trimCacheControl (node: unknown, depth = 0): void {
  if (node === null || typeof node !== 'object' || depth > 64) return
  if (Array.isArray(node)) {
    for (const item of node) trimCacheControl(item, depth + 1)
    return
  }
  const o = node as Record<string, unknown>
  const cc = o.cache_control
  if (cc !== null && typeof cc === 'object' && !Array.isArray(cc)) {
    const { type, ttl } = cc as Record<string, unknown>
    o.cache_control = { type: type ?? 'ephemeral', ...(ttl === undefined ? {} : { ttl }) }
  }
  for (const v of Object.values(o)) if (v !== null && typeof v === 'object') trimCacheControl(v, depth + 1)
}

/** The Messages API body as InvokeModel's. */
export function invokeBody (body: Record<string, unknown>, betaHeader: string | undefined): Record<string, unknown> {
  const { model: _model, stream: _stream, ...rest } = body
  const given = Array.isArray(rest.anthropic_beta) ? rest.anthropic_beta.filter((b): b is string => typeof b === 'string') : []
  const fromHeader = (betaHeader ?? '').split(',').map(s => s.trim()).filter(Boolean)
  const betas = [...new Set([...given, ...fromHeader])].filter(b => BEDROCK_BETAS.has(b))
  delete rest.anthropic_beta
  trimCacheControl(rest)
  return { anthropic_version: BEDROCK_VERSION, ...(betas.length > 0 ? { anthropic_beta: betas } : {}), ...rest }
}

/** The call for this account, signed. `body` is the client's JSON object. */
export async function bedrockRequest (account: AccountView, upstreamPath: string, path: string, body: Record<string, unknown>, betaHeader: string | undefined, stream: boolean): Promise<UpstreamRequest> {
  const url = new URL(`${bedrockBase(account).replace(/\/+$/, '')}${path}`)
  const invoke = invokeBody(body, betaHeader)
  const payload = upstreamPath === '/v1/messages/count_tokens'
    ? { input: { invokeModel: { body: Buffer.from(JSON.stringify(invoke)).toString('base64') } } }
    : invoke
  const bytes = Buffer.from(JSON.stringify(payload))
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: stream ? STREAM_TYPE : 'application/json' }
  if (typeof account.fields.apiKey === 'string') {
    return { url: `${url.origin}${url.pathname}`, headers: { ...headers, authorization: `Bearer ${account.fields.apiKey}` }, body: bytes }
  }
  const signer = new SignatureV4({
    service: 'bedrock',
    region: String(account.fields.region),
    sha256: Hash.bind(null, 'sha256'),
    credentials: {
      accessKeyId: String(account.fields.accessKeyId),
      secretAccessKey: String(account.fields.secretAccessKey),
      ...(typeof account.fields.sessionToken === 'string' ? { sessionToken: account.fields.sessionToken } : {}),
    },
  })
  // Signed as sent: undici derives the same Host from the URL, so it is not passed on twice.
  const signed = await signer.sign({
    method: 'POST', protocol: url.protocol, hostname: url.hostname, ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname, query: {}, headers: { ...headers, host: url.host }, body: bytes,
  })
  const { host: _host, ...sent } = signed.headers
  return { url: `${url.origin}${url.pathname}`, headers: sent, body: bytes }
}
