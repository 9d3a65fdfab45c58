// The admin API's price routes: the table in force with each price's origin, the live sources
// and how they fare, the models served without a price of their own, and an update of the
// sources on demand (what `ai-relay prices list|update` do, for the admin console).
import type { FastifyInstance } from 'fastify'
import type { Runtime } from '../runtime.ts'
import type { PriceSource, RefreshResult } from '../metering/price-source.ts'
import { priceList, sourceViews, unpricedModels, updatePrices } from '../manage/prices.ts'

/** The running relay's live sources: what they are, and fetching them all now. */
export interface LivePriceControl {
  sources: () => PriceSource[]
  updateNow: () => Promise<Array<{ url: string, result: RefreshResult }>>
}

const DAY_MS = 86_400_000

export async function pricesRoutes (app: FastifyInstance, opts: { rt: Runtime, prices: LivePriceControl, now: () => number }): Promise<void> {
  const { rt, prices } = opts
  app.get('/prices/list', async () => priceList(rt.pricing))
  app.get('/prices/sources', async () => ({ items: sourceViews(prices.sources()) }))
  app.get('/prices/unpriced', {
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { since: { type: 'string', format: 'date-time' } } } },
  }, async request => {
    const q = request.query as { since?: string }
    const since = q.since ? Date.parse(q.since) : opts.now() - 30 * DAY_MS
    return { since: new Date(since).toISOString(), items: await unpricedModels(rt.store, rt.pricing, since) }
  })
  // Fetches every source now; the table requests are priced by is swapped as each one passes.
  app.post('/prices/update', async () => {
    const before = rt.pricing
    return (await updatePrices(before, () => prices.updateNow(), () => rt.pricing)).view
  })
}
