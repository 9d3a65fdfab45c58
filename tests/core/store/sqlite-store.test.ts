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

test('aggregates written before they kept the client kind: kept, counted under no client, added to by new rows', async () => {
  const path = join(tempDir('relay-store-'), 'relay.db')
  const db = new Database(path)
  for (const sql of MIGRATIONS.slice(0, 6)) db.exec(sql)
  db.pragma('user_version = 6')
  const bucket = Date.UTC(2026, 10, 26)
  db.prepare("INSERT INTO usage_agg VALUES ('day', ?, 'key_a', 'acc_a', 'claude-sonnet-4-5', 3, 30, 10, 0, 0, 0, 900, 0)").run(bucket)
  db.close()
  const store = openSqliteStore(path)
  try {
    const q = { since: bucket, until: bucket + 86_400_000 }
    assert.deepEqual((await store.queryUsage({ ...q, groupBy: 'key' })).map(t => [t.group, t.requests, t.costPico]), [['key_a', 3, 900n]])
    assert.deepEqual((await store.queryUsage({ ...q, groupBy: 'client' })).map(t => [t.group, t.requests]), [[null, 3]])
  } finally {
    await store.close()
  }
})
