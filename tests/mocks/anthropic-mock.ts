// A fake Anthropic API on 127.0.0.1 speaking the real Messages wire format: SSE event sequences
// (message_start … message_stop) and JSON messages with real usage fields, count_tokens and
// models. Behaviours are queued per request to inject faults: error statuses with headers,
// a slow first byte, a stream cut mid-way, compressed bodies, and a stepped stream that emits
// event N+1 only when the test says it received event N.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import zlib from 'node:zlib'

export interface MockUsage {
  input_tokens: number
  output_tokens: number
  cache_creation_input_tokens?: number
  cache_read_input_tokens?: number
  cache_creation?: { ephemeral_5m_input_tokens: number, ephemeral_1h_input_tokens: number }
}

export type Behaviour =
  | {
    kind: 'ok', usage?: Partial<MockUsage>, model?: string, text?: string, compress?: 'gzip' | 'br', delayFirstByteMs?: number, silentGap?: { afterEvents: number, ms: number }, cutJsonAfterBytes?: number, chunkedJson?: boolean
    /** Tool calls the answer ends with (stop_reason tool_use); streamed as input_json_delta pieces. */
    toolUses?: MockToolUse[]
  }
  | { kind: 'status', status: number, headers?: Record<string, string>, body?: string }
  /** SSE only: emits `afterEvents` events, then destroys the socket. */
  | { kind: 'cut', afterEvents: number, usage?: Partial<MockUsage> }
  /** SSE only: waits for `mock.step()` before each event after the first. */
  | { kind: 'stepped', usage?: Partial<MockUsage> }
  /** 200 and an event stream that opens with an error event (how Anthropic reports overload mid-flight). */
  | { kind: 'stream-error', errorType: string }
  /** Never answers until the request is aborted (for client-abort and timeout tests). */
  | { kind: 'hang' }

export interface RecordedRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: Buffer
  /** Resolves when the mock saw the client side of this request close. */
  closed: Promise<void>
}

export interface AnthropicMock {
  url: string
  requests: RecordedRequest[]
  /** Queues behaviours for the next requests, in order; afterwards requests get the default. */
  enqueue (...b: Behaviour[]): void
  /** What requests get when the queue is empty (initially `ok`). */
  setDefault (b: Behaviour): void
  /** Decides by the request itself, before the queue (an agent's turns, whose order a queue cannot know); undefined: the queue decides. */
  decide: ((body: Record<string, unknown>) => Behaviour | undefined) | undefined
  /** Requests whose credentials this refuses get Anthropic's 401 (initially: all accepted). */
  setAuth (check: (headers: IncomingHttpHeaders) => boolean): void
  /** Lets a stepped stream emit its next event. */
  step (): void
  close (): Promise<void>
}

export const DEFAULT_USAGE: MockUsage = {
  input_tokens: 25,
  output_tokens: 12,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
  cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
}

export const MOCK_MESSAGE_ID = 'msg_01MockMockMockMockMockMock'

export interface MockToolUse { name: string, input: Record<string, unknown> }

const toolId = (i: number) => `toolu_01Mock${String(i).padStart(4, '0')}`

/** The SSE event sequence Anthropic sends for a text answer (then any tool calls), usage in message_start/delta. */
export function messageEvents (model: string, usage: MockUsage, text: string, toolUses: MockToolUse[] = []): string[] {
  const words = text.split(/(?<= )/)
  const startUsage = { ...usage, output_tokens: 1 }
  const ev = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`
  const tools = toolUses.flatMap((t, i) => {
    const index = i + 1
    const json = JSON.stringify(t.input)
    // Anthropic streams a call's input as JSON text in pieces that are not valid JSON alone.
    const pieces = [json.slice(0, Math.ceil(json.length / 2)), json.slice(Math.ceil(json.length / 2))]
    return [
      ev('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: toolId(i), name: t.name, input: {} } }),
      ...pieces.map(p => ev('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: p } })),
      ev('content_block_stop', { type: 'content_block_stop', index }),
    ]
  })
  return [
    ev('message_start', { type: 'message_start', message: { id: MOCK_MESSAGE_ID, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: startUsage } }),
    ev('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    ev('ping', { type: 'ping' }),
    ...words.map(w => ev('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: w } })),
    ev('content_block_stop', { type: 'content_block_stop', index: 0 }),
    ...tools,
    ev('message_delta', { type: 'message_delta', delta: { stop_reason: toolUses.length > 0 ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }),
    ev('message_stop', { type: 'message_stop' }),
  ]
}

export function messageJson (model: string, usage: MockUsage, text: string, toolUses: MockToolUse[] = []): string {
  return JSON.stringify({
    id: MOCK_MESSAGE_ID, type: 'message', role: 'assistant', model,
    content: [{ type: 'text', text }, ...toolUses.map((t, i) => ({ type: 'tool_use', id: toolId(i), name: t.name, input: t.input }))],
    stop_reason: toolUses.length > 0 ? 'tool_use' : 'end_turn', stop_sequence: null, usage,
  })
}

const RESPONSE_HEADERS = {
  'request-id': 'req_mock_0001',
  'anthropic-ratelimit-requests-limit': '4000',
  'anthropic-ratelimit-requests-remaining': '3999',
  'anthropic-ratelimit-requests-reset': '2026-11-26T12:00:00Z',
  'x-mock-hop': 'kept',
}

export interface MockOptions {
  /** Keep every request (tests inspect them); benchmarks turn it off to keep memory flat. */
  record?: boolean
}

export async function startAnthropicMock (opts: MockOptions = {}): Promise<AnthropicMock> {
  const record = opts.record ?? true
  const queue: Behaviour[] = []
  let fallback: Behaviour = { kind: 'ok' }
  let authCheck: (headers: IncomingHttpHeaders) => boolean = () => true
  const requests: RecordedRequest[] = []
  const steppers: (() => void)[] = []
  let pendingSteps = 0

  const waitStep = () => new Promise<void>(resolve => {
    if (pendingSteps > 0) {
      pendingSteps--
      resolve()
    } else {
      steppers.push(resolve)
    }
  })

  const decided = (body: Buffer): Behaviour | undefined => {
    if (!mock.decide) return undefined
    try {
      return mock.decide(JSON.parse(body.toString('utf8')) as Record<string, unknown>)
    } catch {
      return undefined
    }
  }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const closed = new Promise<void>(resolve => res.once('close', () => resolve()))
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), closed }
      if (record) requests.push(recorded)
      const behaviour: Behaviour = authCheck(req.headers)
        ? decided(recorded.body) ?? queue.shift() ?? fallback
        : { kind: 'status', status: 401, body: JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: 'invalid authentication credentials' } }) }
      handle(req, res, recorded.body, behaviour, waitStep).catch(() => res.destroy())
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  const mock: AnthropicMock = {
    decide: undefined,
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...b) => { queue.push(...b) },
    setDefault: b => { fallback = b },
    setAuth: check => { authCheck = check },
    step () {
      const next = steppers.shift()
      if (next) next()
      else pendingSteps++
    },
    close: () => new Promise<void>(resolve => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
  return mock
}

async function handle (req: IncomingMessage, res: ServerResponse, body: Buffer, b: Behaviour, waitStep: () => Promise<void>): Promise<void> {
  const path = (req.url ?? '').split('?')[0]
  if (b.kind === 'hang') return
  if (b.kind === 'stream-error') {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', ...RESPONSE_HEADERS })
    res.end(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: b.errorType, message: 'Overloaded' } })}\n\n`)
    return
  }
  if (b.kind === 'status') {
    res.writeHead(b.status, { 'content-type': 'application/json', ...RESPONSE_HEADERS, ...b.headers })
    res.end(b.body ?? JSON.stringify({ type: 'error', error: { type: statusType(b.status), message: `mock ${b.status}` } }))
    return
  }
  if (req.method === 'GET' && path?.endsWith('/v1/models')) {
    res.writeHead(200, { 'content-type': 'application/json', ...RESPONSE_HEADERS })
    res.end(JSON.stringify({ data: [{ type: 'model', id: 'claude-sonnet-4-5-20250929', display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z' }], has_more: false, first_id: 'claude-sonnet-4-5-20250929', last_id: 'claude-sonnet-4-5-20250929' }))
    return
  }
  if (path?.endsWith('/v1/messages/count_tokens')) {
    res.writeHead(200, { 'content-type': 'application/json', ...RESPONSE_HEADERS })
    res.end(JSON.stringify({ input_tokens: 42 }))
    return
  }
  if (!path?.endsWith('/v1/messages')) {
    res.writeHead(404, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: 'Not found' } }))
    return
  }
  const parsed = JSON.parse(body.toString('utf8')) as { model: string, stream?: boolean }
  const usage: MockUsage = { ...DEFAULT_USAGE, ...(b as { usage?: Partial<MockUsage> }).usage }
  const model = (b.kind === 'ok' && b.model) || parsed.model
  const text = (b.kind === 'ok' && b.text) || 'Hello from the mock Anthropic upstream.'
  if (b.kind === 'ok' && b.delayFirstByteMs) await new Promise(resolve => setTimeout(resolve, b.delayFirstByteMs))

  if (!parsed.stream) {
    const json = messageJson(model, usage, text, b.kind === 'ok' ? b.toolUses : undefined)
    if (b.kind === 'ok' && b.compress) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': b.compress, ...RESPONSE_HEADERS })
      res.end(b.compress === 'gzip' ? zlib.gzipSync(json) : zlib.brotliCompressSync(json))
      return
    }
    if (b.kind === 'ok' && b.chunkedJson) {
      // As many upstreams answer: chunked, in more than one piece, no length announced.
      res.writeHead(200, { 'content-type': 'application/json', ...RESPONSE_HEADERS })
      res.write(json.slice(0, 20))
      res.end(json.slice(20))
      return
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), ...RESPONSE_HEADERS })
    if (b.kind === 'ok' && b.cutJsonAfterBytes !== undefined) {
      // A connection lost mid-body: the promised length never arrives.
      res.write(json.slice(0, b.cutJsonAfterBytes))
      await new Promise(resolve => setTimeout(resolve, 50))
      res.socket?.destroy()
      return
    }
    res.end(json)
    return
  }

  const events = messageEvents(model, usage, text, b.kind === 'ok' ? b.toolUses : undefined)
  const compress = b.kind === 'ok' ? b.compress : undefined
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    ...(compress ? { 'content-encoding': compress } : {}),
    ...RESPONSE_HEADERS,
  })
  const z = compress === 'gzip' ? zlib.createGzip() : compress === 'br' ? zlib.createBrotliCompress() : undefined
  if (z) z.pipe(res)
  const out = z ?? res
  for (const [i, e] of events.entries()) {
    if (b.kind === 'cut' && i === b.afterEvents) {
      // Let the events written so far leave the socket before it is cut.
      await new Promise(resolve => setTimeout(resolve, 50))
      res.socket?.destroy()
      return
    }
    if (b.kind === 'stepped' && i > 0) await waitStep()
    // A long silence mid-stream (extended thinking), for gateways' read timeouts.
    if (b.kind === 'ok' && b.silentGap?.afterEvents === i) await new Promise(resolve => setTimeout(resolve, b.silentGap!.ms))
    if (res.destroyed) return
    out.write(e)
    // Flush each event through the compressor so the client can decode it before the next.
    if (z) await new Promise<void>(resolve => z.flush(() => resolve()))
  }
  out.end()
}

function statusType (status: number): string {
  return ({ 400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error', 429: 'rate_limit_error', 529: 'overloaded_error' } as Record<number, string>)[status] ?? 'api_error'
}
