// A fake OpenAI API on 127.0.0.1 speaking the real wire formats: Responses (the SSE event
// sequence response.created … response.completed, and JSON), Chat Completions (JSON, and chunks
// with a final usage chunk only when `stream_options.include_usage` is set, then `[DONE]`),
// models, and OpenAI's error shape. The Responses WebSocket mode answers each
// `response.create` message with the same events, one per text message (recorded as method WS). Usage fields are the real ones: `input_tokens` includes
// `input_tokens_details.cached_tokens`, `output_tokens` includes reasoning tokens. Behaviours
// are queued per request to inject faults, as in the Anthropic mock.
//
// With `azure`, it is an Azure OpenAI resource instead: `api-key` (or an Entra bearer) checked,
// the v1 API (`/openai/v1/responses`, `/openai/v1/chat/completions`, the deployment in the body's
// `model`) and the dated one (`/openai/deployments/{name}/chat/completions?api-version=…`,
// `/openai/responses?api-version=…`), Azure's error bodies (`DeploymentNotFound`, a 429 with
// `retry-after-ms`), answers naming the deployment's model, and chat streams that open with
// Azure's `prompt_filter_results` chunk.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'

export interface OpenAIUsage {
  input: number
  cached: number
  output: number
  reasoning: number
}

export type OpenAIBehaviour =
  /** `holdOpenMs`: after the last event, wait this long before ending the response. */
  | { kind: 'ok', usage?: Partial<OpenAIUsage>, model?: string, text?: string, headers?: Record<string, string>, delayFirstByteMs?: number, holdOpenMs?: number }
  | { kind: 'status', status: number, headers?: Record<string, string>, body?: string }
  /** Streams only: emits `afterEvents` events, then destroys the socket. */
  | { kind: 'cut', afterEvents: number }
  /** Responses stream that opens with an error event (how a failure after 200 is reported). */
  | { kind: 'stream-error', code: string }
  | { kind: 'hang' }

export interface RecordedOpenAIRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: Buffer
}

export interface OpenAIMock {
  url: string
  requests: RecordedOpenAIRequest[]
  enqueue (...b: OpenAIBehaviour[]): void
  setDefault (b: OpenAIBehaviour): void
  setAuth (check: (headers: IncomingHttpHeaders) => boolean): void
  close (): Promise<void>
}

export interface AzureOptions {
  /** The resource's key (sent as `api-key`). */
  apiKey: string
  /** An Entra ID token also accepted as `Authorization: Bearer`. */
  bearer?: string
  /** Deployment name → the model it runs. */
  deployments: Record<string, string>
}

export const DEFAULT_OPENAI_USAGE: OpenAIUsage = { input: 120, cached: 64, output: 30, reasoning: 8 }
export const MOCK_TEXT = 'Hello from the mock OpenAI upstream.'

export function responsesUsage (u: OpenAIUsage) {
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cached },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.input + u.output,
  }
}

export function chatUsage (u: OpenAIUsage) {
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cached, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  }
}

/** The Responses event sequence for a text answer, each as `event:`/`data:` SSE text. */
export function responsesEvents (model: string, usage: OpenAIUsage, text: string): string[] {
  const response = { id: 'resp_mock0001', object: 'response', created_at: 1_795_000_000, model, status: 'in_progress', output: [] as unknown[], usage: null as unknown }
  const item = { id: 'msg_mock0001', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }
  const events: [string, Record<string, unknown>][] = [
    ['response.created', { response }],
    ['response.in_progress', { response }],
    ['response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } }],
    ['response.content_part.added', { item_id: item.id, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }],
    ...text.split(/(?<= )/).map((delta): [string, Record<string, unknown>] => ['response.output_text.delta', { item_id: item.id, output_index: 0, content_index: 0, delta }]),
    ['response.output_text.done', { item_id: item.id, output_index: 0, content_index: 0, text }],
    ['response.output_item.done', { output_index: 0, item }],
    ['response.completed', { response: { ...response, status: 'completed', output: [item], usage: responsesUsage(usage) } }],
  ]
  return events.map(([type, data], i) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: i, ...data })}\n\n`)
}

/** Chat Completions chunks; the usage chunk (empty `choices`) only when asked for. */
export function chatChunks (model: string, usage: OpenAIUsage, text: string, includeUsage: boolean): string[] {
  const base = { id: 'chatcmpl-mock0001', object: 'chat.completion.chunk', created: 1_795_000_000, model, system_fingerprint: 'fp_mock' }
  const extra = includeUsage ? { usage: null } : {}
  const chunk = (choices: unknown[], more: Record<string, unknown> = extra) => `data: ${JSON.stringify({ ...base, choices, ...more })}\n\n`
  return [
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]),
    ...text.split(/(?<= )/).map(d => chunk([{ index: 0, delta: { content: d }, logprobs: null, finish_reason: null }])),
    chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]),
    ...(includeUsage ? [chunk([], { usage: chatUsage(usage) })] : []),
    'data: [DONE]\n\n',
  ]
}

const ERROR_TYPE: Record<number, [string, string | null]> = {
  400: ['invalid_request_error', null],
  401: ['invalid_request_error', 'invalid_api_key'],
  403: ['permission_error', null],
  404: ['invalid_request_error', 'model_not_found'],
  429: ['rate_limit_error', 'rate_limit_exceeded'],
  500: ['server_error', null],
  503: ['server_error', null],
}

export function openAIError (status: number, message = `mock ${status}`): string {
  const [type, code] = ERROR_TYPE[status] ?? ['server_error', null]
  return JSON.stringify({ error: { message, type, param: null, code } })
}

export function azureError (status: number, code: string, message: string): OpenAIBehaviour {
  return { kind: 'status', status, body: JSON.stringify({ error: { code, message } }), headers: status === 429 ? { 'retry-after': '2', 'retry-after-ms': '1500' } : {} }
}

/** Where an Azure request goes: the deployment's model, or the error Azure answers with. */
function azureRoute (azure: AzureOptions, req: IncomingMessage, raw: Buffer): { model?: string, error?: OpenAIBehaviour, path: string } {
  const url = new URL(req.url ?? '/', 'http://mock')
  const key = req.headers['api-key']
  const bearer = req.headers.authorization
  if (key !== azure.apiKey && !(azure.bearer && bearer === `Bearer ${azure.bearer}`)) {
    return { path: url.pathname, error: azureError(401, '401', 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.') }
  }
  const dated = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(url.pathname)
  const v1 = /^\/openai\/v1\/(responses|chat\/completions|models)$/.exec(url.pathname)
  const datedResponses = url.pathname === '/openai/responses'
  if (!dated && !v1 && !datedResponses) return { path: url.pathname, error: azureError(404, '404', 'Resource not found') }
  if ((dated || datedResponses) && !/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(url.searchParams.get('api-version') ?? '')) {
    return { path: url.pathname, error: azureError(404, '404', 'Resource not found') }
  }
  const path = dated ? '/chat/completions' : datedResponses ? '/responses' : `/${v1![1]}`
  if (path === '/models') return { path }
  const name = dated ? decodeURIComponent(dated[1]!) : (JSON.parse(raw.toString('utf8') || '{}') as { model?: string }).model ?? ''
  const model = Object.hasOwn(azure.deployments, name) ? azure.deployments[name] : undefined
  if (model === undefined) return { path, error: azureError(404, 'DeploymentNotFound', 'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.') }
  return { path, model }
}

export async function startOpenAIMock (opts: { azure?: AzureOptions } = {}): Promise<OpenAIMock> {
  const queue: OpenAIBehaviour[] = []
  let fallback: OpenAIBehaviour = { kind: 'ok' }
  let auth: (headers: IncomingHttpHeaders) => boolean = () => true
  const requests: RecordedOpenAIRequest[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      if (opts.azure) {
        const to = azureRoute(opts.azure, req, body)
        const next = to.error ?? queue.shift() ?? fallback
        const b = next.kind === 'ok' && to.model ? { ...next, model: next.model ?? to.model } : next
        handle(req, res, body, b, to.path, true).catch(() => res.destroy())
        return
      }
      const b: OpenAIBehaviour = auth(req.headers) ? queue.shift() ?? fallback : { kind: 'status', status: 401, body: openAIError(401, 'Incorrect API key provided') }
      handle(req, res, body, b).catch(() => res.destroy())
    })
  })
  const wss = new WebSocketServer({ server })
  wss.on('connection', (socket, req) => {
    // A response.append carries on with the model of the turn before it, as the real backend does.
    let model: string | undefined
    socket.on('message', data => {
      const text = data.toString()
      requests.push({ method: 'WS', url: req.url ?? '', headers: req.headers, body: Buffer.from(text) })
      const msg = JSON.parse(text) as { type?: string, model?: string }
      if (msg.type !== 'response.create' && msg.type !== 'response.append') return
      model = msg.model ?? model
      const b: OpenAIBehaviour = auth(req.headers) ? queue.shift() ?? fallback : { kind: 'status', status: 401 }
      if (b.kind === 'status') {
        socket.send(JSON.stringify({ type: 'error', status: b.status, error: JSON.parse(b.body ?? openAIError(b.status)).error }))
        return
      }
      const usage = { ...DEFAULT_OPENAI_USAGE, ...(b.kind === 'ok' ? b.usage : undefined) }
      for (const e of responsesEvents(model ?? 'gpt-mock', usage, b.kind === 'ok' && b.text ? b.text : MOCK_TEXT)) {
        socket.send(e.split('\n').find(l => l.startsWith('data: '))!.slice(6))
      }
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    enqueue: (...b) => { queue.push(...b) },
    setDefault: b => { fallback = b },
    setAuth: check => { auth = check },
    close: () => new Promise<void>(resolve => {
      for (const c of wss.clients) c.terminate()
      wss.close()
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

/** Azure's first chat chunk: the prompt's content-filter verdicts, no choices, no model. */
const AZURE_FILTER_CHUNK = `data: ${JSON.stringify({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: { hate: { filtered: false, severity: 'safe' }, self_harm: { filtered: false, severity: 'safe' }, sexual: { filtered: false, severity: 'safe' }, violence: { filtered: false, severity: 'safe' } } }] })}\n\n`

async function handle (req: IncomingMessage, res: ServerResponse, raw: Buffer, b: OpenAIBehaviour, path = (req.url ?? '').split('?')[0]!, azure = false): Promise<void> {
  if (b.kind === 'hang') return
  if (b.kind === 'status') {
    res.writeHead(b.status, { 'content-type': 'application/json', 'x-request-id': 'req_mock', ...b.headers })
    res.end(b.body ?? openAIError(b.status))
    return
  }
  if (req.method === 'GET' && /\/models$/.test(path)) {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ object: 'list', data: [{ id: 'gpt-5.4', object: 'model', created: 1_795_000_000, owned_by: 'openai' }] }))
    return
  }
  const body = JSON.parse(raw.toString('utf8') || '{}') as { model?: string, stream?: boolean, stream_options?: { include_usage?: boolean } }
  const ok = b.kind === 'ok' ? b : undefined
  const usage = { ...DEFAULT_OPENAI_USAGE, ...ok?.usage }
  const model = ok?.model ?? body.model ?? 'gpt-mock'
  const text = ok?.text ?? MOCK_TEXT
  if (ok?.delayFirstByteMs) await new Promise(resolve => setTimeout(resolve, ok.delayFirstByteMs))
  const chat = path.endsWith('/chat/completions')
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_mock', ...ok?.headers })
    res.end(JSON.stringify(chat
      ? { id: 'chatcmpl-mock0001', object: 'chat.completion', created: 1_795_000_000, model, choices: [{ index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: 'stop' }], usage: chatUsage(usage) }
      : { id: 'resp_mock0001', object: 'response', created_at: 1_795_000_000, model, status: 'completed', output: [{ id: 'msg_mock0001', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }], usage: responsesUsage(usage) }))
    return
  }
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': 'req_mock', ...ok?.headers })
  if (b.kind === 'stream-error') {
    res.end(`event: error\ndata: ${JSON.stringify({ type: 'error', code: b.code, message: 'The server had an error while processing your request.', param: null, sequence_number: 0 })}\n\n`)
    return
  }
  const events = chat ? chatChunks(model, usage, text, body.stream_options?.include_usage === true) : responsesEvents(model, usage, text)
  if (chat && azure) events.unshift(AZURE_FILTER_CHUNK)
  for (const [i, e] of events.entries()) {
    if (b.kind === 'cut' && i === b.afterEvents) {
      await new Promise(resolve => setTimeout(resolve, 50))
      res.socket?.destroy()
      return
    }
    if (res.destroyed) return
    res.write(e)
  }
  if (ok?.holdOpenMs) await new Promise(resolve => setTimeout(resolve, ok.holdOpenMs))
  res.end()
}
