// Issue 22, item 6: with the Redis store and `failMode: closed`, stopping redis-server under load
// behind each kit gives the clients 503 with Retry-After in the provider's shape, from the gate
// (forward auth reads the key's counters, leases and activation) and from the relay route alike;
// never a 500. Served again once Redis is back.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Pool } from 'undici'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { ALICE_KEY, tempDir, testConfig } from '../helpers/relay-harness.ts'
import { freePort, requireBinary, spawnRelay } from '../helpers/processes.ts'
import { startRedis } from '../helpers/redis.ts'
import { startNginx } from '../helpers/nginx.ts'
import { startCaddy } from '../helpers/caddy.ts'

type Start = (t: TestContext, binary: string, sidecarPort: number) => Promise<string>

const gateways: [string, Start][] = [
  ['nginx', (t, bin, port) => startNginx(t, bin, port)],
  ['caddy', (t, bin, port) => startCaddy(t, bin, port)],
]

for (const [name, start] of gateways) {
  test(`${name}: Redis stopped under load with failMode closed: 503 with Retry-After in Anthropic's shape, never a 500`, { timeout: 60_000 }, async t => {
    const binary = requireBinary(t, name)
    const redis = await startRedis(t, { persist: true })
    if (!binary || !redis) return
    const mock = await startAnthropicMock({ record: false })
    t.after(() => mock.close())
    const dir = tempDir()
    const port = await freePort()
    const config = join(dir, 'relay.yaml')
    // Every read the gate makes: activation (validFor), leases (concurrency), counters (windows).
    writeFileSync(config, JSON.stringify(testConfig(mock.url, {
      listen: { host: '127.0.0.1', port },
      store: { kind: 'redis', url: redis.url, prefix: `outage-${name}:`, failMode: 'closed' },
      keys: [{ name: 'alice', key: ALICE_KEY, validFor: '30d', concurrency: 8, rateLimits: [{ window: '1h', requests: 1_000_000 }], budgets: { dailyUsd: 1000 } }],
    })))
    await spawnRelay(t, config)
    const base = await start(t, binary, port)
    const pool = new Pool(base, { connections: 4 })
    t.after(() => pool.destroy())
    const seen: { status: number, retryAfter: unknown, body: string }[] = []
    let running = true
    const load = Promise.all(Array.from({ length: 4 }, async () => {
      while (running) {
        const res = await pool.request({
          path: '/claude/v1/messages', method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, 'anthropic-version': '2023-06-01' },
          body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
        })
        seen.push({ status: res.statusCode, retryAfter: res.headers['retry-after'], body: await res.body.text() })
      }
    }))
    await new Promise(resolve => setTimeout(resolve, 400))
    await redis.stop()
    await new Promise(resolve => setTimeout(resolve, 1500))
    await redis.start()
    // Served again: the client reconnects within a few seconds.
    const back = Date.now() + 15_000
    while (Date.now() < back && !seen.slice(-4).every(s => s.status === 200)) await new Promise(resolve => setTimeout(resolve, 100))
    running = false
    await load

    // nginx asks the relay twice about a refusal (the gate, then its error page renders it):
    // when Redis came back between the two, the client is told to retry in a second.
    const freedUp = (s: { status: number, body: string }) => name === 'nginx' && s.status === 429 && /freed up; retry/.test(s.body)
    const statuses = new Map<number, number>()
    for (const s of seen) if (!freedUp(s)) statuses.set(s.status, (statuses.get(s.status) ?? 0) + 1)
    assert.deepEqual([...statuses.keys()].sort(), [200, 503], JSON.stringify([...statuses]))
    assert.ok(seen.filter(freedUp).length <= 8, 'only requests at the moment Redis came back')
    for (const s of seen.filter(s => s.status === 503)) {
      assert.equal(s.retryAfter, '5')
      assert.deepEqual(JSON.parse(s.body), { type: 'error', error: { type: 'overloaded_error', message: 'The relay cannot reach its store right now, please retry shortly' } })
    }
    assert.equal(seen.at(-1)!.status, 200, 'served again once Redis is back')
  })
}
