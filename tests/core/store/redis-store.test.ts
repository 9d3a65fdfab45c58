// The store contract against a real redis-server (started on a free port for this file).
import { before, after } from 'node:test'
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
