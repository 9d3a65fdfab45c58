// The official SDKs as pinned in tests/clients/package.json (the openai and Gen AI SDKs on Node
// 22) through nginx with the shipped kit and the relay: Anthropic Messages, OpenAI Responses and
// Chat (on an OpenAI account, and on an Azure deployment at /azure), Gemini generateContent, each
// plain and streamed.
// Every answer arrives whole, a chat stream that did not ask for usage gets none, and every call
// is metered exactly.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { DEFAULT_USAGE, startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { DEFAULT_OPENAI_USAGE, MOCK_TEXT, startOpenAIMock } from '../mocks/openai-mock.ts'
import { DEFAULT_GEMINI_USAGE, GEMINI_TEXT, startGeminiMock } from '../mocks/gemini-mock.ts'
import { ALICE_KEY, claudeAccount, startRelay, testConfig } from '../helpers/relay-harness.ts'
import { requireBinary } from '../helpers/processes.ts'
import { startNginx } from '../helpers/nginx.ts'
import { CLIENTS, clientEnv, requireClientSandbox, runClient } from './harness.ts'

// The OpenAI SDK's calls are served by an OpenAI account at /openai/v1, then by an Azure OpenAI
// deployment at the incumbent's /azure.
const OPENAI_POOLS = [
  { name: 'an OpenAI account', path: '/openai/v1', azure: false },
  { name: 'an Azure OpenAI deployment at /azure', path: '/azure', azure: true },
] as const

for (const pool of OPENAI_POOLS) test(`the Anthropic, OpenAI and Gen AI SDKs, plain and streamed, through nginx and the relay; OpenAI on ${pool.name}`, async t => {
  if (!requireClientSandbox(t)) return
  const nginx = requireBinary(t, 'nginx')
  if (!nginx) return
  const anthropic = await startAnthropicMock()
  const openai = await startOpenAIMock(pool.azure ? { azure: { apiKey: 'azure-key', deployments: { 'team-gpt': 'gpt-5.4' } } } : {})
  const gemini = await startGeminiMock()
  t.after(() => anthropic.close())
  t.after(() => openai.close())
  t.after(() => gemini.close())
  const openaiAccount = pool.azure
    ? { name: 'az', provider: 'openai', type: 'azure-openai', endpoint: openai.url, apiKey: 'azure-key', deployments: { 'gpt-5.4': 'team-gpt' } }
    : { name: 'oa', provider: 'openai', type: 'openai-api-key', apiKey: 'sk-proj-oa', baseUrl: `${openai.url}/v1` }
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'claude', mount: '/claude' }, { use: 'openai', mount: '/openai', aliases: ['/azure'] }, { use: 'gemini', mount: '/gemini' }],
    accounts: [claudeAccount(anthropic.url), openaiAccount, { name: 'g', provider: 'gemini', type: 'gemini-api-key', apiKey: 'AIza-g', baseUrl: gemini.url }],
  }))
  const base = await startNginx(t, nginx, Number(new URL(relay.url).port))
  const run = await runClient(CLIENTS.node22, [fileURLToPath(new URL('sdk-calls.mjs', import.meta.url))], clientEnv({
    CLAUDE_BASE: `${base}/claude`, OPENAI_BASE: `${base}${pool.path}`, GEMINI_BASE: `${base}/gemini`, RELAY_KEY: ALICE_KEY,
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
    gemini: GEMINI_TEXT,
    geminiStream: GEMINI_TEXT,
  })
  await relay.settled()
  const byModel = new Map((await relay.rt.store.queryUsage({ since: 0, until: Date.now() + 86_400_000, groupBy: 'model' })).map(r => [r.group, r]))
  const sonnet = relay.rt.pricing.lookup('claude-sonnet-4-5')!.price
  const gpt = relay.rt.pricing.lookup('gpt-5.4')!.price
  const u = DEFAULT_OPENAI_USAGE
  assert.deepEqual([byModel.get('claude-sonnet-4-5')!.requests, byModel.get('claude-sonnet-4-5')!.costPico], [2, 2n * (BigInt(DEFAULT_USAGE.input_tokens) * BigInt(sonnet.input) + BigInt(DEFAULT_USAGE.output_tokens) * BigInt(sonnet.output))])
  assert.deepEqual([byModel.get('gpt-5.4')!.requests, byModel.get('gpt-5.4')!.costPico], [4, 4n * (BigInt(u.input - u.cached) * BigInt(gpt.input) + BigInt(u.cached) * BigInt(gpt.cacheRead!) + BigInt(u.output) * BigInt(gpt.output))])
  const pro = relay.rt.pricing.lookup('gemini-2.5-pro')!.price
  const g = DEFAULT_GEMINI_USAGE
  assert.deepEqual([byModel.get('gemini-2.5-pro')!.requests, byModel.get('gemini-2.5-pro')!.costPico], [2, 2n * (BigInt(g.prompt - g.cached) * BigInt(pro.input) + BigInt(g.cached) * BigInt(pro.cacheRead!) + BigInt(g.candidates + g.thoughts) * BigInt(pro.output))])
  const rows = await relay.rt.store.recentRequests(100)
  assert.ok(rows.every(r => r.status === 200 && r.clientKind === 'sdk' && !r.partial), JSON.stringify(rows.map(r => [r.path, r.status, r.clientKind])))
  if (pool.azure) {
    const calls = openai.requests.filter(r => r.method === 'POST')
    assert.deepEqual(calls.map(r => [r.url, r.headers['api-key'], JSON.parse(r.body.toString()).model]), [
      ...Array(2).fill(['/openai/v1/responses', 'azure-key', 'team-gpt']), ...Array(2).fill(['/openai/v1/chat/completions', 'azure-key', 'team-gpt']),
    ])
  }
})
