// One door, any model: /openai/v1/chat/completions (and /api/v1/chat/completions) shared by the
// OpenAI plugin and the chat bridges to Claude and Gemini, each request going to the provider
// that serves its model: by the accounts' own model lists first, then the entries' globs (or
// the providers' own model names), else the path's own plugin. GET /v1/models lists what the
// key can use there.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { ALICE_KEY, BOB_KEY, claudeAccount, startRelay, testConfig, type Relay } from '../../helpers/relay-harness.ts'
import { startAnthropicMock } from '../../mocks/anthropic-mock.ts'
import { startGeminiMock } from '../../mocks/gemini-mock.ts'
import { startOpenAIMock } from '../../mocks/openai-mock.ts'

const PLUGINS = [
  { use: 'claude', mount: '/claude', aliases: ['/api'] },
  { use: 'openai', mount: '/openai', aliases: ['/api'] },
  { use: 'gemini', mount: '/gemini' },
  { use: 'chat-claude', mount: '/openai/claude', aliases: ['/openai', '/api'] },
  // A glob of the operator's own beside the provider's names.
  { use: 'chat-gemini', mount: '/openai/gemini', aliases: ['/openai', '/api'], models: ['gemini-*', 'team-gemini-*'] },
]

async function setup (t: TestContext) {
  const [anthropic, gemini, openai] = await Promise.all([startAnthropicMock(), startGeminiMock(), startOpenAIMock()])
  t.after(() => Promise.all([anthropic.close(), gemini.close(), openai.close()]))
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: PLUGINS,
    keys: [{ name: 'alice', key: ALICE_KEY }, { name: 'bob', key: BOB_KEY, providers: ['claude'], models: { deny: ['claude-opus-*'] } }],
    accounts: [
      claudeAccount(anthropic.url),
      { name: 'g', provider: 'gemini', type: 'gemini-api-key', apiKey: 'AIza-upstream-0001', baseUrl: gemini.url },
      // An OpenAI-compatible account that also serves one Claude family by name.
      { name: 'o', provider: 'openai', type: 'openai-api-key', apiKey: 'sk-upstream-0001', baseUrl: `${openai.url}/v1`, models: ['gpt-*', 'o*', 'claude-opus-4-1'] },
    ],
  }))
  return { anthropic, gemini, openai, relay }
}

const chat = (relay: Relay, path: string, model: string, key = ALICE_KEY) => request(`${relay.url}${path}`, {
  method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
})

test('the unified chat path sends each model to the provider that serves it, and the row says which bridge translated it', async t => {
  const { anthropic, gemini, openai, relay } = await setup(t)
  const cases: [string, string, string, string | null, string][] = [
    // path, model, the mock that must see it, the bridge on the row, the provider on the row
    ['/openai/v1/chat/completions', 'claude-sonnet-4-5', 'anthropic', 'chat-claude', 'claude'],
    ['/openai/v1/chat/completions', 'gemini-2.5-pro', 'gemini', 'chat-gemini', 'gemini'],
    ['/openai/v1/chat/completions', 'team-gemini-pro', 'gemini', 'chat-gemini', 'gemini'],
    ['/openai/v1/chat/completions', 'gpt-5', 'openai', null, 'openai'],
    // The OpenAI account lists this Claude model: it keeps it.
    ['/openai/v1/chat/completions', 'claude-opus-4-1', 'openai', null, 'openai'],
    ['/api/v1/chat/completions', 'claude-haiku-4-5', 'anthropic', 'chat-claude', 'claude'],
    ['/api/v1/chat/completions', 'gemini-2.5-flash', 'gemini', 'chat-gemini', 'gemini'],
    ['/api/v1/chat/completions', 'gpt-5-mini', 'openai', null, 'openai'],
  ]
  const seen = () => ({ anthropic: anthropic.requests.length, gemini: gemini.requests.length, openai: openai.requests.length })
  for (const [path, model, mock, bridge, provider] of cases) {
    const before = seen()
    const res = await chat(relay, path, model)
    const body = await res.body.json() as { object: string, choices: { message: { content: string } }[] }
    assert.equal(res.statusCode, 200, `${path} ${model}: ${JSON.stringify(body)}`)
    assert.equal(body.object, 'chat.completion')
    const after = seen()
    assert.deepEqual(Object.keys(after).filter(k => after[k as keyof typeof after] > before[k as keyof typeof before]), [mock], `${model} went to ${mock}`)
    await relay.settled()
    const row = (await relay.rt.store.recentRequests(1))[0]!
    assert.deepEqual([row.model, row.provider, row.bridge], [model, provider, bridge])
    // The operator's own model name has no price: recorded as unpriced, never as $0.
    if (model.startsWith('team-')) assert.deepEqual([row.costPico, row.unpriced], [null, true])
    else assert.ok(row.costPico !== null && row.costPico > 0n, `${model} is priced`)
  }
  // Claude Code's own path is untouched by the sharing.
  const messages = await request(`${relay.url}/api/v1/messages`, { method: 'POST', headers: { 'x-api-key': ALICE_KEY, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }) })
  assert.equal(messages.statusCode, 200)
  assert.equal((await messages.body.json() as { type: string }).type, 'message')
  // A path nothing serves is a 404 in the path's own (OpenAI) shape.
  const missing = await request(`${relay.url}/openai/v1/nothing`, { headers: { authorization: `Bearer ${ALICE_KEY}` } })
  assert.equal(missing.statusCode, 404)
  assert.equal((await missing.body.json() as { error: { type: string } }).error.type, 'invalid_request_error')
})

test('GET /v1/models on the unified path lists what the key can use there, in a body both SDK families read', async t => {
  const { relay, openai } = await setup(t)
  const list = async (path: string, key: string) => {
    const res = await request(`${relay.url}${path}`, { headers: { authorization: `Bearer ${key}` } })
    assert.equal(res.statusCode, 200)
    return await res.body.json() as { object: string, has_more: boolean, data: { id: string, owned_by: string, type: string, object: string }[] }
  }
  const all = await list('/openai/v1/models', ALICE_KEY)
  const ids = all.data.map(m => m.id)
  assert.equal(all.object, 'list')
  assert.equal(all.has_more, false)
  for (const id of ['claude-sonnet-4-5', 'gemini-2.5-pro', 'gpt-5', 'claude-opus-4-1']) assert.ok(ids.includes(id), `${id} listed`)
  assert.equal(all.data.find(m => m.id === 'gpt-5')!.owned_by, 'openai')
  assert.equal(all.data.find(m => m.id === 'gemini-2.5-pro')!.owned_by, 'gemini')
  // The OpenAI account lists its models: none of OpenAI's other priced models is offered.
  assert.ok(!ids.some(id => id.startsWith('text-embedding')))
  assert.equal(new Set(ids).size, ids.length)
  assert.equal(openai.requests.length, 0, 'no upstream is asked')
  // Bob may use Claude only, and no Opus.
  const bob = (await list('/openai/v1/models', BOB_KEY)).data
  assert.ok(bob.length > 0)
  assert.ok(bob.every(m => m.owned_by === 'claude' && !m.id.startsWith('claude-opus-')), JSON.stringify(bob.map(m => m.id)))
  // A bridge's own path lists its provider's models only.
  const claudeOnly = await list('/openai/claude/v1/models', ALICE_KEY)
  assert.ok(claudeOnly.data.length > 0 && claudeOnly.data.every(m => m.owned_by === 'claude'))
  // The same body is Anthropic's page at /api.
  const api = await list('/api/v1/models', ALICE_KEY)
  assert.ok(api.data.every(m => m.type === 'model' && m.object === 'model'))
})
