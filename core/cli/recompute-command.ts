// `ai-relay usage recompute --since ISO [--until ISO] [--model GLOB] [--apply] [--json]`: bills
// again the requests recorded without a price of their own, now that the table in force prices
// their model. A dry run by default: it shows per model what the requests were billed and what
// they would be; --apply writes it (rows, usage totals and the budgets still in force).
import { applyRecompute, planRecompute } from '../metering/recompute.ts'
import { formatUsd } from '../metering/pricing.ts'
import { allKeys } from '../manage/records.ts'
import type { Runtime } from '../runtime.ts'
import { table, type CliIo, type CliValues } from './cli-io.ts'

export async function recomputeCommand (rt: Runtime, v: CliValues, io: CliIo): Promise<number> {
  const now = Date.now()
  const since = v.since ? Date.parse(v.since) : Number.NaN
  const until = v.until ? Date.parse(v.until) : now + 1
  if (Number.isNaN(since) || Number.isNaN(until)) {
    io.err('usage: ai-relay usage recompute --since ISO [--until ISO] [--model GLOB] [--apply] [--json]  (--since is required: e.g. 2026-11-01)')
    return 2
  }
  const plan = await planRecompute(rt.store, rt.pricing, await allKeys(rt), { since, until, model: v.model, now, timeZone: rt.loaded.config.limits.timeZone })
  const applied = v.apply ? await applyRecompute(rt.store, plan) : 0
  const total = plan.byModel.reduce((t, m) => ({ before: t.before + m.beforePico, after: t.after + m.afterPico }), { before: 0n, after: 0n })
  if (v.json) {
    io.out(JSON.stringify({
      since: new Date(since).toISOString(), until: new Date(until).toISOString(), applied: v.apply ? applied : null,
      candidates: plan.candidates, stillUnpriced: plan.stillUnpriced, priceVersion: rt.pricing.version,
      models: plan.byModel.map(m => ({ model: m.model, requests: m.requests, beforeUsd: formatUsd(m.beforePico).slice(1), afterUsd: formatUsd(m.afterPico).slice(1) })),
    }))
    return 0
  }
  if (plan.candidates === 0) {
    io.out(`No request since ${new Date(since).toISOString()} was recorded without a price of its own.`)
    return 0
  }
  io.out(table([
    ['MODEL', 'REQUESTS', 'BILLED', 'NOW', 'DIFFERENCE'],
    ...plan.byModel.map(m => [m.model, String(m.requests), formatUsd(m.beforePico), formatUsd(m.afterPico), formatUsd(m.afterPico - m.beforePico)]),
    ['total', String(plan.changes.length), formatUsd(total.before), formatUsd(total.after), formatUsd(total.after - total.before)],
  ]))
  if (plan.stillUnpriced > 0) io.out(`${plan.stillUnpriced} requests are of models still without a price (ai-relay prices list --unpriced); they are left as they are.`)
  if (v.apply) io.out(`Re-priced ${applied} requests at ${rt.pricing.version}; usage totals and the budgets in force moved by the difference.${applied < plan.changes.length ? ` ${plan.changes.length - applied} had changed since they were read and were left alone.` : ''}`)
  else if (plan.changes.length > 0) io.out('A dry run: nothing was written. Run it again with --apply to bill these requests at the prices above.')
  return 0
}
