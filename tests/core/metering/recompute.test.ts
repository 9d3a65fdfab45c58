// `usage recompute` as a property (issue 23): whatever mix of rows a log holds, re-pricing bills
// exactly the rows without a price of their own whose model is now priced, at costOf of their
// usage; the totals stay the sum of the rows; a rerun changes nothing; rows priced, rejected or
// still without a price (a glob alias is not a price) are left as they were.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { openSqliteStore } from '../../../core/store/sqlite-store.ts'
import { createPricing, costOf } from '../../../core/metering/pricing.ts'
import { applyRecompute, planRecompute } from '../../../core/metering/recompute.ts'
import type { UsageRecord } from '../../../core/store/store.ts'

const T0 = Date.parse('2026-11-26T10:00:00Z')
const rate = fc.integer({ min: 0, max: 100_000_000 })
const kind = fc.constantFrom('unpriced', 'fallback', 'priced', 'rejected')
const row = fc.record({ model: fc.constantFrom('a', 'b', 'c-new'), kind, minute: fc.nat(3 * 24 * 60), input: fc.nat(2_000_000), output: fc.nat(200_000), cacheRead: fc.nat(2_000_000), cost: fc.bigInt({ min: 0n, max: 10n ** 15n }) })

test('re-pricing bills exactly the rows now priced, keeps totals equal to the rows, and is idempotent (property)', async () => {
  await fc.assert(fc.asyncProperty(fc.array(row, { maxLength: 30 }), rate, rate, rate, async (rows, inA, outA, inB) => {
    const store = openSqliteStore(':memory:')
    try {
      const records: UsageRecord[] = rows.map((r, i) => ({
        requestId: `r${i}`, time: T0 + r.minute * 60_000, keyId: 'k', accountId: 'acc', provider: 'openai', model: r.model, path: '/v1/responses',
        stream: false, status: 200, usage: { input: r.input, output: r.output, cacheRead: r.cacheRead },
        costPico: r.kind === 'unpriced' || r.kind === 'rejected' ? null : r.cost, unpriced: r.kind === 'unpriced' || r.kind === 'rejected',
        priceVersion: 'v1', latencyMs: 1, ttfbMs: 1, partial: false, attempts: 1, accountsTried: ['acc'], clientKind: 'sdk', billable: true,
        flags: r.kind === 'fallback' ? 'billed as b (pricing.fallback)' : r.kind === 'rejected' ? 'usage rejected: output over bound' : null,
      }))
      await store.writeUsage({ records })
      // a and b priced; c-new only through a glob alias, which is not a price of its own.
      const pricing = createPricing([], { models: { a: { input: inA, output: outA }, b: { input: inB, output: 1 } }, aliases: { 'c-*': 'a' } })
      const opts = { since: 0, until: T0 + 4 * 86_400_000, now: T0 + 4 * 86_400_000, timeZone: 'UTC' }
      const plan = await planRecompute(store, pricing, [], opts)
      const expected = rows.filter(r => (r.kind === 'unpriced' || r.kind === 'fallback') && r.model !== 'c-new')
      assert.equal(plan.changes.length, expected.length)
      assert.equal(await applyRecompute(store, plan), expected.length)
      assert.equal(await applyRecompute(store, plan), 0, 'a rerun of the same plan applies nothing')
      assert.equal((await planRecompute(store, pricing, [], opts)).changes.length, 0, 'a new plan finds nothing left to do')
      const after = await store.queryRequests({ limit: 100 })
      for (const r of after) {
        const src = rows[Number(r.requestId.slice(1))]!
        if ((src.kind === 'unpriced' || src.kind === 'fallback') && src.model !== 'c-new') {
          assert.equal(r.costPico, costOf(pricing.lookup(src.model)!.price, r.usage))
          assert.equal(r.unpriced, false)
        } else {
          const before = records[Number(r.requestId.slice(1))]!
          assert.deepEqual([r.costPico, r.unpriced, r.flags], [before.costPico, before.unpriced, before.flags])
        }
      }
      const [total] = await store.queryUsage({ since: 0, until: opts.until, groupBy: 'key' })
      if (rows.length > 0) {
        assert.equal(total!.costPico, after.reduce((s, r) => s + (r.costPico ?? 0n), 0n), 'the totals are the rows summed')
        assert.equal(total!.unpricedRequests, after.filter(r => r.unpriced).length)
      }
    } finally {
      await store.close()
    }
  }), { numRuns: 60 })
})
