// The official SDKs as pinned in tests/clients/package.json (the openai SDK on Node 22) through
// the relay: Anthropic Messages plain and streamed, OpenAI Responses and Chat plain and streamed.
// Every answer arrives whole, a chat stream that did not ask for usage gets none, and every call
// is metered exactly.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { DEFAULT_USAGE, startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { DEFAULT_OPENAI_USAGE, MOCK_TEXT, startOpenAIMock } from '../mocks/openai-mock.ts'
import { ALICE_KEY, claudeAccount, startRelay, testConfig } from '../helpers/relay-harness.ts'
import { CLIENTS, clientEnv, requireClientSandbox, runClient } from './harness.ts'

test('the Anthropic and OpenAI SDKs, plain and streamed, through the relay', async t => {
  if (!requireClientSandbox(t)) return
  const anthropic = await startAnthropicMock()
  const openai = await startOpenAIMock()
  t.after(() => anthropic.close())
  t.after(() => openai.close())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'claude', mount: '/claude' }, { use: 'openai', mount: '/openai' }],
    accounts: [claudeAccount(anthropic.url), { name: 'oa', provider: 'openai', type: 'openai-api-key', apiKey: 'sk-proj-oa', baseUrl: `${openai.url}/v1` }],
  }))
  const run = await runClient(CLIENTS.node22, [fileURLToPath(new URL('sdk-calls.mjs', import.meta.url))], clientEnv({
    CLAUDE_BASE: `${relay.url}/claude`, OPENAI_BASE: `${relay.url}/openai/v1`, RELAY_KEY: ALICE_KEY,
  }), fileURLToPath(new URL('.', import.meta.url)))
  assert.equal(run.code, 0, run.stderr + run.stdout)
  const got = JSON.parse(run.stdout) as Record<string, unknown>
  assert.deepEqual(got, {
    anthropic: 'Hello from the mock Anthropic upstream.',
    anthropicStream: 'Hello from the mock Anthropic upstream.',
    responses: MOCK_TEXT,
    responsesStream: MOCK_TEXT,
    chat: MOCK_TEXT,
    chatStream: MOCK_TEXT,
    chatStreamUsageSeen: false,
  })
  await relay.settled()
  const byModel = new Map((await relay.rt.store.queryUsage({ since: 0, until: Date.now() + 86_400_000, groupBy: 'model' })).map(r => [r.group, r]))
  const sonnet = relay.rt.pricing.lookup('claude-sonnet-4-5')!.price
  const gpt = relay.rt.pricing.lookup('gpt-5.4')!.price
  const u = DEFAULT_OPENAI_USAGE
  assert.deepEqual([byModel.get('claude-sonnet-4-5')!.requests, byModel.get('claude-sonnet-4-5')!.costPico], [2, 2n * (BigInt(DEFAULT_USAGE.input_tokens) * BigInt(sonnet.input) + BigInt(DEFAULT_USAGE.output_tokens) * BigInt(sonnet.output))])
  assert.deepEqual([byModel.get('gpt-5.4')!.requests, byModel.get('gpt-5.4')!.costPico], [4, 4n * (BigInt(u.input - u.cached) * BigInt(gpt.input) + BigInt(u.cached) * BigInt(gpt.cacheRead!) + BigInt(u.output) * BigInt(gpt.output))])
  const rows = await relay.rt.store.recentRequests(100)
  assert.ok(rows.every(r => r.status === 200 && r.clientKind === 'sdk' && !r.partial), JSON.stringify(rows.map(r => [r.path, r.status, r.clientKind])))
})
