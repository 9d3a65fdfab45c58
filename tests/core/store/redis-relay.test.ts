// The relay itself on the Redis store: requests admitted against limits kept in Redis, usage
// and the request log written there, keys created by the CLI picked up by the running relay.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { startAnthropicMock } from '../../mocks/anthropic-mock.ts'
import { ALICE_KEY, startRelay, testConfig } from '../../helpers/relay-harness.ts'
import { runCliAsync } from '../../helpers/processes.ts'
import { startRedis } from '../../helpers/redis.ts'

test('a relay on Redis: limits, usage and the request log in Redis; a key made by the CLI works within a second', async t => {
  const redis = await startRedis(t)
  if (!redis) return
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(mock.url, {
    store: { kind: 'redis', url: redis.url, prefix: 'it:' },
    keys: [{ name: 'alice', key: ALICE_KEY, rateLimits: [{ window: '1h', requests: 3 }] }],
  }))
  const call = async (key: string) => {
    const res = await request(`${relay.url}/claude/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' }, body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }) })
    await res.body.dump()
    return res.statusCode
  }
  const statuses = await Promise.all(Array.from({ length: 6 }, () => call(ALICE_KEY)))
  assert.deepEqual(statuses.sort(), [200, 200, 200, 429, 429, 429])
  await relay.settled()
  const rows = await relay.rt.store.queryRequests({ limit: 10, status: 200 })
  assert.equal(rows.length, 3)
  const usage = await relay.rt.store.queryUsage({ since: Date.now() - 3_600_000, until: Date.now() + 3_600_000, groupBy: 'model' })
  assert.deepEqual(usage.map(u => [u.group, u.requests]), [['claude-sonnet-4-5', 3]])

  const created = await runCliAsync(['keys', 'create', '--name', 'dave', '--json', '--config', relay.file])
  assert.equal(created.status, 0, created.stderr)
  const { key } = JSON.parse(created.stdout) as { key: string }
  let status = 0
  for (const end = Date.now() + 3000; Date.now() < end && status !== 200;) {
    status = await call(key)
    if (status !== 200) await new Promise(resolve => setTimeout(resolve, 100))
  }
  assert.equal(status, 200)
})
