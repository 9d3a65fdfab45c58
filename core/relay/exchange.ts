// The state of one relayed request from arrival to settle, and the settle step itself:
// usage × price → cost, one usage record (request log + aggregates), one log line.
import type { FastifyBaseLogger } from 'fastify'
import type { PoolAccount } from '../accounts/account-pool.ts'
import type { KeyRecord } from '../store/store.ts'
import type { ClientKind, Meter, ParsedRequest, PluginRoute, Usage } from '../plugin-api.ts'
import type { Pricing } from '../metering/pricing.ts'
import { formatUsd } from '../metering/pricing.ts'
import type { UsageRecorder } from '../metering/usage-recorder.ts'
import type { Admission, Admitted } from '../limits/admission.ts'

/** Status recorded when the client went away before the response finished (nginx's convention). */
export const CLIENT_CLOSED = 499

export interface Exchange {
  id: string
  start: number
  provider: string
  route: PluginRoute
  path: string
  key?: KeyRecord
  parsed?: ParsedRequest
  /** Set once the key's limits let the request in; settled with its usage. */
  admitted?: Admitted
  /** Accounts tried, in order; the last one is the account that answered. */
  tried: PoolAccount[]
  status: number
  /** Ms from arrival to the first response byte sent to the client. */
  ttfb: number | null
  meter?: Meter
  /** The response is an uncompressed event stream (an error can be sent as an event). */
  plainSse: boolean
  usage: Usage
  model?: string
  partial: boolean
}

export function newExchange (id: string, start: number, provider: string, route: PluginRoute, path: string): Exchange {
  return { id, start, provider, route, path, tried: [], status: 0, ttfb: null, usage: {}, plainSse: false, partial: false }
}

export interface SettleDeps {
  pricing: Pricing
  recorder: UsageRecorder
  admission: Admission
  now: () => number
}

export async function settle (ex: Exchange, deps: SettleDeps, log: FastifyBaseLogger): Promise<void> {
  const end = deps.now()
  const model = ex.model ?? ex.parsed?.model ?? null
  // Failed calls cost nothing; a stream cut after it started is billed for what was seen.
  const billable = ex.route.kind === 'generate' && ((ex.status >= 200 && ex.status < 300) || ex.partial)
  const cost = billable ? deps.pricing.cost(model, ex.usage) : { costPico: 0n, pricedAs: null, version: deps.pricing.version }
  const unpriced = billable && cost.costPico === null
  const clientKind: ClientKind = ex.parsed?.clientKind ?? 'other'
  const account = ex.tried.at(-1)
  // Limits first: the concurrency slot is freed and the spend counted even if recording fails.
  if (ex.admitted) await deps.admission.settle(ex.admitted, ex.usage, billable ? cost.costPico : null)
  if (ex.key) {
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
      costPico: cost.costPico,
      unpriced,
      priceVersion: cost.version,
      latencyMs: end - ex.start,
      ttfbMs: ex.ttfb,
      partial: ex.partial,
      attempts: ex.tried.length,
      accountsTried: ex.tried.map(a => a.id),
      clientKind,
      billable,
    })
  }
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
    cost: cost.costPico !== null && billable ? formatUsd(cost.costPico) : undefined,
    unpriced: unpriced || undefined,
    partial: ex.partial || undefined,
    attempts: ex.tried.length,
    tried: ex.tried.length > 1 ? ex.tried.map(a => a.name) : undefined,
    latencyMs: end - ex.start,
    ttfbMs: ex.ttfb ?? undefined,
  }, 'relay')
}
