// One upstream attempt. A 2xx is committed to the client at once and streamed as it arrives;
// anything else is read (bounded) and handed back, uncommitted, so the caller can fail over to
// another account before the client has seen a byte.
import { Writable } from 'node:stream'
import type { ServerResponse } from 'node:http'
import type { FastifyReply } from 'fastify'
import type { Dispatcher } from 'undici'
import type { RelayPlugin, UpstreamRequest } from '../plugin-api.ts'
import { clientResponseHeaders } from './headers.ts'
import { createMeterTee, type MeterTee } from './meter-tee.ts'
import type { Exchange } from './exchange.ts'

/** Upstream error bodies are read up to this size to classify and relay them. */
export const ERROR_BODY_LIMIT = 64 * 1024

export type UpstreamHeaders = Record<string, string | string[] | undefined>

export type AttemptResult =
  | { kind: 'streamed', headers: UpstreamHeaders }
  | { kind: 'upstream-error', status: number, headers: UpstreamHeaders, raw: Buffer, size: number }

export async function forward (
  ex: Exchange,
  plugin: RelayPlugin,
  dispatcher: Dispatcher,
  up: UpstreamRequest,
  signal: AbortSignal,
  reply: FastifyReply,
  method: string,
  now: () => number,
): Promise<AttemptResult> {
  const url = new URL(up.url)
  const res = reply.raw
  let tee: MeterTee | undefined
  let errorBody: { chunks: Buffer[], size: number } | undefined
  let upstreamStatus = 0
  let upstreamHeaders: UpstreamHeaders = {}

  await dispatcher.stream({
    origin: url.origin,
    path: url.pathname + url.search,
    method: method as Dispatcher.HttpMethod,
    headers: up.headers,
    body: up.body,
    signal,
  }, ({ statusCode, headers }) => {
    upstreamStatus = statusCode
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
    ex.status = statusCode
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
    const { chunks, size } = errorBody
    return { kind: 'upstream-error', status: upstreamStatus, headers: upstreamHeaders, raw: Buffer.concat(chunks), size }
  }
  res.end()
  await tee?.finish()
  return { kind: 'streamed', headers: upstreamHeaders }
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
