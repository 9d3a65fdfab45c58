// Retention deletes old request-log rows in small batches and keeps the aggregates; a backup is
// taken while the relay runs and serves; restore refuses a running relay and a bad file, and
// brings the store back.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import pino from 'pino'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { ALICE_KEY, tempDir, testConfig } from '../helpers/relay-harness.ts'
import { freePort, runCliAsync, spawnRelay } from '../helpers/processes.ts'
import { openSqliteStore } from '../../core/store/sqlite-store.ts'
import { pruneRequestLog } from '../../core/ops/retention.ts'
import type { UsageRecord } from '../../core/store/store.ts'

const DAY = 86_400_000

function record (id: string, time: number): UsageRecord {
  return {
    requestId: id, time, keyId: 'key_a', accountId: 'acc_a', provider: 'claude', model: 'm', path: '/v1/messages', stream: false, status: 200,
    usage: { input: 10, output: 5 }, costPico: 1000n, unpriced: false, priceVersion: 'v', latencyMs: 1, ttfbMs: 1, partial: false, attempts: 1,
    accountsTried: ['acc_a'], clientKind: 'sdk', billable: true, flags: null,
  }
}

test('retention: rows past the age go in batches, newer rows and every aggregate stay', async () => {
  const store = openSqliteStore(join(tempDir(), 'relay.db'))
  const now = Date.now()
  const old = Array.from({ length: 57 }, (_, i) => record(`old-${i}`, now - 100 * DAY - i * 1000))
  const recent = Array.from({ length: 5 }, (_, i) => record(`new-${i}`, now - i * 1000))
  await store.writeUsage({ records: [...old, ...recent] })
  const before = await store.queryUsage({ since: now - 200 * DAY, until: now + DAY, groupBy: 'key' })
  const deleted = await pruneRequestLog(store, { days: 90, batchSize: 10, now, log: pino({ level: 'silent' }) })
  assert.equal(deleted, 57)
  assert.deepEqual((await store.recentRequests(100)).map(r => r.requestId).sort(), recent.map(r => r.requestId).sort())
  assert.deepEqual(await store.queryUsage({ since: now - 200 * DAY, until: now + DAY, groupBy: 'key' }), before, 'aggregates are kept')
  assert.equal(await pruneRequestLog(store, { days: 0, batchSize: 10, now, log: pino({ level: 'silent' }) }), 0, '0 days keeps everything')
  await store.close()
})

test('retention by rows: past the bound the oldest rows go, whatever their age, in slices; aggregates stay', async () => {
  const store = openSqliteStore(join(tempDir(), 'relay.db'))
  const now = Date.now()
  const rows = Array.from({ length: 95 }, (_, i) => record(`r-${String(i).padStart(2, '0')}`, now - (95 - i) * 1000))
  await store.writeUsage({ records: rows })
  const before = await store.queryUsage({ since: now - DAY, until: now + DAY, groupBy: 'key' })
  const deleted = await pruneRequestLog(store, { days: 90, maxRows: 20, batchSize: 10, now, log: pino({ level: 'silent' }) })
  assert.equal(deleted, 75)
  assert.equal(await store.requestLogSize(), 20)
  assert.deepEqual((await store.recentRequests(100)).map(r => r.requestId).sort(), rows.slice(75).map(r => r.requestId))
  assert.deepEqual(await store.queryUsage({ since: now - DAY, until: now + DAY, groupBy: 'key' }), before, 'aggregates are kept')
  assert.equal(await pruneRequestLog(store, { days: 90, maxRows: 0, batchSize: 10, now, log: pino({ level: 'silent' }) }), 0, '0 rows: no bound')
  await store.close()
})

test('backup while the relay serves, restore refused while it runs or from a bad file, then restored', { timeout: 60_000 }, async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const dir = tempDir()
  const config = join(dir, 'relay.yaml')
  const port = await freePort()
  writeFileSync(config, JSON.stringify(testConfig(mock.url, { listen: { host: '127.0.0.1', port }, store: { path: './data/relay.db' }, usage: { flush: 'sync' } })))
  const cli = (...args: string[]) => runCliAsync([...args, '--config', config])
  assert.equal((await cli('keys', 'create', '--name', 'before')).status, 0)
  const relay = await spawnRelay(t, config)
  // Traffic during the backup.
  const traffic = Promise.all(Array.from({ length: 20 }, async () => {
    const res = await request(`http://127.0.0.1:${port}/claude/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, 'anthropic-version': '2023-06-01' }, body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }) })
    await res.body.dump()
    return res.statusCode
  }))
  const backup = join(dir, 'backup.db')
  const made = await cli('backup', backup)
  assert.equal(made.status, 0, made.stderr)
  assert.ok((await traffic).every(s => s === 200))
  assert.equal((await cli('keys', 'create', '--name', 'after')).status, 0)

  const refused = await cli('restore', backup)
  assert.equal(refused.status, 1)
  assert.match(refused.stderr, /a relay is running on this store \(pid \d+\): stop it first/)
  relay.proc.kill('SIGTERM')
  assert.equal(await relay.exited, 0)

  const bad = join(dir, 'bad.db')
  writeFileSync(bad, 'not a database')
  const badRestore = await cli('restore', bad)
  assert.equal(badRestore.status, 1)
  assert.match(badRestore.stderr, /nothing was changed/)
  assert.match((await cli('keys', 'list')).stdout, /after/, 'the store is untouched')

  const restored = await cli('restore', backup)
  assert.equal(restored.status, 0, restored.stderr)
  assert.match(restored.stdout, /The database it replaced is kept as .*relay\.db\.before-restore-/)
  const keys = (await cli('keys', 'list')).stdout
  assert.match(keys, /before/)
  assert.doesNotMatch(keys, /\bafter\b/)
  const store = openSqliteStore(join(dir, 'data', 'relay.db'))
  t.after(() => store.close())
  assert.ok((await store.recentRequests(100)).length <= 20)
})
