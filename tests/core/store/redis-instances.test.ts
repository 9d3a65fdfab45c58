// Two sidecars in one test process sharing one Redis: what must hold across instances beyond
// admission. An OAuth refresh is single-flight (the refresh token rotates, so a second refresh
// would kill the account); an account's maxConcurrency counts HTTP requests and Codex sockets on
// both; equally good accounts take turns exactly, whichever instance gets the request.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { request, WebSocket } from 'undici'
import { startOpenAIMock } from '../../mocks/openai-mock.ts'
import { rawRequest } from '../../helpers/raw-http.ts'
import { startOAuthMock } from '../../mocks/oauth-mock.ts'
import { startAnthropicMock } from '../../mocks/anthropic-mock.ts'
import { ALICE_KEY, startRelay, tempDir, testConfig } from '../../helpers/relay-harness.ts'
import { startRedis } from '../../helpers/redis.ts'
import { randomId } from '../../../core/ids.ts'

const CLAUDE_CODE = { 'user-agent': 'claude-cli/2.1.332 (external, cli)', 'x-app': 'cli', 'anthropic-beta': 'claude-code-20250219' }

test('a refresh is single-flight across instances: one refresh, both served with the new token', async t => {
  const redis = await startRedis(t)
  if (!redis) return
  const oauth = await startOAuthMock()
  t.after(() => oauth.close())
  oauth.refreshDelayMs = 400
  const upstream = await startAnthropicMock()
  t.after(() => upstream.close())
  upstream.setAuth(h => h.authorization === `Bearer ${oauth.access()}`)
  const shared = tempDir()
  const config = testConfig(undefined, {
    plugins: [{ use: 'claude', mount: '/claude', options: { oauth: { tokenUrl: oauth.tokenUrl, authorizeUrl: `${oauth.url}/authorize` } } }],
    store: { kind: 'redis', url: redis.url, prefix: 'refresh:', path: join(shared, 'data', 'relay.db') },
    secrets: { keyFile: join(shared, 'secret.key') },
  })
  const first = await startRelay(t, config, async rt => {
    await rt.store.insertAccount({
      id: randomId('acc'), name: 'max', provider: 'claude', type: 'claude-oauth', priority: 10, disabled: false,
      fields: { allowOtherClients: false, expiresAt: Date.now() + 10_000, baseUrl: upstream.url },
      sealedSecrets: rt.secretBox.seal(JSON.stringify({ accessToken: 'at-1', refreshToken: 'rt-1' })),
      createdAt: Date.now(), source: 'store', groups: [], maxConcurrency: null, models: null, sealedProxy: null,
    })
  })
  const second = await startRelay(t, config)
  const call = (url: string, n: number) => request(`${url}/claude/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, ...CLAUDE_CODE },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: `hi ${n}` }] }),
  })
  const [a, b] = await Promise.all([call(first.url, 1), call(second.url, 2)])
  assert.deepEqual([a.statusCode, b.statusCode], [200, 200], `${await a.body.text()} ${await b.body.text()}`)
  assert.equal(oauth.refreshes, 1, 'one refresh for both instances')
  assert.ok(upstream.requests.every(r => r.headers.authorization === `Bearer ${oauth.access()}`))
})

test("an account's maxConcurrency holds across instances: a second instance does not send to a full account", async t => {
  const redis = await startRedis(t)
  if (!redis) return
  const upstream = await startAnthropicMock()
  t.after(() => upstream.close())
  const config = testConfig(undefined, {
    store: { kind: 'redis', url: redis.url, prefix: 'slots:' },
    accounts: [{ name: 'solo', provider: 'claude', type: 'claude-api-key', apiKey: 'sk-ant-solo', baseUrl: upstream.url, maxConcurrency: 1 }],
  })
  const a = await startRelay(t, config)
  const b = await startRelay(t, config)
  const call = (url: string) => request(`${url}/claude/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
  })
  upstream.enqueue({ kind: 'ok', delayFirstByteMs: 800 })
  const slow = call(a.url)
  await new Promise(resolve => setTimeout(resolve, 200))
  const meanwhile = await call(b.url)
  assert.equal(meanwhile.statusCode, 503, 'the one slot is taken on the other instance')
  assert.ok(Number(meanwhile.headers['retry-after']) > 0)
  await meanwhile.body.dump()
  const first = await slow
  assert.equal(first.statusCode, 200)
  await first.body.dump()
  const after = await call(b.url)
  assert.equal(after.statusCode, 200, 'free again once the first answer ended')
  await after.body.dump()
  assert.equal(upstream.requests.length, 2)
})

test('equally good accounts take turns across instances: 30 new conversations over two instances, 10 per account', async t => {
  const redis = await startRedis(t)
  if (!redis) return
  const upstream = await startAnthropicMock()
  t.after(() => upstream.close())
  const config = testConfig(undefined, {
    store: { kind: 'redis', url: redis.url, prefix: 'turns:' },
    accounts: ['one', 'two', 'three'].map(name => ({ name, provider: 'claude', type: 'claude-api-key', apiKey: `sk-ant-${name}`, baseUrl: upstream.url })),
  })
  const relays = [await startRelay(t, config), await startRelay(t, config)]
  for (let n = 0; n < 30; n++) {
    // Two to one instance, then one to the other: no simple alternation hides a local order.
    const res = await request(`${relays[n % 3 === 2 ? 1 : 0]!.url}/claude/v1/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: `conversation ${n}` }] }),
    })
    assert.equal(res.statusCode, 200)
    await res.body.dump()
  }
  const seen = new Map<string, number>()
  for (const r of upstream.requests) seen.set(String(r.headers['x-api-key']), (seen.get(String(r.headers['x-api-key'])) ?? 0) + 1)
  assert.deepEqual(Object.fromEntries([...seen].sort()), { 'sk-ant-one': 10, 'sk-ant-three': 10, 'sk-ant-two': 10 })
})

test("a Codex WebSocket holds one of the account's maxConcurrency slots across instances for its whole life", async t => {
  const redis = await startRedis(t)
  if (!redis) return
  const mock = await startOpenAIMock()
  t.after(() => mock.close())
  const config = testConfig(undefined, {
    plugins: [{ use: 'openai', mount: '/openai' }],
    store: { kind: 'redis', url: redis.url, prefix: 'ws-slots:' },
    accounts: [{ name: 'oa', provider: 'openai', type: 'openai-api-key', apiKey: 'sk-proj-solo', baseUrl: `${mock.url}/v1`, websocket: true, maxConcurrency: 1 }],
  })
  const a = await startRelay(t, config)
  const b = await startRelay(t, config)
  const codex = { authorization: `Bearer ${ALICE_KEY}`, originator: 'codex_exec', 'user-agent': 'codex_exec/0.171.0' }
  const open = async (url: string) => {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/openai/v1/responses`, { headers: codex } as never)
    return new Promise<WebSocket | undefined>(resolve => {
      socket.addEventListener('open', () => resolve(socket))
      socket.addEventListener('error', () => resolve(undefined))
    })
  }
  const first = await open(a.url)
  assert.ok(first, 'the first socket opens')
  const port = Number(new URL(b.url).port)
  const refused = await rawRequest(port, `GET /openai/v1/responses HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer ${ALICE_KEY}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==`)
  assert.equal(refused.status, 503, 'the only slot is held by the socket on the other instance')
  assert.match(refused.head, /retry-after: [1-9]/i)
  const http = await request(`${b.url}/openai/v1/responses`, {
    method: 'POST', headers: { ...codex, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-5.4', input: 'x' }),
  })
  assert.equal(http.statusCode, 503, 'nor does an HTTP request get in')
  await http.body.dump()
  first.close()
  // Freed when the socket closes: the other instance gets in.
  let second: WebSocket | undefined
  for (const end = Date.now() + 5000; !second && Date.now() < end;) {
    second = await open(b.url)
    if (!second) await new Promise(resolve => setTimeout(resolve, 100))
  }
  assert.ok(second, 'the slot is free again once the first socket closed')
  second.close()
})
