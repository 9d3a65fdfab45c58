// The Gemini bridges in a real relay beside the gemini plugin: OpenAI-format clients
// (chat-gemini at /openai/gemini) and Anthropic-format clients (messages-gemini at
// /gemini-cli/api) on a Gemini API key and on a Google login (Code Assist, the request wrapped
// and the answer unwrapped by the Gemini plugin's own hooks before the bridge translates it),
// whole and streamed, with a tool call; metered by Gemini's meter and priced as the Gemini model.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { ALICE_KEY, startRelay, testConfig, type Relay } from '../../helpers/relay-harness.ts'
import { CODE_ASSIST_PROJECT, DEFAULT_GEMINI_USAGE, GEMINI_TEXT, startGeminiMock, THOUGHT_TEXT, type GeminiMock } from '../../mocks/gemini-mock.ts'
import { SKIP_SIGNATURE } from '../../../plugins/bridges/gemini-target.ts'

const PLUGINS = [{ use: 'gemini', mount: '/gemini' }, { use: 'chat-gemini', mount: '/openai/gemini' }, { use: 'messages-gemini', mount: '/gemini-cli/api' }]

// gemini-2.5-pro: $1.25 input, $0.125 cached, $10 output per MTok; the mock: 150 prompt (100 cached), 20 + 40 thinking out.
const u = DEFAULT_GEMINI_USAGE
const EXPECTED = BigInt(u.prompt - u.cached) * 1_250_000n + BigInt(u.cached) * 125_000n + BigInt(u.candidates + u.thoughts) * 10_000_000n

async function setup (t: TestContext, login: boolean, allowOtherClients = true): Promise<{ mock: GeminiMock, relay: Relay }> {
  const mock = await startGeminiMock()
  t.after(() => mock.close())
  const account = login
    ? { name: 'google', provider: 'gemini', type: 'gemini-oauth', accessToken: 'ya29.mock', projectId: CODE_ASSIST_PROJECT, expiresAt: Date.now() + 3_600_000, baseUrl: mock.url, allowOtherClients }
    : { name: 'g', provider: 'gemini', type: 'gemini-api-key', apiKey: 'AIza-upstream-0001', baseUrl: mock.url }
  const relay = await startRelay(t, testConfig(undefined, { plugins: PLUGINS, accounts: [account] }))
  return { mock, relay }
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) => request(url, {
  method: 'POST', headers: { authorization: `Bearer ${ALICE_KEY}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
})

/** The data of each event of an SSE body. */
const events = (text: string) => text.split('\n\n').filter(Boolean).map(e => e.split('\n').find(l => l.startsWith('data: '))!.slice(6))

for (const login of [false, true]) {
  const on = login ? 'a Google login (Code Assist)' : 'a Gemini API key'
  test(`chat-gemini on ${on}: whole and streamed answers in OpenAI's format, usage with cached and reasoning tokens, priced as Gemini`, async t => {
    const { mock, relay } = await setup(t, login)
    for (const stream of [false, true]) {
      const res = await post(`${relay.url}/openai/gemini/v1/chat/completions`, { model: 'gemini-2.5-pro', stream, stream_options: stream ? { include_usage: true } : undefined, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }] })
      const text = await res.body.text()
      assert.equal(res.statusCode, 200, text)
      let answer = ''
      let usage: { prompt_tokens: number, completion_tokens: number, prompt_tokens_details: { cached_tokens: number }, completion_tokens_details: { reasoning_tokens: number } }
      if (stream) {
        const data = events(text)
        assert.equal(data.at(-1), '[DONE]')
        for (const d of data.slice(0, -1)) answer += JSON.parse(d).choices[0]?.delta?.content ?? ''
        usage = JSON.parse(data.at(-2)!).usage
      } else {
        const c = JSON.parse(text)
        answer = c.choices[0].message.content
        usage = c.usage
      }
      assert.equal(answer, GEMINI_TEXT)
      assert.deepEqual([usage.prompt_tokens, usage.prompt_tokens_details.cached_tokens, usage.completion_tokens, usage.completion_tokens_details.reasoning_tokens], [150, 100, 60, 40])
      // The upstream saw Gemini's own request, on the account's API, without the relay key.
      const seen = mock.requests.at(-1)!
      const action = stream ? 'streamGenerateContent' : 'generateContent'
      if (login) {
        assert.equal(seen.url, `/v1internal:${action}${stream ? '?alt=sse' : ''}`)
        const envelope = JSON.parse(seen.body.toString())
        assert.deepEqual([envelope.model, envelope.project, envelope.request.systemInstruction], ['gemini-2.5-pro', CODE_ASSIST_PROJECT, { parts: [{ text: 'Be brief.' }] }])
        assert.equal(seen.headers.authorization, 'Bearer ya29.mock')
      } else {
        assert.equal(seen.url, `/v1beta/models/gemini-2.5-pro:${action}${stream ? '?alt=sse' : ''}`)
        assert.deepEqual(JSON.parse(seen.body.toString()).systemInstruction, { parts: [{ text: 'Be brief.' }] })
        assert.deepEqual([seen.headers['x-goog-api-key'], seen.headers.authorization], ['AIza-upstream-0001', undefined])
      }
    }
    await relay.settled()
    const rows = await relay.rt.store.queryRequests({ limit: 10 })
    assert.equal(rows.length, 2)
    for (const r of rows) assert.deepEqual([r.provider, r.bridge, r.model, r.usage.input, r.usage.cacheRead, r.usage.output, r.usage.reasoning, r.costPico], ['gemini', 'chat-gemini', 'gemini-2.5-pro', 50, 100, 60, 40, EXPECTED])
  })
}

test('chat-gemini: a tool call round trip (the call in OpenAI\'s shape, its result matched back to the function, the replayed call signed)', async t => {
  const { mock, relay } = await setup(t, false)
  const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }]
  mock.enqueue({ kind: 'ok', calls: [{ name: 'get_weather', args: { city: 'Paris' } }, { name: 'get_weather', args: { city: 'Oslo' } }] })
  const first = await post(`${relay.url}/openai/gemini/v1/chat/completions`, { model: 'gemini-3-pro-preview', stream: true, tools, messages: [{ role: 'user', content: 'Weather in Paris and Oslo?' }] })
  const data = events(await first.body.text())
  const calls = data.slice(0, -1).flatMap(d => JSON.parse(d).choices[0]?.delta?.tool_calls ?? [])
  assert.deepEqual(calls.map((c: { index: number, function: { name: string, arguments: string } }) => [c.index, c.function.name, JSON.parse(c.function.arguments)]), [[0, 'get_weather', { city: 'Paris' }], [1, 'get_weather', { city: 'Oslo' }]])
  assert.equal(JSON.parse(data.at(-2)!).choices[0].finish_reason, 'tool_calls')
  assert.deepEqual(JSON.parse(mock.requests.at(-1)!.body.toString()).tools[0].functionDeclarations[0].parametersJsonSchema, tools[0]!.function.parameters)

  const second = await post(`${relay.url}/openai/gemini/v1/chat/completions`, {
    model: 'gemini-3-pro-preview', tools,
    messages: [
      { role: 'user', content: 'Weather in Paris and Oslo?' },
      { role: 'assistant', content: null, tool_calls: calls.map((c: { id: string, function: unknown }) => ({ id: c.id, type: 'function', function: c.function })) },
      { role: 'tool', tool_call_id: calls[0].id, content: '{"temp":21}' },
      { role: 'tool', tool_call_id: calls[1].id, content: 'cold' },
    ],
  })
  assert.equal(second.statusCode, 200)
  assert.equal((await second.body.json() as { choices: { message: { content: string } }[] }).choices[0]!.message.content, GEMINI_TEXT)
  const sent = JSON.parse(mock.requests.at(-1)!.body.toString())
  assert.deepEqual(sent.contents.map((c: { role: string }) => c.role), ['user', 'model', 'user'])
  assert.deepEqual(sent.contents[1].parts, [
    { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: SKIP_SIGNATURE },
    { functionCall: { name: 'get_weather', args: { city: 'Oslo' } } },
  ])
  assert.deepEqual(sent.contents[2].parts, [{ functionResponse: { name: 'get_weather', response: { temp: 21 } } }, { functionResponse: { name: 'get_weather', response: { result: 'cold' } } }])
})

for (const login of [false, true]) {
  const on = login ? 'a Google login (Code Assist)' : 'a Gemini API key'
  test(`messages-gemini on ${on}: Anthropic's events in their order with thinking and a tool call, and usage; a whole answer too`, async t => {
    const { mock, relay } = await setup(t, login)
    mock.enqueue({ kind: 'ok', text: 'Let me look.', calls: [{ name: 'Read', args: { file_path: '/tmp/a' } }] })
    const res = await post(`${relay.url}/gemini-cli/api/v1/messages`, {
      model: 'gemini-2.5-pro', max_tokens: 4096, stream: true, thinking: { type: 'enabled', budget_tokens: 1024 },
      system: [{ type: 'text', text: 'You are Claude Code.' }], tools: [{ name: 'Read', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } }],
      messages: [{ role: 'user', content: 'read /tmp/a' }],
    }, { 'anthropic-version': '2023-06-01', 'user-agent': 'claude-cli/2.0.0 (external, cli)' })
    const text = await res.body.text()
    assert.equal(res.statusCode, 200, text)
    const evs = events(text).map(d => JSON.parse(d))
    assert.deepEqual(evs.map(e => e.type === 'content_block_start' ? `start:${e.content_block.type}` : e.type === 'content_block_delta' ? e.delta.type : e.type), [
      'message_start',
      'start:thinking', 'thinking_delta', 'signature_delta', 'content_block_stop',
      'start:text', 'text_delta', 'text_delta', 'text_delta', 'content_block_stop',
      'start:tool_use', 'input_json_delta', 'content_block_stop',
      'message_delta', 'message_stop',
    ])
    assert.equal(evs[2].delta.thinking, THOUGHT_TEXT)
    const delta = evs.at(-2)
    assert.deepEqual([delta.delta.stop_reason, delta.usage.input_tokens, delta.usage.cache_read_input_tokens, delta.usage.output_tokens], ['tool_use', 50, 100, 60])
    assert.deepEqual(JSON.parse(evs.find(e => e.delta?.type === 'input_json_delta').delta.partial_json), { file_path: '/tmp/a' })
    const envelope = JSON.parse(mock.requests.at(-1)!.body.toString())
    const sent = login ? envelope.request : envelope
    assert.deepEqual(sent.generationConfig, { maxOutputTokens: 4096, thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } })

    const whole = await post(`${relay.url}/gemini-cli/api/v1/messages`, { model: 'gemini-2.5-pro', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
    const m = await whole.body.json() as { type: string, content: { type: string, text: string }[], usage: { input_tokens: number, output_tokens: number } }
    assert.deepEqual([m.type, m.content, m.usage.input_tokens, m.usage.output_tokens], ['message', [{ type: 'text', text: GEMINI_TEXT }], 50, 60])
    // Claude Code's count_tokens, counted by Gemini's countTokens (the mock counts 42).
    const counted = await post(`${relay.url}/gemini-cli/api/v1/messages/count_tokens`, { model: 'gemini-2.5-pro', system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }] })
    assert.deepEqual([counted.statusCode, await counted.body.json()], [200, { input_tokens: 42 }])
    const asked = mock.requests.at(-1)!
    if (login) {
      assert.equal(asked.url, '/v1internal:countTokens')
      assert.deepEqual(JSON.parse(asked.body.toString()), { request: { model: 'models/gemini-2.5-pro', contents: [{ role: 'user', parts: [{ text: 'hi' }] }] } })
    } else {
      assert.equal(asked.url, '/v1beta/models/gemini-2.5-pro:countTokens')
      assert.deepEqual(JSON.parse(asked.body.toString()), { generateContentRequest: { model: 'models/gemini-2.5-pro', contents: [{ role: 'user', parts: [{ text: 'hi' }] }], systemInstruction: { parts: [{ text: 'Be brief.' }] } } })
    }
    await relay.settled()
    const rows = await relay.rt.store.queryRequests({ limit: 10 })
    assert.deepEqual(rows.map(r => [r.provider, r.bridge, r.model, r.costPico, r.clientKind]), [
      ['gemini', 'messages-gemini', 'gemini-2.5-pro', 0n, 'other'],
      ['gemini', 'messages-gemini', 'gemini-2.5-pro', EXPECTED, 'other'],
      ['gemini', 'messages-gemini', 'gemini-2.5-pro', EXPECTED, 'claude-code'],
    ])
  })
}

test('messages-gemini: a bad body and an upstream refusal are answered in Anthropic\'s shape', async t => {
  const { mock, relay } = await setup(t, false)
  const bad = await post(`${relay.url}/gemini-cli/api/v1/messages`, { model: 'gemini-2.5-pro', messages: [{ role: 'user', content: 'hi' }] })
  assert.equal(bad.statusCode, 400)
  assert.deepEqual(await bad.body.json(), { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: required' } })
  mock.enqueue({ kind: 'status', status: 400, body: JSON.stringify({ error: { code: 400, message: 'Function call is missing a thought_signature in functionCall parts.', status: 'INVALID_ARGUMENT' } }) })
  const refused = await post(`${relay.url}/gemini-cli/api/v1/messages`, { model: 'gemini-2.5-pro', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
  const body = await refused.body.json() as { type: string, error: { type: string, message: string } }
  assert.equal(refused.statusCode, 400)
  assert.equal(body.type, 'error')
  assert.deepEqual([body.error.type, body.error.message], ['invalid_request_error', 'The upstream provider answered with status 400: Function call is missing a thought_signature in functionCall parts.'])
  assert.equal(mock.requests.filter(r => r.method === 'POST').length, 1)
})

test('a Google login that serves Gemini CLI only refuses a bridged client, saying why, and calls nothing', async t => {
  const { mock, relay } = await setup(t, true, false)
  const res = await post(`${relay.url}/openai/gemini/v1/chat/completions`, { model: 'gemini-2.5-pro', messages: [{ role: 'user', content: 'hi' }] })
  const body = await res.body.json() as { error: { message: string } }
  assert.equal(res.statusCode, 403)
  assert.match(body.error.message, /serve Gemini CLI only/)
  assert.equal(mock.requests.length, 0)
})
