// The request pipeline for one plugin route: (identified by the onRequest hook) → parse → admit
// → select → forward → stream → settle. Bytes reach the client as they arrive; a tee feeds the
// meter; every exit path settles exactly once (lease released, usage recorded, one log line),
// client aborts and shutdown included.
import type { BlockList } from 'node:net'
import type { ServerResponse } from 'node:http'
import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify'
import { isRefusal, type ErrorClassification, type IncomingRequest, type ParsedRequest, type PluginRefusal, type PluginRoute, type RelayPlugin } from '../plugin-api.ts'
import type { PoolAccount } from '../accounts/account-pool.ts'
import type { Credentials } from '../accounts/credentials.ts'
import type { AccountHealth } from '../scheduler/account-health.ts'
import type { Scheduler } from '../scheduler/scheduler.ts'
import { sessionNamespace } from '../scheduler/sticky-sessions.ts'
import type { RelayError } from '../errors.ts'
import type { KeyRecord } from '../store/store.ts'
import { upstreamRequestHeaders } from './headers.ts'
import { forward, sendHeld, type UpstreamHeaders } from './forward.ts'
import { decodedBody, describeUpstreamError, networkFailure, sendUpstreamError, type UpstreamError } from './upstream-error.ts'
import { relayError, sendRelayError } from './render-error.ts'
import { CLIENT_CLOSED, finishMeter, newExchange, settleAccounts, type Exchange, type Report, type SettleDeps } from './exchange.ts'
import { clientInfo } from './client-info.ts'
import { snapshot } from '../ops/config-reload.ts'
import type { Inflight } from './inflight.ts'
import type { Egress } from './egress.ts'
import { pinUpstream, routeUpstreamPath } from './upstream-pin.ts'
import { refuseKeyElsewhere } from './identify.ts'
import { parseTarget, TargetProblem } from './request-target.ts'
import { noAccountError } from './no-account.ts'
import { RequestAbort } from './request-abort.ts'
import { checkPriced } from '../limits/unpriced.ts'
import { mapModel } from '../accounts/model-map.ts'

export interface RelayDeps extends SettleDeps {
  scheduler: Scheduler
  health: AccountHealth
  egress: Egress
  inflight: Inflight
  credentials: Credentials
  maxAttempts: number
  /** Time-to-headers limits: streams fail over sooner; a non-streaming answer may think for minutes. */
  headersTimeoutMs: { stream: number, whole: number }
  /** Gateways whose X-Forwarded-For is believed. */
  trustedProxies: BlockList
  /** The other plugin whose own model this is (`ownsModel`), and the mount that serves it. */
  modelOwner?: (model: string, asking: RelayPlugin) => { provider: string, mount: string } | undefined
}

/**
 * For a model another provider owns: only this provider's accounts that list it serve it; none
 * listing it is a 404 naming the mount that does. Undefined when the model is this provider's.
 */
export function foreignModel (plugin: RelayPlugin, parsed: ParsedRequest, key: KeyRecord, deps: RelayDeps): ((a: PoolAccount) => boolean) | undefined {
  const model = parsed.model
  const owner = model === undefined ? undefined : deps.modelOwner?.(model, plugin)
  if (model === undefined || owner === undefined) return undefined
  const listed = (a: PoolAccount) => a.models !== null && a.serves(model)
  if (!deps.scheduler.candidates(plugin.name, key).some(listed)) {
    throw relayError('RELAY_ERR_MODEL_NOT_SERVED', `The model ${model} is a ${owner.provider} model: this relay serves it at ${owner.mount}, not on this ${plugin.name} endpoint.`)
  }
  return listed
}

type AbortReason = 'client' | 'shutdown'

/**
 * What a shared route's chooser parsed (shared-route.ts), for the handler it chose: given only
 * to the same plugin on the same route, so a body is not read twice.
 */
export const parsedBefore = new WeakMap<FastifyRequest, (plugin: RelayPlugin, route: PluginRoute) => ParsedRequest | PluginRefusal | undefined>()

/** The request as a plugin sees it: its path under the mount, the relay key already out of the query. */
export function incomingRequest (request: FastifyRequest, route: PluginRoute, mount: string): IncomingRequest {
  const path = request.relayTarget!.path.slice(mount.length)
  return {
    method: request.method,
    path,
    upstreamPath: routeUpstreamPath(route, path),
    query: request.relayAuth!.query,
    headers: upstreamRequestHeaders(request.headers),
    body: Buffer.isBuffer(request.body) ? request.body : undefined,
  }
}

export function relayHandler (plugin: RelayPlugin, route: PluginRoute, mount: string, deps: RelayDeps): RouteHandlerMethod {
  return async function relay (request: FastifyRequest, reply: FastifyReply) {
    const auth = request.relayAuth!
    const path = request.relayTarget!.path.slice(mount.length)
    const ex = newExchange(request.id, auth.at, plugin.name, route, path, clientInfo(request.headers, request.socket.remoteAddress, deps.trustedProxies))
    ex.key = auth.key
    ex.bridge = plugin.bridge
    ex.pricing = snapshot(deps.pricing)
    const controller = new RequestAbort()
    let abortReason: AbortReason | undefined
    const abort = (reason: AbortReason) => {
      if (abortReason) return
      abortReason = reason
      controller.abort()
    }
    let markSettled!: () => void
    const removeInflight = deps.inflight.add({ abort: () => abort('shutdown'), settled: new Promise(resolve => { markSettled = resolve }) })
    const res = reply.raw
    const onClose = () => { if (!res.writableFinished) abort('client') }
    res.once('close', onClose)

    try {
      reply.header('x-relay-request-id', ex.id)
      const incoming = incomingRequest(request, route, mount)
      refuseKeyElsewhere(incoming.headers, auth.presented)
      // A shared route may have parsed it already with this very plugin, to choose it.
      const parsed = parsedBefore.get(request)?.(plugin, route) ?? plugin.parseRequest(route, incoming)
      if (isRefusal(parsed)) throw relayError(parsed.error.code, parsed.error.message)
      ex.parsed = parsed
      // Not served: a request whose usage would have nowhere to go (`usage.backlog.whenFull`), and
      // an unpriced model for a key with a cost limit; then a model another provider owns.
      if (route.kind === 'generate') {
        deps.recorder.checkAccepting()
        checkPriced(ex.key.policy, plugin.name, parsed.model, ex.pricing)
      }
      const listed = foreignModel(plugin, parsed, ex.key, deps)
      ex.admitted = await deps.admission.admit(ex.key, plugin.name, route, parsed, ex.start)
      await deps.recorder.opened({
        requestId: ex.id, time: ex.start, keyId: ex.key.id, provider: plugin.name, model: parsed.model ?? null,
        path, stream: parsed.stream, clientKind: parsed.clientKind, userAgent: ex.client.userAgent, clientIp: ex.client.ip, bridge: plugin.bridge ?? null,
      })

      await attempts(ex, auth.presented, plugin, incoming, parsed, reply, controller, () => abortReason !== undefined, deps, listed)
    } catch (err) {
      // A held answer is not sent once the request failed: the error is.
      ex.held = undefined
      if (abortReason === 'client') {
        ex.status = CLIENT_CLOSED
      } else if (ex.status !== 0 && res.headersSent) {
        // Failed after the response started: tell the client inside the stream, keep the usage.
        ex.partial = true
        endStartedResponse(res, plugin, ex, abortReason === 'shutdown' ? 'RELAY_ERR_SHUTTING_DOWN' : 'RELAY_ERR_UPSTREAM_INTERRUPTED')
      } else {
        const relayErr = abortReason === 'shutdown' ? relayError('RELAY_ERR_SHUTTING_DOWN') : networkFailure(err)
        if (relayErr.code === 'RELAY_ERR_INTERNAL' || relayErr.code === 'RELAY_ERR_UPSTREAM_TARGET') request.log.error({ err }, 'relay failure')
        ex.status = relayErr.statusCode
        ex.refusal = relayErr.code
        if (!reply.sent) sendRelayError(reply, plugin, relayErr)
      }
    } finally {
      res.off('close', onClose)
      finishMeter(ex)
      let report: Report | undefined
      try {
        report = await settleAccounts(ex, deps, request.log)
      } finally {
        if (ex.held) sendHeld(reply, ex.held)
        else if (ex.streaming && !res.writableEnded && !res.destroyed) res.end()
        try {
          report?.()
        } catch (err) {
          request.log.error({ err }, 'reporting a request failed')
        }
        removeInflight()
        markSettled()
      }
    }
    return reply
  }
}

/**
 * Tries accounts until one answers 2xx, at most `maxAttempts`. A retryable failure (rate limit,
 * overload, 5xx, network, refused credential) before the client saw a byte moves the request to
 * the next account at once; the client only sees the last failure if every attempt failed.
 * An OAuth account that answers 401 gets one credential refresh and one more try first.
 */
async function attempts (
  ex: Exchange, relayKey: string, plugin: RelayPlugin, incoming: IncomingRequest, parsed: ParsedRequest,
  reply: FastifyReply, signal: RequestAbort, aborted: () => boolean, deps: RelayDeps, listed: ((a: PoolAccount) => boolean) | undefined,
): Promise<void> {
  const key = ex.key!
  const session = parsed.sessionKey ? sessionNamespace(key.id, plugin.name, parsed.sessionKey) : undefined
  const canServe = plugin.cannotServe ? (a: PoolAccount) => plugin.cannotServe!(a, parsed) === undefined : undefined
  const accepts = listed && canServe ? (a: PoolAccount) => listed(a) && canServe(a) : listed ?? canServe
  let last: Failure | undefined
  // Accounts found full across instances: passed over without counting as an attempt.
  const full = new Set<string>()
  while (ex.tried.length < deps.maxAttempts) {
    const exclude = new Set([...ex.tried.map(a => a.id), ...full])
    const pick = await deps.scheduler.pick({ provider: plugin.name, key, model: parsed.model, session, exclude, accepts, now: deps.now() })
    if (!pick) break
    const { account } = pick
    const slot = await deps.admission.accountSlot(account, deps.now())
    if (slot === undefined) {
      full.add(account.id)
      continue
    }
    ex.tried.push(account)
    deps.health.acquire(account.id)
    try {
      // A credential known to be expired is never sent: the account rests and the next one goes.
      if (!await deps.credentials.ensureFresh(account)) continue
      const outcome = await attemptOn(account, ex, relayKey, plugin, incoming, parsed, reply, signal, aborted, deps)
      if (outcome === 'served') {
        await deps.scheduler.served(session, pick, deps.now())
        return
      }
      last = outcome
      if ('verdict' in outcome && !outcome.verdict.retryable) break
    } finally {
      deps.health.release(account.id)
      if (slot) await deps.admission.releaseSlot(slot).catch(() => {})
    }
  }
  if (last && 'upstream' in last) {
    ex.status = sendUpstreamError(plugin, reply, last.upstream, last.body, last.verdict, ex.id, ex.tried.at(-1))
    return
  }
  if (last) throw last.error
  throw noAccountError(deps.scheduler.whyNone({ provider: plugin.name, key, model: parsed.model, accepts, now: deps.now() }), plugin, parsed)
}

type Failure = { upstream: UpstreamError, body: Buffer, verdict: ErrorClassification } | { error: RelayError }

/** One account: forward, and on a 401 at most one refresh-and-retry. Records the outcome. */
async function attemptOn (
  account: PoolAccount, ex: Exchange, relayKey: string, plugin: RelayPlugin, incoming: IncomingRequest, parsed: ParsedRequest,
  reply: FastifyReply, signal: RequestAbort, aborted: () => boolean, deps: RelayDeps,
): Promise<'served' | Failure> {
  // What this account is asked for (its model map): the row's model, unless the answer names another.
  ex.served = parsed.model === undefined ? undefined : mapModel(account.modelMap, parsed.model)
  for (let refreshed = false; ;) {
    const used = account.fields
    const request = withUpstreamPath(plugin, ex.route, incoming, parsed, account)
    const up = await plugin.prepareUpstream(ex.route, request, parsed, account)
    const target = pinUpstream(up, plugin.upstreamBase(account), request.upstreamPath, relayKey)
    const headersTimeout = parsed.stream ? deps.headersTimeoutMs.stream : deps.headersTimeoutMs.whole
    let result
    try {
      result = await forward(ex, plugin, deps.egress.forAccount(account), { ...up, ...target, headersTimeout }, signal, reply, up.method ?? incoming.method, deps.now)
    } catch (err) {
      // Part of a held answer is never sent: this attempt failed before the client saw a byte.
      ex.held = undefined
      // A client that hangs up once it has the terminal event (Codex does) was served in full:
      // the conversation binds to this account as for any other success.
      if (ex.streaming && finishMeter(ex)?.complete) {
        deps.health.succeeded(account.id, ex.ttfb, deps.now())
        return 'served'
      }
      // Aborted, or failed after the response started: nothing to retry.
      if (aborted() || reply.raw.headersSent) throw err
      const error = networkFailure(err)
      deps.health.failed(account.id, { kind: 'server_error', retryable: true }, error.message, deps.now())
      return { error }
    }
    noteRateLimits(plugin, deps.health, account.id, result.headers, deps.now())
    if (result.kind === 'streamed') {
      deps.health.succeeded(account.id, ex.ttfb, deps.now())
      return 'served'
    }
    const body = decodedBody(result)
    const verdict = plugin.classifyError(result.status, result.headers as never, body)
    const recovery = verdict.kind === 'auth_failed' && !refreshed ? await deps.credentials.afterUnauthorized(account, used) : undefined
    if (recovery === 'retry') {
      refreshed = true
      continue
    }
    // 'handled': the refresh outcome already set the account's state (needs a login, or resting).
    if (recovery !== 'handled') deps.health.failed(account.id, verdict, describeUpstreamError(result.status, body), deps.now())
    return { upstream: result, body, verdict }
  }
}

/** The request as it goes to this account: the plugin's translated path, checked to be canonical. */
function withUpstreamPath (plugin: RelayPlugin, route: PluginRoute, incoming: IncomingRequest, parsed: ParsedRequest, account: PoolAccount): IncomingRequest {
  const path = plugin.upstreamPath?.(route, incoming, parsed, account)
  if (path === undefined) return incoming
  const canonical = parseTarget(path)
  if (canonical instanceof TargetProblem || canonical.path !== path) throw relayError('RELAY_ERR_UPSTREAM_TARGET', `Refused to send an upstream request: the plugin's path is not canonical`)
  return { ...incoming, upstreamPath: path }
}

function noteRateLimits (plugin: RelayPlugin, health: AccountHealth, accountId: string, headers: UpstreamHeaders, now: number): void {
  const snapshot = plugin.readRateLimits?.(headers as never, now)
  if (snapshot) health.rateLimits(accountId, snapshot)
}

function endStartedResponse (res: ServerResponse, plugin: RelayPlugin, ex: Exchange, code: 'RELAY_ERR_SHUTTING_DOWN' | 'RELAY_ERR_UPSTREAM_INTERRUPTED'): void {
  if (res.destroyed || res.writableEnded) return
  // An error event is only meaningful in an uncompressed event stream; otherwise the client must
  // see a broken response rather than a body that looks complete.
  if (ex.plainSse && plugin.streamError) {
    res.end(plugin.streamError(code, relayError(code).message, ex.route))
  } else {
    res.destroy()
  }
}
