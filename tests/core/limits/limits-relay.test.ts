// Key limits through the relay: exact under 200 simultaneous requests, native refusals that
// real clients understand, leases freed on every exit path, and the CLI around them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import Anthropic from '@anthropic-ai/sdk'
import { request } from 'undici'
import { webhookReceiver } from '../../helpers/webhook.ts'
import { startAnthropicMock } from '../../mocks/anthropic-mock.ts'
import { ALICE_KEY, startRelay, testConfig, until } from '../../helpers/relay-harness.ts'
import { runCli } from '../../helpers/processes.ts'

const body = (o: Record<string, unknown> = {}) => JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 5, stream: true, messages: [{ role: 'user', content: `m${Math.random()}` }], ...o })

function send (url: string, o: Record<string, unknown> = {}, path = '/claude/v1/messages') {
  return request(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY }, body: body(o) })
}

async function relayWithPolicy (t: import('node:test').TestContext, policy: Record<string, unknown>) {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(mock.url, { keys: [{ name: 'alice', key: ALICE_KEY, ...policy }] }))
  return { mock, relay }
}

test('200 simultaneous streams against a concurrency of 10: exactly 10 run; slots free on abort', async t => {
  const { mock, relay } = await relayWithPolicy(t, { concurrency: 10 })
  mock.setDefault({ kind: 'stepped' })
  const responses = await Promise.all(Array.from({ length: 200 }, () => send(relay.url)))
  const running = responses.filter(r => r.statusCode === 200)
  const refused = responses.filter(r => r.statusCode === 429)
  assert.equal(running.length, 10)
  assert.equal(refused.length, 190)
  assert.equal(mock.requests.length, 10)
  const first = refused[0]!
  assert.equal(first.headers['retry-after'], '2')
  const json = await first.body.json() as { type: string, error: { type: string, message: string } }
  assert.deepEqual([json.type, json.error.type], ['error', 'rate_limit_error'])
  assert.match(json.error.message, /Concurrency limit reached: this key may have 10 requests in flight/)
  await Promise.all(refused.slice(1).map(r => r.body.dump()))
  // Clients go away: their leases are released at settle.
  for (const r of running) r.body.destroy()
  await relay.settled()
  assert.equal(relay.server.admission.leases.held, 0)
  mock.setDefault({ kind: 'ok' })
  const again = await send(relay.url)
  assert.equal(again.statusCode, 200)
  await again.body.dump()
})

test('200 simultaneous requests against 10 per window: exactly 10 admitted; count_tokens does not count', async t => {
  // A day window: windows are epoch-aligned, and a minute one could roll over mid-test.
  const { mock, relay } = await relayWithPolicy(t, { rateLimits: [{ window: '1d', requests: 10 }] })
  for (let i = 0; i < 5; i++) {
    const c = await send(relay.url, { stream: false }, '/claude/v1/messages/count_tokens')
    assert.equal(c.statusCode, 200)
    await c.body.dump()
  }
  const statuses = await Promise.all(Array.from({ length: 200 }, async () => {
    const r = await send(relay.url, { stream: false })
    await r.body.dump()
    return r.statusCode
  }))
  assert.equal(statuses.filter(s => s === 200).length, 10)
  assert.equal(statuses.filter(s => s === 429).length, 190)
  assert.equal(mock.requests.filter(r => r.url === '/v1/messages').length, 10)
})

test('refusals in Anthropic shape: the SDK sees a PermissionDenied for a denied model, and for a budget that resets hours later a RateLimit it does not retry', async t => {
  const { relay } = await relayWithPolicy(t, { models: { deny: ['claude-opus-*'] }, budgets: { dailyUsd: 0.0001 } })
  const client = new Anthropic({ apiKey: ALICE_KEY, baseURL: `${relay.url}/claude`, maxRetries: 0 })
  const params = (model: string) => ({ model, max_tokens: 5, messages: [{ role: 'user' as const, content: 'hi' }] })
  await assert.rejects(client.messages.create(params('claude-opus-4-5')), (err: unknown) => {
    assert.ok(err instanceof Anthropic.PermissionDeniedError)
    assert.match(err.message, /may not use model claude-opus-4-5/)
    return true
  })
  // Mock usage: 25 in + 12 out on Sonnet 4.6 = 255 µUSD, over the 100 µUSD daily budget.
  await client.messages.create(params('claude-sonnet-4-6'))
  await relay.settled()
  // With the SDK's default retries: it must give up at once, not sleep until midnight.
  const retrying = new Anthropic({ apiKey: ALICE_KEY, baseURL: `${relay.url}/claude` })
  const started = Date.now()
  await assert.rejects(retrying.messages.create(params('claude-sonnet-4-6')), (err: unknown) => {
    assert.ok(err instanceof Anthropic.RateLimitError)
    assert.match(err.message, /Daily budget of \$0\.000100 reached for this key; resets at \d{4}-\d\d-\d\dT/)
    assert.equal(err.headers?.get('x-should-retry'), 'false')
    assert.equal(err.headers?.get('retry-after'), null)
    return true
  })
  assert.ok(Date.now() - started < 2000, `the SDK waited ${Date.now() - started} ms`)
  const report = JSON.parse(runCli(['keys', 'show', 'alice', '--json', '--config', relay.file]).stdout) as { limits: { limit: string, used: string }[] }
  assert.deepEqual(report.limits.map(l => [l.limit, l.used]), [['budget day', '$0.000255']])
})

test('keys create/show/update/rotate/delete from the CLI, seen by the running relay', async t => {
  const { relay } = await relayWithPolicy(t, {})
  const cli = (...args: string[]) => runCli([...args, '--config', relay.file])
  const created = cli('keys', 'create', '--name', 'carol', '--json', '--policy', JSON.stringify({ concurrency: 2, rateLimits: [{ window: '1d', requests: 100 }], tags: ['team-a'] }))
  assert.equal(created.status, 0, created.stderr)
  const { key, id } = JSON.parse(created.stdout) as { key: string, id: string }
  const call = async (k: string) => {
    const r = await request(`${relay.url}/claude/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': k }, body: body({ stream: false }) })
    await r.body.dump()
    return r.statusCode
  }
  await until(() => relay.server.keys.list().some(k => k.id === id), 3000)
  assert.equal(await call(key), 200)
  await relay.settled()
  const shown = cli('keys', 'show', 'carol')
  assert.match(shown.stdout, /carol \(key_\w+\): active, bound to shared pool/)
  assert.match(shown.stdout, /tags: team-a/)
  assert.match(shown.stdout, /concurrency\s+0\s+2\s+-/)
  assert.match(shown.stdout, /rate 1d requests\s+1\s+100\s+\d{4}-/)
  const bad = cli('keys', 'update', 'carol', '--policy', '{"concurrency": 0}')
  assert.equal(bad.status, 2)
  assert.match(bad.stderr, /policy: \/concurrency must be >= 1/)
  assert.equal(cli('keys', 'update', 'carol', '--policy', '{"clients":["codex-cli"]}').status, 0)
  await until(() => relay.server.keys.list().find(k => k.id === id)?.policy.clients !== undefined, 3000)
  assert.equal(await call(key), 403)
  assert.equal(cli('keys', 'update', 'carol', '--policy', '{}').status, 0)
  const rotated = JSON.parse(cli('keys', 'rotate', 'carol', '--json').stdout) as { key: string, id: string }
  assert.equal(rotated.id, id)
  await until(() => relay.server.keys.list().find(k => k.id === id)?.hint === rotated.key.slice(0, 8) + '…', 3000)
  assert.equal(await call(key), 401, 'the old secret is refused')
  assert.equal(await call(rotated.key), 200)
  await relay.settled()
  const rows = await relay.rt.store.recentRequests(10)
  assert.equal(rows.filter(r => r.keyId === id && r.status === 200).length, 2, 'history stays under the same id')
  assert.equal(cli('keys', 'delete', 'carol').status, 0)
  await until(() => !relay.server.keys.list().some(k => k.id === id), 3000)
  assert.equal(await call(rotated.key), 401)
  assert.match(cli('keys', 'delete', 'alice').stderr, /RELAY_ERR_READ_ONLY/)
})

test('a concurrency slot is freed after upstream errors as after successes', async t => {
  const { mock, relay } = await relayWithPolicy(t, { concurrency: 1 })
  mock.enqueue({ kind: 'status', status: 500 }, { kind: 'status', status: 400 })
  for (const expected of [500, 400, 200, 200]) {
    const r = await send(relay.url, { stream: false })
    await r.body.dump()
    assert.equal(r.statusCode, expected)
    await relay.settled()
    assert.equal(relay.server.admission.leases.held, 0)
    assert.equal(await relay.rt.store.activeLeases(relay.server.keys.list()[0]!.id, Date.now()), 0)
  }
})

test('an unpriced model: refused to a key with a cost limit (naming the model), served to one without; a fallback rate bills it and says so', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const BOB = 'ars_test-bob-0123456789abcdefghijklmnopqrs'
  const keys = [{ name: 'alice', key: ALICE_KEY, budgets: { dailyUsd: 10 } }, { name: 'bob', key: BOB }]
  // The operator hears of each unpriced model once.
  const { url: hookUrl, told } = await webhookReceiver(t)
  const relay = await startRelay(t, testConfig(mock.url, {
    keys, metrics: { enabled: true },
    notifications: { debounceMs: 0, targets: [{ type: 'webhook', url: hookUrl }] },
  }))
  const call = async (key: string, model: string) => {
    const r = await request(`${relay.url}/claude/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: body({ model, stream: false }) })
    return { status: r.statusCode, body: await r.body.json() as { error?: { type: string, message: string } } }
  }
  const refused = await call(ALICE_KEY, 'claude-future-9')
  assert.equal(refused.status, 403)
  assert.equal(refused.body.error?.type, 'permission_error')
  assert.match(refused.body.error!.message, /no price for the model claude-future-9/)
  assert.equal((await call(BOB, 'claude-future-9')).status, 200, 'a key without a cost limit is served')
  assert.equal(mock.requests.length, 1, 'the refused request never went upstream')
  await relay.settled()
  const [row] = await relay.rt.store.recentRequests(1)
  assert.deepEqual([row!.status, row!.unpriced, row!.costPico], [200, true, null])
  assert.equal((await call(BOB, 'claude-future-9')).status, 200)
  await relay.settled()
  const metrics = await (await request(`${relay.url}/_relay/metrics`)).body.text()
  assert.match(metrics, /^ai_relay_unpriced_requests_total\{provider="claude",model="claude-future-9"\} 2$/m)
  for (let i = 0; i < 50 && !told.some(b => b.includes('pricing.unpriced')); i++) await new Promise(resolve => setTimeout(resolve, 50))
  await new Promise(resolve => setTimeout(resolve, 200))
  const about = told.filter(b => b.includes('pricing.unpriced'))
  assert.equal(about.length, 1, 'one notification for the model, however many requests')
  assert.match(about[0]!, /claude-future-9/)

  const billed = await startRelay(t, testConfig(mock.url, { keys, pricing: { fallback: { claude: { like: 'claude-sonnet-4-5' } } } }))
  const r = await request(`${billed.url}/claude/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY }, body: body({ model: 'claude-future-9', stream: false }) })
  assert.equal(r.statusCode, 200)
  await r.body.dump()
  await billed.settled()
  const [fb] = await billed.rt.store.recentRequests(1)
  assert.ok(fb!.costPico !== null && fb!.costPico > 0n)
  assert.equal(fb!.unpriced, false)
  assert.equal(fb!.flags, 'billed as claude-sonnet-4-5 (pricing.fallback)')
})
