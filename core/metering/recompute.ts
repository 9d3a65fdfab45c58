// `ai-relay usage recompute`: bills again the recorded requests that had no price of their own
// (unpriced, or billed at a fallback's rate) once the table in force prices their model. Each
// is priced as at its own time (announced changes included), by its model's own rate only (a
// fallback or an alias glob is not a real price); its row records the new version and what it
// was before; its buckets' totals and the key's budgets still in force move by the difference.
import type { KeyPolicy } from '../limits/policy-schema.ts'
import { policyCounters } from '../limits/admission.ts'
import { globMatcher } from '../globs.ts'
import type { KeyRecord, RepricedRequest, RequestLogRow, Store } from '../store/store.ts'
import { costOf, formatUsd, type Pricing } from './pricing.ts'
import { priceAt } from './price-table.ts'

export interface RecomputeOptions {
  since: number
  until: number
  /** Only models matching this glob (case-insensitive, like the config's). */
  model?: string
  now: number
  /** The budgets' zone (`limits.timeZone`), to find the periods a request counted in. */
  timeZone: string
}

export interface ModelRecompute {
  model: string
  requests: number
  beforePico: bigint
  afterPico: bigint
}

export interface RecomputePlan {
  /** Rows read that had no price of their own. */
  candidates: number
  /** Of them, rows whose model is still not priced (left as they are). */
  stillUnpriced: number
  changes: RepricedRequest[]
  byModel: ModelRecompute[]
}

/** Rows read per page of the request log. */
const PAGE = 1000
/** Rows written per store transaction. */
export const APPLY_BATCH = 500

/** Rows billed without a price of their own: unpriced for want of a price, or by a fallback. */
export function needsPrice (r: RequestLogRow): boolean {
  return r.state === 'done' && r.model !== null && ((r.unpriced && r.flags === null) || (!r.unpriced && r.flags?.startsWith('billed as ') === true))
}

export async function planRecompute (store: Store, pricing: Pricing, keys: KeyRecord[], opts: RecomputeOptions): Promise<RecomputePlan> {
  const policies = new Map<string, KeyPolicy>(keys.map(k => [k.id, k.policy]))
  const matches = opts.model ? globMatcher([opts.model]) : () => true
  const plan: RecomputePlan = { candidates: 0, stillUnpriced: 0, changes: [], byModel: [] }
  const byModel = new Map<string, ModelRecompute>()
  const stamp = new Date(opts.now).toISOString()
  let before: { time: number, requestId: string } | undefined
  for (;;) {
    const rows = await store.queryRequests({ since: opts.since, until: opts.until, limit: PAGE, ...(before ? { before } : {}) })
    if (rows.length === 0) break
    for (const r of rows) {
      if (!needsPrice(r) || !matches(r.model!)) continue
      plan.candidates++
      const hit = pricing.lookup(r.model!)
      if (!hit || hit.glob) {
        plan.stillUnpriced++
        continue
      }
      const costPico = costOf(priceAt(hit.price, r.time), r.usage)
      const policy = policies.get(r.keyId)
      // The periods the request counted in, of the key's cost limits, that are still in force.
      const counters = policy
        ? policyCounters(policy, r.time, opts.timeZone, r.model!).filter(c => c.costPico !== undefined && (c.end === null || c.end > opts.now)).map(({ id, start, end }) => ({ id, start, end }))
        : []
      const was = r.unpriced ? 'unpriced' : r.flags!
      plan.changes.push({
        requestId: r.requestId,
        was: { costPico: r.costPico, unpriced: r.unpriced },
        costPico,
        priceVersion: pricing.version,
        flags: `re-priced ${stamp} as ${hit.id} (was ${r.unpriced ? 'unpriced' : `${formatUsd(r.costPico ?? 0n)}, ${was}`})`,
        time: r.time, keyId: r.keyId, accountId: r.accountId, model: r.model, clientKind: r.clientKind,
        counters,
      })
      const m = byModel.get(r.model!) ?? { model: r.model!, requests: 0, beforePico: 0n, afterPico: 0n }
      m.requests++
      m.beforePico += r.costPico ?? 0n
      m.afterPico += costPico
      byModel.set(r.model!, m)
    }
    const last = rows.at(-1)!
    before = { time: last.time, requestId: last.requestId }
  }
  plan.byModel = [...byModel.values()].sort((a, b) => a.model.localeCompare(b.model))
  return plan
}

/** Writes a plan in batches; returns the rows applied (rows changed since they were read are skipped). */
export async function applyRecompute (store: Store, plan: RecomputePlan): Promise<number> {
  let applied = 0
  for (let i = 0; i < plan.changes.length; i += APPLY_BATCH) applied += await store.repriceRequests(plan.changes.slice(i, i + APPLY_BATCH))
  return applied
}
