// The real Claude Code (pinned in tests/clients/package.json) through the relay, in a
// loopback-only network namespace: `claude -p` at /claude with ANTHROPIC_API_KEY and at /api
// (the incumbent's path) with ANTHROPIC_AUTH_TOKEN, and a three-turn `--continue` conversation
// that stays on one account of three, and on an AWS Bedrock account. Each run: exit 0, the mock's answer printed, and exactly
// the usage and cost of what the mock answered recorded for the client's key.
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../../core/config/load-config.ts'
import assert from 'node:assert/strict'
import { DEFAULT_USAGE, startAnthropicMock, type AnthropicMock } from '../mocks/anthropic-mock.ts'
import { startBedrockMock } from '../mocks/bedrock-mock.ts'
import { ALICE_KEY, startMocks, claudeAccount, startRelay, testConfig, type Relay } from '../helpers/relay-harness.ts'
import { CLIENTS, clientEnv, requireClientSandbox, runClient } from './harness.ts'

const ANSWER = 'Hello from the mock Anthropic upstream.'

// The example config's plugins, as a user who keeps them has them: /api is shared with the
// OpenAI plugin and the chat bridges (Claude Code's own routes are the claude plugin's alone).
const EXAMPLE_PLUGINS = loadConfig(fileURLToPath(new URL('../../relay.example.yaml', import.meta.url)), {}).config.plugins

async function pool (t: import('node:test').TestContext, n: number) {
  const mocks = await startMocks(t, n, () => startAnthropicMock())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: EXAMPLE_PLUGINS,
    accounts: mocks.map((m, i) => claudeAccount(m.url, { name: `acct${i}`, apiKey: `sk-ant-acct${i}` })),
  }))
  return { mocks, relay }
}

// What Claude Code asks for with no model configured, priced here from Anthropic's published
// rates (µUSD per million tokens), not from the relay's table: claude-opus-5-5 for the turn,
// claude-haiku-5-5 for its side calls (titles, routing).
const PUBLISHED: Record<string, { input: bigint, output: bigint }> = {
  'claude-opus-5-5': { input: 4_000_000n, output: 20_000_000n },
  'claude-haiku-5-5': { input: 100_000n, output: 500_000n },
}

/** What the mocks answered, priced by hand at the published rates: what alice's usage must be. */
async function assertMetered (relay: Relay, mocks: AnthropicMock[]) {
  await relay.settled()
  const calls = mocks.flatMap(m => m.requests).filter(r => r.url.split('?')[0]!.endsWith('/v1/messages'))
  assert.ok(calls.length > 0, 'the client reached an upstream')
  let cost = 0n
  for (const c of calls) {
    const model = (JSON.parse(c.body.toString()) as { model: string }).model
    const price = PUBLISHED[model.replace(/-\d{8}$/, '')]
    assert.ok(price, `${model} is one of the models this client is known to ask for`)
    cost += BigInt(DEFAULT_USAGE.input_tokens) * price.input + BigInt(DEFAULT_USAGE.output_tokens) * price.output
  }
  const [alice] = await relay.rt.store.queryUsage({ since: 0, until: Date.now() + 86_400_000, groupBy: 'key' })
  assert.deepEqual([alice!.requests, alice!.input, alice!.output, alice!.costPico], [calls.length, calls.length * DEFAULT_USAGE.input_tokens, calls.length * DEFAULT_USAGE.output_tokens, cost])
  const rows = await relay.rt.store.recentRequests(100)
  assert.ok(cost > 0n)
  assert.ok(rows.every(r => r.status === 200 && r.clientKind === 'claude-code' && r.flags === null), JSON.stringify(rows.map(r => [r.path, r.status, r.clientKind, r.flags])))
}

test('claude -p at /claude with ANTHROPIC_API_KEY', async t => {
  if (!requireClientSandbox(t)) return
  const { mocks, relay } = await pool(t, 1)
  const run = await runClient(CLIENTS.claude, ['-p', 'say hi'], clientEnv({ ANTHROPIC_BASE_URL: `${relay.url}/claude`, ANTHROPIC_API_KEY: ALICE_KEY }))
  assert.equal(run.code, 0, run.stderr + run.stdout)
  assert.match(run.stdout, new RegExp(ANSWER))
  await assertMetered(relay, mocks)
  // The relay key went nowhere; the account's key did.
  for (const r of mocks[0]!.requests) assert.deepEqual([r.headers['x-api-key'], r.headers.authorization], ['sk-ant-acct0', undefined])
})

test("claude -p at /api (the incumbent's path) with ANTHROPIC_AUTH_TOKEN", async t => {
  if (!requireClientSandbox(t)) return
  const { mocks, relay } = await pool(t, 1)
  const run = await runClient(CLIENTS.claude, ['-p', 'say hi'], clientEnv({ ANTHROPIC_BASE_URL: `${relay.url}/api`, ANTHROPIC_AUTH_TOKEN: ALICE_KEY }))
  assert.equal(run.code, 0, run.stderr + run.stdout)
  assert.match(run.stdout, new RegExp(ANSWER))
  await assertMetered(relay, mocks)
})

test('a three-turn conversation with --continue stays on one account of three', async t => {
  if (!requireClientSandbox(t)) return
  const { mocks, relay } = await pool(t, 3)
  const env = clientEnv({ ANTHROPIC_BASE_URL: `${relay.url}/claude`, ANTHROPIC_API_KEY: ALICE_KEY })
  for (const [i, args] of [['-p', 'turn one'], ['-p', '--continue', 'turn two'], ['-p', '--continue', 'turn three']].entries()) {
    const run = await runClient(CLIENTS.claude, args, env)
    assert.equal(run.code, 0, `turn ${i + 1}: ${run.stderr}${run.stdout}`)
    assert.match(run.stdout, new RegExp(ANSWER))
  }
  await assertMetered(relay, mocks)
  const rows = await relay.rt.store.recentRequests(100)
  assert.equal(new Set(rows.filter(r => r.path === '/v1/messages').map(r => r.accountId)).size, 1, 'one account for the whole conversation')
  assert.equal(mocks.filter(m => m.requests.length > 0).length, 1)
})

test('a daily budget spent: Claude Code prints the relay\'s reason and when it resets, at once, without retrying', async t => {
  if (!requireClientSandbox(t)) return
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(mock.url, { keys: [{ name: 'alice', key: ALICE_KEY, budgets: { dailyUsd: 0.000001 } }] }))
  const env = clientEnv({ ANTHROPIC_BASE_URL: `${relay.url}/claude`, ANTHROPIC_API_KEY: ALICE_KEY })
  // The budget spent by one request (Claude Code makes several per run).
  const spend = await fetch(`${relay.url}/claude/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY }, body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }) })
  assert.equal(spend.status, 200)
  await spend.text()
  await relay.settled()
  const started = Date.now()
  const run = await runClient(CLIENTS.claude, ['-p', 'say hi again'], env)
  assert.notEqual(run.code, 0)
  assert.match(run.stdout + run.stderr, /Daily budget of \$0\.000001 reached for this key; resets at \d{4}-\d\d-\d\dT/)
  assert.ok(Date.now() - started < 20_000, `Claude Code took ${Date.now() - started} ms`)
})

test('claude -p on an AWS Bedrock account: signed InvokeModel calls, the event stream read back as Anthropic\'s, every call priced', async t => {
  if (!requireClientSandbox(t)) return
  const creds = { accessKeyId: 'AKIACLIENTTESTCLIENT', secretAccessKey: 'client/test/secret' }
  const bedrock = await startBedrockMock({ region: 'us-west-2', credentials: creds })
  t.after(() => bedrock.close())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: EXAMPLE_PLUGINS,
    // Claude Code's newest models are not on this (mock) region: the account says what serves them.
    accounts: [{ name: 'aws', provider: 'claude', type: 'bedrock', region: 'us-west-2', ...creds, baseUrl: bedrock.url, modelMap: { 'claude-opus-*': 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'claude-haiku-*': 'us.anthropic.claude-haiku-4-5-20251001-v1:0' } }],
  }))
  const run = await runClient(CLIENTS.claude, ['-p', 'say hi'], clientEnv({ ANTHROPIC_BASE_URL: `${relay.url}/claude`, ANTHROPIC_API_KEY: ALICE_KEY }))
  assert.equal(run.code, 0, run.stderr + run.stdout)
  assert.match(run.stdout, /Hello from the mock Bedrock runtime\./)
  const calls = bedrock.requests.filter(r => /\/invoke(-with-response-stream)?$/.test(r.url))
  assert.ok(calls.length > 0)
  for (const c of calls) assert.match(String(c.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIACLIENTTESTCLIENT\/\d{8}\/us-west-2\/bedrock\//)
  await relay.settled()
  const rows = await relay.rt.store.recentRequests(100)
  assert.equal(rows.filter(r => r.path.endsWith('/v1/messages')).length, calls.length)
  for (const r of rows.filter(r => r.path.endsWith('/v1/messages'))) {
    const price = relay.rt.pricing.lookup(r.model!)!.price
    assert.deepEqual([r.status, r.partial, r.clientKind, r.costPico], [200, false, 'claude-code', BigInt(DEFAULT_USAGE.input_tokens) * BigInt(price.input) + BigInt(DEFAULT_USAGE.output_tokens) * BigInt(price.output)], `${r.requestId} ${r.model}`)
    assert.match(String(r.requestedModel), /^claude-(opus|haiku)-/)
  }
})
