// The request pipeline for one plugin route: identify → parse → select → forward → stream →
// settle. Bytes reach the client as they arrive; a tee feeds the meter; every exit path
// settles exactly once (usage recorded, one log line), client aborts and shutdown included.
import { Writable } from 'node:stream'
import type { ServerResponse } from 'node:http'
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib'
import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify'
import type { Dispatcher } from 'undici'
import type { AccountPool } from '../accounts/account-pool.ts'
import type { KeyRegistry } from '../keys/key-registry.ts'
import { extractKey } from '../keys/extract-key.ts'
import { isRefusal, type IncomingRequest, type PluginRoute, type RelayPlugin } from '../plugin-api.ts'
import type { AccountSelector } from '../scheduler/select-account.ts'
import { clientResponseHeaders, queryWithoutKey, upstreamRequestHeaders } from './headers.ts'
import { createMeterTee, type MeterTee } from './meter-tee.ts'
import { relayError, sendRelayError, toRelayError } from './render-error.ts'
import { CLIENT_CLOSED, newExchange, settle, type Exchange, type SettleDeps } from './exchange.ts'
import type { Inflight } from './inflight.ts'

/** Upstream error bodies are read up to this size to classify and relay them. */
const ERROR_BODY_LIMIT = 64 * 1024
/** Seconds a client is told to wait when no account can take its request. */
const POOL_RETRY_AFTER = 30

export interface RelayDeps extends SettleDeps {
  keys: KeyRegistry
  pool: AccountPool
  selector: AccountSelector
  dispatcher: Dispatcher
  inflight: Inflight
}

type AbortReason = 'client' | 'shutdown'

export function relayHandler (plugin: RelayPlugin, route: PluginRoute, mount: string, deps: RelayDeps): RouteHandlerMethod {
  return async function relay (request: FastifyRequest, reply: FastifyReply) {
    const rawUrl = request.raw.url ?? ''
    const q = rawUrl.indexOf('?')
    const path = (q === -1 ? rawUrl : rawUrl.slice(0, q)).slice(mount.length)
    const ex = newExchange(request.id, deps.now(), plugin.name, route, path)
    const controller = new AbortController()
    let abortReason: AbortReason | undefined
    const abort = (reason: AbortReason) => {
      if (abortReason) return
      abortReason = reason
      if (reason === 'client') ex.clientAborted = true
      controller.abort()
    }
    let markSettled!: () => void
    const removeInflight = deps.inflight.add({ abort: () => abort('shutdown'), settled: new Promise(resolve => { markSettled = resolve }) })
    const res = reply.raw
    const onClose = () => { if (!res.writableFinished) abort('client') }
    res.once('close', onClose)

    try {
      reply.header('x-relay-request-id', ex.id)
      const { query, params } = queryWithoutKey(q === -1 ? '' : rawUrl.slice(q + 1))
      ex.key = deps.keys.authenticate(extractKey(request.headers, params), ex.start)

      const incoming: IncomingRequest = {
        method: request.method,
        path,
        query,
        headers: upstreamRequestHeaders(request.headers),
        body: Buffer.isBuffer(request.body) ? request.body : undefined,
      }
      const parsed = plugin.parseRequest(route, incoming)
      if (isRefusal(parsed)) throw relayError(parsed.error.code, parsed.error.message)
      ex.parsed = parsed

      const account = deps.selector.select(deps.pool.ofProvider(plugin.name))
      if (!account) {
        const err = relayError('RELAY_ERR_POOL_EXHAUSTED')
        err.retryAfter = POOL_RETRY_AFTER
        throw err
      }
      ex.account = account
      ex.accountsTried.push(account.id)

      await forward(ex, plugin, deps.dispatcher, plugin.prepareUpstream(route, incoming, parsed, account), controller.signal, reply, request.method, deps.now)
    } catch (err) {
      if (abortReason === 'client') {
        ex.status = CLIENT_CLOSED
      } else if (ex.status !== 0 && res.headersSent) {
        // Failed after the response started: tell the client inside the stream, keep the usage.
        ex.partial = true
        endStartedResponse(res, plugin, ex.plainSse, abortReason === 'shutdown' ? 'RELAY_ERR_SHUTTING_DOWN' : 'RELAY_ERR_UPSTREAM_INTERRUPTED')
      } else {
        const relayErr = abortReason === 'shutdown' ? relayError('RELAY_ERR_SHUTTING_DOWN') : upstreamFailure(err)
        if (relayErr.code === 'RELAY_ERR_INTERNAL') request.log.error({ err }, 'relay failure')
        ex.status = relayErr.statusCode
        if (!reply.sent) sendRelayError(reply, plugin, relayErr)
      }
    } finally {
      res.off('close', onClose)
      if (ex.meter) {
        const m = ex.meter.end()
        ex.usage = m.usage
        ex.model = m.model
        if (!m.complete) ex.partial = true
      }
      try {
        await settle(ex, deps, request.log)
      } finally {
        removeInflight()
        markSettled()
      }
    }
    return reply
  }
}

/**
 * One upstream attempt. A 2xx is streamed to the client as it arrives; anything else is read
 * (bounded), classified by the plugin and answered by the relay.
 */
async function forward (
  ex: Exchange,
  plugin: RelayPlugin,
  dispatcher: Dispatcher,
  up: ReturnType<RelayPlugin['prepareUpstream']>,
  signal: AbortSignal,
  reply: FastifyReply,
  method: string,
  now: () => number,
): Promise<void> {
  const url = new URL(up.url)
  const res = reply.raw
  let tee: MeterTee | undefined
  let errorBody: { chunks: Buffer[], size: number } | undefined
  let upstreamHeaders: Record<string, string | string[] | undefined> = {}

  await dispatcher.stream({
    origin: url.origin,
    path: url.pathname + url.search,
    method: method as Dispatcher.HttpMethod,
    headers: up.headers,
    body: up.body,
    signal,
  }, ({ statusCode, headers }) => {
    ex.status = statusCode
    upstreamHeaders = headers
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
    if (ex.route.kind === 'generate' && ex.parsed) {
      ex.meter = plugin.createMeter(ex.route, ex.parsed, headers)
      tee = createMeterTee(headers['content-encoding'], ex.meter)
    }
    ex.plainSse = String(headers['content-type'] ?? '').startsWith('text/event-stream') && !headers['content-encoding']
    reply.hijack()
    res.writeHead(statusCode, { ...clientResponseHeaders(headers), 'x-relay-request-id': ex.id })
    // Send the headers now: an SSE client should see the response start before the first token.
    res.flushHeaders()
    return clientWriter(res, tee, () => { ex.ttfb ??= now() - ex.start })
  }).catch(async (err: unknown) => {
    await tee?.finish()
    throw err
  })

  if (errorBody) {
    ex.ttfb = now() - ex.start
    relayUpstreamError(ex, plugin, reply, upstreamHeaders, errorBody)
    return
  }
  res.end()
  await tee?.finish()
}

/** Writes each chunk to the client as it comes, honouring backpressure, and copies it to the meter. */
function clientWriter (res: ServerResponse, tee: MeterTee | undefined, firstByte: () => void): Writable {
  return new Writable({
    write (chunk: Buffer, _enc, cb) {
      firstByte()
      tee?.write(chunk)
      if (res.write(chunk)) return cb()
      const go = () => {
        res.off('drain', go)
        res.off('close', go)
        cb()
      }
      res.on('drain', go)
      res.on('close', go)
    },
  })
}

function relayUpstreamError (
  ex: Exchange,
  plugin: RelayPlugin,
  reply: FastifyReply,
  headers: Record<string, string | string[] | undefined>,
  collected: { chunks: Buffer[], size: number },
): void {
  const raw = Buffer.concat(collected.chunks)
  const body = decode(raw, headers['content-encoding'])
  const verdict = plugin.classifyError(ex.status, headers as never, body.subarray(0, ERROR_BODY_LIMIT))
  // The pool's credential was refused: a 401 would make the client blame its own relay key.
  if (verdict.kind === 'auth_failed' || verdict.kind === 'forbidden') {
    const err = relayError('RELAY_ERR_UPSTREAM_AUTH')
    ex.status = err.statusCode
    sendRelayError(reply, plugin, err)
    return
  }
  const passHeaders = clientResponseHeaders(headers)
  delete passHeaders['content-length']
  delete passHeaders['content-encoding']
  reply.code(ex.status).headers(passHeaders).header('x-relay-request-id', ex.id)
  if (collected.size <= ERROR_BODY_LIMIT && plugin.isNativeError?.(body)) {
    reply.send(body)
    return
  }
  const err = relayError('RELAY_ERR_UPSTREAM_BAD_RESPONSE', `The upstream provider answered with status ${ex.status}`)
  reply.header('content-type', 'application/json').send(JSON.stringify(plugin.errorBody(err.code, ex.status, err.message)))
}

function decode (body: Buffer, encoding: string | string[] | undefined): Buffer {
  try {
    switch (String(encoding ?? '').trim().toLowerCase()) {
      case 'gzip': case 'x-gzip': return gunzipSync(body)
      case 'br': return brotliDecompressSync(body)
      case 'deflate': return inflateSync(body)
      default: return body
    }
  } catch {
    return body
  }
}

function endStartedResponse (res: ServerResponse, plugin: RelayPlugin, plainSse: boolean, code: 'RELAY_ERR_SHUTTING_DOWN' | 'RELAY_ERR_UPSTREAM_INTERRUPTED'): void {
  if (res.destroyed || res.writableEnded) return
  // An error event is only meaningful in an uncompressed event stream; otherwise the client must
  // see a broken response rather than a body that looks complete.
  if (plainSse && plugin.streamError) {
    res.end(plugin.streamError(code, relayError(code).message))
  } else {
    res.destroy()
  }
}

function upstreamFailure (err: unknown) {
  const code = (err as { code?: string }).code
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return relayError('RELAY_ERR_UPSTREAM_TIMEOUT')
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ENOTFOUND' ||
    code === 'EHOSTUNREACH' || code === 'UND_ERR_SOCKET' || code === 'EAI_AGAIN') {
    return relayError('RELAY_ERR_UPSTREAM_UNREACHABLE')
  }
  return toRelayError(err)
}
