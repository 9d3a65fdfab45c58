// Antigravity accounts (a Google login with Antigravity's client, on the Cloud Code backend) end
// to end in one process: Claude Code at the incumbent's /antigravity/api (the messages-gemini
// bridge), Gemini CLI's Code Assist calls at /gemini, and the login itself, against a mock
// backend that requires Antigravity's envelope and headers and a Claude function's parameters in
// the OpenAPI subset, and names quota resets as Google does.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { ANTIGRAVITY_MODELS, CODE_ASSIST_PROJECT, DEFAULT_GEMINI_USAGE, googleError, startGeminiMock, type GeminiMock } from '../../mocks/gemini-mock.ts'
import { GOOD_CODE, startOAuthMock } from '../../mocks/oauth-mock.ts'
import { ALICE_KEY, claudeAccount, startRelay, tempDir, testConfig, type Relay } from '../../helpers/relay-harness.ts'
import { startAnthropicMock } from '../../mocks/anthropic-mock.ts'
import { loginWithCli } from '../../helpers/processes.ts'
import { ANTIGRAVITY_OAUTH_DEFAULTS } from '../../../plugins/gemini/antigravity.ts'

const CLAUDE_CODE = { 'user-agent': 'claude-cli/2.1.332 (external, cli)', 'x-app': 'cli', 'anthropic-version': '2023-06-01' }
const GEMINI_CLI = { 'user-agent': 'GeminiCLI/0.61.0/gemini-2.5-pro (linux; x64)' }
const PLUGINS = [{ use: 'claude', mount: '/claude' }, { use: 'gemini', mount: '/gemini' }, { use: 'messages-gemini', mount: '/gemini-cli/api', aliases: ['/antigravity/api'] }]

function antigravityAccount (mock: GeminiMock, extra: Record<string, unknown> = {}) {
  return { name: 'ag', provider: 'gemini', type: 'antigravity-oauth', accessToken: 'ya29.antigravity', expiresAt: Date.now() + 3_600_000, projectId: CODE_ASSIST_PROJECT, baseUrl: mock.url, models: ['claude-*', 'gemini-*'], ...extra }
}

async function setup (t: import('node:test').TestContext, accounts: (m: GeminiMock) => Record<string, unknown>[]): Promise<{ mock: GeminiMock, relay: Relay }> {
  const mock = await startGeminiMock()
  mock.antigravity = true
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(undefined, { plugins: PLUGINS, accounts: accounts(mock) }))
  return { mock, relay }
}

const post = (relay: Relay, path: string, body: unknown, headers: Record<string, string>) =>
  request(`${relay.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, authorization: `Bearer ${ALICE_KEY}`, ...headers }, body: JSON.stringify(body) })

// A tool as Claude Code declares it: a full JSON Schema the backend refuses for Claude models.
const TOOL = { name: 'Read', description: 'Reads a file', input_schema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', additionalProperties: false, properties: { file_path: { type: 'string' }, mode: { const: 'text' }, limit: { type: ['integer', 'null'] } }, required: ['file_path', 'gone'] } }

test('Claude Code at /antigravity/api on a Claude model: Antigravity\'s envelope and headers, the tool schema cut to what the backend takes, the answer in Anthropic\'s events, metered and priced as Claude', async t => {
  const { mock, relay } = await setup(t, m => [antigravityAccount(m)])
  const res = await post(relay, '/antigravity/api/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 1024, stream: true, tools: [TOOL], messages: [{ role: 'user', content: 'hi' }] }, CLAUDE_CODE)
  const text = await res.body.text()
  assert.equal(res.statusCode, 200, text)
  assert.match(text, /event: message_start[\s\S]*text_delta[\s\S]*event: message_stop/)
  const seen = mock.requests.at(-1)!
  assert.equal(seen.url, '/v1internal:streamGenerateContent?alt=sse')
  assert.deepEqual([seen.headers.authorization, seen.headers['user-agent'], seen.headers.requesttype], ['Bearer ya29.antigravity', 'antigravity/1.15.8 windows/amd64', 'agent'])
  const envelope = JSON.parse(seen.body.toString())
  assert.deepEqual([envelope.model, envelope.project, envelope.userAgent], ['claude-sonnet-4-5', CODE_ASSIST_PROJECT, 'antigravity'])
  assert.match(envelope.requestId, /^req-/)
  assert.equal(typeof envelope.request.sessionId, 'string')
  assert.deepEqual(envelope.request.tools[0].functionDeclarations[0].parameters, { type: 'object', properties: { file_path: { type: 'string' }, mode: { enum: ['text'] }, limit: { type: 'integer', nullable: true } }, required: ['file_path'] })
  assert.deepEqual(envelope.request.toolConfig, { functionCallingConfig: { mode: 'VALIDATED' } })
  await relay.settled()
  const [row] = await relay.rt.store.recentRequests(1)
  const p = relay.rt.pricing.lookup('claude-sonnet-4-5')!.price
  const u = DEFAULT_GEMINI_USAGE
  assert.deepEqual([row!.provider, row!.bridge, row!.model, row!.clientKind], ['gemini', 'messages-gemini', 'claude-sonnet-4-5', 'claude-code'])
  assert.equal(row!.costPico, BigInt(u.prompt - u.cached) * BigInt(p.input) + BigInt(u.cached) * BigInt(p.cacheRead!) + BigInt(u.candidates + u.thoughts) * BigInt(p.output))
})

test('Gemini CLI\'s Code Assist calls on the same account; other clients are refused; a Gemini API key account never gets a Claude model', async t => {
  const { mock, relay } = await setup(t, m => [antigravityAccount(m)])
  const cli = await post(relay, '/gemini/v1internal:generateContent', { model: 'gemini-2.5-pro', project: 'ai-relay-virtual-project', user_prompt_id: 'p1', request: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], session_id: 'cli-session' } }, GEMINI_CLI)
  assert.equal(cli.statusCode, 200, await cli.body.text())
  const envelope = JSON.parse(mock.requests.at(-1)!.body.toString())
  assert.deepEqual([envelope.userAgent, envelope.project, envelope.request.sessionId, envelope.request.session_id], ['antigravity', CODE_ASSIST_PROJECT, 'cli-session', undefined])
  const sdk = await post(relay, '/antigravity/api/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }, { 'user-agent': 'Anthropic/JS 1.14.0', 'anthropic-version': '2023-06-01' })
  assert.equal(sdk.statusCode, 403)
  assert.match(await sdk.body.text(), /Antigravity accounts serve Claude Code and Gemini CLI only/)

  // A Gemini API key cannot serve a Claude model, even listed for it.
  const keyOnly = await setup(t, m => [{ name: 'key', provider: 'gemini', type: 'gemini-api-key', apiKey: 'AIza-key', baseUrl: m.url, models: ['claude-*', 'gemini-*'] }])
  const refused = await post(keyOnly.relay, '/antigravity/api/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }, CLAUDE_CODE)
  assert.equal(refused.statusCode, 403)
  assert.match(await refused.body.text(), /only Antigravity accounts serve Claude models/)
  assert.equal(keyOnly.mock.requests.length, 0)
})

test('the live model list: Gemini\'s list at /gemini/v1beta/models comes from Antigravity\'s fetchAvailableModels', async t => {
  const { mock, relay } = await setup(t, m => [antigravityAccount(m)])
  const res = await request(`${relay.url}/gemini/v1beta/models`, { headers: { 'x-goog-api-key': ALICE_KEY, ...GEMINI_CLI } })
  const body = JSON.parse(await res.body.text()) as { models: { name: string }[] }
  assert.equal(res.statusCode, 200, JSON.stringify(body))
  assert.deepEqual(body.models.map(m => m.name), ANTIGRAVITY_MODELS.map(id => `models/${id}`))
  const seen = mock.requests.at(-1)!
  assert.deepEqual([seen.method, seen.url, seen.body.toString(), seen.headers.authorization], ['POST', '/v1internal:fetchAvailableModels', '{}', 'Bearer ya29.antigravity'])
})

test('a quota: the account rests until the reset Google names (Antigravity\'s short delays too), and the next account serves', async t => {
  const { mock, relay } = await setup(t, m => [antigravityAccount(m, { name: 'ag1', priority: 1 }), antigravityAccount(m, { name: 'ag2', priority: 50 })])
  mock.enqueue({ kind: 'status', status: 429, body: googleError(429, 'You have exhausted your capacity on this model. Your quota will reset after 1h.', [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'QUOTA_EXHAUSTED', domain: 'cloudcode-pa.googleapis.com', metadata: { quotaResetDelay: '1h0m0.5s', model: 'claude-sonnet-4-5' } }]) })
  const before = Date.now()
  const res = await post(relay, '/antigravity/api/v1/messages', { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }, CLAUDE_CODE)
  assert.equal(res.statusCode, 200, await res.body.text())
  const until = relay.server.health.state(relay.server.pool.byName('ag1')!.id).cooldownUntil!
  assert.ok(until >= before + 3_600_500 && until <= Date.now() + 3_600_500, `rests an hour: ${until - before}`)
})

test('accounts login antigravity: Antigravity\'s client and scopes, the address pasted, the project found (`login gemini` stays Gemini CLI\'s)', async t => {
  const oauth = await startOAuthMock({ google: true, googleSecret: ANTIGRAVITY_OAUTH_DEFAULTS.clientSecret })
  t.after(() => oauth.close())
  const upstream = await startGeminiMock()
  t.after(() => upstream.close())
  upstream.bearer = () => oauth.access()
  const dir = tempDir()
  const config = join(dir, 'relay.yaml')
  writeFileSync(config, JSON.stringify({ plugins: [{ use: 'gemini', mount: '/gemini', options: { antigravityOAuth: { tokenUrl: oauth.tokenUrl, authorizeUrl: `${oauth.url}/o/oauth2/v2/auth` } } }], store: { path: './relay.db' }, secrets: { keyFile: './secret.key' } }))
  let state = ''
  const r = await loginWithCli(['antigravity', '--name', 'ag', '--set', `baseUrl=${upstream.url}`, '--config', config], url => {
    assert.equal(url.searchParams.get('client_id'), ANTIGRAVITY_OAUTH_DEFAULTS.clientId)
    assert.equal(url.searchParams.get('redirect_uri'), 'http://localhost:51121/oauth-callback')
    assert.match(url.searchParams.get('scope')!, /auth\/cclog .*auth\/experimentsandconfigs/)
    state = url.searchParams.get('state')!
    return `http://localhost:51121/oauth-callback?code=${GOOD_CODE}&state=${state}`
  })
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /Logged in: gemini account "ag" \(acc_\w+, antigravity-oauth for dev@example\.com\)/)
  assert.deepEqual(upstream.requests.map(q => `${q.method} ${q.url}`), ['POST /v1internal:loadCodeAssist'])
})

test('Antigravity accounts in the Claude pool: with messages-gemini also at /claude, a Claude model an Antigravity account lists goes there; the others stay on Claude\'s accounts', async t => {
  const mock = await startGeminiMock()
  mock.antigravity = true
  t.after(() => mock.close())
  const anthropic = await startAnthropicMock()
  t.after(() => anthropic.close())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'claude', mount: '/claude' }, { use: 'gemini', mount: '/gemini' }, { use: 'messages-gemini', mount: '/gemini-cli/api', aliases: ['/antigravity/api', '/claude'] }],
    accounts: [claudeAccount(anthropic.url), antigravityAccount(mock, { models: ['claude-opus-*'] })],
  }))
  const ask = (model: string) => post(relay, '/claude/v1/messages', { model, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }, CLAUDE_CODE)
  const opus = await ask('claude-opus-4-5')
  assert.equal(opus.statusCode, 200, await opus.body.text())
  const sonnet = await ask('claude-sonnet-4-5')
  assert.equal(sonnet.statusCode, 200, await sonnet.body.text())
  assert.deepEqual([mock.requests.length, anthropic.requests.length], [1, 1])
  assert.equal(JSON.parse(mock.requests[0]!.body.toString()).model, 'claude-opus-4-5')
  await relay.settled()
  const rows = await relay.rt.store.recentRequests(2)
  assert.deepEqual(rows.map(r => [r.model, r.provider, r.bridge]).sort(), [['claude-opus-4-5', 'gemini', 'messages-gemini'], ['claude-sonnet-4-5', 'claude', null]].sort())
})
