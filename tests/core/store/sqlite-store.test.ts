import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { MIGRATIONS, openSqliteStore } from '../../../core/store/sqlite-store.ts'
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

test('a store written before bindings were per provider: each key keeps what it served (its binding becomes "*")', async () => {
  const path = join(tempDir('relay-store-'), 'relay.db')
  const db = new Database(path)
  // The schema as it was (the first four migrations), with keys bound the old way.
  for (const sql of MIGRATIONS.slice(0, 4)) db.exec(sql)
  db.pragma('user_version = 4')
  const insert = db.prepare("INSERT INTO keys (id, name, hash_scheme, hash, hint, created_at, bound_account, bound_group) VALUES (?, ?, 'sha256', ?, 'h', 1, ?, ?)")
  insert.run('key_a', 'a', 'a'.repeat(64), 'main', null)
  insert.run('key_b', 'b', 'b'.repeat(64), null, 'team')
  insert.run('key_c', 'c', 'c'.repeat(64), null, null)
  db.close()
  const store = openSqliteStore(path)
  try {
    assert.deepEqual((await store.listKeys()).map(k => [k.name, k.bindings, k.origin]), [
      ['a', { '*': { account: 'main' } }, null], ['b', { '*': { group: 'team' } }, null], ['c', {}, null],
    ])
  } finally {
    await store.close()
  }
})
