// Claude on AWS Bedrock end to end in one process: a Messages API client (Claude Code's headers)
// → sidecar → a mock Bedrock runtime that checks the SigV4 signature, the body and the model id
// as AWS does, and answers in its wire formats (JSON, the binary event stream).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { DEFAULT_USAGE } from '../../mocks/anthropic-mock.ts'
import { startBedrockMock, type BedrockMock } from '../../mocks/bedrock-mock.ts'
import { ALICE_KEY, startRelay, testConfig, type Relay } from '../../helpers/relay-harness.ts'

/** The SSE text's events (the relay writes one `event:` and one `data:` line each). */
function sseEvents (text: string): { event: string, data: string }[] {
  return text.split('\n\n').filter(b => b.trim() !== '').map(b => ({ event: /^event: (.*)$/m.exec(b)?.[1] ?? 'message', data: /^data: (.*)$/m.exec(b)?.[1] ?? '' }))
}

const CREDS = { accessKeyId: 'AKIAMOCKMOCKMOCK0001', secretAccessKey: 'mock/secret+access/key0001', sessionToken: 'mock-session-token' }
const CLAUDE_CODE = { 'user-agent': 'claude-cli/2.1.332 (external, cli)', 'x-app': 'cli', 'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14,oauth-2025-04-20' }

function bedrockAccount (mock: BedrockMock, extra: Record<string, unknown> = {}) {
  return { name: 'aws', provider: 'claude', type: 'bedrock', region: 'us-east-1', ...CREDS, baseUrl: mock.url, ...extra }
}

async function setup (t: import('node:test').TestContext, accounts: (m: BedrockMock) => Record<string, unknown>[], mockOpts: { apiKey?: string } = {}): Promise<{ mock: BedrockMock, relay: Relay }> {
  const mock = await startBedrockMock({ region: 'us-east-1', credentials: CREDS, ...mockOpts })
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(undefined, { accounts: accounts(mock) }))
  return { mock, relay }
}

const body = (o: Record<string, unknown> = {}) => JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral', ttl: '1h', scope: 'session' } }] }], metadata: { user_id: 'u' }, ...o })

function post (relay: Relay, path: string, payload: string, headers: Record<string, string> = CLAUDE_CODE) {
  return request(`${relay.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, 'anthropic-version': '2023-06-01', ...headers }, body: payload })
}

function sonnetCost (relay: Relay): bigint {
  const p = relay.rt.pricing.lookup('claude-sonnet-4-5')!.price
  return BigInt(DEFAULT_USAGE.input_tokens) * BigInt(p.input) + BigInt(DEFAULT_USAGE.output_tokens) * BigInt(p.output)
}

test('whole and streamed: signed with SigV4, sent to the inference profile as InvokeModel, the stream arrives as Anthropic SSE, metered and priced', async t => {
  const { mock, relay } = await setup(t, m => [bedrockAccount(m)])
  const whole = await post(relay, '/claude/v1/messages', body())
  const json = JSON.parse(await whole.body.text()) as { content: { text: string }[], usage: { output_tokens: number } }
  assert.equal(whole.statusCode, 200, JSON.stringify(json))
  assert.equal(json.content[0]!.text, 'Hello from the mock Bedrock runtime.')
  let seen = mock.requests.at(-1)!
  assert.equal(seen.url, '/model/us.anthropic.claude-sonnet-4-5-20250929-v1:0/invoke')
  assert.match(String(seen.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIAMOCKMOCKMOCK0001\/\d{8}\/us-east-1\/bedrock\/aws4_request/)
  assert.equal(seen.headers['x-amz-security-token'], CREDS.sessionToken)
  for (const h of ['x-api-key', 'anthropic-version', 'anthropic-beta', 'x-app', 'user-agent']) assert.ok(!String(seen.headers[h] ?? '').includes('claude') && seen.headers[h] !== '2023-06-01', `${h}: the client's headers are not AWS's`)
  const sent = JSON.parse(seen.body.toString()) as Record<string, unknown>
  assert.deepEqual([sent.model, sent.stream, sent.anthropic_version, sent.anthropic_beta], [undefined, undefined, 'bedrock-2023-05-31', ['interleaved-thinking-2025-05-14']])
  assert.deepEqual((sent.messages as { content: { cache_control: unknown }[] }[])[0]!.content[0]!.cache_control, { type: 'ephemeral', ttl: '1h' })

  const streamed = await post(relay, '/claude/v1/messages', body({ stream: true }))
  const text = await streamed.body.text()
  assert.equal(streamed.statusCode, 200, text)
  assert.match(String(streamed.headers['content-type']), /^text\/event-stream/)
  const events = sseEvents(text)
  assert.deepEqual([events[0]!.event, events.at(-1)!.event], ['message_start', 'message_stop'])
  assert.equal(events.filter(e => e.event === 'content_block_delta').map(e => (JSON.parse(e.data) as { delta: { text: string } }).delta.text).join(''), 'Hello from the mock Bedrock runtime.')
  seen = mock.requests.at(-1)!
  assert.equal(seen.url, '/model/us.anthropic.claude-sonnet-4-5-20250929-v1:0/invoke-with-response-stream')
  assert.equal(seen.headers.accept, 'application/vnd.amazon.eventstream')

  await relay.settled()
  const rows = await relay.rt.store.recentRequests(2)
  for (const row of rows) {
    assert.deepEqual([row.status, row.model, row.usage.input, row.usage.output, row.partial, row.costPico], [200, 'claude-sonnet-4-5-20250929', DEFAULT_USAGE.input_tokens, DEFAULT_USAGE.output_tokens, false, sonnetCost(relay)])
  }
})

test('frames split anywhere still decode; cache tokens are metered; count_tokens is Bedrock\'s CountTokens; a Bedrock API key is a bearer', async t => {
  const { mock, relay } = await setup(t, m => [bedrockAccount(m, { accessKeyId: undefined, secretAccessKey: undefined, sessionToken: undefined, apiKey: 'bedrock-api-key-0001', modelMap: { 'claude-sonnet-4-5': 'anthropic.claude-sonnet-4-5-20250929-v1:0' } })], { apiKey: 'bedrock-api-key-0001' })
  mock.enqueue({ kind: 'ok', splitFrames: true, usage: { cache_read_input_tokens: 1000, cache_creation_input_tokens: 300, cache_creation: { ephemeral_5m_input_tokens: 300, ephemeral_1h_input_tokens: 0 } } })
  const res = await post(relay, '/claude/v1/messages', body({ stream: true }))
  const text = await res.body.text()
  assert.equal(res.statusCode, 200, text)
  assert.equal(sseEvents(text).at(-1)!.event, 'message_stop')
  assert.equal(mock.requests.at(-1)!.headers.authorization, 'Bearer bedrock-api-key-0001')
  assert.equal(mock.requests.at(-1)!.url, '/model/anthropic.claude-sonnet-4-5-20250929-v1:0/invoke-with-response-stream', 'the account\'s map names the id')
  await relay.settled()
  const [row] = await relay.rt.store.recentRequests(1)
  assert.deepEqual([row!.usage.cacheRead, row!.usage.cacheWrite5m, row!.requestedModel], [1000, 300, 'claude-sonnet-4-5'])

  const count = await post(relay, '/claude/v1/messages/count_tokens', body())
  assert.equal(count.statusCode, 200)
  assert.deepEqual(JSON.parse(await count.body.text()), { input_tokens: 42 })
  assert.equal(mock.requests.at(-1)!.url, '/model/anthropic.claude-sonnet-4-5-20250929-v1:0/count-tokens')
})

test('throttling and quotas fail over and rest the account', async t => {
  const { mock, relay } = await setup(t, m => [bedrockAccount(m, { name: 'aws-a', priority: 1 }), bedrockAccount(m, { name: 'aws-b', priority: 50 })])
  mock.enqueue({ kind: 'error', status: 429, type: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' })
  const first = await post(relay, '/claude/v1/messages', body())
  assert.equal(first.statusCode, 200, await first.body.text())
  await first.body.dump()
  const pool = relay.server.pool
  assert.ok(relay.server.health.state(pool.byName('aws-a')!.id).cooldownUntil! > Date.now(), 'throttled: rests')
  mock.enqueue({ kind: 'error', status: 400, type: 'ServiceQuotaExceededException', message: 'You have exceeded your daily token quota.' })
  // The other account out of quota too: a limit to the client as well (429, not AWS's 400).
  const second = await post(relay, '/claude/v1/messages', body())
  assert.equal(second.statusCode, 429)
  await second.body.dump()
  assert.ok(relay.server.health.state(pool.byName('aws-b')!.id).cooldownUntil! > Date.now(), 'a quota is a rest, not the client\'s error')

  // Both resting: the client is told to wait, in Anthropic's shape.
  const none = await post(relay, '/claude/v1/messages', body())
  assert.ok([429, 529, 503].includes(none.statusCode), String(none.statusCode))
  assert.equal((JSON.parse(await none.body.text()) as { type: string }).type, 'error')
})

test('a stream exception and a cut stream: an error event, a partial row with what was read', async t => {
  const { mock, relay } = await setup(t, m => [bedrockAccount(m)])
  mock.enqueue({ kind: 'stream-exception', afterEvents: 3, type: 'modelStreamErrorException', message: 'The model stopped.' })
  const res = await post(relay, '/claude/v1/messages', body({ stream: true }))
  const events = sseEvents(await res.body.text())
  const error = events.find(e => e.event === 'error')
  assert.match(error?.data ?? '', /"overloaded_error"|"api_error"/)
  assert.match(error!.data, /modelStreamErrorException: The model stopped/)
  await relay.settled()
  let [row] = await relay.rt.store.recentRequests(1)
  assert.deepEqual([row!.partial, row!.usage.input], [true, DEFAULT_USAGE.input_tokens])

  mock.enqueue({ kind: 'cut', afterEvents: 4 })
  const cut = await post(relay, '/claude/v1/messages', body({ stream: true }))
  const text = await cut.body.text().catch(() => '')
  if (text) assert.equal(sseEvents(text).at(-1)!.event, 'error', 'a cut is told as an error event')
  await relay.settled()
  ;[row] = await relay.rt.store.recentRequests(1)
  assert.deepEqual([row!.partial, row!.usage.input], [true, DEFAULT_USAGE.input_tokens])
})

test('a wrong secret is the credential failing (the account stops), and config problems are named', async t => {
  const { relay } = await setup(t, m => [bedrockAccount(m, { secretAccessKey: 'wrong' })])
  const res = await post(relay, '/claude/v1/messages', body())
  assert.equal(res.statusCode, 502)
  await res.body.dump()
  assert.equal(relay.server.health.state(relay.server.pool.byName('aws')!.id).status, 'unauthorized')
  for (const [fields, problem] of [
    [{ secretAccessKey: undefined }, /needs both accessKeyId and secretAccessKey/],
    [{ accessKeyId: undefined, secretAccessKey: undefined, sessionToken: undefined }, /or apiKey/],
    [{ apiKey: 'k' }, /not both/],
    [{ region: 'mars-1' }, /region/],
  ] as const) {
    await assert.rejects(startRelay(t, testConfig(undefined, { accounts: [Object.assign({ name: 'b', provider: 'claude', type: 'bedrock', region: 'us-east-1', ...CREDS }, fields)] })), problem)
  }
})
