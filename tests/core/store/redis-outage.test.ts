// Redis stopped and started again under load. `open`: every request is served (this instance's
// own limits meanwhile) and no usage record is lost: what could not be written is kept on disk
// and replayed. `closed`: requests are refused with a 503 in the provider's shape and Retry-After
// until Redis is back.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { startAnthropicMock } from '../../mocks/anthropic-mock.ts'
import { ALICE_KEY, startRelay, testConfig } from '../../helpers/relay-harness.ts'
import { startRedis } from '../../helpers/redis.ts'

const message = async (url: string) => {
  const res = await request(`${url}/claude/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, 'anthropic-version': '2023-06-01' }, body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }) })
  return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: await res.body.text() }
}

test('failMode open: Redis stopped and restarted under load, every request served, every usage record kept', { timeout: 60_000 }, async t => {
  const redis = await startRedis(t, { persist: true })
  if (!redis) return
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(mock.url, {
    store: { kind: 'redis', url: redis.url, prefix: 'out:', failMode: 'open' },
    keys: [{ name: 'alice', key: ALICE_KEY, rateLimits: [{ window: '1h', requests: 100_000 }] }],
  }))
  let running = true
  const results: number[] = []
  const load = Promise.all(Array.from({ length: 4 }, async () => {
    while (running) results.push((await message(relay.url)).status)
  }))
  await new Promise(resolve => setTimeout(resolve, 500))
  await redis.stop()
  const duringStart = results.length
  await new Promise(resolve => setTimeout(resolve, 1500))
  const during = results.length - duringStart
  await redis.start()
  await new Promise(resolve => setTimeout(resolve, 1000))
  running = false
  await load
  assert.ok(during > 0, 'requests were made while Redis was down')
  assert.deepEqual([...new Set(results)], [200], 'every request served')
  await relay.settled().catch(() => {})
  let rows = 0
  for (const end = Date.now() + 30_000; Date.now() < end;) {
    // The client may still be reconnecting: a failed read is tried again.
    rows = (await relay.rt.store.queryRequests({ limit: 100_000 }).catch(() => [])).filter(r => r.status === 200 && r.state === 'done').length
    if (rows === results.length) break
    await new Promise(resolve => setTimeout(resolve, 250))
  }
  assert.equal(rows, results.length, 'one finished row per served request, none lost')
})

test('failMode closed: 503 with Retry-After in the provider\'s shape while Redis is down, served again once it is back', { timeout: 60_000 }, async t => {
  const redis = await startRedis(t, { persist: true })
  if (!redis) return
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(mock.url, {
    store: { kind: 'redis', url: redis.url, prefix: 'closed:' },
    keys: [{ name: 'alice', key: ALICE_KEY, rateLimits: [{ window: '1h', requests: 100 }] }],
  }))
  assert.equal((await message(relay.url)).status, 200)
  await redis.stop()
  const down = await message(relay.url)
  assert.equal(down.status, 503)
  assert.equal(down.retryAfter, '5')
  assert.deepEqual(JSON.parse(down.body), { type: 'error', error: { type: 'overloaded_error', message: 'The relay cannot reach its store right now, please retry shortly' } })
  await redis.start()
  let status = 0
  for (const end = Date.now() + 10_000; Date.now() < end && status !== 200;) {
    status = (await message(relay.url)).status
    if (status !== 200) await new Promise(resolve => setTimeout(resolve, 200))
  }
  assert.equal(status, 200)
})
