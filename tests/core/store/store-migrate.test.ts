// `ai-relay store migrate` from SQLite to Redis: keys, accounts with their sealed credentials and
// state, key activity, admin users and the request log arrive; usage totals rebuilt from the rows
// equal the source's; a second run copies no record twice.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { openSqliteStore } from '../../../core/store/sqlite-store.ts'
import { openRedisStore } from '../../../core/store/redis-store.ts'
import type { UsageRecord } from '../../../core/store/store.ts'
import { tempDir } from '../../helpers/relay-harness.ts'
import { runCliAsync } from '../../helpers/processes.ts'
import { startRedis } from '../../helpers/redis.ts'

const usage = (i: number, o: Partial<UsageRecord> = {}): UsageRecord => ({
  requestId: `req_${i}`, time: Date.parse('2026-11-20T10:00:00Z') + i * 60_000, keyId: 'key_1', accountId: 'acc_1', provider: 'claude',
  model: i % 2 ? 'claude-sonnet-4-5' : 'claude-haiku-4-5', path: '/v1/messages', stream: true, status: 200, usage: { input: 10 + i, output: 5, cacheRead: 100 },
  costPico: BigInt(1000 * i), unpriced: false, priceVersion: 'v', latencyMs: 10, ttfbMs: 5, partial: false, attempts: 1, accountsTried: ['acc_1'],
  clientKind: 'claude-code', billable: true, flags: null, userAgent: 'claude-cli/2', clientIp: '203.0.113.1', ...o,
})

test('store migrate: SQLite to Redis, everything durable arrives once, usage totals equal', async t => {
  const redis = await startRedis(t)
  if (!redis) return
  const path = join(tempDir(), 'relay.db')
  const from = openSqliteStore(path)
  await from.insertKey({ id: 'key_1', name: 'alice', hashScheme: 'sha256', hash: 'a'.repeat(64), hint: 'ars_a…', disabled: false, expiresAt: null, createdAt: 1, source: 'store', bindings: { '*': { account: 'main' } }, policy: { concurrency: 2 } })
  await from.insertAccount({ id: 'acc_1', name: 'main', provider: 'claude', type: 'claude-api-key', priority: 10, disabled: false, fields: { baseUrl: 'https://x' }, sealedSecrets: 'v1:sealed', createdAt: 1, source: 'store', groups: ['g'], maxConcurrency: 3, models: null, sealedProxy: null })
  await from.saveAccountState({ accountId: 'acc_1', status: 'active', reason: null, cooldownUntil: 5, consecutiveFailures: 1, lastError: 'e', lastErrorAt: 4, rateLimits: null, updatedAt: 4, refreshFailures: 0 })
  await from.activate('key_1', 123)
  await from.putAdminUser({ name: 'root', passwordHash: 'scrypt$x', createdAt: 7 })
  await from.writeUsage({ records: [...Array.from({ length: 2500 }, (_, i) => usage(i)), usage(9999, { path: '/v1/messages/count_tokens', usage: {}, costPico: 0n, billable: false })], keysUsed: new Map([['key_1', 999]]) })
  const range = { since: Date.parse('2026-11-01T00:00:00Z'), until: Date.parse('2026-12-01T00:00:00Z'), groupBy: 'model' as const }
  const sourceTotals = await from.queryUsage(range)
  await from.close()

  const to = `${redis.url}/?prefix=mig:`
  const r = await runCliAsync(['store', 'migrate', '--from', `sqlite:${path}`, '--to', to])
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /Copied 1 key\(s\), 1 account\(s\), 1 admin user\(s\) and 2501 request-log row\(s\)/)
  const again = await runCliAsync(['store', 'migrate', '--from', `sqlite:${path}`, '--to', to])
  assert.match(again.stdout, /Copied 0 key\(s\), 0 account\(s\)/)

  const store = await openRedisStore({ url: redis.url, prefix: 'mig:' })
  t.after(() => store.close())
  assert.deepEqual((await store.listKeys()).map(k => [k.name, k.bindings, k.policy]), [['alice', { '*': { account: 'main' } }, { concurrency: 2 }]])
  assert.deepEqual((await store.listAccounts()).map(a => [a.name, a.sealedSecrets, a.groups, a.maxConcurrency]), [['main', 'v1:sealed', ['g'], 3]])
  assert.equal((await store.listAccountStates())[0]!.lastError, 'e')
  assert.equal((await store.activations()).get('key_1'), 123)
  assert.equal((await store.lastUsed()).get('key_1'), 999)
  assert.equal((await store.listAdminUsers())[0]!.passwordHash, 'scrypt$x')
  assert.deepEqual(await store.queryUsage(range), sourceTotals, 'the same totals, rebuilt from the rows, counted once')
  const rows = await store.queryRequests({ limit: 3000 })
  assert.equal(rows.length, 2501)
  assert.equal(rows.find(x => x.requestId === 'req_7')!.clientIp, '203.0.113.1')
})
