// The store contract against a real three-node Redis Cluster: every script's keys share a slot
// (hash tags), and nothing relies on commands across slots.
import { before, after } from 'node:test'
import { openRedisStore } from '../../../core/store/redis-store.ts'
import type { Store } from '../../../core/store/store.ts'
import { startRedisCluster } from '../../helpers/redis.ts'
import { storeContract } from './store-contract.ts'

let nodes: { host: string, port: number }[] | undefined
let n = 0
const prefixes = new WeakMap<Store, string>()
const cleanup: (() => unknown)[] = []

before(async () => {
  const fileScope = { skip: (m: string) => console.error(m), after: (fn: () => unknown) => { cleanup.push(fn) } } as never
  nodes = await startRedisCluster(fileScope)
}, { timeout: 60_000 })
after(async () => { for (const fn of cleanup) await fn() })

storeContract('redis cluster', {
  async open () {
    const prefix = `c${n++}:`
    const store = await openRedisStore({ cluster: nodes!, prefix })
    prefixes.set(store, prefix)
    return store
  },
  async openAgain (store) {
    return openRedisStore({ cluster: nodes!, prefix: prefixes.get(store)! })
  },
})
