// The OpenAI plugin end to end in one process: a real HTTP client → sidecar → mock OpenAI.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request, WebSocket } from 'undici'
import { chatChunks, DEFAULT_OPENAI_USAGE, responsesEvents, startOpenAIMock, type OpenAIMock } from '../../mocks/openai-mock.ts'
import { ALICE_KEY, startMocks, sseEvents, startRelay, testConfig, type Relay } from '../../helpers/relay-harness.ts'
import { rawRequest } from '../../helpers/raw-http.ts'

const OPENAI_KEY = 'sk-proj-upstream-secret-0001'
const CODEX = { originator: 'codex_exec', 'user-agent': 'codex_exec/0.171.0 (Debian 12; x86_64) xterm' }

function openaiAccount (mock: OpenAIMock, extra: Record<string, unknown> = {}) {
  return { name: 'oa', provider: 'openai', type: 'openai-api-key', apiKey: OPENAI_KEY, baseUrl: `${mock.url}/v1`, ...extra }
}

async function setup (t: import('node:test').TestContext, n = 1, extra: Record<string, unknown> = {}) {
  const mocks = await startMocks(t, n, () => startOpenAIMock())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'claude', mount: '/claude' }, { use: 'openai', mount: '/openai' }],
    accounts: mocks.map((m, i) => openaiAccount(m, { name: `oa${i}`, apiKey: `${OPENAI_KEY}-${i}` })),
    ...extra,
  }))
  return { mocks, mock: mocks[0]!, relay }
}

function post (relay: Relay, path: string, body: unknown, headers: Record<string, string> = {}) {
  return request(`${relay.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE_KEY}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

async function lastRow (relay: Relay) {
  await relay.settled()
  return (await relay.rt.store.recentRequests(1))[0]!
}

// gpt-5.4: $2.50 input, $0.25 cached, $15 output per MTok; the mock reports 120 in (64 cached), 30 out.
const EXPECTED_PICO = 56n * 2_500_000n + 64n * 250_000n + 30n * 15_000_000n

test('Responses at /openai/v1/responses and /openai/responses: streamed byte-identical, metered exactly, the relay key never forwarded', async t => {
  const { mock, relay } = await setup(t)
  for (const path of ['/openai/v1/responses', '/openai/responses']) {
    const payload = `{"model":"gpt-5.4","stream":true,  "input":[{"role":"developer","content":"be brief"},{"role":"user","content":"hi"}],"prompt_cache_key":"c-${path}"}`
    const res = await post(relay, path, payload, CODEX)
    assert.equal(res.statusCode, 200)
    assert.equal(await res.body.text(), responsesEvents('gpt-5.4', DEFAULT_OPENAI_USAGE, 'Hello from the mock OpenAI upstream.').join(''))
    const seen = mock.requests.at(-1)!
    assert.equal(seen.url, '/v1/responses', 'the base URL holds /v1 once')
    assert.equal(seen.body.toString(), payload)
    assert.equal(seen.headers.authorization, `Bearer ${OPENAI_KEY}-0`)
    assert.equal(seen.headers.originator, 'codex_exec')
    const row = await lastRow(relay)
    assert.deepEqual([row.status, row.model, row.usage.input, row.usage.cacheRead, row.usage.output, row.usage.reasoning, row.clientKind], [200, 'gpt-5.4', 56, 64, 30, 8, 'codex-cli'])
    assert.equal(row.costPico, EXPECTED_PICO)
  }
  const whole = await post(relay, '/openai/v1/responses', { model: 'gpt-5.4', input: 'hi' })
  assert.equal(whole.statusCode, 200)
  assert.equal((await whole.body.json() as { object: string }).object, 'response')
  assert.equal((await lastRow(relay)).costPico, EXPECTED_PICO)
})

test('Chat Completions: a stream that did not ask for usage is metered and the client never sees the usage chunk; one that asked keeps it', async t => {
  const { mock, relay } = await setup(t)
  const res = await post(relay, '/openai/v1/chat/completions', { model: 'gpt-5.4', stream: true, messages: [{ role: 'user', content: 'hi' }] }, { 'user-agent': 'OpenAI/JS 6.1.0' })
  assert.equal(res.statusCode, 200)
  assert.equal(await res.body.text(), chatChunks('gpt-5.4', DEFAULT_OPENAI_USAGE, 'Hello from the mock OpenAI upstream.', true).filter(c => !c.includes('"choices":[]')).join(''))
  const asked = JSON.parse(mock.requests.at(-1)!.body.toString()) as { stream_options?: { include_usage?: boolean } }
  assert.equal(asked.stream_options?.include_usage, true)
  const row = await lastRow(relay)
  assert.deepEqual([row.usage.input, row.usage.cacheRead, row.usage.output, row.costPico, row.clientKind], [56, 64, 30, EXPECTED_PICO, 'sdk'])

  const payload = '{"model":"gpt-5.4","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}'
  const res2 = await post(relay, '/openai/chat/completions', payload)
  const events = []
  for await (const ev of sseEvents(res2.body)) events.push(ev.data)
  assert.ok(events.some(d => d.includes('"choices":[]')), 'the client asked for usage: it gets it')
  assert.equal(mock.requests.at(-1)!.body.toString(), payload, 'forwarded byte-identical')
  assert.equal((await lastRow(relay)).costPico, EXPECTED_PICO)

  const plain = await post(relay, '/openai/v1/chat/completions', { model: 'gpt-5.4', messages: [] })
  assert.equal((await plain.body.json() as { object: string }).object, 'chat.completion')
  assert.equal((await lastRow(relay)).costPico, EXPECTED_PICO)
})

test('models pass through; refusals and upstream errors come in OpenAI shape', async t => {
  const { mock, relay } = await setup(t)
  const models = await request(`${relay.url}/openai/v1/models`, { headers: { authorization: `Bearer ${ALICE_KEY}` } })
  assert.equal(models.statusCode, 200)
  assert.equal((await models.body.json() as { object: string }).object, 'list')
  assert.equal(mock.requests.at(-1)!.url, '/v1/models')
  const anon = await request(`${relay.url}/openai/v1/responses`, { method: 'POST', body: '{}' })
  assert.equal(anon.statusCode, 401)
  assert.deepEqual(await anon.body.json(), { error: { message: 'No API key was provided', type: 'invalid_request_error', param: null, code: 'missing_api_key' } })
  const bad = await post(relay, '/openai/v1/responses', '{"input":"hi"}')
  assert.equal(bad.statusCode, 400)
  assert.equal((await bad.body.json() as { error: { type: string } }).error.type, 'invalid_request_error')
  mock.enqueue({ kind: 'status', status: 400, body: JSON.stringify({ error: { message: 'Unsupported parameter: foo', type: 'invalid_request_error', param: 'foo', code: 'unsupported_parameter' } }) })
  const upstream400 = await post(relay, '/openai/v1/responses', { model: 'gpt-5.4', input: 'x' })
  assert.equal(upstream400.statusCode, 400)
  assert.equal((await upstream400.body.json() as { error: { param: string } }).error.param, 'foo')
})

test('failover: a 429 with reset durations and a stream that opens with an error move to the next account before the first byte', async t => {
  const { mocks, relay } = await setup(t, 2)
  mocks[0]!.enqueue({ kind: 'status', status: 429, headers: { 'x-ratelimit-reset-requests': '20s', 'x-ratelimit-reset-tokens': '1m0s' } })
  const res = await post(relay, '/openai/v1/responses', { model: 'gpt-5.4', stream: true, input: 'a' }, CODEX)
  assert.equal(res.statusCode, 200)
  await res.body.dump()
  const row = await lastRow(relay)
  assert.equal(row.attempts, 2)
  const state = relay.server.health.state(relay.server.pool.byName('oa0')!.id)
  assert.ok(state.cooldownUntil! - Date.now() > 50_000, 'rests for the longest reset')
  // Both accounts usable again: the least recently used (oa0) goes first, and opens its stream with an error.
  relay.server.health.load([])
  mocks[0]!.enqueue({ kind: 'stream-error', code: 'server_is_overloaded' })
  const res2 = await post(relay, '/openai/v1/responses', { model: 'gpt-5.4', stream: true, input: 'b' }, CODEX)
  assert.equal(res2.statusCode, 200)
  const text = await res2.body.text()
  assert.match(text, /response\.completed/)
  assert.doesNotMatch(text, /server_is_overloaded/)
  assert.equal((await lastRow(relay)).attempts, 2)
})

test('a Codex conversation stays on one account of three, by session-id, session_id (an nginx may drop it) or prompt_cache_key', async t => {
  const { relay } = await setup(t, 3)
  for (const carrier of [{ 'session-id': 's1' }, { session_id: 's2' }, {}] as Record<string, string>[]) {
    const accounts = new Set<string | null>()
    for (let turn = 0; turn < 5; turn++) {
      const body = { model: 'gpt-5.4', stream: true, input: `turn ${turn}`, prompt_cache_key: `pck-${JSON.stringify(carrier)}` }
      const res = await post(relay, '/openai/v1/responses', body, { ...CODEX, ...carrier })
      await res.body.dump()
      accounts.add((await lastRow(relay)).accountId)
    }
    assert.equal(accounts.size, 1, JSON.stringify(carrier))
  }
})

test('ChatGPT subscription accounts: Codex only unless opted in, chatgpt-account-id sent, a full usage window benches the account until its reset', async t => {
  const sub = await startOpenAIMock()
  t.after(() => sub.close())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'openai', mount: '/openai' }],
    accounts: [{ name: 'plus', provider: 'openai', type: 'codex-oauth', accessToken: 'chatgpt-at', accountId: 'acct-123', baseUrl: `${sub.url}/backend-api/codex` }],
  }))
  const sdk = await post(relay, '/openai/v1/responses', { model: 'gpt-5.4', input: 'x' }, { 'user-agent': 'OpenAI/JS 6.1.0' })
  assert.equal(sdk.statusCode, 403)
  assert.match((await sdk.body.json() as { error: { message: string } }).error.message, /serve Codex CLI only/)
  sub.enqueue({ kind: 'ok', headers: { 'x-codex-primary-used-percent': '100', 'x-codex-primary-window-minutes': '300', 'x-codex-primary-reset-after-seconds': '900' } })
  const res = await post(relay, '/openai/responses', { model: 'gpt-5.4', stream: true, input: 'x' }, CODEX)
  assert.equal(res.statusCode, 200)
  await res.body.dump()
  const seen = sub.requests.at(-1)!
  assert.deepEqual([seen.url, seen.headers.authorization, seen.headers['chatgpt-account-id']], ['/backend-api/codex/responses', 'Bearer chatgpt-at', 'acct-123'])
  const blocked = await post(relay, '/openai/responses', { model: 'gpt-5.4', stream: true, input: 'y' }, CODEX)
  assert.equal(blocked.statusCode, 503)
  await blocked.body.dump()
  assert.equal(sub.requests.length, 1, 'the account rests until the 5h window resets')
})

test('a key limited to Codex CLI is refused for other clients', async t => {
  const { relay } = await setup(t, 1, { keys: [{ name: 'alice', key: ALICE_KEY, clients: ['codex-cli'] }] })
  const sdk = await post(relay, '/openai/v1/responses', { model: 'gpt-5.4', input: 'x' }, { 'user-agent': 'OpenAI/JS 6.1.0' })
  assert.equal(sdk.statusCode, 403)
  await sdk.body.dump()
  const codex = await post(relay, '/openai/v1/responses', { model: 'gpt-5.4', input: 'x' }, CODEX)
  assert.equal(codex.statusCode, 200)
  await codex.body.dump()
})

test('a client that hangs up once it has response.completed (Codex does) was served: 200, and its conversation stays bound', async t => {
  const { mocks, relay } = await setup(t, 3)
  for (const m of mocks) m.setDefault({ kind: 'ok', holdOpenMs: 300 })
  const accounts = new Set<string | null>()
  for (let turn = 0; turn < 3; turn++) {
    const res = await post(relay, '/openai/v1/responses', { model: 'gpt-5.4', stream: true, input: `t${turn}`, prompt_cache_key: 'hang-up' }, CODEX)
    let text = ''
    for await (const chunk of res.body) {
      text += String(chunk)
      if (text.includes('response.completed')) break
    }
    res.body.destroy()
    const row = await lastRow(relay)
    assert.deepEqual([row.status, row.partial, row.costPico], [200, false, EXPECTED_PICO])
    accounts.add(row.accountId)
  }
  assert.equal(accounts.size, 1)
})

const UPGRADE = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='

test('a WebSocket upgrade with no account whose upstream speaks it gets 426 at once, so Codex uses HTTP; a bad key gets 401', async t => {
  const { mock, relay } = await setup(t)
  const port = Number(new URL(relay.url).port)
  for (const path of ['/openai/v1/responses', '/openai/responses']) {
    const res = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer ${ALICE_KEY}\r\n${UPGRADE}`)
    assert.equal(res.status, 426)
    assert.match(res.head, /^HTTP\/1\.1 426 Upgrade Required\r\n/)
    assert.match(res.body, /use HTTP/)
    const plain = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer ${ALICE_KEY}`)
    assert.equal(plain.status, 426)
  }
  const anon = await rawRequest(port, `GET /openai/v1/responses HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer ars_wrong-key-00000000000000000000\r\n${UPGRADE}`)
  assert.equal(anon.status, 401)
  assert.match(anon.body, /invalid_api_key/)
  assert.equal(mock.requests.length, 0)
})

test('Codex WebSocket mode is bridged: frames pass both ways, each response.create is its own metered request', async t => {
  const mock = await startOpenAIMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'openai', mount: '/openai' }],
    accounts: [openaiAccount(mock, { websocket: true })],
  }))
  const socket = new WebSocket(`${relay.url.replace('http', 'ws')}/openai/v1/responses`, { headers: { authorization: `Bearer ${ALICE_KEY}`, ...CODEX, 'session-id': 'ws-conv' } } as never)
  await new Promise((resolve, reject) => { socket.addEventListener('open', resolve); socket.addEventListener('error', reject) })
  const received: string[] = []
  const turn = (input: string) => new Promise<void>(resolve => {
    const on = (ev: { data: unknown }) => {
      received.push(String(ev.data))
      if (String(ev.data).includes('"response.completed"')) {
        socket.removeEventListener('message', on)
        resolve()
      }
    }
    socket.addEventListener('message', on)
    socket.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.4', input, prompt_cache_key: 'ws-conv' }))
  })
  await turn('one')
  await turn('two')
  socket.close()
  assert.equal(received.filter(r => r.includes('"response.completed"')).length, 2)
  const sent = mock.requests.filter(r => r.method === 'WS')
  assert.equal(sent.length, 2)
  assert.equal(sent[0]!.headers.authorization, `Bearer ${OPENAI_KEY}`, 'the account key upstream, not the relay key')
  assert.equal(sent[0]!.url, '/v1/responses')
  await relay.settled()
  const rows = (await relay.rt.store.recentRequests(10)).filter(r => r.path === '/v1/responses')
  assert.deepEqual(rows.map(r => [r.status, r.costPico, r.usage.cacheRead, r.clientKind]), [[200, EXPECTED_PICO, 64, 'codex-cli'], [200, EXPECTED_PICO, 64, 'codex-cli']])
})

test('a Responses stream cut mid-way ends with response.failed for the client and is recorded as partial', async t => {
  const { mock, relay } = await setup(t)
  mock.enqueue({ kind: 'cut', afterEvents: 4 })
  const res = await post(relay, '/openai/v1/responses', { model: 'gpt-5.4', stream: true, input: 'x' }, CODEX)
  const events = []
  for await (const ev of sseEvents(res.body)) events.push(ev.event)
  assert.equal(events[0], 'response.created')
  assert.equal(events.at(-1), 'response.failed')
  const row = await lastRow(relay)
  assert.deepEqual([row.status, row.partial, row.costPico], [200, true, 0n])
})

test('a Claude or Gemini model asked of the OpenAI endpoint: a 404 naming the mount that serves it, unless an OpenAI-compatible account lists it', async t => {
  const mock = await startOpenAIMock()
  t.after(() => mock.close())
  const plugins = [{ use: 'claude', mount: '/claude' }, { use: 'openai', mount: '/openai' }, { use: 'gemini', mount: '/gemini' }]
  const relay = await startRelay(t, testConfig(undefined, { plugins, accounts: [openaiAccount(mock)] }))
  for (const [model, mount] of [['claude-sonnet-4-5', '/claude'], ['Claude-Opus-4-1', '/claude'], ['gemini-2.5-pro', '/gemini']]) {
    const res = await post(relay, '/openai/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] })
    assert.equal(res.statusCode, 404, model)
    const body = await res.body.json() as { error: { code: string, message: string } }
    assert.equal(body.error.code, 'model_not_found')
    assert.match(body.error.message, new RegExp(`${model}.*serves it at ${mount}`))
  }
  assert.equal(mock.requests.length, 0, 'nothing went to the OpenAI account')
  const ok = await post(relay, '/openai/v1/chat/completions', { model: 'gpt-5.4', messages: [{ role: 'user', content: 'hi' }] })
  assert.equal(ok.statusCode, 200)
  await ok.body.dump()

  // An OpenAI-compatible host that really serves Claude models lists them: then it is sent there.
  const listed = await startRelay(t, testConfig(undefined, { plugins, accounts: [openaiAccount(mock, { models: ['claude-*'] })] }))
  const served = await post(listed, '/openai/v1/chat/completions', { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] })
  assert.equal(served.statusCode, 200)
  await served.body.dump()
})

test('an account\'s model map on OpenAI: Responses and Chat bodies name the served model, the chat stream still gets its usage', async t => {
  const mock = await startOpenAIMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'openai', mount: '/openai' }],
    accounts: [openaiAccount(mock, { modelMap: { 'gpt-5.4': 'team-deployment-gpt54' } })],
  }))
  for (const [path, body] of [
    ['/openai/v1/responses', { model: 'gpt-5.4', input: 'hi' }],
    ['/openai/v1/chat/completions', { model: 'gpt-5.4', stream: true, messages: [{ role: 'user', content: 'hi' }] }],
  ] as const) {
    const res = await post(relay, path, body)
    assert.equal(res.statusCode, 200)
    await res.body.dump()
    const sent = JSON.parse(mock.requests.at(-1)!.body.toString())
    assert.equal(sent.model, 'team-deployment-gpt54')
    if (path.endsWith('completions')) assert.equal(sent.stream_options.include_usage, true)
    await relay.settled()
    const [row] = await relay.rt.store.recentRequests(1)
    assert.deepEqual([row!.model, row!.requestedModel], ['team-deployment-gpt54', 'gpt-5.4'])
    // Priced as the model asked for: the served name has no price of its own.
    assert.ok(row!.costPico !== null && row!.costPico > 0n)
  }
})

test('Codex over WebSocket on an account with a model map: each response.create names the served model upstream; the row keeps both', async t => {
  const mock = await startOpenAIMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'openai', mount: '/openai' }],
    accounts: [openaiAccount(mock, { websocket: true, modelMap: { 'gpt-5.4': 'team-gpt54' } })],
  }))
  const socket = new WebSocket(`${relay.url.replace('http', 'ws')}/openai/v1/responses`, { headers: { authorization: `Bearer ${ALICE_KEY}`, ...CODEX } } as never)
  await new Promise((resolve, reject) => { socket.addEventListener('open', resolve); socket.addEventListener('error', reject) })
  await new Promise<void>(resolve => {
    socket.addEventListener('message', ev => { if (String(ev.data).includes('"response.completed"')) resolve() })
    socket.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.4', input: 'one' }))
  })
  socket.close()
  const sent = mock.requests.filter(r => r.method === 'WS')
  assert.equal(JSON.parse(sent[0]!.body.toString()).model, 'team-gpt54')
  await relay.settled()
  const [row] = (await relay.rt.store.recentRequests(10)).filter(r => r.path === '/v1/responses')
  assert.deepEqual([row!.model, row!.requestedModel], ['team-gpt54', 'gpt-5.4'])
})
