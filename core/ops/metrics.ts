// Prometheus metrics (prom-client, `ai_relay_` prefix) at /_relay/metrics: requests, attempts
// and failovers, time to first byte and latency, tokens and cost by provider and model, requests
// in flight, account states, key refusals by reason, store writes and queue depth, and Node's
// own runtime metrics. Labels never carry a secret; key names only when the config allows it
// (`metrics.keyLabels`), because every key is a new series.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { ClientKind, Usage } from '../plugin-api.ts'
import { LiveStats } from './live-stats.ts'

export interface SettledRequest {
  provider: string
  /** The plugin route's pattern (`/v1/messages`), never the concrete path (cardinality). */
  route: string
  status: number
  clientKind: ClientKind
  keyName?: string
  model: string | null
  usage: Usage
  costPico: bigint | null
  billable: boolean
  ttfbMs: number | null
  latencyMs: number
  attempts: number
}

export interface MetricsSources {
  inflight: () => number
  queueDepth: () => number
  /** Accounts by provider and state (active, cooling, unauthorized, disabled, at-capacity). */
  accountStates: () => { provider: string, state: string, count: number }[]
  /** Each live price source (its URL, credentials masked): how old its copy in force is, and whether its last fetch failed. */
  priceSources?: () => { source: string, copyAgeSeconds: number | null, failing: boolean }[]
}

const TOKEN_KINDS = [['input', 'input'], ['output', 'output'], ['cacheWrite5m', 'cache_write_5m'], ['cacheWrite1h', 'cache_write_1h'], ['cacheRead', 'cache_read']] as const

/** How many distinct models the unpriced counter names before it folds the rest into "other". */
const UNPRICED_MODEL_LABELS = 100

export class RelayMetrics {
  readonly registry = new Registry()
  /** Requests of the last minute and the event loop's delay, for the admin overview. */
  readonly live = new LiveStats()
  #keyLabels: boolean
  #requests: Counter
  #attempts: Counter
  #failovers: Counter
  #ttfb: Histogram
  #latency: Histogram
  #tokens: Counter
  #cost: Counter
  #refusals: Counter
  #storeWrites: Histogram
  #storeErrors: Counter
  #unpriced: Counter
  /** Model labels of the unpriced counter: the names are the clients' to choose, so they are capped. */
  #unpricedModels = new Set<string>()

  constructor (opts: { keyLabels: boolean }, sources: MetricsSources) {
    this.#keyLabels = opts.keyLabels
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry, prefix: 'ai_relay_' })
    this.#requests = new Counter({ name: 'ai_relay_requests_total', help: 'Relayed requests by provider, route, status and client kind', labelNames: ['provider', 'route', 'status', 'client_kind', ...(opts.keyLabels ? ['key'] : [])], registers })
    this.#attempts = new Counter({ name: 'ai_relay_upstream_attempts_total', help: 'Upstream attempts (accounts tried)', labelNames: ['provider'], registers })
    this.#failovers = new Counter({ name: 'ai_relay_failovers_total', help: 'Requests that moved to another account before their first byte', labelNames: ['provider'], registers })
    const buckets = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600]
    this.#ttfb = new Histogram({ name: 'ai_relay_time_to_first_byte_seconds', help: 'From arrival to the first byte sent to the client', labelNames: ['provider'], buckets, registers })
    this.#latency = new Histogram({ name: 'ai_relay_request_duration_seconds', help: 'From arrival to the end of the response', labelNames: ['provider'], buckets, registers })
    this.#tokens = new Counter({ name: 'ai_relay_tokens_total', help: 'Tokens by provider, model and kind (cache reads and writes apart)', labelNames: ['provider', 'model', 'kind'], registers })
    this.#cost = new Counter({ name: 'ai_relay_cost_usd_total', help: 'Cost in USD by provider and model (priced requests)', labelNames: ['provider', 'model'], registers })
    this.#refusals = new Counter({ name: 'ai_relay_key_refusals_total', help: 'Requests the relay refused, by reason (its error code)', labelNames: ['reason'], registers })
    this.#storeWrites = new Histogram({ name: 'ai_relay_store_write_seconds', help: 'Usage batch writes to the store', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers })
    this.#storeErrors = new Counter({ name: 'ai_relay_store_write_errors_total', help: 'Usage writes the store refused (kept and retried)', registers })
    this.#unpriced = new Counter({ name: 'ai_relay_unpriced_requests_total', help: `Served requests with no price (recorded at no cost), by provider and model (the first ${UNPRICED_MODEL_LABELS} models; the rest as "other")`, labelNames: ['provider', 'model'], registers })
    new Gauge({ name: 'ai_relay_inflight_requests', help: 'Requests in flight', registers, collect () { this.set(sources.inflight()) } })
    new Gauge({ name: 'ai_relay_usage_queue_depth', help: 'Usage records waiting to be written', registers, collect () { this.set(sources.queueDepth()) } })
    // Stale prices bill new models at $0 or not at all: an operator alerts on these.
    new Gauge({
      name: 'ai_relay_price_source_copy_age_seconds', help: 'Age of each live price source\'s copy in force (absent: none yet)', labelNames: ['source'], registers,
      collect () {
        this.reset()
        for (const s of sources.priceSources?.() ?? []) if (s.copyAgeSeconds !== null) this.set({ source: s.source }, s.copyAgeSeconds)
      },
    })
    new Gauge({
      name: 'ai_relay_price_source_failing', help: '1 when a live price source\'s last fetch failed (its copy stays in force)', labelNames: ['source'], registers,
      collect () {
        this.reset()
        for (const s of sources.priceSources?.() ?? []) this.set({ source: s.source }, s.failing ? 1 : 0)
      },
    })
    new Gauge({
      name: 'ai_relay_accounts', help: 'Accounts by provider and state', labelNames: ['provider', 'state'], registers,
      collect () {
        this.reset()
        for (const s of sources.accountStates()) this.set({ provider: s.provider, state: s.state }, s.count)
      },
    })
  }

  settled (r: SettledRequest): void {
    this.live.count()
    this.#requests.inc({ provider: r.provider, route: r.route, status: String(r.status), client_kind: r.clientKind, ...(this.#keyLabels ? { key: r.keyName ?? '' } : {}) })
    if (r.attempts > 0) this.#attempts.inc({ provider: r.provider }, r.attempts)
    if (r.attempts > 1) this.#failovers.inc({ provider: r.provider })
    if (r.ttfbMs !== null) this.#ttfb.observe({ provider: r.provider }, r.ttfbMs / 1000)
    this.#latency.observe({ provider: r.provider }, r.latencyMs / 1000)
    if (!r.billable) return
    const model = r.model ?? ''
    if (r.costPico === null) this.#unpriced.inc({ provider: r.provider, model: this.#unpricedLabel(model) })
    for (const [field, kind] of TOKEN_KINDS) {
      const n = r.usage[field]
      if (n !== undefined && n > 0) this.#tokens.inc({ provider: r.provider, model, kind }, n)
    }
    // Pico-USD to dollars: exact to the micro-dollar, which is what a float counter can hold anyway.
    if (r.costPico !== null && r.costPico > 0n) this.#cost.inc({ provider: r.provider, model }, Number(r.costPico / 1_000_000n) / 1_000_000)
  }

  #unpricedLabel (model: string): string {
    if (this.#unpricedModels.has(model)) return model
    if (this.#unpricedModels.size >= UNPRICED_MODEL_LABELS) return 'other'
    this.#unpricedModels.add(model)
    return model
  }

  refused (reason: string): void {
    this.#refusals.inc({ reason })
  }

  storeWritten (seconds: number): void {
    this.#storeWrites.observe(seconds)
  }

  storeFailed (): void {
    this.#storeErrors.inc()
  }

  render (): Promise<string> {
    return this.registry.metrics()
  }
}
