// A fake Bedrock runtime on 127.0.0.1, as AWS answers: `POST /model/{modelId}/invoke` (the
// Anthropic message JSON), `/invoke-with-response-stream` (AWS's binary event stream: each
// Anthropic event base64 in a `chunk` message, the last with `amazon-bedrock-invocationMetrics`),
// and `/count-tokens`. It checks what AWS checks: the SigV4 signature (recomputed from the
// request as received, with the same signer the SDKs use) or a Bedrock API key, the body's
// `anthropic_version` and that it names no `model` nor `stream`, the betas, the model id. Errors
// are AWS's: `{message}` with `x-amzn-errortype`. Faults: throttling, quota, an exception inside
// the stream, a stream cut mid-way, frames split into pieces.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Hash } from '@smithy/hash-node'
import { SignatureV4 } from '@smithy/signature-v4'
import { EventStreamCodec } from '@smithy/core/event-streams'
import { DEFAULT_USAGE, messageEvents, messageJson, type MockUsage } from './anthropic-mock.ts'
import { startRecordingServer, type RecordedHttpRequest } from './recording-server.ts'

export interface BedrockCredentials { accessKeyId: string, secretAccessKey: string, sessionToken?: string }

export type BedrockBehaviour =
  | { kind: 'ok', usage?: Partial<MockUsage>, text?: string, splitFrames?: boolean }
  | { kind: 'error', status: number, type: string, message: string }
  /** A 200 stream that carries an exception message after `afterEvents` events. */
  | { kind: 'stream-exception', afterEvents: number, type: string, message: string }
  | { kind: 'cut', afterEvents: number }

export type RecordedBedrockRequest = RecordedHttpRequest

export interface BedrockMock {
  url: string
  requests: RecordedBedrockRequest[]
  enqueue (...b: BedrockBehaviour[]): void
  close (): Promise<void>
}

/** The model ids this fake region serves, and the Anthropic model each answers as. */
export const BEDROCK_MODELS: Readonly<Record<string, string>> = {
  'us.anthropic.claude-sonnet-4-5-20250929-v1:0': 'claude-sonnet-4-5-20250929',
  'anthropic.claude-sonnet-4-5-20250929-v1:0': 'claude-sonnet-4-5-20250929',
  'us.anthropic.claude-haiku-4-5-20251001-v1:0': 'claude-haiku-4-5-20251001',
  'anthropic.claude-haiku-4-5-20251001-v1:0': 'claude-haiku-4-5-20251001',
}

/** The betas AWS documents for Claude on Bedrock (`anthropic_beta`); any other is a ValidationException. */
const ACCEPTED_BETAS = new Set(['interleaved-thinking-2025-05-14', 'context-1m-2025-08-07', 'context-management-2025-06-27', 'effort-2025-11-24', 'tool-search-tool-2025-10-19', 'tool-examples-2025-10-29', 'token-efficient-tools-2025-02-19', 'output-128k-2025-02-19', 'computer-use-2025-01-24', 'computer-use-2025-11-24', 'fine-grained-tool-streaming-2025-05-14'])

const codec = new EventStreamCodec(b => Buffer.from(b).toString('utf8'), s => Buffer.from(s, 'utf8'))

export function chunkMessage (eventJson: string): Uint8Array {
  return codec.encode({
    headers: { ':event-type': { type: 'string', value: 'chunk' }, ':content-type': { type: 'string', value: 'application/json' }, ':message-type': { type: 'string', value: 'event' } },
    body: Buffer.from(JSON.stringify({ bytes: Buffer.from(eventJson).toString('base64'), p: 'abcdefghij' })),
  })
}

export function exceptionMessage (type: string, message: string): Uint8Array {
  return codec.encode({
    headers: { ':exception-type': { type: 'string', value: type }, ':content-type': { type: 'string', value: 'application/json' }, ':message-type': { type: 'string', value: 'exception' } },
    body: Buffer.from(JSON.stringify({ message })),
  })
}

/** Why the request's credential is refused, or undefined: SigV4 recomputed over what arrived. */
async function authProblem (req: IncomingMessage, body: Buffer, region: string, creds: BedrockCredentials | undefined, apiKey: string | undefined): Promise<[string, string] | undefined> {
  const auth = String(req.headers.authorization ?? '')
  if (auth.startsWith('Bearer ')) return apiKey !== undefined && auth === `Bearer ${apiKey}` ? undefined : ['UnrecognizedClientException', 'The security token included in the request is invalid.']
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(auth)
  if (!m || !creds || m[1] !== creds.accessKeyId) return ['UnrecognizedClientException', 'The security token included in the request is invalid.']
  if (m[3] !== region || m[4] !== 'bedrock') return ['InvalidSignatureException', `Credential should be scoped to a valid region and service: ${region}/bedrock`]
  if ((creds.sessionToken ?? undefined) !== req.headers['x-amz-security-token']) return ['UnrecognizedClientException', 'The security token included in the request is invalid.']
  const signed = m[5]!.split(';')
  if (!signed.includes('host') || !signed.includes('x-amz-date')) return ['InvalidSignatureException', 'host and x-amz-date must be signed']
  const amzDate = String(req.headers['x-amz-date'] ?? '')
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate)
  if (!date) return ['InvalidSignatureException', 'x-amz-date is missing or malformed']
  const when = new Date(Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!))
  if (Math.abs(Date.now() - when.getTime()) > 5 * 60_000) return ['InvalidSignatureException', 'Signature expired']
  const headers: Record<string, string> = {}
  for (const h of signed) headers[h] = String(req.headers[h] ?? '')
  const [path, query] = (req.url ?? '/').split('?')
  const signer = new SignatureV4({ service: 'bedrock', region, sha256: Hash.bind(null, 'sha256'), credentials: creds })
  const again = await signer.sign({ method: req.method ?? 'POST', protocol: 'http:', hostname: String(req.headers.host).split(':')[0]!, path: path!, query: Object.fromEntries(new URLSearchParams(query ?? '')), headers, body }, { signingDate: when, unsignableHeaders: new Set(), signableHeaders: new Set(signed) })
  const expected = /Signature=([0-9a-f]{64})/.exec(String(again.headers.authorization))?.[1]
  return expected === m[6] ? undefined : ['InvalidSignatureException', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.']
}

function awsError (res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`, 'x-amzn-requestid': 'aws-req-0001' })
  res.end(JSON.stringify({ message }))
}

export async function startBedrockMock (opts: { region: string, credentials?: BedrockCredentials, apiKey?: string }): Promise<BedrockMock> {
  const queue: BedrockBehaviour[] = []
  const requests: RecordedBedrockRequest[] = []
  async function handle (req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const denied = await authProblem(req, raw, opts.region, opts.credentials, opts.apiKey)
    if (denied) return awsError(res, 403, denied[0], denied[1])
    const route = /^\/model\/([^/]+)\/(invoke|invoke-with-response-stream|count-tokens)$/.exec(req.url ?? '')
    if (req.method !== 'POST' || !route) return awsError(res, 404, 'UnknownOperationException', 'Unknown operation')
    const modelId = decodeURIComponent(route[1]!)
    const model = BEDROCK_MODELS[modelId]
    if (!model) return awsError(res, 400, 'ValidationException', 'The provided model identifier is invalid.')
    let body: Record<string, unknown>
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>
      if (route[2] === 'count-tokens') body = JSON.parse(Buffer.from(String((body.input as { invokeModel: { body: string } }).invokeModel.body), 'base64').toString('utf8')) as Record<string, unknown>
    } catch {
      return awsError(res, 400, 'ValidationException', 'Malformed input request, please reformat your input and try again.')
    }
    if (body.anthropic_version !== 'bedrock-2023-05-31') return awsError(res, 400, 'ValidationException', 'Malformed input request: #: required key [anthropic_version] not found')
    for (const extra of ['model', 'stream']) if (extra in body) return awsError(res, 400, 'ValidationException', `Malformed input request: #: extraneous key [${extra}] is not permitted`)
    const betas = body.anthropic_beta
    if (betas !== undefined && (!Array.isArray(betas) || betas.some(b => !ACCEPTED_BETAS.has(b as string)))) return awsError(res, 400, 'ValidationException', 'invalid beta flag')
    if (route[2] === 'count-tokens') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ inputTokens: 42 }))
      return
    }
    const b = queue.shift() ?? { kind: 'ok' }
    if (b.kind === 'error') return awsError(res, b.status, b.type, b.message)
    const usage: MockUsage = { ...DEFAULT_USAGE, ...(b.kind === 'ok' ? b.usage : undefined) }
    const text = (b.kind === 'ok' && b.text) || 'Hello from the mock Bedrock runtime.'
    const counts = { 'x-amzn-bedrock-input-token-count': String(usage.input_tokens), 'x-amzn-bedrock-output-token-count': String(usage.output_tokens), 'x-amzn-requestid': 'aws-req-0001' }
    if (route[2] === 'invoke') {
      res.writeHead(200, { 'content-type': 'application/json', ...counts })
      res.end(messageJson(model, usage, text))
      return
    }
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'aws-req-0001', 'x-amzn-bedrock-content-type': 'application/json' })
    const events = messageEvents(model, usage, text).map(e => JSON.parse(e.split('\n')[1]!.slice(6)) as Record<string, unknown>)
    const last = events.at(-1)!
    last['amazon-bedrock-invocationMetrics'] = { inputTokenCount: usage.input_tokens, outputTokenCount: usage.output_tokens, invocationLatency: 120, firstByteLatency: 40 }
    for (const [i, ev] of events.entries()) {
      if (b.kind === 'stream-exception' && i === b.afterEvents) {
        res.end(Buffer.from(exceptionMessage(b.type, b.message)))
        return
      }
      if (b.kind === 'cut' && i === b.afterEvents) {
        await new Promise(resolve => setTimeout(resolve, 30))
        res.socket?.destroy()
        return
      }
      const frame = Buffer.from(chunkMessage(JSON.stringify(ev)))
      if (b.kind === 'ok' && b.splitFrames) {
        // As TCP may deliver it: a frame in pieces, its length prefix itself split.
        for (const piece of [frame.subarray(0, 2), frame.subarray(2, 7), frame.subarray(7)]) {
          res.write(piece)
          await new Promise(resolve => setImmediate(resolve))
        }
      } else {
        res.write(frame)
      }
    }
    res.end()
  }
  const server = await startRecordingServer(requests, (req, res, body) => { handle(req, res, body).catch(() => res.destroy()) })
  return { url: server.url, requests, enqueue: (...b) => { queue.push(...b) }, close: server.close }
}
