// The state of one relayed request from arrival to settle, and the settle step itself: the
// concurrency lease released first and in every case, then usage checked and priced, spend
// counted, one usage record, one log line. No step's failure stops the steps after it.
import type { FastifyBaseLogger } from 'fastify'
import type { PoolAccount } from '../accounts/account-pool.ts'
import type { RelayErrorCode } from '../errors.ts'
import type { KeyRecord } from '../store/store.ts'
import type { ClientKind, Meter, MeterResult, ParsedRequest, PluginRoute, Usage } from '../plugin-api.ts'
import type { Pricing } from '../metering/pricing.ts'
import { formatUsd } from '../metering/pricing.ts'
import { checkUsage, costInRange } from '../metering/usage-check.ts'
import type { UsageRecorder } from '../metering/usage-recorder.ts'
import type { Admission, Admitted } from '../limits/admission.ts'
import type { RelayMetrics } from '../ops/metrics.ts'
import type { ClientInfo } from './client-info.ts'

/** Status recorded when the client went away before the response finished (nginx's convention). */
export const CLIENT_CLOSED = 499

export interface Exchange {
  id: string
  start: number
  provider: string
  /** The bridge that translated the request, if one did. */
  bridge?: string
  route: PluginRoute
  path: string
  key?: KeyRecord
  parsed?: ParsedRequest
  /** Set once the key's limits let the request in; settled with its usage. */
  admitted?: Admitted
  /** Accounts tried, in order; the last one is the account that answered. */
  tried: PoolAccount[]
  status: number
  /** The relay's own refusal, when the request ended with one. */
  refusal?: RelayErrorCode
  /** Ms from arrival to the first response byte sent to the client. */
  ttfb: number | null
  meter?: Meter
  /** What the meter read, once the response ended. */
  metered?: MeterResult
  /** The response is an event stream, and `plainSse` an uncompressed one (an error can be sent as an event). */
  eventStream: boolean
  plainSse: boolean
  /** The response was committed to the client and is written by the relay (ended after settle). */
  streaming: boolean
  /** A whole (non-streaming) answer held to be sent at the end with its length, in one write. */
  held?: HeldResponse
  usage: Usage
  /** The model that answered (from the meter). */
  model?: string
  /** The model the serving account was asked for, when its model map named another. */
  served?: string
  partial: boolean
  /** Who sent it (user agent, address), for the request log. */
  client: ClientInfo
  /** The provider's id of its answer. */
  upstreamRequestId?: string
  /** The price table in force when the request arrived (a reload does not reprice it). */
  pricing?: Pricing
}

export interface HeldResponse {
  status: number
  headers: Record<string, string | string[] | number | undefined>
  chunks: Buffer[]
  size: number
}

const NO_CLIENT: ClientInfo = { userAgent: null, ip: null }

export function newExchange (id: string, start: number, provider: string, route: PluginRoute, path: string, client: ClientInfo = NO_CLIENT): Exchange {
  return { id, start, provider, route, path, tried: [], status: 0, ttfb: null, usage: {}, eventStream: false, plainSse: false, streaming: false, partial: false, client }
}

/** Ends the meter once (it may be asked from the stream's end and from settle). */
export function finishMeter (ex: Exchange): MeterResult | undefined {
  if (!ex.meter) return undefined
  if (!ex.metered) {
    try {
      ex.metered = ex.meter.end()
    } catch {
      ex.metered = { usage: {}, complete: false, invalid: ['meter failed'] }
    }
    ex.usage = ex.metered.usage
    ex.model = ex.metered.model
    if (!ex.metered.complete) ex.partial = true
  }
  return ex.metered
}

export interface SettleDeps {
  pricing: Pricing
  recorder: UsageRecorder
  admission: Admission
  now: () => number
  metrics?: RelayMetrics
  /** After a request's spend was counted against its key (budget notifications); must not throw. */
  spent?: (key: KeyRecord, model: string | undefined, now: number) => void
  /** A request was served with no price for its model (the notification, once per model); must not throw. */
  unpriced?: (provider: string, model: string) => void
  /** Whether a line per finished request goes to the log (`log.requests`; reloadable). */
  logRequests?: () => boolean
}

interface Priced {
  costPico: bigint | null
  version: string
  /** Why the usage or its cost could not be trusted, when it could not. */
  flags: string[]
}

function price (ex: Exchange, deps: SettleDeps, billable: boolean, model: string | null): Priced {
  const pricing = ex.pricing ?? deps.pricing
  const version = pricing.version
  if (!billable) return { costPico: 0n, version, flags: [] }
  const checked = checkUsage(ex.usage)
  const flags = [...(ex.metered?.invalid ?? []), ...checked.problems]
  ex.usage = checked.usage
  if (flags.length > 0) return { costPico: null, version, flags: [`usage rejected: ${flags.join(', ')}`] }
  const cost = pricing.cost(model, checked.usage, { requested: ex.parsed?.model, provider: ex.provider, at: ex.start })
  if (cost.costPico !== null && !costInRange(cost.costPico)) return { costPico: null, version, flags: ['cost out of range'] }
  return { costPico: cost.costPico, version: cost.version, flags: cost.billedBy ? [`billed as ${cost.pricedAs} (${cost.billedBy})`] : [] }
}

/** What is left of settling once the client has its answer: the metrics and the log line. */
export type Report = () => void

/** Settles a request whole: its accounts, then its report. */
export async function settle (ex: Exchange, deps: SettleDeps, log: FastifyBaseLogger): Promise<void> {
  (await settleAccounts(ex, deps, log))()
}

/**
 * The part of settling a client must not outrun: the lease released, the spend counted and the
 * usage recorded, so that its next request finds its slot free and its limits up to date. The
 * metrics and the log line are returned, to be done after the response ended (they are ~10% of
 * a request's CPU and need not be in its latency).
 */
export async function settleAccounts (ex: Exchange, deps: SettleDeps, log: FastifyBaseLogger): Promise<Report> {
  const end = deps.now()
  // The concurrency slot first: whatever fails below, the key gets its slot back.
  if (ex.admitted) {
    try {
      await deps.admission.release(ex.admitted)
    } catch (err) {
      log.error({ err }, 'releasing a concurrency lease failed (it expires with its TTL)')
    }
  }
  const requested = ex.parsed?.model ?? null
  const model = ex.model ?? ex.served ?? requested
  // Failed calls cost nothing; a stream cut after it started is billed for what was seen.
  const billable = ex.route.kind === 'generate' && ((ex.status >= 200 && ex.status < 300) || ex.partial)
  let priced: Priced
  try {
    priced = price(ex, deps, billable, model)
  } catch (err) {
    log.error({ err }, 'pricing a request failed')
    priced = { costPico: null, version: deps.pricing.version, flags: ['pricing failed'] }
  }
  const unpriced = billable && priced.costPico === null
  if (unpriced && model !== null && priced.flags.length === 0) deps.unpriced?.(ex.provider, model)
  const clientKind: ClientKind = ex.parsed?.clientKind ?? 'other'
  const account = ex.tried.at(-1)
  if (ex.admitted) {
    try {
      await deps.admission.addSpend(ex.admitted, ex.usage, billable ? priced.costPico : null)
      if (billable && ex.key) deps.spent?.(ex.key, model ?? undefined, end)
    } catch (err) {
      log.error({ err }, 'counting spend against the key limits failed')
    }
  }
  if (ex.key) {
    try {
      deps.recorder.touchKey(ex.key.id, ex.start)
      await deps.recorder.record({
        requestId: ex.id,
        time: ex.start,
        keyId: ex.key.id,
        accountId: account?.id ?? null,
        provider: ex.provider,
        model,
        path: ex.path,
        stream: ex.parsed?.stream ?? false,
        status: ex.status,
        usage: ex.usage,
        costPico: priced.costPico,
        unpriced,
        priceVersion: priced.version,
        latencyMs: end - ex.start,
        ttfbMs: ex.ttfb,
        partial: ex.partial,
        attempts: ex.tried.length,
        accountsTried: ex.tried.map(a => a.id),
        clientKind,
        billable,
        flags: priced.flags.length > 0 ? priced.flags.join('; ') : null,
        refusal: ex.admitted ? undefined : ex.refusal,
        upstreamRequestId: ex.upstreamRequestId ?? null,
        bridge: ex.bridge ?? null,
        requestedModel: requested !== null && requested !== model ? requested : null,
        userAgent: ex.client.userAgent,
        clientIp: ex.client.ip,
      })
    } catch (err) {
      log.error({ err, requestId: ex.id }, 'recording a request failed')
    }
  }
  return () => {
    try {
      deps.metrics?.settled({
        provider: ex.provider, route: ex.route.path, status: ex.status, clientKind, keyName: ex.key?.name, model, usage: ex.usage,
        costPico: priced.costPico, billable, ttfbMs: ex.ttfb, latencyMs: end - ex.start, attempts: ex.tried.length,
      })
      if (ex.refusal) deps.metrics?.refused(ex.refusal)
    } catch (err) {
      log.error({ err }, 'updating metrics failed')
    }
    if (deps.logRequests?.() === false) return
    const u = ex.usage
    log.info({
      path: ex.path,
      status: ex.status,
      // Not `key`: that name is a redaction path, and this is the key's name, not its secret.
      keyName: ex.key?.name,
      account: account?.name,
      model: model ?? undefined,
      stream: ex.parsed?.stream,
      client: clientKind,
      tokens: { in: u.input, out: u.output, cw5m: u.cacheWrite5m, cw1h: u.cacheWrite1h, cr: u.cacheRead },
      cost: priced.costPico !== null && billable ? formatUsd(priced.costPico) : undefined,
      unpriced: unpriced || undefined,
      flags: priced.flags.length > 0 ? priced.flags : undefined,
      partial: ex.partial || undefined,
      attempts: ex.tried.length,
      tried: ex.tried.length > 1 ? ex.tried.map(a => a.name) : undefined,
      latencyMs: end - ex.start,
      ttfbMs: ex.ttfb ?? undefined,
    }, 'relay')
  }
}
