// Prices as the operator sees them, for the CLI (`ai-relay prices …`) and the admin API alike:
// the table in force with where each price came from, the live sources and how they fare, the
// models served without a price of their own, and an update of the sources on demand with what
// it changed.
import { describeRates, diffPricing, type PriceDiff } from '../metering/price-book.ts'
import type { PriceEntry, Pricing } from '../metering/pricing.ts'
import type { PriceSource, RefreshResult } from '../metering/price-source.ts'
import type { Store, UnpricedModel } from '../store/store.ts'

export interface PriceEntryView {
  model: string
  from: string
  rates: string
  price: PriceEntry['price']
}

export const entryView = (e: PriceEntry): PriceEntryView => ({ model: e.model, from: e.from, rates: describeRates(e.price), price: e.price })

export function priceList (pricing: Pricing): { version: string, items: PriceEntryView[] } {
  return { version: pricing.version, items: pricing.list().map(entryView) }
}

export interface SourceView {
  url: string
  sha256Url: string | null
  /** The copy in force: when it was fetched, its hash and how many models it prices (null: none yet). */
  copy: { fetchedAt: string | null, sha256: string, models: number, skipped: number } | null
  checkedAt: string | null
  lastError: { at: string, reason: string } | null
}

const iso = (ms: number | undefined) => (ms === undefined || ms === 0 ? null : new Date(ms).toISOString())

export function sourceViews (sources: PriceSource[]): SourceView[] {
  return sources.map(s => ({
    url: s.label,
    sha256Url: s.hashLabel ?? null,
    copy: s.copy ? { fetchedAt: iso(s.copy.fetchedAt), sha256: s.copy.sha256, models: Object.keys(s.copy.table.models).length, skipped: s.copy.skipped.length } : null,
    checkedAt: iso(s.checkedAt),
    lastError: s.lastError ? { at: new Date(s.lastError.at).toISOString(), reason: s.lastError.reason } : null,
  }))
}

export interface UnpricedView extends Omit<UnpricedModel, 'lastAt'> {
  lastAt: string
  /** What bills it now, if anything: a price that arrived since, or a fallback. */
  nowPricedAs: string | null
}

/** Models served without a price of their own since `since`, and whether the table in force prices them now. */
export async function unpricedModels (store: Store, pricing: Pricing, since: number): Promise<UnpricedView[]> {
  return (await store.unpricedModels(since)).map(m => {
    const hit = pricing.lookup(m.model)
    return { ...m, lastAt: new Date(m.lastAt).toISOString(), nowPricedAs: hit && !hit.glob ? hit.id : null }
  })
}

export interface PriceUpdateView {
  version: string
  sources: Array<{ url: string, outcome: RefreshResult['outcome'], reason?: string }>
  added: PriceEntryView[]
  changed: Array<{ model: string, before: PriceEntryView, after: PriceEntryView }>
  removed: PriceEntryView[]
}

/**
 * Runs `update` (every source fetched now) and says what it changed in the table in force:
 * `before` is the table before, `after()` the one after.
 */
export async function updatePrices (before: Pricing, update: () => Promise<Array<{ url: string, result: RefreshResult }>>, after: () => Pricing): Promise<{ view: PriceUpdateView, diff: PriceDiff }> {
  const results = await update()
  const next = after()
  const diff = diffPricing(before, next)
  return {
    diff,
    view: {
      version: next.version,
      sources: results.map(r => ({ url: r.url, outcome: r.result.outcome, ...(r.result.outcome === 'failed' ? { reason: r.result.reason } : {}) })),
      added: diff.added.map(entryView),
      changed: diff.changed.map(c => ({ model: c.model, before: entryView(c.before), after: entryView(c.after) })),
      removed: diff.removed.map(entryView),
    },
  }
}
