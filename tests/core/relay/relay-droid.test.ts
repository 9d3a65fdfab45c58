// Droid (Factory) accounts end to end in one process: the incumbent's /droid paths in the three
// formats → sidecar → a mock Factory that routes as Factory does (its bearer, x-factory-client,
// x-api-provider, x-session-id), with the WorkOS device login and its refresh.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { DEFAULT_USAGE } from '../../mocks/anthropic-mock.ts'
import { DEFAULT_OPENAI_USAGE } from '../../mocks/openai-mock.ts'
import { startFactoryMock, USER_CODE, type FactoryMock } from '../../mocks/factory-mock.ts'
import { ALICE_KEY, startRelay, testConfig, type Relay } from '../../helpers/relay-harness.ts'
import { beginLogin, finishLogin } from '../../../core/manage/logins.ts'

const FACTORY_KEY = 'fk-factory-api-key-0001'
const DROID = { 'user-agent': 'factory-cli/0.225.2', 'x-factory-client': 'cli', 'x-client-version': '0.225.2', 'x-session-id': 'droid-session-1', 'x-assistant-message-id': 'msg-1' }
const CLAUDE_CODE = { 'user-agent': 'claude-cli/2.1.332 (external, cli)', 'x-app': 'cli' }

async function setup (t: import('node:test').TestContext, accounts: (f: FactoryMock) => Record<string, unknown>[]): Promise<{ factory: FactoryMock, relay: Relay }> {
  const factory = await startFactoryMock({ apiKeys: [FACTORY_KEY] })
  t.after(() => factory.close())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'claude', mount: '/claude' }, { use: 'openai', mount: '/openai' }, { use: 'droid', mount: '/droid', options: { oauth: { deviceUrl: `${factory.url}/user_management/authorize/device`, tokenUrl: `${factory.url}/user_management/authenticate`, orgUrl: `${factory.url}/api/cli/org` } } }],
    accounts: accounts(factory),
  }))
  return { factory, relay }
}

function post (relay: Relay, path: string, body: unknown, headers: Record<string, string> = DROID) {
  return request(`${relay.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE_KEY}`, 'x-api-key': ALICE_KEY, 'anthropic-version': '2023-06-01', ...headers }, body: JSON.stringify(body) })
}

const CALLS = [
  { path: '/droid/claude/v1/messages', body: { model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'hi' }] }, factory: '/api/llm/a/v1/messages', provider: 'anthropic', model: 'claude-sonnet-4-5' },
  { path: '/droid/openai/v1/responses', body: { model: 'gpt-5.4', input: 'hi', stream: true }, factory: '/api/llm/o/v1/responses', provider: 'openai', model: 'gpt-5.4' },
  { path: '/droid/comm/v1/chat/completions', body: { model: 'gpt-5.4', messages: [{ role: 'user', content: 'hi' }], stream: true }, factory: '/api/llm/o/v1/chat/completions', provider: 'openai', model: 'gpt-5.4' },
  { path: '/droid/comm/v1/chat/completions', body: { model: 'glm-5.3', messages: [{ role: 'user', content: 'hi' }] }, factory: '/api/llm/o/v1/chat/completions', provider: 'fireworks', model: 'glm-5.3' },
]

function costOf (relay: Relay, model: string, input: number, cached: number, output: number): bigint | null {
  const p = relay.rt.pricing.lookup(model)?.price
  if (!p) return null
  return BigInt(input) * BigInt(p.input) + BigInt(cached) * BigInt(p.cacheRead ?? p.input) + BigInt(output) * BigInt(p.output)
}

test('the three formats, from a client that is not Droid: Factory gets its bearer and routing headers; each answer is metered and priced by its model', async t => {
  const { factory, relay } = await setup(t, f => [{ name: 'factory', provider: 'droid', type: 'droid', apiKey: FACTORY_KEY, baseUrl: f.llmBase }])
  for (const c of CALLS) {
    const res = await post(relay, c.path, c.body, { 'user-agent': 'OpenAI/JS 7.57.0' })
    const text = await res.body.text()
    assert.equal(res.statusCode, 200, `${c.path}: ${text}`)
    assert.ok(text.includes('Hello'), text)
    const seen = factory.requests.at(-1)!
    assert.equal(seen.url, c.factory)
    assert.deepEqual([seen.headers.authorization, seen.headers['x-factory-client'], seen.headers['x-api-provider']], [`Bearer ${FACTORY_KEY}`, 'cli', c.provider], c.path)
    assert.match(String(seen.headers['x-session-id']), /^[\w-]+$/)
    assert.ok(!JSON.stringify(seen.headers).includes(ALICE_KEY), 'the relay key goes nowhere')
    await relay.settled()
    const [row] = await relay.rt.store.recentRequests(1)
    const u = c.provider === 'anthropic' ? { input: DEFAULT_USAGE.input_tokens, cached: 0, output: DEFAULT_USAGE.output_tokens } : { input: DEFAULT_OPENAI_USAGE.input - DEFAULT_OPENAI_USAGE.cached, cached: DEFAULT_OPENAI_USAGE.cached, output: DEFAULT_OPENAI_USAGE.output }
    assert.deepEqual([row!.provider, row!.status, row!.usage.input, row!.usage.output, row!.partial], ['droid', 200, u.input, u.output, false], c.path)
    const expected = costOf(relay, c.model, u.input, u.cached, u.output)
    if (expected === null) assert.equal(row!.unpriced, true, `${c.model} has no price: marked, not billed $0`)
    else assert.equal(row!.costPico, expected, c.path)
  }
  // A chat stream that did not ask for usage gets none, though Factory was asked for it.
  const chat = await post(relay, '/droid/comm/v1/chat/completions', { model: 'gpt-5.4', messages: [{ role: 'user', content: 'hi' }], stream: true })
  assert.ok(!(await chat.body.text()).includes('"usage":{'))
  assert.equal(JSON.parse(factory.requests.at(-1)!.body.toString()).stream_options.include_usage, true)
})

test('Droid\'s own routing headers pass as it sent them; the models list answers at each base', async t => {
  const { factory, relay } = await setup(t, f => [{ name: 'factory', provider: 'droid', type: 'droid', apiKey: FACTORY_KEY, baseUrl: f.llmBase, modelMap: { 'claude-sonnet-4-5': 'claude-sonnet-4-5-20250929' } }])
  const res = await post(relay, '/droid/claude/v1/messages', CALLS[0]!.body, { ...DROID, 'x-api-provider': 'anthropic' })
  assert.equal(res.statusCode, 200)
  await res.body.dump()
  const seen = factory.requests.at(-1)!
  assert.deepEqual([seen.headers['x-session-id'], seen.headers['x-assistant-message-id'], seen.headers['user-agent']], ['droid-session-1', 'msg-1', 'factory-cli/0.225.2'])
  assert.equal(JSON.parse(seen.body.toString()).model, 'claude-sonnet-4-5-20250929', 'the account\'s model map')
  await relay.settled()
  assert.equal((await relay.rt.store.recentRequests(1))[0]!.clientKind, 'droid-cli')
  for (const base of ['claude', 'openai', 'comm']) {
    const list = await request(`${relay.url}/droid/${base}/v1/models`, { headers: { authorization: `Bearer ${ALICE_KEY}` } })
    const body = JSON.parse(await list.body.text()) as { data: { id: string }[] }
    assert.equal(list.statusCode, 200)
    assert.ok(body.data.some(m => m.id.startsWith('claude-')) && body.data.some(m => m.id.startsWith('gpt-')), base)
  }
})

test('the subscription login (WorkOS device code): confirmed, scoped to the organization, refreshed once on expiry; it serves Droid only', async t => {
  const { factory, relay } = await setup(t, () => [])
  const login = await beginLogin(relay.rt, { what: 'droid', name: 'factory-sub', extra: { baseUrl: factory.llmBase } })
  assert.equal(login.userCode, USER_CODE)
  assert.match(login.url, /\/device\?user_code=WDJB-MJHT$/)
  await assert.rejects(finishLogin(relay.rt, login, 'AAAA-BBBB'), /enter the code of this login \(WDJB-MJHT\)/)
  // Confirmed after one more poll; the token is then refreshed for the organization Factory names.
  const { account } = await finishLogin(relay.rt, login, 'wdjb mjht')
  assert.equal(account.fields.organizationId, 'org_01FACTORY')
  assert.equal(factory.refreshes, 1)
  await relay.server.reloadConfig()
  const res = await post(relay, '/droid/claude/v1/messages', CALLS[0]!.body)
  assert.equal(res.statusCode, 200, await res.body.text())
  const bearer = String(factory.requests.at(-1)!.headers.authorization)
  assert.match(bearer, /^Bearer [\w-]+\.[\w-]+\.sig$/)
  // Another client may not use the subscription.
  const other = await post(relay, '/droid/claude/v1/messages', CALLS[0]!.body, CLAUDE_CODE)
  assert.equal(other.statusCode, 403)
  assert.match(await other.body.text(), /serve Droid only/)
  // Factory refuses the token (it expired early): one refresh, the request retried with the new one.
  factory.tokens.delete(bearer.slice(7))
  const after = await post(relay, '/droid/claude/v1/messages', CALLS[0]!.body)
  assert.equal(after.statusCode, 200, await after.body.text())
  assert.equal(factory.refreshes, 2)
  assert.notEqual(String(factory.requests.at(-1)!.headers.authorization), bearer)
})

test('Factory\'s models are priced from the vendors\' own tables: the Claude and OpenAI plugins stay the origin; alone, the droid plugin prices them itself', async t => {
  const { relay } = await setup(t, () => [])
  const origin = (model: string) => relay.rt.pricing.list().find(e => e.model === model)?.from
  assert.deepEqual([origin('claude-sonnet-4-5'), origin('gpt-5.4')], ['plugin claude', 'plugin openai'])
  assert.ok(!relay.rt.pricing.version.split('+').some((v, i, all) => all.indexOf(v) !== i), `no table twice in ${relay.rt.pricing.version}`)
  const alone = await startRelay(t, testConfig(undefined, { plugins: [{ use: 'droid', mount: '/droid' }] }))
  assert.equal(alone.rt.pricing.list().find(e => e.model === 'claude-sonnet-4-5')?.from, 'plugin droid')
})

test('a droid account needs a credential; Factory\'s errors fail over', async t => {
  await assert.rejects(startRelay(t, testConfig(undefined, { plugins: [{ use: 'droid', mount: '/droid' }], accounts: [{ name: 'x', provider: 'droid', type: 'droid' }] })), /needs apiKey/)
  const { factory, relay } = await setup(t, f => [
    { name: 'a', provider: 'droid', type: 'droid', apiKey: FACTORY_KEY, baseUrl: f.llmBase, priority: 1 },
    { name: 'b', provider: 'droid', type: 'droid', apiKey: FACTORY_KEY, baseUrl: f.llmBase, priority: 50 },
  ])
  factory.anthropic.enqueue({ kind: 'status', status: 429, headers: { 'retry-after': '30' } })
  const res = await post(relay, '/droid/claude/v1/messages', CALLS[0]!.body)
  assert.equal(res.statusCode, 200)
  await res.body.dump()
  assert.ok(relay.server.health.state(relay.server.pool.byName('a')!.id).cooldownUntil! > Date.now() + 20_000)
})
