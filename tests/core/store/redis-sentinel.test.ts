// The Redis store through Sentinel: a master, a replica and a Sentinel started for this file.
// The contract suite runs through it, then a failover: the store must follow the new master,
// keep what was written before, and keep carrying changes between instances.
import { before, after, test } from 'node:test'
import assert from 'node:assert/strict'
import { openRedisStore, type RedisStoreOptions } from '../../../core/store/redis-store.ts'
import type { Store } from '../../../core/store/store.ts'
import { startRedisSentinel, type RedisSentinelSetup } from '../../helpers/redis.ts'
import { storeContract } from './store-contract.ts'

let setup: RedisSentinelSetup | undefined
let n = 0
const prefixes = new WeakMap<Store, string>()
const cleanup: (() => unknown)[] = []
const options = (prefix: string): RedisStoreOptions => ({ sentinels: setup!.sentinels, sentinelName: setup!.name, prefix })

before(async () => {
  const fileScope = { skip: (m: string) => console.error(m), after: (fn: () => unknown) => { cleanup.push(fn) } } as never
  setup = await startRedisSentinel(fileScope)
})
after(async () => { for (const fn of cleanup.reverse()) await fn() })

storeContract('redis sentinel', {
  async open () {
    const prefix = `t${n++}:`
    const store = await openRedisStore(options(prefix))
    prefixes.set(store, prefix)
    return store
  },
  async openAgain (store) {
    return openRedisStore(options(prefixes.get(store)!))
  },
})

/** Retries `fn` while the failover settles; fails if it never succeeds. */
async function eventually<T> (fn: () => Promise<T>, ms = 15_000): Promise<T> {
  for (const end = Date.now() + ms; ;) {
    try {
      return await fn()
    } catch (err) {
      if (Date.now() > end) throw err
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }
}

test('a Sentinel failover: the store follows the new master, keeps what was written, and changes still reach the other instance', async () => {
  const a = await openRedisStore(options('failover:'))
  const b = await openRedisStore(options('failover:'))
  try {
    const seen: string[] = []
    b.onChange!(what => seen.push(what))
    const key = {
      id: 'key_1', name: 'alice', hashScheme: 'sha256', hash: 'a'.repeat(64), hint: 'ars_abcd…', disabled: false, expiresAt: null,
      createdAt: 1, source: 'store', bindings: {}, policy: {},
    } as const
    await a.insertKey({ ...key, policy: {} })
    await setup!.replicated()
    const before = await setup!.masterPort()
    const after = await setup!.failover()
    assert.notEqual(after, before)
    // Commands in flight at the switch may fail (the relay's fail mode covers that moment);
    // then reads and writes go to the new master.
    assert.deepEqual((await eventually(() => a.listKeys())).map(k => k.name), ['alice'])
    await eventually(() => a.updateKey('key_1', { disabled: true }))
    for (let i = 0; i < 20; i++) assert.equal(await a.updateKey('key_1', { disabled: i % 2 === 0 }), true, 'every write after the switch succeeds')
    seen.length = 0
    await a.insertKey({ ...key, id: 'key_2', name: 'bob', hash: 'b'.repeat(64) })
    for (const end = Date.now() + 5000; !seen.includes('records') && Date.now() < end;) await new Promise(resolve => setTimeout(resolve, 50))
    assert.ok(seen.includes('records'), 'the other instance hears of the change after the failover')
    assert.deepEqual((await b.listKeys()).map(k => k.name).sort(), ['alice', 'bob'])
  } finally {
    await a.close()
    await b.close()
  }
})
