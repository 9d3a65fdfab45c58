// WebSocket routes (Codex's Responses WebSocket mode): the upgrade is checked like any request
// (origin-form target, the key from the headers, the key's permissions), an account is picked
// whose upstream speaks WebSocket, the upstream socket is opened through the account's
// dispatcher (its proxy applies) with the account's credentials, and only then is the client's
// upgrade accepted. Every client message, whatever frame carried it (text or binary, in one
// frame or many), is read as UTF-8 JSON and handed to the plugin: only a message the plugin
// reads as a request goes upstream, as the text the relay read, and only after the checks an
// HTTP request passes (the key's model permissions, the account's models, admission); it is
// metered from the upstream's messages and settled like an HTTP request: its own row, limits,
// lease and cost. Anything else is refused with an error event and never forwarded; bytes that
// are not UTF-8 close the socket. When no account's upstream speaks WebSocket the upgrade gets
// 426 at once, and Codex uses HTTP instead.
import { STATUS_CODES, type IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { WebSocket as UpstreamSocket } from 'undici'
import { webSocketClass, type Dispatcher } from '../http-client.ts'
import type { WebSocketServer, WebSocket as ClientSocket, RawData } from 'ws'
import type { FastifyBaseLogger } from 'fastify'
import type { KeyRegistry } from '../keys/key-registry.ts'
import { isRefusal, type IncomingRequest, type ParsedRequest, type PluginRoute, type RelayPlugin } from '../plugin-api.ts'
import type { PoolAccount } from '../accounts/account-pool.ts'
import type { RelayError } from '../errors.ts'
import { requestId } from '../ids.ts'
import { sessionNamespace } from '../scheduler/sticky-sessions.ts'
import { upstreamRequestHeaders } from './headers.ts'
import { parseTarget, TargetProblem } from './request-target.ts'
import { refusalHead, relayError, toRelayError } from './render-error.ts'
import { pinUpstream, routeUpstreamPath } from './upstream-pin.ts'
import { authenticate, refuseKeyElsewhere } from './identify.ts'
import { noAccountError } from './no-account.ts'
import { clientInfo, type ClientInfo } from './client-info.ts'
import { finishMeter, newExchange, settle, type Exchange } from './exchange.ts'
import { snapshot } from '../ops/config-reload.ts'
import { checkPriced } from '../limits/unpriced.ts'
import { foreignModel, type RelayDeps } from './relay-handler.ts'
import { mapModel } from '../accounts/model-map.ts'

export interface WebSocketMount {
  plugin: RelayPlugin
  prefix: string
  routes: PluginRoute[]
}

export interface BridgeDeps extends RelayDeps {
  keys: KeyRegistry
  log: FastifyBaseLogger
  /** The largest client message, as `relay.bodyLimitBytes` bounds an HTTP body. */
  maxMessageBytes: number
}

/** Answers an upgrade request with a plain HTTP error in the plugin's shape and closes the socket. */
function refuse (socket: Duplex, plugin: RelayPlugin | undefined, err: RelayError): void {
  const { status, headers } = plugin ? refusalHead(plugin, err) : { status: err.statusCode, headers: {} }
  const body = JSON.stringify(plugin ? plugin.errorBody(err.code, status, err.message, { retryAfter: err.retryAfter }) : { error: err.message })
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')
  // The standard reason phrase: the code is the body's to carry (and `x-relay-error-code`'s).
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-relay-error-code: ${err.code}\r\n${extra}connection: close\r\n\r\n${body}`)
}

/** The `upgrade` listener of the sidecar's HTTP server. */
export function websocketBridge (mounts: WebSocketMount[], deps: BridgeDeps) {
  // ws is loaded with the first upgrade: most sidecars never see one.
  let server: Promise<WebSocketServer> | undefined
  return function onUpgrade (req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {})
    server ??= import('ws').then(({ WebSocketServer }) => new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: deps.maxMessageBytes }))
    server.then(wss => bridge(wss, mounts, deps, req, socket, head)).catch((err: unknown) => {
      deps.log.error({ err }, 'websocket bridge failed')
      if (!socket.destroyed) refuse(socket, undefined, relayError('RELAY_ERR_INTERNAL'))
    })
  }
}

async function bridge (server: WebSocketServer, mounts: WebSocketMount[], deps: BridgeDeps, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const target = parseTarget(req.url)
  if (target instanceof TargetProblem) return refuse(socket, undefined, relayError('RELAY_ERR_TARGET_INVALID', target.message))
  const found = findRoute(mounts, target.path)
  if (!found) return refuse(socket, undefined, relayError('RELAY_ERR_ROUTE_NOT_FOUND', `Not found: websocket ${target.path}`))
  const { plugin, route, path } = found
  const ws = plugin.websocket!
  const now = deps.now()
  let auth
  try {
    auth = authenticate(deps.keys, req.headers, target.query, now)
  } catch (err) {
    return refuse(socket, plugin, toRelayError(err))
  }
  const { key } = auth
  const who = clientInfo(req.headers, req.socket.remoteAddress, deps.trustedProxies)
  const incoming: IncomingRequest = {
    method: 'GET',
    path,
    upstreamPath: routeUpstreamPath(route, path),
    query: auth.query,
    headers: upstreamRequestHeaders(req.headers),
    body: undefined,
  }
  // The socket's own upgrade headers are the relay's to make, not the client's.
  for (const h of ['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol']) delete incoming.headers[h]
  try {
    refuseKeyElsewhere(incoming.headers, auth.presented)
  } catch (err) {
    return refuse(socket, plugin, toRelayError(err))
  }
  const parsed = plugin.parseRequest(route, incoming)
  if (isRefusal(parsed)) return refuse(socket, plugin, relayError(parsed.error.code, parsed.error.message))
  try {
    await deps.admission.admit(key, plugin.name, route, parsed, now)
  } catch (err) {
    return refuse(socket, plugin, toRelayError(err))
  }

  // An account whose upstream speaks WebSocket; without one, the client is told to use HTTP.
  const serves = (a: PoolAccount) => plugin.cannotServe?.(a, parsed) === undefined
  const session = parsed.sessionKey ? sessionNamespace(key.id, plugin.name, parsed.sessionKey) : undefined
  const tried = new Set<string>()
  let upstream: UpstreamSocket | undefined
  let account: PoolAccount | undefined
  let pick
  // With a shared store, the socket holds one of the account's `maxConcurrency` slots for its
  // whole life, as an HTTP request does for its own; a full account is passed over.
  let slot: string | null | undefined = null
  const request = parsed
  const presented = auth.presented
  const full = new Set<string>()
  while (!upstream && tried.size < deps.maxAttempts) {
    pick = await deps.scheduler.pick({ provider: plugin.name, key, model: undefined, session, exclude: new Set([...tried, ...full]), accepts: a => serves(a) && ws.accepts(a), now: deps.now() })
    if (!pick) break
    account = pick.account
    slot = await deps.admission.accountSlot(account, deps.now())
    if (slot === undefined) {
      full.add(account.id)
      continue
    }
    tried.add(account.id)
    upstream = await connectTo(account)
    if (!upstream && slot) await deps.admission.releaseSlot(slot).catch(() => {})
  }
  async function connectTo (account: PoolAccount): Promise<UpstreamSocket | undefined> {
    if (!await deps.credentials.ensureFresh(account)) return undefined
    const up = await plugin.prepareUpstream(route, incoming, request, account)
    const pinned = pinUpstream(up, plugin.upstreamBase(account), incoming.upstreamPath, presented)
    const url = pinned.origin.replace(/^http/, 'ws') + pinned.path
    return openUpstream(url, up.headers, deps.egress.forAccount(account)).catch((err: Error) => {
      deps.health.failed(account.id, { kind: 'server_error', retryable: true }, `websocket: ${err.message}`, deps.now())
      return undefined
    })
  }
  if (!upstream || !account || !pick) {
    // Every account that speaks WebSocket is full on other instances: a passing state.
    if (full.size > 0 && tried.size === 0) return refuse(socket, plugin, noAccountError({ kind: 'busy', retryAfter: undefined }, plugin, parsed))
    const http = deps.scheduler.whyNone({ provider: plugin.name, key, model: undefined, accepts: serves, now: deps.now() })
    if (http.kind === 'busy' && tried.size === 0) return refuse(socket, plugin, relayError('RELAY_ERR_UPGRADE_REQUIRED', 'No account of this relay serves this endpoint over WebSocket: use HTTP (POST)'))
    return refuse(socket, plugin, tried.size > 0 ? relayError('RELAY_ERR_UPSTREAM_UNREACHABLE') : noAccountError(http, plugin, parsed))
  }
  const chosen = account
  const up = upstream
  const heldSlot = slot
  const releaseSlot = () => { if (heldSlot) void deps.admission.releaseSlot(heldSlot).catch(() => {}) }
  await deps.scheduler.served(session, pick, deps.now())
  // The client may have gone while the upstream connected: nothing is upgraded, the slot is freed.
  if (socket.destroyed) {
    up.close(1000)
    releaseSlot()
    return
  }
  server.handleUpgrade(req, socket, head, client => relayFrames(client, up, chosen, plugin, route, parsed, key, path, deps, who, releaseSlot))
}

function findRoute (mounts: WebSocketMount[], path: string): { plugin: RelayPlugin, route: PluginRoute, path: string } | undefined {
  for (const m of mounts) {
    if (!path.startsWith(`${m.prefix}/`)) continue
    const rel = path.slice(m.prefix.length)
    const route = m.routes.find(r => r.path === rel)
    if (route) return { plugin: m.plugin, route, path: rel }
  }
  return undefined
}

async function openUpstream (url: string, headers: Record<string, string | string[]>, dispatcher: Dispatcher): Promise<UpstreamSocket> {
  const UpstreamSocket = await webSocketClass()
  return new Promise((resolve, reject) => {
    const flat: Record<string, string> = {}
    for (const [k, v] of Object.entries(headers)) flat[k] = Array.isArray(v) ? v.join(', ') : v
    const socket = new UpstreamSocket(url, { dispatcher, headers: flat } as never)
    socket.binaryType = 'arraybuffer'
    const fail = () => reject(new Error('the upstream refused the WebSocket'))
    socket.addEventListener('open', () => {
      socket.removeEventListener('error', fail)
      resolve(socket)
    }, { once: true })
    socket.addEventListener('error', fail, { once: true })
  })
}

/** Frames both ways; one exchange (row, limits, lease, meter) per request made over the socket. */
function relayFrames (
  client: ClientSocket, upstream: UpstreamSocket, account: PoolAccount, plugin: RelayPlugin, route: PluginRoute,
  connection: ParsedRequest, key: import('../store/store.ts').KeyRecord, path: string, deps: BridgeDeps, who: ClientInfo,
  releaseSlot: () => void,
): void {
  const ws = plugin.websocket!
  const metered: PluginRoute = { ...route, kind: 'generate' }
  let current: Exchange | undefined
  let closed = false
  let markSettled!: () => void
  const removeInflight = deps.inflight.add({ abort: () => closeBoth(1001, 'the relay is restarting'), settled: new Promise(resolve => { markSettled = resolve }) })
  deps.health.acquire(account.id)

  const finish = async (status: number, partial: boolean) => {
    const ex = current
    current = undefined
    if (!ex) return
    finishMeter(ex)
    ex.status = status
    if (partial) ex.partial = true
    await settle(ex, deps, deps.log)
  }
  const closeBoth = (code: number, reason: string) => {
    if (closed) return
    closed = true
    try {
      if (client.readyState === client.OPEN) client.close(code >= 1000 && code < 5000 && code !== 1005 && code !== 1006 && code !== 1015 ? code : 1011, reason.slice(0, 100))
    } catch {
      client.terminate()
    }
    if (upstream.readyState === upstream.OPEN) upstream.close(1000)
    deps.health.release(account.id)
    releaseSlot()
    void finish(499, true).finally(() => {
      removeInflight()
      markSettled()
    })
  }

  // Client messages are handled one after the other: a request's admission must not let a later
  // message overtake it on its way upstream.
  let queue = Promise.resolve()
  let previous: ParsedRequest | undefined
  const refuseMessage = async (ex: Exchange, e: RelayError) => {
    ex.status = e.statusCode
    ex.refusal = e.code
    await settle(ex, deps, deps.log)
    // Told in the stream, as an error event the client reads like the provider's own.
    const { status } = refusalHead(plugin, e)
    if (client.readyState === client.OPEN) client.send(JSON.stringify({ type: 'error', status, error: plugin.errorBody(e.code, status, e.message, { retryAfter: e.retryAfter }) }))
  }
  const onMessage = async (data: RawData) => {
    if (closed) return
    const text = utf8Text(data)
    if (text === undefined) return closeBoth(1007, 'a message must be UTF-8 JSON text')
    const ex = newExchange(requestId(), deps.now(), plugin.name, metered, path, who)
    ex.key = key
    ex.pricing = snapshot(deps.pricing)
    ex.tried.push(account)
    const parsed = ws.parseMessage(text, connection, previous)
    if (isRefusal(parsed)) return refuseMessage(ex, relayError(parsed.error.code, parsed.error.message))
    ex.parsed = parsed
    // The socket is bound to one account: a model it may not serve is refused, as HTTP would
    // pass over such an account.
    try {
      const listed = foreignModel(plugin, parsed, key, deps)
      if (listed && !listed(account)) throw relayError('RELAY_ERR_MODEL_NOT_SERVED', `This relay's account does not serve the model ${parsed.model} over WebSocket.`)
    } catch (err) {
      return refuseMessage(ex, toRelayError(err))
    }
    const notServed = parsed.model !== undefined && !account.serves(parsed.model) ? `This relay's account does not serve the model ${parsed.model} over WebSocket.` : plugin.cannotServe?.(account, parsed)
    if (notServed !== undefined) return refuseMessage(ex, relayError('RELAY_ERR_MODEL_NOT_SERVED', notServed))
    // A new request ends the one before it, if the upstream had not ended it (its lease goes first).
    await finish(499, true)
    try {
      deps.recorder.checkAccepting()
      checkPriced(key.policy, plugin.name, parsed.model, ex.pricing!)
      ex.admitted = await deps.admission.admit(key, plugin.name, metered, parsed, ex.start)
    } catch (err) {
      return refuseMessage(ex, toRelayError(err))
    }
    await deps.recorder.opened({ requestId: ex.id, time: ex.start, keyId: key.id, provider: plugin.name, model: parsed.model ?? null, path, stream: true, clientKind: parsed.clientKind, userAgent: who.userAgent, clientIp: who.ip })
    ex.meter = plugin.createMeter(metered, parsed, { 'content-type': 'text/event-stream' })
    ex.status = 200
    current = ex
    previous = parsed
    // The text the relay read, in a text frame: the upstream sees exactly what was checked, but
    // for the model the account's map names otherwise.
    ex.served = parsed.model === undefined ? undefined : mapModel(account.modelMap, parsed.model)
    if (upstream.readyState === upstream.OPEN) upstream.send(ws.upstreamMessage?.(text, parsed, account) ?? text)
  }
  client.on('message', data => {
    queue = queue.then(() => onMessage(data)).catch((err: unknown) => deps.log.error({ err }, 'websocket message failed'))
  })
  upstream.addEventListener('message', ev => {
    // The protocol is JSON text; a binary frame is read as such, so it cannot carry a request's
    // end (and its usage) past the meter.
    const data = typeof ev.data === 'string' ? ev.data : utf8Text(Buffer.from(ev.data as ArrayBuffer))
    if (data === undefined) return closeBoth(1011, 'the upstream sent a message that is not UTF-8 text')
    const ex = current
    if (ex) {
      ex.ttfb ??= deps.now() - ex.start
      ex.meter?.push(Buffer.from(`data: ${data}\n\n`))
    }
    if (client.readyState === client.OPEN) client.send(data)
    if (ex && ws.endsRequest(data)) {
      deps.health.succeeded(account.id, ex.ttfb, deps.now())
      void finish(200, false)
    }
  })
  client.on('close', () => closeBoth(1000, ''))
  client.on('error', () => closeBoth(1011, ''))
  upstream.addEventListener('close', ev => closeBoth(ev.code === 1005 || ev.code === 1006 ? 1011 : ev.code, ev.reason))
  upstream.addEventListener('error', () => closeBoth(1011, 'upstream error'))
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** A message's payload as text, whatever frames carried it; undefined when it is not UTF-8. */
function utf8Text (data: RawData | Buffer): string | undefined {
  const bytes = Array.isArray(data) ? Buffer.concat(data) : data
  try {
    return utf8.decode(bytes)
  } catch {
    return undefined
  }
}
