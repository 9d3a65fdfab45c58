// The running relay's live price sources: each configured source becomes a PriceSource fetching
// through the egress, and a refresher keeps them current. Every accepted file recomposes the
// table and swaps it in at once (requests already priced keep the version they were billed
// with); what changed is logged model by model.
import type { Logger } from 'pino'
import type { Dispatcher } from '../http-client.ts'
import { composePricing, diffLines, diffPricing, type PriceInputs } from './price-book.ts'
import { PriceRefresher } from './price-refresher.ts'
import { PriceSource } from './price-source.ts'
import type { Pricing } from './pricing.ts'
import type { ConfiguredSource } from '../runtime.ts'

export interface LivePriceParts {
  priceInputs: PriceInputs
  priceSources: ConfiguredSource[]
  priceDir: string
}

export interface LivePriceDeps {
  dispatcher: Dispatcher
  log: Logger
  now: () => number
  /** The table requests are priced by now, and how to replace it. */
  current: () => Pricing
  swap: (next: Pricing) => void
}

/** Most diff lines one log entry carries (a first fetch adds hundreds of models). */
const LOGGED_LINES = 50

export function startLivePrices (parts: LivePriceParts, deps: LivePriceDeps): PriceRefresher {
  const scheduled = parts.priceSources.map(s => ({
    source: new PriceSource(s, { dir: parts.priceDir, dispatcher: deps.dispatcher, now: deps.now }, s.copy),
    everyMs: s.everyMs,
    hashEveryMs: s.hashEveryMs,
  }))
  // The table is composed from the live objects from now on: a refreshed copy is seen at once.
  parts.priceInputs.sources = scheduled.map(s => s.source)
  const refresher = new PriceRefresher(scheduled, {
    log: deps.log,
    now: deps.now,
    changed: source => {
      const next = composePricing(parts.priceInputs)
      const diff = diffPricing(deps.current(), next)
      deps.swap(next)
      const lines = diffLines(diff)
      deps.log.info({
        source: source.label,
        version: next.version,
        added: diff.added.length,
        changed: diff.changed.length,
        removed: diff.removed.length,
        lines: lines.slice(0, LOGGED_LINES),
      }, 'prices updated from a live source')
    },
  })
  refresher.start()
  return refresher
}
