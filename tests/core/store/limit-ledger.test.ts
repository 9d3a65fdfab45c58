// The embedded store keeps admission state in memory and writes counters with the usage
// batches (core/store/limit-ledger.ts). Generated sequences of admissions, releases, spend,
// writes (some refused by SQLite) and restarts against a plain model: every verdict and every
// counter must match, and what was written must come back after a restart.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import fc from 'fast-check'
import { openSqliteStore } from '../../../core/store/sqlite-store.ts'
import type { CounterLimit, Store, UsageRecord } from '../../../core/store/store.ts'
import { tempDir } from '../../helpers/relay-harness.ts'

const MINUTE = 60_000

/** A one-minute request window and a cost budget over ten minutes, as periods at `now`. */
function countersAt (now: number, requests: number, costPico: bigint): CounterLimit[] {
  const m = Math.floor(now / MINUTE) * MINUTE
  const b = Math.floor(now / (10 * MINUTE)) * 10 * MINUTE
  return [
    { id: 'rate:1m', start: m, end: m + MINUTE, requests, countsRequest: true },
    { id: 'budget:10m', start: b, end: b + 10 * MINUTE, costPico, countsRequest: false },
    { id: 'budget:total', start: 0, end: null, costPico: costPico * 10n, countsRequest: false },
  ]
}

const record = (o: Partial<UsageRecord> = {}): UsageRecord => ({
  requestId: `req_${Math.random()}`, time: 1, keyId: 'k', accountId: null, provider: 'claude', model: 'm', path: '/v1/messages',
  stream: false, status: 200, usage: {}, costPico: null, unpriced: false, priceVersion: null, latencyMs: 1, ttfbMs: null,
  partial: false, attempts: 1, accountsTried: [], clientKind: 'sdk', billable: false, flags: null, ...o,
})

type Op =
  | { op: 'admit', key: string, lease: boolean, capped: boolean, advance: number }
  | { op: 'release', pick: number }
  | { op: 'spend', pick: number, tokens: number, cost: bigint }
  | { op: 'write' }
  | { op: 'refusedWrite' }
  | { op: 'restart' }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('admit' as const), key: fc.constantFrom('k1', 'k2'), lease: fc.boolean(), capped: fc.boolean(), advance: fc.integer({ min: 0, max: 5 * MINUTE }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('release' as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('spend' as const), pick: fc.nat(), tokens: fc.nat({ max: 10_000 }), cost: fc.bigInt({ min: 0n, max: 4_000_000n }) }) },
  { weight: 2, arbitrary: fc.constant({ op: 'write' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'refusedWrite' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'restart' as const }) },
)

test('limit ledger: verdicts and counters match a model across writes, refused writes and restarts', async () => {
  await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), async ops => {
    const path = join(tempDir('relay-ledger-'), 'relay.db')
    let store: Store = openSqliteStore(path)
    // The operator's CLI: another handle on the file, which admits nothing and reads what was written.
    const cli = openSqliteStore(path)
    // The model: counts per key, counter and period; what was written survives a restart.
    const counted = new Map<string, { requests: number, tokens: number, costPico: bigint }>()
    const leases = new Map<string, { key: string, expiresAt: number }>()
    const held = (key: string) => [...leases.values()].filter(l => l.key === key && l.expiresAt > now).length
    const admitted: { key: string, counters: CounterLimit[] }[] = []
    let now = 0
    const get = (key: string, c: CounterLimit) => counted.get(`${key}|${c.id}|${c.start}`) ?? { requests: 0, tokens: 0, costPico: 0n }
    const add = (key: string, c: CounterLimit, d: { requests: number, tokens: number, costPico: bigint }) => {
      const v = get(key, c)
      counted.set(`${key}|${c.id}|${c.start}`, { requests: v.requests + d.requests, tokens: v.tokens + d.tokens, costPico: v.costPico + d.costPico })
    }
    try {
      for (const o of ops) {
        if (o.op === 'admit') {
          now += o.advance
          const counters = countersAt(now, 4, 5_000_000n)
          // Without a cap a lease is still taken and counted, it only limits nothing.
          const expectOk = (!o.capped || held(o.key) < 2) && counters.every(c => {
            const v = get(o.key, c)
            return !(c.requests !== undefined && v.requests >= c.requests) && !(c.costPico !== undefined && v.costPico >= c.costPico)
          })
          const leaseId = `lease-${Math.random()}`
          const verdict = await store.admit({ keyId: o.key, concurrency: o.capped ? 2 : undefined, lease: o.lease ? { id: leaseId, expiresAt: now + 3_600_000 } : undefined, counters }, now)
          assert.equal(verdict.ok, expectOk, `admission of ${o.key} at ${now}`)
          if (verdict.ok) {
            for (const c of counters) if (c.countsRequest) add(o.key, c, { requests: 1, tokens: 0, costPico: 0n })
            if (o.lease) leases.set(leaseId, { key: o.key, expiresAt: now + 3_600_000 })
            admitted.push({ key: o.key, counters })
          }
        } else if (o.op === 'release') {
          const ids = [...leases.keys()]
          if (ids.length === 0) continue
          const id = ids[o.pick % ids.length]!
          await store.releaseLease(id)
          leases.delete(id)
        } else if (o.op === 'spend') {
          if (admitted.length === 0) continue
          const a = admitted[o.pick % admitted.length]!
          await store.recordSpend(a.key, a.counters, o.tokens, o.cost)
          for (const c of a.counters) add(a.key, c, { requests: 0, tokens: o.tokens, costPico: o.cost })
        } else if (o.op === 'write') {
          await store.writeUsage({ records: [record({ time: now })] })
        } else if (o.op === 'refusedWrite') {
          // A record SQLite refuses (NOT NULL provider): the whole transaction rolls back.
          await assert.rejects(store.writeUsage({ records: [record({ provider: null as unknown as string })] }))
        } else {
          await store.close()
          store = openSqliteStore(path)
          // close() writes what is pending; leases end with the process.
          leases.clear()
        }
        for (const key of ['k1', 'k2']) {
          assert.equal(await store.activeLeases(key, now), held(key))
          if (o.op === 'write' || o.op === 'restart') assert.equal(await cli.activeLeases(key, now), held(key), 'the CLI sees the leases as written')
          for (const { counters } of admitted) {
            const got = await store.readCounters(key, counters)
            assert.deepEqual(got.map(v => [v.requests, v.tokens, v.costPico]), counters.map(c => { const v = get(key, c); return [v.requests, v.tokens, v.costPico] }))
          }
        }
      }
    } finally {
      await store.close()
      await cli.close()
    }
    // A second handle sees exactly what was written (close wrote everything).
    const again = openSqliteStore(path)
    try {
      for (const { key, counters } of admitted) {
        const got = await again.readCounters(key, counters)
        assert.deepEqual(got.map(v => [v.requests, v.tokens, v.costPico]), counters.map(c => { const v = counted.get(`${key}|${c.id}|${c.start}`) ?? { requests: 0, tokens: 0, costPico: 0n }; return [v.requests, v.tokens, v.costPico] }))
      }
    } finally {
      await again.close()
    }
  }), { numRuns: 40 })
})

test('limit ledger: counts reach SQLite with the next usage batch, before any close', async () => {
  const path = join(tempDir('relay-ledger-'), 'relay.db')
  const store = openSqliteStore(path)
  const other = openSqliteStore(path)
  try {
    const counters = countersAt(0, 10, 100n)
    assert.ok((await store.admit({ keyId: 'k', counters, concurrency: 1, lease: { id: 'l1', expiresAt: 10_000 } }, 0)).ok)
    await store.recordSpend('k', counters, 7, 9n)
    // Not written yet: another process (the CLI) still reads nothing.
    assert.deepEqual((await other.readCounters('k', counters)).map(v => [v.requests, v.tokens, v.costPico]), [[0, 0, 0n], [0, 0, 0n], [0, 0, 0n]])
    await store.writeUsage({ records: [] })
    const fresh = openSqliteStore(path)
    try {
      assert.deepEqual((await fresh.readCounters('k', counters)).map(v => [v.requests, v.tokens, v.costPico]), [[1, 7, 9n], [0, 7, 9n], [0, 7, 9n]])
    } finally {
      await fresh.close()
    }
    // The CLI (a handle that admits nothing) reads the lease rows the sidecar wrote.
    assert.equal(await other.activeLeases('k', 0), 1)
    const refused = await store.admit({ keyId: 'k', counters, concurrency: 1, lease: { id: 'l2', expiresAt: 10_000 } }, 1)
    assert.deepEqual(refused, { ok: false, limit: 'concurrency', inUse: 1, nextExpiry: 10_000 })
    await store.releaseLease('l1')
    assert.equal(await other.activeLeases('k', 0), 1, 'until the next write')
    await store.writeUsage({ records: [] })
    assert.equal(await other.activeLeases('k', 0), 0)
  } finally {
    await store.close()
    await other.close()
  }
})
