// `ai-relay prices list [--unpriced] [--since ISO] [--json]`: the table in force and where each
// price came from, or the models served without a price of their own.
// `ai-relay prices update [--json]`: fetches every `pricing.sources` entry now through the
// egress, keeps what passes as the last good copy, prints what changed (added, changed and
// removed models with old → new rates), and asks a relay running on this store to reload.
import { diffLines, composePricing } from '../metering/price-book.ts'
import { PriceSource } from '../metering/price-source.ts'
import { Egress } from '../relay/egress.ts'
import { configPath } from '../config/load-config.ts'
import { runningPid } from '../ops/pid-file.ts'
import { priceList, sourceViews, unpricedModels, updatePrices } from '../manage/prices.ts'
import type { Runtime } from '../runtime.ts'
import { table, type CliIo, type CliValues } from './cli-io.ts'

const DAY_MS = 86_400_000

export async function pricesCommand (rt: Runtime, sub: string | undefined, v: CliValues, io: CliIo): Promise<number> {
  if (sub === 'list') return v.unpriced ? listUnpriced(rt, v, io) : list(rt, v, io)
  if (sub === 'update') return update(rt, v, io)
  io.err('usage: ai-relay prices list [--unpriced] [--since ISO] [--json] | ai-relay prices update [--json]')
  return 2
}

function list (rt: Runtime, v: CliValues, io: CliIo): number {
  const { version, items } = priceList(rt.pricing)
  if (v.json) {
    io.out(JSON.stringify({ version, items }))
    return 0
  }
  io.out(`Prices in force (USD per million tokens), version ${version}`)
  io.out(table([['MODEL', 'RATES', 'FROM'], ...items.map(e => [e.model, e.rates, e.from])]))
  return 0
}

async function listUnpriced (rt: Runtime, v: CliValues, io: CliIo): Promise<number> {
  // Default: the last 30 days.
  const since = v.since ? Date.parse(v.since) : Date.now() - 30 * DAY_MS
  if (Number.isNaN(since)) {
    io.err('--since: an ISO-8601 date or time, e.g. 2026-11-01')
    return 2
  }
  const items = await unpricedModels(rt.store, rt.pricing, since)
  if (v.json) {
    io.out(JSON.stringify({ since: new Date(since).toISOString(), items }))
    return 0
  }
  if (items.length === 0) {
    io.out(`Every model served since ${new Date(since).toISOString()} had a price of its own.`)
    return 0
  }
  io.out(`Models served without a price of their own since ${new Date(since).toISOString()}`)
  io.out(table([
    ['PROVIDER', 'MODEL', 'UNPRICED', 'BY FALLBACK', 'LAST SEEN', 'PRICED NOW AS'],
    ...items.map(m => [m.provider, m.model, String(m.unpriced), String(m.fallback), m.lastAt, m.nowPricedAs ?? '-']),
  ]))
  if (items.some(m => m.nowPricedAs)) io.out('Rows of models priced now can be billed again: ai-relay usage recompute --since ISO')
  return 0
}

async function update (rt: Runtime, v: CliValues, io: CliIo): Promise<number> {
  if (rt.priceSources.length === 0) {
    io.err('no pricing.sources in the config: nothing to update (see README, "Prices")')
    return 1
  }
  const egress = new Egress(rt.loaded.config.upstream, rt.env)
  try {
    const sources = rt.priceSources.map(s => new PriceSource(s, { dir: rt.priceDir, dispatcher: egress.forAccount({ proxy: null }), now: Date.now }, s.copy))
    const before = rt.pricing
    const { view, diff } = await updatePrices(
      before,
      async () => Promise.all(sources.map(async s => ({ url: s.label, result: await s.refresh() }))),
      () => composePricing({ ...rt.priceInputs, sources }),
    )
    const anyUpdated = view.sources.some(s => s.outcome === 'updated')
    const pid = anyUpdated ? runningPid(configPath(rt.loaded, rt.loaded.config.store.path)) : undefined
    // The running relay re-reads its config and, with it, the copies just saved.
    if (pid !== undefined) process.kill(pid, 'SIGHUP')
    if (v.json) {
      io.out(JSON.stringify({ ...view, sources: view.sources, status: sourceViews(sources), reloaded: pid ?? null }))
    } else {
      for (const s of view.sources) {
        const copy = sourceViews(sources).find(x => x.url === s.url)!.copy
        const kept = copy ? ` (the copy of ${copy.fetchedAt ?? 'an earlier run'} stays in force)` : ' (no copy yet: its prices are not in force)'
        const read = copy ? `, ${copy.models} models${copy.skipped > 0 ? ` (${copy.skipped} entries left out: a $0 price or a rate out of bounds)` : ''}` : ''
        io.out(`${s.url}: ${s.outcome}${s.outcome === 'failed' ? `: ${s.reason}${kept}` : read}`)
      }
      const lines = diffLines(diff)
      io.out(lines.length === 0 ? 'No price changed.' : `${diff.added.length} added, ${diff.changed.length} changed, ${diff.removed.length} removed:\n${lines.join('\n')}`)
      if (pid !== undefined) io.out(`Asked the running relay (pid ${pid}) to reload: new requests are priced by this table.`)
    }
    return view.sources.some(s => s.outcome === 'failed') ? 1 : 0
  } finally {
    await egress.close()
  }
}
