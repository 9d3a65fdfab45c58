// What `ai-relay doctor` talks to, under every mount (`{mount}/_relay/probe/...`) so that its
// requests take the same way through the gateway as the relay's own: what arrived (probe
// headers, body size), an event stream that waits for the client to acknowledge each event (a
// buffering gateway stalls it) and can fall silent for a while (a short read timeout cuts it),
// and a WebSocket that answers once (a gateway that does not pass upgrades never opens it).
// A valid relay key is required; nothing is counted or metered.
import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { WebSocketServer } from 'ws'
import type { KeyRegistry } from '../keys/key-registry.ts'
import { authenticate } from './identify.ts'
import { parseTarget, TargetProblem } from './request-target.ts'
import { toRelayError } from './render-error.ts'

export const PROBE_PATH = '/_relay/probe'

/** Headers whose arrival the doctor checks; their values are echoed, nothing else is. */
const PROBED = ['session_id', 'session-id', 'x-relay-key-id', 'x-relay-key-name', 'x-relay-provider', 'x-relay-request-id', 'x_relay_key_name', 'x-forwarded-user', 'x_forwarded_user', 'x-forwarded-proto']

/** A stream waits this long for each acknowledgement before going on regardless. */
const ACK_WAIT_MS = 10_000
/** The longest silence a probe stream may be asked for. */
const MAX_GAP_MS = 10 * 60_000

export interface ProbeDeps {
  keys: KeyRegistry
  prefixes: string[]
  bodyLimit: number
  now: () => number
}

export function registerGatewayProbe (app: FastifyInstance, deps: ProbeDeps): { upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean } {
  const waiting = new Map<string, () => void>()
  app.register(async function probeScope (scope) {
    // The body is counted, never kept: the doctor sends tens of megabytes to find the gateway's limit.
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', (_req, payload, done) => {
      let size = 0
      payload.on('data', (c: Buffer) => {
        size += c.length
        if (size > deps.bodyLimit) done(Object.assign(new Error('probe body too large'), { statusCode: 413 }), undefined)
      })
      payload.on('end', () => { if (size <= deps.bodyLimit) done(null, size) })
      payload.on('error', (err: Error) => done(err, undefined))
    })
    scope.addHook('onRequest', async request => {
      authenticate(deps.keys, request.headers, request.relayTarget?.query ?? '', deps.now())
    })
    scope.setErrorHandler(async (err, _request, reply) => {
      const e = toRelayError(err)
      return reply.code(e.statusCode).send({ error: { code: e.code, message: e.message } })
    })
    for (const prefix of deps.prefixes) {
      scope.route({ method: ['GET', 'POST'], url: `${prefix}${PROBE_PATH}/echo`, handler: echo })
      scope.get(`${prefix}${PROBE_PATH}/stream`, (request, reply) => stream(request, reply, waiting))
      scope.post(`${prefix}${PROBE_PATH}/ack`, async (request, reply) => {
        const id = (request.query as { id?: string }).id ?? ''
        waiting.get(id)?.()
        return reply.code(204).send()
      })
    }
  })

  // ws is loaded with the first WebSocket probe.
  let wss: Promise<WebSocketServer> | undefined
  return {
    upgrade (req, socket, head) {
      const target = parseTarget(req.url)
      if (target instanceof TargetProblem || !deps.prefixes.some(p => target.path === `${p}${PROBE_PATH}/ws`)) return false
      try {
        authenticate(deps.keys, req.headers, target.query, deps.now())
      } catch (err) {
        const e = toRelayError(err)
        socket.end(`HTTP/1.1 ${e.statusCode} ${e.code}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`)
        return true
      }
      wss ??= import('ws').then(({ WebSocketServer }) => new WebSocketServer({ noServer: true, perMessageDeflate: false }))
      wss.then(server => server.handleUpgrade(req, socket, head, ws => ws.close(1000, 'ai-relay probe ok')), () => socket.destroy())
      return true
    },
  }
}

async function echo (request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const headers: Record<string, string> = {}
  for (const name of PROBED) {
    const v = request.headers[name]
    if (v !== undefined) headers[name] = Array.isArray(v) ? v.join(', ') : v
  }
  return reply.send({ headers, bodyBytes: typeof request.body === 'number' ? request.body : 0 })
}

/**
 * Event 1, then each next event once the client acknowledged the one before (or after 10 s),
 * the last after `gapMs` of silence. A gateway that buffers holds event 1 back, so no
 * acknowledgement comes; one with a short read timeout cuts the silence.
 */
async function stream (request: FastifyRequest, reply: FastifyReply, waiting: Map<string, () => void>): Promise<void> {
  const q = request.query as { events?: string, gapMs?: string }
  const events = Math.min(Math.max(Number(q.events) || 3, 1), 20)
  const gapMs = Math.min(Math.max(Number(q.gapMs) || 0, 0), MAX_GAP_MS)
  const id = randomBytes(12).toString('base64url')
  const res = reply.hijack().raw
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  const gone = new AbortController()
  res.on('close', () => gone.abort())
  const pause = (ms: number, acked: boolean) => new Promise<void>(resolve => {
    const done = () => { clearTimeout(timer); waiting.delete(id); resolve() }
    const timer = setTimeout(done, ms)
    gone.signal.addEventListener('abort', done, { once: true })
    if (acked) waiting.set(id, done)
  })
  for (let n = 1; n <= events && !gone.signal.aborted; n++) {
    res.write(`event: probe\ndata: ${JSON.stringify({ n, id })}\n\n`)
    if (n === events) break
    // The silence before the last event is waited out whatever the client says.
    const silent = n === events - 1 && gapMs > 0
    await pause(silent ? gapMs : ACK_WAIT_MS, !silent)
  }
  if (!gone.signal.aborted) res.end('event: done\ndata: {}\n\n')
}
