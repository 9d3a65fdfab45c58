// Two sidecars as separate processes sharing one Redis, behind a real nginx upstream block with
// both: limits stay exact across them, a conversation stays on its account whichever instance
// takes each turn, a 429 seen by one rests the account for both, and a sidecar killed mid-stream
// holds no concurrency slot beyond the lease TTL while the other keeps serving.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { startAnthropicMock, type AnthropicMock } from '../mocks/anthropic-mock.ts'
import { ALICE_KEY, BOB_KEY, claudeAccount, tempDir, testConfig } from '../helpers/relay-harness.ts'
import { freePort, requireBinary, spawnRelay, type Child } from '../helpers/processes.ts'
import { startNginx } from '../helpers/nginx.ts'
import { startRedis } from '../helpers/redis.ts'

const CAROL_KEY = 'ars_test-carol-0123456789abcdefghijklmno'

async function twoSidecars (t: TestContext): Promise<{ mock: AnthropicMock, urls: [string, string], sidecars: [Child, Child], base: string } | undefined> {
  const nginx = requireBinary(t, 'nginx')
  const redis = await startRedis(t)
  if (!nginx || !redis) return undefined
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const ports = [await freePort(), await freePort()] as const
  const sidecars = await Promise.all(ports.map(async (port, i) => {
    const dir = tempDir()
    const config = join(dir, 'relay.yaml')
    writeFileSync(config, JSON.stringify(testConfig(undefined, {
      listen: { host: '127.0.0.1', port },
      store: { kind: 'redis', url: redis.url, prefix: 'multi:', path: `./data-${i}/relay.db` },
      accounts: [claudeAccount(mock.url, { name: 'first', priority: 1, apiKey: 'sk-ant-first' }), claudeAccount(mock.url, { name: 'second', priority: 2, apiKey: 'sk-ant-second' })],
      keys: [
        { name: 'alice', key: ALICE_KEY, concurrency: 10 },
        { name: 'bob', key: BOB_KEY, rateLimits: [{ window: '1h', requests: 50 }] },
        { name: 'carol', key: CAROL_KEY, concurrency: 1 },
      ],
      limits: { leaseTtlMs: 2000 },
      usage: { flush: 'sync' },
    })))
    return spawnRelay(t, config)
  }))
  const base = await startNginx(t, nginx, ports[0], {
    edit: (f, s) => (f === 'relay-http.conf' ? s.replace('server 127.0.0.1:8787;', `server 127.0.0.1:${ports[0]};\n    server 127.0.0.1:${ports[1]};`) : s),
  })
  return { mock, urls: [`http://127.0.0.1:${ports[0]}`, `http://127.0.0.1:${ports[1]}`], sidecars: sidecars as [Child, Child], base }
}

const message = (url: string, key: string, extra: Record<string, unknown> = {}) => request(`${url}/claude/v1/messages`, {
  method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' },
  body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }], ...extra }),
})

async function statuses (n: number, send: () => ReturnType<typeof message>): Promise<number[]> {
  return Promise.all(Array.from({ length: n }, async () => {
    const res = await send()
    await res.body.dump()
    return res.statusCode
  }))
}

test('two sidecars on one Redis behind nginx: exact limits, one account per conversation, shared cooldowns, no leaked lease after kill -9', { timeout: 120_000 }, async t => {
  const setup = await twoSidecars(t)
  if (!setup) return
  const { mock, urls, sidecars, base } = setup

  // 200 at once against a concurrency of 10: the 10 admitted answer slowly, so all 200 overlap.
  mock.enqueue(...Array.from({ length: 10 }, () => ({ kind: 'ok' as const, delayFirstByteMs: 1500 })))
  const concurrent = await statuses(200, () => message(base, ALICE_KEY))
  assert.deepEqual([concurrent.filter(s => s === 200).length, concurrent.filter(s => s === 429).length], [10, 190])

  // 200 at once against a window of 50 requests.
  const windowed = await statuses(200, () => message(base, BOB_KEY))
  assert.deepEqual([windowed.filter(s => s === 200).length, windowed.filter(s => s === 429).length], [50, 150])

  // One conversation, its turns alternating between the instances: one account throughout.
  const before = mock.requests.length
  for (let turn = 0; turn < 6; turn++) {
    const res = await message(urls[turn % 2]!, ALICE_KEY, { metadata: { user_id: 'user_abc_account__session_6f1e2d3c-0000-4000-8000-000000000001' } })
    assert.equal(res.statusCode, 200)
    await res.body.dump()
  }
  assert.equal(new Set(mock.requests.slice(before).map(r => r.headers['x-api-key'])).size, 1)

  // A 429 seen by the first instance rests the account for the second too.
  mock.enqueue({ kind: 'status', status: 429, headers: { 'retry-after': '60' } })
  const limited = await message(urls[0], ALICE_KEY)
  assert.equal(limited.statusCode, 200, 'failed over to the second account')
  await limited.body.dump()
  await new Promise(resolve => setTimeout(resolve, 200))
  const mark = mock.requests.length
  assert.equal((await statuses(3, () => message(urls[1], ALICE_KEY))).every(s => s === 200), true)
  assert.deepEqual([...new Set(mock.requests.slice(mark).map(r => r.headers['x-api-key']))], ['sk-ant-second'], 'the resting account is not tried')

  // Carol's one slot, held by a stream on the first instance, which is then killed.
  mock.enqueue({ kind: 'stepped' })
  const held = await message(urls[0], CAROL_KEY, { stream: true })
  assert.equal(held.statusCode, 200)
  const busy = await message(urls[1], CAROL_KEY)
  assert.equal(busy.statusCode, 429, 'the slot is taken across instances')
  await busy.body.dump()
  sidecars[0].proc.kill('SIGKILL')
  held.body.on('error', () => {})
  let freed = 0
  const start = Date.now()
  while (Date.now() - start < 6000) {
    const res = await message(urls[1], CAROL_KEY)
    await res.body.dump()
    if (res.statusCode === 200) { freed = Date.now() - start; break }
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  assert.ok(freed > 0 && freed <= 4000, `the slot came back within the lease TTL (${freed} ms)`)
  const after = await statuses(5, () => message(base, ALICE_KEY))
  assert.ok(after.every(s => s === 200), `the surviving instance serves through nginx: ${after.join(',')}`)
})
