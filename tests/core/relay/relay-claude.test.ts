// The Claude relay path end to end in one process: a real HTTP client → sidecar → mock Anthropic.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import zlib from 'node:zlib'
import { request } from 'undici'
import { startAnthropicMock, messageEvents, DEFAULT_USAGE, type AnthropicMock } from '../../mocks/anthropic-mock.ts'
import { ALICE_KEY, UPSTREAM_KEY, sseEvents, startRelay, testConfig, type Relay } from '../../helpers/relay-harness.ts'
import { HOLD_LIMIT } from '../../../core/relay/forward.ts'

async function setup (t: import('node:test').TestContext, extra: Record<string, unknown> = {}): Promise<{ mock: AnthropicMock, relay: Relay }> {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(mock.url, extra))
  return { mock, relay }
}

const body = (o: Record<string, unknown> = {}) => JSON.stringify({ model: 'claude-sonnet-4-5-20250929', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], ...o })

function post (relay: Relay, path: string, payload: string | Buffer, headers: Record<string, string> = {}) {
  return request(`${relay.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, 'anthropic-version': '2023-06-01', ...headers },
    body: payload,
  })
}

test('a non-streaming message is relayed byte-identical with the account key, and metered exactly', async t => {
  const { mock, relay } = await setup(t)
  // Unusual spacing, key order, cache_control and an unknown field must survive untouched.
  const payload = Buffer.from('{ "model":"claude-sonnet-4-5-20250929",  "max_tokens": 64, "future_field": {"x": [1,2]},\n"system":[{"type":"text","text":"s","cache_control":{"type":"ephemeral","ttl":"1h"}}],"messages":[{"role":"user","content":"hi"}] }')
  mock.enqueue({ kind: 'ok', usage: { input_tokens: 100, output_tokens: 50, cache_creation_input_tokens: 300, cache_read_input_tokens: 1000, cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 200 } } })
  const res = await post(relay, '/claude/v1/messages?beta=true', payload, {
    'anthropic-beta': 'claude-code-20250219,prompt-caching-2024-07-31', 'user-agent': 'claude-cli/2.1.332 (external, cli)', 'x-app': 'cli',
    'x-relay-key-id': 'spoofed', 'x-forwarded-for': '10.0.0.1', cookie: 'a=b',
  })
  const text = await res.body.text()
  assert.equal(res.statusCode, 200)
  assert.equal(JSON.parse(text).usage.input_tokens, 100)
  assert.match(String(res.headers['x-relay-request-id']), /^req_/)
  assert.equal(res.headers['request-id'], 'req_mock_0001')
  assert.equal(res.headers['anthropic-ratelimit-requests-remaining'], '3999')

  const seen = mock.requests[0]!
  assert.deepEqual(seen.body, payload)
  assert.equal(seen.url, '/v1/messages?beta=true')
  assert.equal(seen.headers['x-api-key'], UPSTREAM_KEY)
  assert.equal(seen.headers['anthropic-version'], '2023-06-01')
  assert.equal(seen.headers['anthropic-beta'], 'claude-code-20250219,prompt-caching-2024-07-31')
  for (const h of ['x-relay-key-id', 'x-forwarded-for', 'cookie', 'authorization']) assert.equal(seen.headers[h], undefined, h)
  assert.ok(!JSON.stringify(seen.headers).includes(ALICE_KEY), 'the relay key never goes upstream')

  await relay.settled()
  const [row] = await relay.rt.store.recentRequests(1)
  assert.ok(row)
  assert.equal(row.requestId, res.headers['x-relay-request-id'])
  assert.equal(row.status, 200)
  assert.equal(row.stream, false)
  assert.equal(row.model, 'claude-sonnet-4-5-20250929')
  assert.equal(row.clientKind, 'claude-code')
  assert.deepEqual({ ...row.usage }, { input: 100, output: 50, cacheWrite5m: 100, cacheWrite1h: 200, cacheRead: 1000, reasoning: undefined })
  // Sonnet 4.5: 100×3 + 50×15 + 100×3.75 + 200×6 + 1000×0.30 USD/MTok = 2925 µUSD.
  assert.equal(row.costPico, 100n * 3_000_000n + 50n * 15_000_000n + 100n * 3_750_000n + 200n * 6_000_000n + 1000n * 300_000n)
  assert.equal(row.costPico, 2_925_000_000n)
  assert.equal(row.partial, false)
  assert.equal(row.attempts, 1)
})

test('a stream reaches the client event by event: event N+1 is only sent after the client saw event N', async t => {
  const { mock, relay } = await setup(t)
  mock.enqueue({ kind: 'stepped', usage: { input_tokens: 7, output_tokens: 9 } })
  const res = await post(relay, '/claude/v1/messages', body({ stream: true }))
  assert.equal(res.statusCode, 200)
  assert.match(String(res.headers['content-type']), /^text\/event-stream/)
  const expected = messageEvents('claude-sonnet-4-5-20250929', { ...DEFAULT_USAGE, input_tokens: 7, output_tokens: 9 }, 'Hello from the mock Anthropic upstream.')
  const names: string[] = []
  // If the relay buffered anything, the mock would wait for a step that never comes and this
  // loop would stall (the test's timeout fails it).
  for await (const ev of sseEvents(res.body)) {
    names.push(ev.event ?? '')
    mock.step()
  }
  assert.equal(names.length, expected.length)
  assert.equal(names[0], 'message_start')
  assert.equal(names.at(-1), 'message_stop')
  await relay.settled()
  const [row] = await relay.rt.store.recentRequests(1)
  assert.equal(row!.stream, true)
  assert.equal(row!.usage.input, 7)
  assert.equal(row!.usage.output, 9)
  assert.equal(row!.partial, false)
  assert.ok(row!.ttfbMs !== null)
})

for (const encoding of ['gzip', 'br'] as const) {
  test(`a ${encoding} stream reaches the client byte-for-byte and is still metered`, async t => {
    const { mock, relay } = await setup(t)
    mock.enqueue({ kind: 'ok', compress: encoding, usage: { input_tokens: 11, output_tokens: 22 } })
    // Claude Code also offers zstd, which the meter cannot read on Node 20: it is not passed on.
    const res = await post(relay, '/claude/v1/messages', body({ stream: true }), { 'accept-encoding': `zstd, ${encoding}` })
    assert.equal(res.headers['content-encoding'], encoding)
    const raw = Buffer.from(await res.body.arrayBuffer())
    const plain = (encoding === 'gzip' ? zlib.gunzipSync(raw) : zlib.brotliDecompressSync(raw)).toString()
    assert.equal(plain, messageEvents('claude-sonnet-4-5-20250929', { ...DEFAULT_USAGE, input_tokens: 11, output_tokens: 22 }, 'Hello from the mock Anthropic upstream.').join(''))
    assert.equal(mock.requests[0]!.headers['accept-encoding'], encoding)
    await relay.settled()
    const [row] = await relay.rt.store.recentRequests(1)
    assert.equal(row!.usage.input, 11)
    assert.equal(row!.usage.output, 22)
  })
}

test('a gzip JSON answer is relayed compressed and metered', async t => {
  const { mock, relay } = await setup(t)
  mock.enqueue({ kind: 'ok', compress: 'gzip', usage: { input_tokens: 5, output_tokens: 6 } })
  const res = await post(relay, '/claude/v1/messages', body(), { 'accept-encoding': 'gzip' })
  const raw = Buffer.from(await res.body.arrayBuffer())
  assert.equal(JSON.parse(zlib.gunzipSync(raw).toString()).usage.output_tokens, 6)
  await relay.settled()
  assert.equal((await relay.rt.store.recentRequests(1))[0]!.usage.output, 6)
})

test('keys: missing, unknown, disabled and expired keys get 401 in Anthropic shape; every header position works', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(mock.url, {
    keys: [
      { name: 'alice', key: ALICE_KEY },
      { name: 'off', key: 'ars_disabled-key-0123456789abcdef', disabled: true },
      { name: 'old', key: 'ars_expired-key-0123456789abcdefg', expiresAt: '2020-01-01T00:00:00Z' },
    ],
  }))
  const call = (headers: Record<string, string>, query = '') => request(`${relay.url}/claude/v1/messages${query}`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body(),
  })
  const cases: [Record<string, string>, string, number][] = [
    [{}, '', 401],
    [{ 'x-api-key': 'ars_nope-0000000000000000000000' }, '', 401],
    [{ 'x-api-key': 'ars_disabled-key-0123456789abcdef' }, '', 401],
    [{ 'x-api-key': 'ars_expired-key-0123456789abcdefg' }, '', 401],
    [{ 'x-api-key': ALICE_KEY }, '', 200],
    [{ 'x-goog-api-key': ALICE_KEY }, '', 200],
    [{ authorization: `Bearer ${ALICE_KEY}` }, '', 200],
    [{ 'api-key': ALICE_KEY }, '', 200],
    [{}, `?key=${ALICE_KEY}`, 200],
    // x-api-key comes first: a wrong one is not rescued by a right Bearer token.
    [{ 'x-api-key': 'ars_wrong-00000000000000000000', authorization: `Bearer ${ALICE_KEY}` }, '', 401],
  ]
  for (const [headers, query, status] of cases) {
    const res = await call(headers, query)
    const json = await res.body.json() as { type: string, error: { type: string } }
    assert.equal(res.statusCode, status, JSON.stringify(headers) + query)
    if (status === 401) assert.deepEqual([json.type, json.error.type], ['error', 'authentication_error'])
  }
  // ?key= is the relay's, never forwarded.
  assert.ok(mock.requests.every(r => !r.url.includes('key=')))
})

test('bad input gets Anthropic-shaped errors with the right status, never a crash', async t => {
  const { mock, relay } = await setup(t, { relay: { bodyLimitBytes: 4096 } })
  const cases: [string, string, string | undefined, number, string][] = [
    ['POST', '/claude/v1/messages', '{not json', 400, 'invalid_request_error'],
    ['POST', '/claude/v1/messages', '{"max_tokens":5,"messages":[]}', 400, 'invalid_request_error'],
    ['POST', '/claude/v1/messages', '[1,2]', 400, 'invalid_request_error'],
    ['POST', '/claude/v1/messages', '', 400, 'invalid_request_error'],
    ['POST', '/claude/v1/messages', body({ pad: 'x'.repeat(5000) }), 413, 'request_too_large'],
    ['POST', '/claude/v1/nothing-here', body(), 404, 'not_found_error'],
    ['GET', '/claude/v1/messages', undefined, 405, 'invalid_request_error'],
    ['DELETE', '/api/v1/messages', undefined, 405, 'invalid_request_error'],
  ]
  for (const [method, path, payload, status, type] of cases) {
    const res = await request(`${relay.url}${path}`, {
      method: method as 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY }, body: payload,
    })
    const text = await res.body.text()
    assert.equal(res.statusCode, status, `${method} ${path}: ${text}`)
    const json = JSON.parse(text) as { type: string, error: { type: string, message: string } }
    assert.equal(json.type, 'error')
    assert.equal(json.error.type, type, `${method} ${path}`)
    assert.doesNotMatch(text, /\n\s+at /, 'no stack trace')
  }
  assert.equal(mock.requests.length, 0, 'nothing invalid went upstream')
  const health = await request(`${relay.url}/_relay/health`)
  assert.equal(health.statusCode, 200)
  assert.equal((await health.body.json() as { status: string }).status, 'ok')
})

test('the CRS alias /api, count_tokens and models are served; side calls cost nothing', async t => {
  const { mock, relay } = await setup(t)
  const a = await post(relay, '/api/v1/messages', body())
  assert.equal(a.statusCode, 200)
  await a.body.dump()
  const c = await post(relay, '/claude/v1/messages/count_tokens', body())
  assert.deepEqual(await c.body.json(), { input_tokens: 42 })
  const m = await request(`${relay.url}/claude/v1/models`, { headers: { 'x-api-key': ALICE_KEY } })
  assert.equal(m.statusCode, 200)
  assert.equal((await m.body.json() as { data: unknown[] }).data.length, 1)
  assert.deepEqual(mock.requests.map(r => r.url), ['/v1/messages', '/v1/messages/count_tokens', '/v1/models'])
  await relay.settled()
  const rows = await relay.rt.store.recentRequests(10)
  assert.equal(rows.length, 3)
  const side = rows.filter(r => r.path !== '/v1/messages')
  assert.deepEqual(side.map(r => r.costPico), [0n, 0n])
  const totals = await relay.rt.store.queryUsage({ since: 0, until: Date.now() + 3_600_000, groupBy: 'key' })
  assert.equal(totals[0]!.requests, 1, 'only the billable call is aggregated')
})

test("Claude Code's keyless warm-up HEAD /api/hello gets 200", async t => {
  const { relay } = await setup(t)
  for (const prefix of ['/claude', '/api']) {
    const res = await request(`${relay.url}${prefix}/api/hello`, { method: 'HEAD' })
    assert.equal(res.statusCode, 200)
    await res.body.dump()
  }
})

test('upstream errors with a single account: client errors and 429/529/500 pass through with status and body; a refused account key is a 502', async t => {
  const native = (type: string, message: string) => JSON.stringify({ type: 'error', error: { type, message } })
  const cases: [Parameters<AnthropicMock['enqueue']>[0], number, string][] = [
    [{ kind: 'status', status: 400, body: native('invalid_request_error', 'prompt is too long') }, 400, 'invalid_request_error'],
    [{ kind: 'status', status: 429, headers: { 'retry-after': '17' }, body: native('rate_limit_error', 'slow down') }, 429, 'rate_limit_error'],
    [{ kind: 'status', status: 529, body: native('overloaded_error', 'Overloaded') }, 529, 'overloaded_error'],
    [{ kind: 'status', status: 500, body: '<html>bad gateway</html>', headers: { 'content-type': 'text/html' } }, 500, 'api_error'],
    [{ kind: 'status', status: 401, body: native('authentication_error', 'invalid x-api-key') }, 502, 'api_error'],
    [{ kind: 'status', status: 403, body: native('permission_error', 'no access') }, 502, 'api_error'],
  ]
  for (const [behaviour, status, type] of cases) {
    // A relay per case: each of these failures changes the one account's state.
    const { mock, relay } = await setup(t)
    mock.enqueue(behaviour)
    const res = await post(relay, '/claude/v1/messages', body())
    const json = await res.body.json() as { type: string, error: { type: string, message: string } }
    assert.equal(res.statusCode, status)
    assert.equal(json.type, 'error')
    assert.equal(json.error.type, type)
    if (status === 429) assert.equal(res.headers['retry-after'], '17')
    if (status === 400) assert.equal(json.error.message, 'prompt is too long')
    if (status === 502) assert.ok(!json.error.message.includes('x-api-key'))
    await relay.settled()
    const [row] = await relay.rt.store.recentRequests(1)
    assert.deepEqual([row!.status, row!.costPico], [status, 0n])
  }
})

test('no account at all: 503 api_error that clients must not retry, naming what the operator must do', async t => {
  const relay = await startRelay(t, testConfig(undefined))
  const res = await post(relay, '/claude/v1/messages', body())
  const json = await res.body.json() as { error: { type: string, message: string } }
  assert.equal(res.statusCode, 503)
  assert.equal(json.error.type, 'api_error')
  assert.equal(res.headers['x-should-retry'], 'false')
  assert.equal(res.headers['retry-after'], undefined)
  assert.match(json.error.message, /no claude account/)
  await relay.settled()
  assert.equal((await relay.rt.store.recentRequests(1))[0]!.status, 503)
})

test('an unreachable upstream is a 502 api_error; a slow one hits the headers timeout as 504', async t => {
  const mock = await startAnthropicMock()
  const deadUrl = mock.url
  await mock.close()
  const relay = await startRelay(t, testConfig(deadUrl))
  const res = await post(relay, '/claude/v1/messages', body())
  assert.equal(res.statusCode, 502)
  assert.equal((await res.body.json() as { error: { type: string } }).error.type, 'api_error')

  const { mock: slow, relay: relay2 } = await setup(t, { upstream: { headersTimeoutMs: 200 } })
  slow.enqueue({ kind: 'ok', delayFirstByteMs: 2000 })
  const res2 = await post(relay2, '/claude/v1/messages', body())
  assert.equal(res2.statusCode, 504)
  await res2.body.dump()
})

test('a stream cut by the upstream mid-way ends with an error event and records the partial usage', async t => {
  const { mock, relay } = await setup(t)
  mock.enqueue({ kind: 'cut', afterEvents: 4, usage: { input_tokens: 30, output_tokens: 99 } })
  const res = await post(relay, '/claude/v1/messages', body({ stream: true }))
  const events = []
  for await (const ev of sseEvents(res.body)) events.push(ev)
  assert.equal(events[0]!.event, 'message_start')
  const last = events.at(-1)!
  assert.equal(last.event, 'error')
  assert.equal(JSON.parse(last.data).error.type, 'api_error')
  await relay.settled()
  const [row] = await relay.rt.store.recentRequests(1)
  assert.equal(row!.partial, true)
  assert.equal(row!.usage.input, 30, 'input from message_start is kept')
  assert.equal(row!.usage.output, 1, 'output seen so far, not the never-sent final count')
  assert.ok(row!.costPico! > 0n)
})

test('a client that disconnects mid-stream aborts the upstream request; usage so far is recorded as partial', async t => {
  const { mock, relay } = await setup(t)
  mock.enqueue({ kind: 'stepped', usage: { input_tokens: 40, output_tokens: 80 } })
  const controller = new AbortController()
  const res = await post(relay, '/claude/v1/messages', body({ stream: true }))
  const reader = sseEvents(res.body)[Symbol.asyncIterator]()
  const first = await reader.next()
  assert.equal(first.value?.event, 'message_start')
  res.body.destroy()
  controller.abort()
  await mock.requests[0]!.closed
  await relay.settled()
  const [row] = await relay.rt.store.recentRequests(1)
  assert.equal(row!.status, 499)
  assert.equal(row!.partial, true)
  assert.equal(row!.usage.input, 40)
})

test('an unknown model is recorded with its tokens and flagged unpriced', async t => {
  const { mock, relay } = await setup(t)
  mock.enqueue({ kind: 'ok', usage: { input_tokens: 3, output_tokens: 4 } })
  const res = await post(relay, '/claude/v1/messages', body({ model: 'claude-future-9' }))
  await res.body.dump()
  await relay.settled()
  const [row] = await relay.rt.store.recentRequests(1)
  assert.equal(row!.model, 'claude-future-9')
  assert.equal(row!.unpriced, true)
  assert.equal(row!.costPico, null)
  assert.equal(row!.usage.output, 4)
  const totals = await relay.rt.store.queryUsage({ since: 0, until: Date.now() + 3_600_000, groupBy: 'model' })
  assert.deepEqual(totals.map(r => [r.group, r.requests, r.input, r.unpricedRequests]), [['claude-future-9', 1, 3, 1]])
})

test('a whole answer goes to the client in one piece with its Content-Length, even when the upstream sent it chunked', async t => {
  const { mock, relay } = await setup(t)
  mock.enqueue({ kind: 'ok', chunkedJson: true })
  const res = await post(relay, '/claude/v1/messages', body())
  assert.equal(res.statusCode, 200)
  const text = await res.body.text()
  assert.equal(res.headers['transfer-encoding'], undefined)
  assert.equal(Number(res.headers['content-length']), Buffer.byteLength(text))
  assert.equal((JSON.parse(text) as { type: string }).type, 'message')
  assert.match(String(res.headers['x-relay-request-id']), /^req_/)
})

test('a whole answer cut mid-body upstream fails over before the client sees a byte; log.requests: false drops the log line, not the row', async t => {
  const first = await startAnthropicMock()
  const second = await startAnthropicMock()
  t.after(() => first.close())
  t.after(() => second.close())
  const relay = await startRelay(t, testConfig(undefined, {
    log: { requests: false },
    accounts: [first, second].map((m, i) => ({ name: `a${i}`, provider: 'claude', type: 'claude-api-key', apiKey: `sk-ant-${i}`, baseUrl: m.url, priority: i + 1 })),
  }))
  first.enqueue({ kind: 'ok', cutJsonAfterBytes: 40 })
  const res = await post(relay, '/claude/v1/messages', body())
  assert.equal(res.statusCode, 200)
  const answer = JSON.parse(await res.body.text()) as { usage: { input_tokens: number } }
  assert.equal(answer.usage.input_tokens, DEFAULT_USAGE.input_tokens)
  assert.equal(first.requests.length, 1)
  assert.equal(second.requests.length, 1)
  await relay.settled()
  const [row] = await relay.rt.store.recentRequests(1)
  assert.deepEqual([row!.status, row!.attempts, row!.usage.input], [200, 2, DEFAULT_USAGE.input_tokens])
  assert.equal(relay.logs.filter(l => (JSON.parse(l) as { msg?: string }).msg === 'relay').length, 0, 'no per-request line')
})

test('a whole answer past the hold limit is passed on as it comes, complete, and still metered', async t => {
  const { mock, relay } = await setup(t)
  const text = 'x'.repeat(HOLD_LIMIT + HOLD_LIMIT / 2)
  mock.enqueue({ kind: 'ok', chunkedJson: true, text })
  const res = await post(relay, '/claude/v1/messages', body())
  assert.equal(res.statusCode, 200)
  // Not held: the upstream announced no length, so neither does the relay.
  assert.equal(res.headers['transfer-encoding'], 'chunked')
  assert.equal(res.headers['content-length'], undefined)
  const answer = JSON.parse(await res.body.text()) as { content: { text: string }[], usage: { output_tokens: number } }
  assert.equal(answer.content[0]!.text, text)
  await relay.settled()
  const [row] = await relay.rt.store.recentRequests(1)
  assert.deepEqual([row!.status, row!.usage.output], [200, answer.usage.output_tokens])
})

test('an account chained to a Claude-compatible relay that reads a bearer token gets its key as Authorization: Bearer, never as x-api-key', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(undefined, { accounts: [{ name: 'chained', provider: 'claude', type: 'claude-api-key', apiKey: 'cr_upstream-relay-key', baseUrl: mock.url, authStyle: 'bearer' }] }))
  const res = await post(relay, '/claude/v1/messages', body())
  assert.equal(res.statusCode, 200)
  await res.body.dump()
  const seen = mock.requests[0]!
  assert.deepEqual([seen.headers.authorization, seen.headers['x-api-key']], ['Bearer cr_upstream-relay-key', undefined])
  // A value other than the two is a config error, not a silent default.
  await assert.rejects(startRelay(t, testConfig(undefined, { accounts: [{ name: 'typo', provider: 'claude', type: 'claude-api-key', apiKey: 'k', authStyle: 'Bearer ' }] })), /authStyle/)
})

test('an account\'s model map: the upstream is asked for its own name, the row keeps both, and it is priced as the model asked for when the served name has no price', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(undefined, {
    // (`shared` declared in the file too: a placement field, not one of the type's own.)
    accounts: [{ name: 'mapped', provider: 'claude', type: 'claude-api-key', apiKey: 'k', baseUrl: mock.url, shared: true, modelMap: { 'claude-sonnet-4-5': 'vendor.sonnet-v1:0', 'claude-haiku-*': 'claude-sonnet-4-5' } }],
  }))
  const sonnet = relay.rt.pricing.lookup('claude-sonnet-4-5')!.price
  const each = BigInt(DEFAULT_USAGE.input_tokens) * BigInt(sonnet.input) + BigInt(DEFAULT_USAGE.output_tokens) * BigInt(sonnet.output)
  for (const [asked, served] of [['claude-sonnet-4-5', 'vendor.sonnet-v1:0'], ['claude-haiku-4-5', 'claude-sonnet-4-5'], ['claude-opus-4-1', 'claude-opus-4-1']] as const) {
    for (const stream of [false, true]) {
      const res = await post(relay, '/claude/v1/messages', body({ model: asked, stream }))
      assert.equal(res.statusCode, 200)
      await res.body.dump()
      assert.equal(JSON.parse(mock.requests.at(-1)!.body.toString()).model, served, `${asked} is sent as ${served}`)
      await relay.settled()
      const [row] = await relay.rt.store.recentRequests(1)
      assert.deepEqual([row!.model, row!.requestedModel], [served, asked === served ? null : asked])
      if (asked !== 'claude-opus-4-1') assert.equal(row!.costPico, each, `${asked} → ${served} priced as Sonnet (its own price, or the asked-for one's)`)
    }
  }
  // A map that could put a path into a URL is a config error.
  await assert.rejects(startRelay(t, testConfig(undefined, { accounts: [{ name: 'bad', provider: 'claude', type: 'claude-api-key', apiKey: 'k', modelMap: { x: '../admin' } }] })), /modelMap/)
})

test('an account\'s header policy: the client\'s named headers never reach the chained relay, its added headers do (over the client\'s), and its answer\'s named headers never reach the client, errors included', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(undefined, {
    accounts: [{
      name: 'chained', provider: 'claude', type: 'claude-api-key', apiKey: 'cr_upstream', baseUrl: mock.url, authStyle: 'bearer',
      // Spelled otherwise than node's lower-case names, as an operator may write them; a strip of
      // the credential header cannot remove the account's own credential.
      stripHeaders: ['X-Claude-Code-Session-Id', 'X-APP', 'Authorization'],
      addHeaders: { 'X-Chain-Token': 'chain-t', 'User-Agent': 'relay-chain/1' },
      stripResponseHeaders: ['X-Mock-Hop', 'Anthropic-Ratelimit-Requests-Limit'],
    }],
  }))
  for (const stream of [false, true]) {
    const res = await post(relay, '/claude/v1/messages', body({ stream }), { 'x-claude-code-session-id': 's-1', 'x-app': 'cli', 'user-agent': 'claude-cli/2.1.332 (external, cli)', 'anthropic-beta': 'claude-code-20250219' })
    assert.equal(res.statusCode, 200)
    await res.body.dump()
    const seen = mock.requests.at(-1)!.headers
    assert.deepEqual([seen['x-claude-code-session-id'], seen['x-app'], seen.authorization, seen['x-chain-token'], seen['user-agent'], seen['anthropic-beta']],
      [undefined, undefined, 'Bearer cr_upstream', 'chain-t', 'relay-chain/1', 'claude-code-20250219'])
    assert.deepEqual([res.headers['x-mock-hop'], res.headers['anthropic-ratelimit-requests-limit'], res.headers['request-id']], [undefined, undefined, 'req_mock_0001'], 'only the named answer headers are kept from the client')
  }
  mock.enqueue({ kind: 'status', status: 400 })
  const refused = await post(relay, '/claude/v1/messages', body())
  assert.equal(refused.statusCode, 400)
  await refused.body.dump()
  assert.equal(refused.headers['x-mock-hop'], undefined, 'an error answer follows the same policy')

  // What the policy may not touch is a config error that names it, in any spelling.
  for (const [policy, problem] of [
    [{ addHeaders: { 'X-Api-Key': 'k2' } }, /X-Api-Key is set from the account's credential/],
    [{ addHeaders: { 'Transfer-Encoding': 'chunked' } }, /Transfer-Encoding belongs to HTTP/],
    [{ addHeaders: { 'x-evil': 'a\r\nx-injected: 1' } }, /value of x-evil must be one line/],
    [{ addHeaders: { 'bad name': 'v' } }, /addHeaders/],
    [{ stripResponseHeaders: ['Content-Type'] }, /Content-Type is how the client reads the answer/],
  ] as const) {
    await assert.rejects(startRelay(t, testConfig(undefined, { accounts: [{ name: 'bad', provider: 'claude', type: 'claude-api-key', apiKey: 'k', ...policy }] })), problem)
  }
})
