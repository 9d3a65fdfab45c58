// Switching from claude-relay-service: a Redis seeded the way the incumbent lays out its data
// (keys hashed as sha256(key + ENCRYPTION_KEY), accounts encrypted AES-256-CBC with scrypt keys
// per account kind), imported by the CLI; the holder's old key then works unchanged against
// the imported account, with its limits and its usage totals.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createCipheriv, createHash, randomBytes, scryptSync } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { request } from 'undici'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { startRelay, tempDir, testConfig } from '../helpers/relay-harness.ts'
import { runCliAsync } from '../helpers/processes.ts'
import { startRedis } from '../helpers/redis.ts'
import { crsPolicy } from '../../core/manage/import-crs.ts'

const ENCRYPTION_KEY = 'crs-encryption-key-0123456789abcd'
const OLD_KEY = 'cr_0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0'

/** As the incumbent encrypts: AES-256-CBC, key scrypt(ENCRYPTION_KEY, salt, 32), `ivhex:cipherhex`. */
function encrypt (value: string, salt: string): string {
  const iv = randomBytes(16)
  const c = createCipheriv('aes-256-cbc', scryptSync(ENCRYPTION_KEY, salt, 32), iv)
  return `${iv.toString('hex')}:${c.update(value, 'utf8', 'hex')}${c.final('hex')}`
}

test('import crs: keys keep working as their holders have them, bound to the imported account, with limits and usage totals', async t => {
  const redis = await startRedis(t)
  if (!redis) return
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const crs = new Redis(redis.url)
  t.after(() => crs.disconnect())
  const hashed = createHash('sha256').update(OLD_KEY + ENCRYPTION_KEY).digest('hex')
  await crs.hset('claude_console_account:c0ffee01-0000-4000-8000-000000000001', {
    id: 'c0ffee01-0000-4000-8000-000000000001', platform: 'claude-console', name: 'Console 主账号', apiUrl: `${mock.url}/`,
    apiKey: encrypt('sk-ant-console-from-crs', 'claude-console-salt'), priority: '10', isActive: 'true', schedulable: 'true',
  })
  await crs.hset('claude:account:c0ffee02-0000-4000-8000-000000000002', {
    id: 'c0ffee02-0000-4000-8000-000000000002', name: 'max', email: encrypt('max@example.com', 'salt'),
    accessToken: encrypt('sk-ant-oat01-access', 'salt'), refreshToken: encrypt('sk-ant-ort01-refresh', 'salt'), expiresAt: String(Date.now() + 3_600_000),
    scopes: 'user:inference user:profile', isActive: 'true', priority: '50', proxy: JSON.stringify({ type: 'socks5', host: '127.0.0.1', port: 1080, username: 'u', password: 'p' }),
  })
  await crs.hset('openai:account:c0ffee03-0000-4000-8000-000000000003', { id: 'c0ffee03', name: 'chatgpt' })
  await crs.hset('apikey:a1b2c3d4-0000-4000-8000-000000000001', {
    id: 'a1b2c3d4-0000-4000-8000-000000000001', name: 'alice', apiKey: hashed, isActive: 'true', concurrencyLimit: '2', rateLimitWindow: '60',
    rateLimitRequests: '100', rateLimitCost: '0', dailyCostLimit: '5', totalCostLimit: '100', weeklyOpusCostLimit: '20', permissions: '["claude"]',
    enableModelRestriction: 'true', restrictedModels: '["claude-opus-4-1"]', claudeConsoleAccountId: 'c0ffee01-0000-4000-8000-000000000001',
    expiresAt: '', createdAt: '2026-01-02T03:04:05.000Z', tags: '["team-a"]', expirationMode: 'fixed',
  })
  await crs.hset('apikey:a1b2c3d4-0000-4000-8000-000000000002', { id: 'x2', name: 'gone', apiKey: 'f'.repeat(64), isDeleted: 'true', isActive: 'false' })
  await crs.hset('apikey:a1b2c3d4-0000-4000-8000-000000000003', { id: 'x3', name: 'paused', apiKey: 'e'.repeat(64), isActive: 'false', createdAt: '2026-01-01T00:00:00.000Z' })
  await crs.hset('apikey:hash_map', hashed, 'a1b2c3d4-0000-4000-8000-000000000001')
  await crs.hset('usage:a1b2c3d4-0000-4000-8000-000000000001', { totalInputTokens: '1000', totalOutputTokens: '200', totalCacheCreateTokens: '300', totalCacheReadTokens: '4000', totalRequests: '7' })
  await crs.set('usage:cost:total:a1b2c3d4-0000-4000-8000-000000000001', '12.5')
  // A hostile total (toFixed writes it in exponent form; no 64-bit column holds it): skipped, no crash.
  await crs.set('usage:cost:total:a1b2c3d4-0000-4000-8000-000000000003', '1e21')
  await crs.hset('usage:a1b2c3d4-0000-4000-8000-000000000003', { totalInputTokens: '1e400', totalOutputTokens: '5' })

  const dir = tempDir()
  const config = join(dir, 'relay.yaml')
  // Absolute paths: the relay started below reads the same store and key as the CLI.
  const cfg = testConfig(undefined, { store: { path: join(dir, 'relay.db') }, keys: [], secrets: { keyFile: join(dir, 'secret.key'), crsEncryptionKey: ENCRYPTION_KEY } })
  writeFileSync(config, JSON.stringify(cfg))
  const r = await runCliAsync(['import', 'crs', '--redis', redis.url, '--encryption-key-env', 'CRS_KEY', '--config', config], { env: { CRS_KEY: ENCRYPTION_KEY } })
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /Imported 2 key\(s\), 2 account\(s\), usage totals of 2 key\(s\)\./)
  assert.match(r.stdout, /key paused: its total cost \(1e\+21 USD\) is past what a row holds; imported without it/)
  assert.match(r.stdout, /not imported: 1 account\(s\) under openai:account:/)
  assert.ok(!r.stdout.includes('sk-ant'), 'no credential is printed')

  const relay = await startRelay(t, { ...cfg, listen: { host: '127.0.0.1', port: 0 } })
  const call = (key: string) => request(`${relay.url}/api/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
  })
  const res = await call(OLD_KEY)
  const text = await res.body.text()
  assert.equal(res.statusCode, 200, text)
  assert.equal(mock.requests.at(-1)!.headers['x-api-key'], 'sk-ant-console-from-crs', 'served by the imported account, its key decrypted')
  const keys = await relay.rt.store.listKeys()
  const alice = keys.find(k => k.name === 'alice')!
  assert.deepEqual([alice.hashScheme, alice.bindings, alice.policy], ['crs-sha256', { '*': { account: 'Console' } }, {
    concurrency: 2, rateLimits: [{ window: '60m', requests: 100 }], budgets: { dailyUsd: 5, totalUsd: 100, models: [{ models: 'claude-opus-*', period: 'week', usd: 20 }] },
    providers: ['claude'], models: { deny: ['claude-opus-4-1'] }, tags: ['team-a'],
  }])
  assert.equal(keys.find(k => k.name === 'paused')!.disabled, true)
  assert.equal(keys.find(k => k.name === 'gone'), undefined)
  const accounts = await relay.rt.store.listAccounts()
  const max = accounts.find(a => a.name === 'max')!
  assert.deepEqual([max.type, max.fields.email, max.sealedProxy !== null], ['claude-oauth', 'max@example.com', true])
  const totals = await relay.rt.store.queryUsage({ since: Date.parse('2026-01-01T00:00:00Z'), until: Date.now() + 86_400_000, groupBy: 'key' })
  const mine = totals.find(x => x.group === alice.id)!
  assert.deepEqual([mine.input, mine.output, mine.cacheRead], [1000 + 25, 200 + 12, 4000])
  assert.ok(mine.costPico >= 12_500_000_000_000n)
  const again = await runCliAsync(['import', 'crs', '--redis', redis.url, '--encryption-key-env', 'CRS_KEY', '--config', config], { env: { CRS_KEY: ENCRYPTION_KEY } })
  assert.match(again.stdout, /key alice: already imported/)
})

test("the incumbent's limits as a policy: windows, budgets, permissions, restrictions, activation", () => {
  assert.deepEqual(crsPolicy({ concurrencyLimit: '0', rateLimitWindow: '0', dailyCostLimit: '0', permissions: 'all' }), {})
  assert.deepEqual(crsPolicy({ rateLimitWindow: '5', rateLimitCost: '1.5', expirationMode: 'activation', activationDays: '30', activationUnit: 'days', permissions: '["gemini","droid"]' }), {
    rateLimits: [{ window: '5m', costUsd: 1.5 }], providers: ['gemini'], validFor: '30d',
  })
})
