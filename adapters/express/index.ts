// ai-relay-sidecar for a Node gateway (Express or Connect): the middleware plays the role of the
// nginx and Caddy kits. For the relay's mounts it asks the sidecar's forward auth first (so a
// bad or over-limit key is refused before its body is uploaded), then proxies with
// http-proxy-middleware: streamed both ways without buffering, no timeouts (hour-long agent
// streams), WebSocket upgrades (Codex), X-Forwarded-* added, a client's X-Relay-* headers
// removed. `protect` guards any other route with relay keys and hands on the holder's identity.
//
// Mount it before any body parser (the body must reach the sidecar untouched), and hand
// `upgrade` to the HTTP server's 'upgrade' event.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { Agent } from 'undici'
import { createProxyMiddleware } from 'http-proxy-middleware'
import { askRelay, isGatewayHeader, withoutRelayHeaders, type Verdict } from './forward-auth.ts'

export interface RelayGatewayOptions {
  /** The sidecar's address, e.g. `http://127.0.0.1:8787`. */
  sidecar: string
  /** The relay's mounts and aliases, as in its config. */
  mounts?: string[]
  /** Ask forward auth before proxying a relay request (default true). */
  gate?: boolean
}

type Next = (err?: unknown) => void
export type Middleware = (req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next: Next) => void

export interface RelayGateway {
  /** Proxies the relay's mounts (after the gate); passes every other request on. */
  relay: Middleware
  /** Guards a route with relay keys: `x-relay-key-id` / `x-relay-key-name` set from the relay, or the relay's refusal. */
  protect: Middleware
  /** For `server.on('upgrade', gateway.upgrade)`: WebSocket upgrades on the mounts, gated. */
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void
  close: () => Promise<void>
}

export const DEFAULT_MOUNTS = ['/claude', '/api', '/openai', '/gemini']

/** `rawHeaders` (name, value, name, value, …) without a client's identity headers. */
function withoutRelayRawHeaders (raw: string[]): string[] {
  const kept: string[] = []
  for (let i = 0; i < raw.length; i += 2) if (!isGatewayHeader(raw[i]!)) kept.push(raw[i]!, raw[i + 1]!)
  return kept
}

function refuse (res: ServerResponse, verdict: Extract<Verdict, { allowed: false }>): void {
  // The body was not read: closing spares the client uploading it.
  res.writeHead(verdict.status, { ...verdict.headers, 'content-length': verdict.body.length, connection: 'close' })
  res.end(verdict.body)
}

export function relayGateway (options: RelayGatewayOptions): RelayGateway {
  const mounts = options.mounts ?? DEFAULT_MOUNTS
  const gate = options.gate ?? true
  const dispatcher = new Agent({ keepAliveTimeout: 60_000 })
  const onMount = (url: string | undefined) => {
    const path = (url ?? '').split('?')[0]!
    return mounts.some(m => path === m || path.startsWith(`${m}/`))
  }
  const stripRelayHeaders = (proxyReq: { getHeaderNames (): string[], removeHeader (name: string): void }) => {
    for (const name of proxyReq.getHeaderNames()) if (isGatewayHeader(name)) proxyReq.removeHeader(name)
  }
  const proxy = createProxyMiddleware<IncomingMessage, ServerResponse>({
    target: options.sidecar,
    pathFilter: (path: string) => onMount(path),
    ws: false,
    xfwd: true,
    on: {
      proxyReq: stripRelayHeaders,
      proxyReqWs: stripRelayHeaders,
      error: (_err, _req, res) => {
        if ('writeHead' in res && !res.headersSent) {
          res.writeHead(502, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ error: { code: 'RELAY_GATEWAY_UNREACHABLE', message: 'The relay sidecar could not be reached' } }))
        } else {
          res.destroy()
        }
      },
    },
  })
  const ask = (req: IncomingMessage & { originalUrl?: string }) => askRelay(options.sidecar, dispatcher, req.headers, req.method ?? 'GET', req.originalUrl ?? req.url ?? '/')

  return {
    relay (req, res, next) {
      if (!onMount(req.originalUrl ?? req.url)) return next()
      if (!gate) return void proxy(req, res, next)
      ask(req).then(verdict => {
        if (!verdict.allowed) return refuse(res, verdict)
        return proxy(req, res, next)
      }, next)
    },
    protect (req, res, next) {
      // Both views of the headers: a handler (or a proxy after it) may read the raw ones.
      req.headers = withoutRelayHeaders(req.headers)
      req.rawHeaders = withoutRelayRawHeaders(req.rawHeaders)
      ask(req).then(verdict => {
        if (!verdict.allowed) return refuse(res, verdict)
        req.headers['x-relay-key-id'] = verdict.keyId
        req.headers['x-relay-key-name'] = verdict.keyName
        req.rawHeaders.push('X-Relay-Key-Id', verdict.keyId, 'X-Relay-Key-Name', verdict.keyName)
        next()
      }, next)
    },
    upgrade (req, socket, head) {
      if (!onMount(req.url)) return
      socket.on('error', () => {})
      const go = () => proxy.upgrade(req as never, socket as never, head)
      if (!gate) return go()
      ask(req).then(verdict => {
        if (verdict.allowed) return go()
        const head = `HTTP/1.1 ${verdict.status} Refused\r\n${Object.entries(verdict.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}content-length: ${verdict.body.length}\r\nconnection: close\r\n\r\n`
        socket.end(Buffer.concat([Buffer.from(head), verdict.body]))
      }, () => socket.destroy())
    },
    close: () => dispatcher.close(),
  }
}
