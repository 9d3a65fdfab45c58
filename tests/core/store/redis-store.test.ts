// The store contract against a real redis-server (started on a free port for this file).
import { before, after, test } from 'node:test'
import assert from 'node:assert/strict'
import { openRedisStore } from '../../../core/store/redis-store.ts'
import type { Store } from '../../../core/store/store.ts'
import { startRedis } from '../../helpers/redis.ts'
import { storeContract } from './store-contract.ts'

let url: string | undefined
let n = 0
const prefixes = new WeakMap<Store, string>()
const cleanup: (() => unknown)[] = []

before(async () => {
  // One server for the file, stopped at its end (the helper takes a test's `after` and `skip`).
  const fileScope = { skip: (m: string) => console.error(m), after: (fn: () => unknown) => { cleanup.push(fn) } } as never
  url = (await startRedis(fileScope))?.url
})
after(async () => { for (const fn of cleanup) await fn() })

storeContract('redis', {
  async open () {
    // Each test gets its own prefix: one server, isolated data (the prefix's purpose).
    const prefix = `t${n++}:`
    const store = await openRedisStore({ url: url!, prefix })
    prefixes.set(store, prefix)
    return store
  },
  async openAgain (store) {
    return openRedisStore({ url: url!, prefix: prefixes.get(store)! })
  },
})

test('nothing grows without bound: after a load every key expires, or is one entity, an index pruned by the relay, or the capped log', async () => {
  const store = await openRedisStore({ url: url!, prefix: 'bounded:' })
  const now = Date.now()
  const counters = [{ id: 'rate:1m', start: now - (now % 60_000), end: now - (now % 60_000) + 60_000, requests: 1000, countsRequest: true }, { id: 'budget:total', start: 0, end: null, costPico: 10n ** 15n, countsRequest: false }]
  for (let i = 0; i < 50; i++) {
    const lease = { id: `lease-${i}`, expiresAt: now + 30_000 }
    await store.admit({ keyId: `key_${i % 5}`, concurrency: 100, lease, counters }, now)
    await store.recordSpend(`key_${i % 5}`, counters, 10, 1000n)
    if (i % 2) await store.releaseLease(lease.id)
    await store.putSticky(`key_${i % 5}:claude:s${i}`, { accountId: 'acc_1', expiresAt: now + 3_600_000, switches: 0 })
    await store.insertAdminSession({ idHash: `s${i}`, user: 'root', csrf: 'c', createdAt: now, expiresAt: now + 60_000 })
  }
  await store.writeUsage({ records: Array.from({ length: 100 }, (_, i) => ({
    requestId: `r${i}`, time: now - i * 1000, keyId: `key_${i % 5}`, accountId: 'acc_1', provider: 'claude', model: 'm', path: '/v1/messages', stream: false, status: 200,
    usage: { input: 1, output: 1 }, costPico: 1n, unpriced: false, priceVersion: 'v', latencyMs: 1, ttfbMs: 1, partial: false, attempts: 1, accountsTried: ['acc_1'], clientKind: 'sdk' as const, billable: true, flags: null,
  })) })
  await store.close()
  const { Redis } = await import('ioredis')
  const r = new Redis(url!)
  try {
    const keys = await r.keys('bounded:*')
    // Bounded without a TTL: one per entity, the relay-pruned indexes, the capped request log.
    const bounded = [/^bounded:\{(keys|accounts)\}:/, /^bounded:\{admin\}:users$/, /^bounded:version$/, /^bounded:counter-ends$/, /^bounded:\{sticky\}:/, /^bounded:\{log\}:/]
    const unbounded: string[] = []
    for (const key of keys) {
      if ((await r.pttl(key)) > 0) continue
      if (!bounded.some(re => re.test(key))) unbounded.push(key)
    }
    assert.deepEqual(unbounded, [])
    assert.ok(keys.some(k => /^bounded:\{k:key_\d\}:leases$/.test(k)) && keys.some(k => k.startsWith('bounded:agg:')), 'the load wrote leases and aggregates')
  } finally {
    r.disconnect()
  }
})

test('a key written before bindings were per provider reads with its binding as "*"; an update writes the new shape', async () => {
  const prefix = `legacy${n++}:`
  const store = await openRedisStore({ url: url!, prefix })
  const { Redis } = await import('ioredis')
  const raw = new Redis(url!)
  try {
    const old = { id: 'key_old', name: 'old', hashScheme: 'sha256', hash: 'd'.repeat(64), hint: 'h', disabled: false, expiresAt: null, createdAt: 1, source: 'store', boundAccount: 'main', boundGroup: null, policy: {} }
    await raw.hset(`${prefix}{keys}:records`, 'key_old', JSON.stringify(old))
    assert.deepEqual((await store.listKeys())[0]!.bindings, { '*': { account: 'main' } })
    await store.updateKey('key_old', { disabled: true })
    const stored = JSON.parse((await raw.hget(`${prefix}{keys}:records`, 'key_old'))!) as Record<string, unknown>
    assert.deepEqual([stored.bindings, 'boundAccount' in stored, stored.disabled], [{ '*': { account: 'main' } }, false, true])
  } finally {
    raw.disconnect()
    await store.close()
  }
})
