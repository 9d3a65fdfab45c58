// The console's cached totals add up to exactly what the store answers for the whole range, for
// generated events, ranges and moments; a row landing in a past hour shows within the copy's life.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { openSqliteStore } from '../../../core/store/sqlite-store.ts'
import { UsageTotalsCache } from '../../../core/admin/usage-totals-cache.ts'
import type { UsageRecord } from '../../../core/store/store.ts'

const T0 = Date.UTC(2026, 10, 1)
const HOUR = 3_600_000

function record (i: number, time: number, keyId: string): UsageRecord {
  return {
    requestId: `r${i}_${time}`, time, keyId, accountId: 'a', provider: 'claude', model: 'm', path: '/v1/messages', stream: false, status: 200,
    usage: { input: 10, output: 5 }, costPico: 1000n + BigInt(i), unpriced: false, priceVersion: 'v', latencyMs: 1, ttfbMs: null, partial: false,
    attempts: 1, accountsTried: ['a'], clientKind: 'sdk', billable: true, flags: null,
  }
}

test('cached totals equal the store\'s totals of the whole range', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.tuple(fc.integer({ min: 0, max: 20 * 24 * HOUR }), fc.constantFrom('k1', 'k2', 'k3')), { maxLength: 40 }),
    fc.integer({ min: 0, max: 20 * 24 * HOUR }), fc.integer({ min: 1, max: 20 * 24 * HOUR }), fc.integer({ min: 0, max: 2 * HOUR }),
    async (events, start, length, after) => {
      const store = openSqliteStore(':memory:')
      try {
        await store.writeUsage({ records: events.map(([t, k], i) => record(i, T0 + t, k)) })
        const since = T0 + start
        const until = since + length
        const now = Math.min(until - 1, since + after + Math.floor(length / 2))
        const cache = new UsageTotalsCache(store)
        const view = (ts: { group: string | null, requests: number, costPico: bigint }[]) => ts.map(t => [t.group, t.requests, t.costPico]).sort()
        assert.deepEqual(view(await cache.totals('key', since, until, now)), view(await store.queryUsage({ since, until, groupBy: 'key' })))
        // Asked again (the copy is used): the same.
        assert.deepEqual(view(await cache.totals('key', since, until, now)), view(await store.queryUsage({ since, until, groupBy: 'key' })))
      } finally {
        await store.close()
      }
    }), { numRuns: 60 })
})

test('a row settled into a past hour shows once the copy is a minute old', async () => {
  const store = openSqliteStore(':memory:')
  try {
    const now = T0 + 10 * HOUR + 1000
    const cache = new UsageTotalsCache(store)
    await store.writeUsage({ records: [record(1, T0 + HOUR, 'k1')] })
    assert.equal((await cache.totals('key', T0, now + 1, now))[0]!.requests, 1)
    await store.writeUsage({ records: [record(2, T0 + 2 * HOUR, 'k1')] })
    assert.equal((await cache.totals('key', T0, now + 1, now + 30_000))[0]!.requests, 1, 'from the copy')
    assert.equal((await cache.totals('key', T0, now + 1, now + 61_000))[0]!.requests, 2, 'read again')
    // The current hour is always read fresh.
    await store.writeUsage({ records: [record(3, now + 61_500, 'k1')] })
    assert.equal((await cache.totals('key', T0, now + 62_000, now + 61_600))[0]!.requests, 3)
  } finally {
    await store.close()
  }
})
