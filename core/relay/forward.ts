// One upstream attempt. A 2xx is committed to the client at once and streamed as it arrives;
// anything else is read (bounded) and handed back, uncommitted, so the caller can fail over to
// another account before the client has seen a byte.
import { Writable } from 'node:stream'
import type { ServerResponse } from 'node:http'
import type { FastifyReply } from 'fastify'
import type { Dispatcher } from 'undici'
import type { RelayPlugin, ResponseFilter } from '../plugin-api.ts'
import { clientResponseHeaders } from './headers.ts'
import { createMeterTee, type MeterTee } from './meter-tee.ts'
import type { RequestAbort } from './request-abort.ts'
import { finishMeter, type Exchange, type HeldResponse } from './exchange.ts'
import type { PinnedUpstream } from './upstream-pin.ts'

/** Upstream error bodies are read up to this size to classify and relay them. */
export const ERROR_BODY_LIMIT = 64 * 1024

/**
 * A non-streaming answer up to this size is held and sent whole, with its Content-Length, after
 * settle: one write to the client instead of headers, a chunk and the chunked terminator (a
 * third of the relay's socket time), and a body cut upstream can still fail over or become a
 * clean error instead of a truncated 200. Past it, the answer is streamed as it comes.
 */
export const HOLD_LIMIT = 1024 * 1024

export type UpstreamHeaders = Record<string, string | string[] | undefined>

export type AttemptResult =
  | { kind: 'streamed', headers: UpstreamHeaders }
  | { kind: 'upstream-error', status: number, headers: UpstreamHeaders, raw: Buffer, size: number }

/** The pinned upstream call: where (checked by core), what, and how long to wait for headers. */
export interface UpstreamCall extends PinnedUpstream {
  headers: Record<string, string | string[]>
  body?: Buffer
  headersTimeout: number
}

export async function forward (
  ex: Exchange,
  plugin: RelayPlugin,
  dispatcher: Dispatcher,
  up: UpstreamCall,
  signal: RequestAbort,
  reply: FastifyReply,
  method: string,
  now: () => number,
): Promise<AttemptResult> {
  const res = reply.raw
  let tee: MeterTee | undefined
  let filter: ResponseFilter | undefined
  let errorBody: { chunks: Buffer[], size: number } | undefined
  let upstreamStatus = 0
  let upstreamHeaders: UpstreamHeaders = {}
  let streamStart: { status: number, body: string } | undefined

  await dispatcher.stream({
    origin: up.origin,
    path: up.path,
    method: method as Dispatcher.HttpMethod,
    headers: up.headers,
    body: up.body,
    headersTimeout: up.headersTimeout,
    signal,
  }, ({ statusCode, headers }) => {
    upstreamStatus = statusCode
    upstreamHeaders = headers
    const upstreamId = headers['request-id'] ?? headers['x-request-id']
    if (typeof upstreamId === 'string') ex.upstreamRequestId = upstreamId.slice(0, 128)
    if (statusCode < 200 || statusCode >= 300) {
      const collected = errorBody = { chunks: [] as Buffer[], size: 0 }
      return new Writable({
        write (chunk: Buffer, _enc, cb) {
          if (collected.size <= ERROR_BODY_LIMIT) collected.chunks.push(chunk)
          collected.size += chunk.length
          cb()
        },
      })
    }
    const eventStream = String(headers['content-type'] ?? '').startsWith('text/event-stream')
    const plainSse = eventStream && !headers['content-encoding']
    const commit = (): ChunkSink => {
      ex.status = statusCode
      if (ex.route.kind === 'generate' && ex.parsed) {
        ex.meter = plugin.createMeter(ex.route, ex.parsed, headers)
        tee = createMeterTee(headers['content-encoding'], ex.meter)
      }
      const account = ex.tried.at(-1)
      filter = !headers['content-encoding'] && ex.parsed && account ? plugin.filterResponse?.(ex.route, ex.parsed, headers, account) : undefined
      // What the client gets is an event stream if the filter left it one, or made one (AWS's
      // binary stream as SSE): an error can then be told in it, and a cut is seen as partial.
      const madeSse = filter?.contentType?.startsWith('text/event-stream') === true
      ex.eventStream = eventStream || madeSse
      ex.plainSse = (plainSse && filter?.contentType === undefined) || madeSse
      const out = clientResponseHeaders(headers)
      if (account) plugin.responseHeaders?.(account, out)
      delete out['content-length']
      if (filter?.contentType) out['content-type'] = filter.contentType
      const firstByte = () => { ex.ttfb ??= now() - ex.start }
      const startStream = (): ChunkSink => {
        reply.hijack()
        ex.streaming = true
        res.writeHead(statusCode, { ...out, ...(filter ? {} : lengthOf(headers)), 'x-relay-request-id': ex.id })
        // An SSE client should see the response start before the first token. When the first
        // bytes are already here (they usually come in the same read as the headers, and always
        // when the first event was waited for), the headers go out with them in one write;
        // otherwise at the end of this turn of the event loop. A write of their own was ~25 µs
        // of a stream's CPU (issue 14).
        let wrote = false
        setImmediate(() => { if (!wrote && !res.writableEnded && !res.destroyed) res.flushHeaders() })
        return clientSink(res, tee, filter, () => {
          wrote = true
          firstByte()
        })
      }
      // Gemini's JSON-array stream is not an event stream, but is a stream: only whole answers wait.
      if (eventStream || ex.parsed?.stream !== false) return startStream()
      const held: HeldResponse = ex.held = { status: statusCode, headers: { ...out, 'x-relay-request-id': ex.id }, chunks: [], size: 0 }
      let sink: ChunkSink | undefined
      return (chunk, cb) => {
        if (sink) return sink(chunk, cb)
        tee?.write(chunk)
        const kept = filter ? filter.write(chunk) : chunk
        firstByte()
        held.chunks.push(kept)
        held.size += kept.length
        if (held.size <= HOLD_LIMIT) return cb()
        // Too big to hold: streamed from here on, what was held first (it has been through the
        // meter and the filter already, so it goes out as it is).
        ex.held = undefined
        sink = startStream()
        clientSink(res, undefined, undefined, firstByte)(Buffer.concat(held.chunks), cb)
      }
    }
    const inspect = plugin.streamStartError
    if (!plainSse || !inspect) return sinkWritable(commit())
    // Hold the response until its first event: a stream that opens with an error event (the
    // provider overloaded) is still a failure before the first byte, and can go elsewhere.
    return gatedWritable(commit, text => {
      const failure = inspect(text)
      if (failure) streamStart = failure
      return failure !== undefined
    })
  }).catch(async (err: unknown) => {
    await tee?.finish()
    if (streamStart) return
    throw err
  })

  if (streamStart) {
    // Answered as the provider would have without streaming: a JSON error, not an event stream.
    const body = Buffer.from(streamStart.body)
    const { 'content-length': _len, ...rest } = upstreamHeaders
    return { kind: 'upstream-error', status: streamStart.status, headers: { ...rest, 'content-type': 'application/json' }, raw: body, size: body.length }
  }
  if (errorBody) {
    const { chunks, size } = errorBody
    return { kind: 'upstream-error', status: upstreamStatus, headers: upstreamHeaders, raw: Buffer.concat(chunks), size }
  }
  await tee?.finish()
  const rest = filter?.end()
  if (rest && rest.length > 0) {
    if (ex.held) {
      ex.held.chunks.push(rest)
      ex.held.size += rest.length
    } else if (!res.destroyed) {
      res.write(rest)
    }
  }
  // An event stream that ended cleanly but without its terminal event was cut short upstream:
  // the client is told so in the stream, and the usage seen is recorded as partial.
  const metered = finishMeter(ex)
  if (metered && !metered.complete && ex.eventStream) {
    ex.partial = true
    // A compressed stream cannot carry an added event: it is cut so it cannot look complete.
    if (ex.plainSse && plugin.streamError) res.write(plugin.streamError('RELAY_ERR_UPSTREAM_INTERRUPTED', 'The upstream stream ended before its last event', ex.route))
    else res.destroy()
  }
  // The response is ended by the caller after settle, so that with `usage.flush: sync` a client
  // never sees a complete response whose row is not yet committed.
  return { kind: 'streamed', headers: upstreamHeaders }
}

type ChunkSink = (chunk: Buffer, cb: (err?: Error | null) => void) => void

/** The upstream's Content-Length, when the body is passed on unchanged. */
function lengthOf (headers: UpstreamHeaders): Record<string, string> {
  const n = headers['content-length']
  return typeof n === 'string' ? { 'content-length': n } : {}
}

/** Sends a held answer: status, headers and body in one write, with its Content-Length. */
export function sendHeld (reply: FastifyReply, held: HeldResponse): void {
  reply.hijack()
  const res = reply.raw
  if (res.destroyed) return
  res.writeHead(held.status, { ...held.headers, 'content-length': held.size })
  res.end(held.chunks.length === 1 ? held.chunks[0] : Buffer.concat(held.chunks, held.size))
}

/**
 * Writes each chunk to the client as it comes, honouring backpressure, and copies it to the
 * meter; the plugin's filter, when there is one, decides what of it the client gets.
 */
function clientSink (res: ServerResponse, tee: MeterTee | undefined, filter: ResponseFilter | undefined, firstByte: () => void): ChunkSink {
  return (chunk, cb) => {
    tee?.write(chunk)
    const out = filter ? filter.write(chunk) : chunk
    if (out.length === 0) return cb()
    firstByte()
    if (res.write(out)) return cb()
    const go = () => {
      res.off('drain', go)
      res.off('close', go)
      cb()
    }
    res.on('drain', go)
    res.on('close', go)
  }
}

function sinkWritable (sink: ChunkSink): Writable {
  return new Writable({ write: (chunk: Buffer, _enc, cb) => sink(chunk, cb) })
}

/** First events are at most this big; past it the response is committed undecided. */
const FIRST_EVENT_LIMIT = 16 * 1024

/**
 * Buffers the body until its first complete SSE event, asks `fails(text)`, then either stops
 * the upstream response (an error, thrown away) or commits and replays what it held.
 */
function gatedWritable (commit: () => ChunkSink, fails: (firstEvent: string) => boolean): Writable {
  let sink: ChunkSink | undefined
  const held: Buffer[] = []
  let size = 0
  const release = (cb: (err?: Error | null) => void) => {
    sink = commit()
    const all = Buffer.concat(held)
    held.length = 0
    if (all.length === 0) return cb()
    sink(all, cb)
  }
  return new Writable({
    write (chunk: Buffer, _enc, cb) {
      if (sink) return sink(chunk, cb)
      held.push(chunk)
      size += chunk.length
      const text = Buffer.concat(held).toString('utf8')
      const end = text.search(/\r?\n\r?\n/)
      if (end === -1 && size < FIRST_EVENT_LIMIT) return cb()
      if (fails(end === -1 ? text : text.slice(0, end))) return cb(new Error('stream opened with an error event'))
      release(cb)
    },
    final (cb) {
      if (sink) return cb()
      release(cb)
    },
  })
}
