import { join } from 'node:path'
import { openSqliteStore } from '../../../core/store/sqlite-store.ts'
import type { Store } from '../../../core/store/store.ts'
import { tempDir } from '../../helpers/relay-harness.ts'
import { storeContract } from './store-contract.ts'

const paths = new WeakMap<Store, string>()

storeContract('sqlite', {
  async open () {
    const path = join(tempDir('relay-store-'), 'relay.db')
    const store = openSqliteStore(path)
    paths.set(store, path)
    return store
  },
  async openAgain (store) {
    return openSqliteStore(paths.get(store)!)
  },
})
