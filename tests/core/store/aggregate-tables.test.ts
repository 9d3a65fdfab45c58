// The SQLite store answers usage from two tables (with keys, and the same sums without them)
// and sums a series' groups that were not kept: for generated records, every grouping and every
// kept set must give exactly what the records add up to.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { openSqliteStore } from '../../../core/store/sqlite-store.ts'
import { bucketStart } from '../../../core/store/buckets.ts'
import type { ClientKind } from '../../../core/plugin-api.ts'
import type { UsageGroup, UsageRecord } from '../../../core/store/store.ts'

const T0 = Date.UTC(2026, 10, 1)
const HOUR = 3_600_000
const rec = fc.record({
  t: fc.integer({ min: 0, max: 5 * 24 * HOUR }), key: fc.constantFrom('k1', 'k2', 'k3', 'k4'), account: fc.constantFrom('a1', 'a2'),
  model: fc.constantFrom('m1', 'm2', 'm3'), client: fc.constantFrom<ClientKind>('sdk', 'claude-code'), input: fc.integer({ min: 0, max: 1e6 }), cost: fc.bigInt({ min: 0n, max: 10n ** 12n }),
})

test('usage by any group, and a series with some groups kept, add up to the records', async () => {
  await fc.assert(fc.asyncProperty(fc.array(rec, { maxLength: 50 }), fc.constantFrom<UsageGroup>('key', 'model', 'account', 'client'), fc.subarray(['k1', 'k2', 'm1', 'a1', 'sdk']), async (rs, groupBy, keep) => {
    const store = openSqliteStore(':memory:')
    try {
      const records: UsageRecord[] = rs.map((r, i) => ({
        requestId: `r${i}`, time: T0 + r.t, keyId: r.key, accountId: r.account, provider: 'claude', model: r.model, path: '/v1/messages', stream: false, status: 200,
        usage: { input: r.input }, costPico: r.cost, unpriced: false, priceVersion: 'v', latencyMs: 1, ttfbMs: null, partial: false, attempts: 1,
        accountsTried: [r.account], clientKind: r.client, billable: true, flags: null,
      }))
      await store.writeUsage({ records })
      const groupOf = (r: UsageRecord) => (groupBy === 'key' ? r.keyId : groupBy === 'account' ? r.accountId : groupBy === 'client' ? r.clientKind : r.model)
      const since = T0
      const until = T0 + 6 * 24 * HOUR
      const expected = new Map<string, [number, bigint]>()
      for (const r of records) {
        const [n, c] = expected.get(groupOf(r)!) ?? [0, 0n]
        expected.set(groupOf(r)!, [n + r.usage.input!, c + r.costPico!])
      }
      const totals = await store.queryUsage({ since, until, groupBy })
      assert.deepEqual(new Map(totals.map(t => [t.group!, [t.input, t.costPico]])), expected)
      const series = await store.usageSeries({ since, until, groupBy, granularity: 'day', keep })
      const want = new Map<string, [number, bigint]>()
      for (const r of records) {
        const g = keep.includes(groupOf(r)!) ? groupOf(r)! : '*others*'
        const id = `${bucketStart('day', r.time)} ${g}`
        const [n, c] = want.get(id) ?? [0, 0n]
        want.set(id, [n + r.usage.input!, c + r.costPico!])
      }
      // A bucket whose records are all kept has no "others"; a kept group without records, no point.
      assert.deepEqual(new Map(series.map(p => [`${p.bucket} ${p.group}`, [p.input, p.costPico]])), want)
    } finally {
      await store.close()
    }
  }), { numRuns: 80 })
})
