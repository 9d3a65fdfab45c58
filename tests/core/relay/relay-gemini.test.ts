// The Gemini plugin end to end in one process: a real HTTP client → sidecar → mock Gemini API.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { CODE_ASSIST_PROJECT, DEFAULT_GEMINI_USAGE, GEMINI_TEXT, googleError, startGeminiMock } from '../../mocks/gemini-mock.ts'
import { VIRTUAL_PROJECT } from '../../../plugins/gemini/code-assist.ts'
import { ALICE_KEY, sseEvents, startRelay, testConfig, type Relay } from '../../helpers/relay-harness.ts'

// As Gemini CLI 0.61 sends them (the SDK it is built on adds its own x-goog-api-client).
const GEMINI_CLI = { 'user-agent': 'GeminiCLI-tui/0.61.0/gemini-3.1-pro-preview (linux; x64; terminal)', 'x-goog-api-client': 'google-genai-sdk/1.30.0 gl-node/v20.20.2' }

async function setup (t: import('node:test').TestContext) {
  const mock = await startGeminiMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'gemini', mount: '/gemini' }],
    accounts: [{ name: 'g', provider: 'gemini', type: 'gemini-api-key', apiKey: 'AIza-upstream-0001', baseUrl: mock.url }],
  }))
  return { mock, relay }
}

const body = JSON.stringify({ systemInstruction: { parts: [{ text: 'be brief' }] }, contents: [{ role: 'user', parts: [{ text: 'hi' }] }] })

async function lastRow (relay: Relay) {
  await relay.settled()
  return (await relay.rt.store.recentRequests(1))[0]!
}

// gemini-2.5-pro: $1.25 input, $0.125 cached, $10 output per MTok; the mock: 150 prompt (100 cached), 20 + 40 thinking out.
const u = DEFAULT_GEMINI_USAGE
const EXPECTED = BigInt(u.prompt - u.cached) * 1_250_000n + BigInt(u.cached) * 125_000n + BigInt(u.candidates + u.thoughts) * 10_000_000n

test('Gemini CLI API-key mode: the key in x-goog-api-key or ?key=, SSE and JSON-array streams and plain calls metered with thinking and cached tokens', async t => {
  const { mock, relay } = await setup(t)
  const sse = await request(`${relay.url}/gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': ALICE_KEY, ...GEMINI_CLI }, body })
  assert.equal(sse.statusCode, 200)
  let text = ''
  for await (const ev of sseEvents(sse.body)) text += (JSON.parse(ev.data) as { candidates: { content: { parts: { text: string }[] } }[] }).candidates[0]!.content.parts[0]!.text
  assert.equal(text, GEMINI_TEXT)
  const seen = mock.requests.at(-1)!
  assert.deepEqual([seen.url, seen.headers['x-goog-api-key'], seen.body.toString()], ['/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse', 'AIza-upstream-0001', body])
  let row = await lastRow(relay)
  assert.deepEqual([row.status, row.usage.input, row.usage.cacheRead, row.usage.output, row.usage.reasoning, row.costPico, row.clientKind], [200, 50, 100, 60, 40, EXPECTED, 'gemini-cli'])

  const array = await request(`${relay.url}/gemini/v1/models/gemini-2.5-pro:streamGenerateContent?key=${ALICE_KEY}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  assert.equal((JSON.parse(await array.body.text()) as unknown[]).length, 6)
  assert.equal(mock.requests.at(-1)!.url, '/v1/models/gemini-2.5-pro:streamGenerateContent', 'the relay key left the query')
  row = await lastRow(relay)
  assert.equal(row.costPico, EXPECTED)

  const plain = await request(`${relay.url}/gemini/v1beta/models/gemini-2.5-pro:generateContent`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': ALICE_KEY, 'x-goog-api-client': 'google-genai-sdk/1.30.0 gl-node/v22' }, body })
  assert.equal(plain.statusCode, 200)
  await plain.body.dump()
  row = await lastRow(relay)
  assert.deepEqual([row.costPico, row.clientKind], [EXPECTED, 'sdk'])

  const count = await request(`${relay.url}/gemini/v1beta/models/gemini-2.5-pro:countTokens`, { method: 'POST', headers: { 'x-goog-api-key': ALICE_KEY }, body })
  assert.deepEqual(await count.body.json(), { totalTokens: 42 })
  assert.equal((await lastRow(relay)).costPico, 0n)
})

test('errors in Google\'s shape: refusals, a 429 with RetryInfo rests the account', async t => {
  const { mock, relay } = await setup(t)
  const anon = await request(`${relay.url}/gemini/v1beta/models/gemini-2.5-pro:generateContent`, { method: 'POST', body })
  assert.equal(anon.statusCode, 401)
  assert.deepEqual(await anon.body.json(), { error: { code: 401, message: 'No API key was provided', status: 'UNAUTHENTICATED' } })
  mock.enqueue({ kind: 'status', status: 429, body: googleError(429, 'Resource has been exhausted', [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '45s' }]) })
  const limited = await request(`${relay.url}/gemini/v1beta/models/gemini-2.5-pro:generateContent`, { method: 'POST', headers: { 'x-goog-api-key': ALICE_KEY }, body })
  assert.equal(limited.statusCode, 429)
  assert.equal((await limited.body.json() as { error: { status: string } }).error.status, 'RESOURCE_EXHAUSTED')
  const until = relay.server.health.state(relay.server.pool.byName('g')!.id).cooldownUntil!
  assert.ok(until - Date.now() > 40_000 && until - Date.now() <= 45_000)
})

test('Code Assist mode on an API-key account: setup calls answered with a virtual project, calls unwrapped onto the Gemini API and wrapped back, metered', async t => {
  const { mock, relay } = await setup(t)
  const call = (method: string, payload: unknown, query = '') => request(`${relay.url}/gemini/v1internal:${method}${query}`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE_KEY}`, ...GEMINI_CLI }, body: JSON.stringify(payload),
  })
  const load = await call('loadCodeAssist', { cloudaicompanionProject: 'whatever', metadata: { pluginType: 'GEMINI' } })
  assert.equal((await load.body.json() as { cloudaicompanionProject: string }).cloudaicompanionProject, 'ai-relay-virtual-project')
  const inner = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { temperature: 0 }, session_id: 'sess-1' }
  const envelope = { model: 'gemini-2.5-pro', project: 'ai-relay-virtual-project', user_prompt_id: 'p-1', request: inner }

  const sse = await call('streamGenerateContent', envelope, '?alt=sse')
  assert.equal(sse.statusCode, 200)
  let text = ''
  for await (const ev of sseEvents(sse.body)) text += (JSON.parse(ev.data) as { response: { candidates: { content: { parts: { text: string }[] } }[] } }).response.candidates[0]!.content.parts[0]!.text
  assert.equal(text, GEMINI_TEXT)
  const seen = mock.requests.at(-1)!
  assert.equal(seen.url, '/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse')
  assert.deepEqual(JSON.parse(seen.body.toString()), { contents: inner.contents, generationConfig: inner.generationConfig })
  assert.equal(seen.headers.authorization, undefined)
  let row = await lastRow(relay)
  assert.deepEqual([row.path, row.costPico, row.clientKind], ['/v1internal:streamGenerateContent', EXPECTED, 'gemini-cli'])

  const plain = await call('generateContent', envelope)
  const wrapped = await plain.body.json() as { response: { usageMetadata: unknown } }
  assert.ok(wrapped.response.usageMetadata)
  row = await lastRow(relay)
  assert.equal(row.costPico, EXPECTED)

  const count = await call('countTokens', { request: { model: 'models/gemini-2.5-pro', contents: inner.contents } })
  assert.deepEqual(await count.body.json(), { totalTokens: 42 })
  assert.equal(mock.requests.at(-1)!.url, '/v1beta/models/gemini-2.5-pro:countTokens')

  for (const model of ['../x', 'a/b', 'gemini:x', '']) {
    const bad = await call('generateContent', { ...envelope, model })
    assert.equal(bad.statusCode, 400, model)
    await bad.body.dump()
  }
})

// Google-login (Code Assist) accounts. The mock takes this token and serves this project.
const TOKEN = 'ya29.mock-google-token'
async function setupGoogle (t: import('node:test').TestContext, extra: Record<string, unknown>[] = [], allowOtherClients = false) {
  const mock = await startGeminiMock()
  t.after(() => mock.close())
  mock.bearer = () => TOKEN
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'gemini', mount: '/gemini' }],
    accounts: [
      { name: 'google', provider: 'gemini', type: 'gemini-oauth', priority: 1, accessToken: TOKEN, projectId: CODE_ASSIST_PROJECT, expiresAt: Date.now() + 3_600_000, baseUrl: mock.url, allowOtherClients },
      ...extra.map(a => ({ ...a, baseUrl: mock.url })),
    ],
  }))
  return { mock, relay }
}

type Chunk = { candidates: { content: { parts: { text: string }[] } }[], usageMetadata?: unknown }
const textOf = (chunks: Chunk[]) => chunks.map(c => c.candidates[0]!.content.parts[0]!.text).join('')

test('Gemini API clients served by a Google-login account: wrapped into Code Assist with its project, answers unwrapped (SSE, JSON array, JSON), metered', async t => {
  const { mock, relay } = await setupGoogle(t)
  const headers = { 'content-type': 'application/json', 'x-goog-api-key': ALICE_KEY, ...GEMINI_CLI }
  const sse = await request(`${relay.url}/gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse`, { method: 'POST', headers, body })
  assert.equal(sse.statusCode, 200)
  const events: Chunk[] = []
  for await (const ev of sseEvents(sse.body)) events.push(JSON.parse(ev.data) as Chunk)
  assert.equal(textOf(events), GEMINI_TEXT)
  assert.ok(events.every(e => !('response' in e)), 'unwrapped')
  const seen = mock.requests.at(-1)!
  assert.deepEqual([seen.url, seen.headers.authorization, seen.headers['x-goog-api-key']], ['/v1internal:streamGenerateContent?alt=sse', `Bearer ${TOKEN}`, undefined])
  const envelope = JSON.parse(seen.body.toString()) as { model: string, project: string, user_prompt_id: string, request: unknown }
  assert.deepEqual([envelope.model, envelope.project, envelope.request], ['gemini-2.5-pro', CODE_ASSIST_PROJECT, JSON.parse(body)])
  assert.match(envelope.user_prompt_id, /^[0-9a-f-]{36}$/)
  let row = await lastRow(relay)
  assert.deepEqual([row.status, row.usage.input, row.usage.cacheRead, row.usage.output, row.usage.reasoning, row.costPico, row.accountId], [200, 50, 100, 60, 40, EXPECTED, relay.server.pool.byName('google')!.id])

  // No `alt`: a JSON array, element by element, though Code Assist is asked for an event stream.
  const array = await request(`${relay.url}/gemini/v1/models/gemini-2.5-pro:streamGenerateContent`, { method: 'POST', headers, body })
  assert.match(String(array.headers['content-type']), /^application\/json/)
  const elements = JSON.parse(await array.body.text()) as Chunk[]
  assert.deepEqual([elements.length, textOf(elements)], [6, GEMINI_TEXT])
  assert.equal(mock.requests.at(-1)!.url, '/v1internal:streamGenerateContent?alt=sse')
  assert.equal((await lastRow(relay)).costPico, EXPECTED)

  const plain = await request(`${relay.url}/gemini/v1beta/models/gemini-2.5-pro:generateContent`, { method: 'POST', headers, body })
  const answer = await plain.body.json() as Chunk & { response?: unknown }
  assert.deepEqual([answer.response, textOf([answer]), (answer.usageMetadata as { thoughtsTokenCount: number }).thoughtsTokenCount], [undefined, GEMINI_TEXT, 40])
  assert.equal((await lastRow(relay)).costPico, EXPECTED)

  const count = await request(`${relay.url}/gemini/v1beta/models/gemini-2.5-pro:countTokens`, { method: 'POST', headers, body })
  assert.deepEqual(await count.body.json(), { totalTokens: 42 })
  assert.deepEqual([mock.requests.at(-1)!.url, JSON.parse(mock.requests.at(-1)!.body.toString())], ['/v1internal:countTokens', { request: { model: 'models/gemini-2.5-pro', contents: JSON.parse(body).contents } }])

  // Code Assist has no model list; an SDK is not Gemini CLI (the account did not opt in).
  const models = await request(`${relay.url}/gemini/v1beta/models`, { headers })
  assert.equal(models.statusCode, 403)
  assert.match((await models.body.json() as { error: { message: string } }).error.message, /have no model list/)
  const sdk = await request(`${relay.url}/gemini/v1beta/models/gemini-2.5-pro:generateContent`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': ALICE_KEY, 'x-goog-api-client': 'google-genai-sdk/1.30.0 gl-node/v22' }, body })
  assert.equal(sdk.statusCode, 403)
  assert.match((await sdk.body.json() as { error: { message: string } }).error.message, /serve Gemini CLI only/)
})

test('Code Assist clients served by a Google-login account: the virtual project replaced by the account\'s, answers passed wrapped, metered', async t => {
  const { mock, relay } = await setupGoogle(t)
  const inner = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], session_id: 'sess-9' }
  const envelope = { model: 'gemini-2.5-pro', project: VIRTUAL_PROJECT, user_prompt_id: 'p-1', request: inner }
  const sse = await request(`${relay.url}/gemini/v1internal:streamGenerateContent?alt=sse`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE_KEY}`, ...GEMINI_CLI }, body: JSON.stringify(envelope) })
  assert.equal(sse.statusCode, 200)
  const events: { response: Chunk }[] = []
  for await (const ev of sseEvents(sse.body)) events.push(JSON.parse(ev.data) as { response: Chunk })
  assert.equal(textOf(events.map(e => e.response)), GEMINI_TEXT)
  const seen = mock.requests.at(-1)!
  assert.deepEqual([seen.url, seen.headers.authorization], ['/v1internal:streamGenerateContent?alt=sse', `Bearer ${TOKEN}`])
  assert.deepEqual(JSON.parse(seen.body.toString()), { ...envelope, project: CODE_ASSIST_PROJECT })
  const row = await lastRow(relay)
  assert.deepEqual([row.costPico, row.usage.reasoning, row.accountId], [EXPECTED, 40, relay.server.pool.byName('google')!.id])
})

test('a Code Assist quota exhausted rests the Google account until the reset it names; the request is served by the next account', async t => {
  const { mock, relay } = await setupGoogle(t, [{ name: 'key', provider: 'gemini', type: 'gemini-api-key', priority: 50, apiKey: 'AIza-upstream-0002' }])
  const reset = new Date(Date.now() + 9 * 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z')
  mock.enqueue({ kind: 'status', status: 429, body: googleError(429, 'Individual quota reached. Please upgrade your subscription to increase your limits. Resets in 9h0m0s.', [
    { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'QUOTA_EXHAUSTED', domain: 'cloudcode-pa.googleapis.com', metadata: { uiMessage: 'true', model: 'gemini-2.5-pro', quotaResetDelay: '32400s', quotaResetTimeStamp: reset } },
    { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '32399.5s' },
  ]) })
  const envelope = { model: 'gemini-2.5-pro', project: VIRTUAL_PROJECT, user_prompt_id: 'p-1', request: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] } }
  const res = await request(`${relay.url}/gemini/v1internal:generateContent`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE_KEY}`, ...GEMINI_CLI }, body: JSON.stringify(envelope) })
  assert.equal(res.statusCode, 200)
  assert.ok((await res.body.json() as { response: unknown }).response, 'wrapped back for the Code Assist client')
  assert.equal(mock.requests.at(-1)!.url, '/v1beta/models/gemini-2.5-pro:generateContent', 'served by the API key')
  assert.equal(relay.server.health.state(relay.server.pool.byName('google')!.id).cooldownUntil, Date.parse(reset))
  assert.equal((await lastRow(relay)).accountId, relay.server.pool.byName('key')!.id)
})

test('a Code Assist stream cut mid-way: an SSE client gets an error event, a JSON-array client a broken response; both rows partial with the usage seen', async t => {
  const { mock, relay } = await setupGoogle(t)
  const headers = { 'content-type': 'application/json', 'x-goog-api-key': ALICE_KEY, ...GEMINI_CLI }
  mock.enqueue({ kind: 'cut', afterChunks: 3 })
  const sse = await request(`${relay.url}/gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse`, { method: 'POST', headers, body })
  const events: string[] = []
  for await (const ev of sseEvents(sse.body)) events.push(ev.data)
  assert.equal(events.length, 4)
  assert.equal((JSON.parse(events.at(-1)!) as { error: { status: string } }).error.status, 'INTERNAL')
  let row = await lastRow(relay)
  assert.deepEqual([row.partial, row.usage.input], [true, u.prompt])

  mock.enqueue({ kind: 'cut', afterChunks: 3 })
  const array = await request(`${relay.url}/gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent`, { method: 'POST', headers, body })
  await assert.rejects(array.body.text(), 'the array never looks complete')
  row = await lastRow(relay)
  assert.deepEqual([row.partial, row.usage.input], [true, u.prompt])
})

test('a stream whose first chunk is late: the client has the response headers before it', async t => {
  const { mock, relay } = await setup(t)
  let think!: () => void
  mock.enqueue({ kind: 'ok', firstChunkAfter: new Promise<void>(resolve => { think = resolve }) })
  // Resolves on the headers alone: it would wait forever if the relay held them for the first chunk.
  const sse = await request(`${relay.url}/gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': ALICE_KEY }, body })
  assert.equal(sse.statusCode, 200)
  assert.match(String(sse.headers['content-type']), /^text\/event-stream/)
  think()
  let text = ''
  for await (const ev of sseEvents(sse.body)) text += (JSON.parse(ev.data) as { candidates: { content: { parts: { text: string }[] } }[] }).candidates[0]!.content.parts[0]!.text
  assert.equal(text, GEMINI_TEXT)
  assert.equal((await lastRow(relay)).costPico, EXPECTED)
})

test('an account\'s model map on Gemini: the served name goes into the API-key path and into the Code Assist envelope, countTokens included; the row keeps both', async t => {
  const MAP = { 'gemini-2.5-pro': 'gemini-3-pro-preview' }
  for (const login of [false, true]) {
    const mock = await startGeminiMock()
    t.after(() => mock.close())
    const account = login
      ? { name: 'google', provider: 'gemini', type: 'gemini-oauth', accessToken: 'ya29.x', projectId: CODE_ASSIST_PROJECT, expiresAt: Date.now() + 3_600_000, baseUrl: mock.url, modelMap: MAP }
      : { name: 'g', provider: 'gemini', type: 'gemini-api-key', apiKey: 'AIza-upstream-0001', baseUrl: mock.url, modelMap: MAP }
    const relay = await startRelay(t, testConfig(undefined, { plugins: [{ use: 'gemini', mount: '/gemini' }], accounts: [account] }))
    const headers = { 'content-type': 'application/json', 'x-goog-api-key': ALICE_KEY, ...GEMINI_CLI }
    const sse = await request(`${relay.url}/gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse`, { method: 'POST', headers, body })
    assert.equal(sse.statusCode, 200)
    await sse.body.dump()
    const seen = mock.requests.at(-1)!
    if (login) assert.equal(JSON.parse(seen.body.toString()).model, 'gemini-3-pro-preview')
    else assert.equal(seen.url, '/v1beta/models/gemini-3-pro-preview:streamGenerateContent?alt=sse')
    const row = await lastRow(relay)
    assert.deepEqual([row.model, row.requestedModel], ['gemini-3-pro-preview', 'gemini-2.5-pro'])
    const count = await request(`${relay.url}/gemini/v1/models/gemini-2.5-pro:countTokens`, { method: 'POST', headers, body: JSON.stringify({ generateContentRequest: { model: 'models/gemini-2.5-pro', contents: [{ role: 'user', parts: [{ text: 'hi' }] }] } }) })
    assert.deepEqual(await count.body.json(), { totalTokens: 42 })
    const counted = mock.requests.at(-1)!
    if (login) assert.equal(JSON.parse(counted.body.toString()).request.model, 'models/gemini-3-pro-preview')
    else assert.deepEqual([counted.url, JSON.parse(counted.body.toString()).generateContentRequest.model], ['/v1/models/gemini-3-pro-preview:countTokens', 'models/gemini-3-pro-preview'])
  }
})
