// The real Droid (Factory's CLI, pinned in tests/clients/package.json) through the relay, in a
// loopback-only network namespace: `droid exec` with custom models (Droid's BYOK settings) at the
// relay's /claude and /openai mounts, as any Anthropic or OpenAI endpoint, and at the incumbent's
// /droid paths served by a Factory account. Droid runs without reaching Factory when its models
// are custom: it tries api.factory.ai for its own features, fails (no network), and goes on.
// Each run: exit 0, the answer printed, every call metered for the client's key as droid-cli.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../../core/config/load-config.ts'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { startOpenAIMock, MOCK_TEXT } from '../mocks/openai-mock.ts'
import { startFactoryMock } from '../mocks/factory-mock.ts'
import { ALICE_KEY, claudeAccount, startRelay, testConfig, UPSTREAM_KEY, type Relay } from '../helpers/relay-harness.ts'
import { CLIENTS, clientEnv, requireClientSandbox, runClient } from './harness.ts'

const EXAMPLE_PLUGINS = loadConfig(fileURLToPath(new URL('../../relay.example.yaml', import.meta.url)), {}).config.plugins
const ANTHROPIC_TEXT = 'Hello from the mock Anthropic upstream.'

interface CustomModel { model: string, displayName: string, baseUrl: string, provider: 'anthropic' | 'openai' | 'generic-chat-completion-api' }

/** A Droid home whose settings name the relay's endpoints as custom models (with the relay key). */
function droidEnv (models: CustomModel[]): NodeJS.ProcessEnv {
  const env = clientEnv({})
  mkdirSync(join(env.HOME!, '.factory'), { recursive: true })
  writeFileSync(join(env.HOME!, '.factory', 'settings.json'), JSON.stringify({ customModels: models.map(m => ({ ...m, apiKey: ALICE_KEY, maxOutputTokens: 8192 })) }))
  return env
}

/** Droid names a custom model by its display name: `custom:<name with dashes>-<index>`. */
const modelId = (models: CustomModel[], i: number) => `custom:${models[i]!.displayName.replace(/\s+/g, '-')}-${i}`

async function assertMetered (relay: Relay, calls: number) {
  await relay.settled()
  const rows = (await relay.rt.store.recentRequests(100)).filter(r => r.path.endsWith('/messages') || r.path.endsWith('/responses') || r.path.endsWith('/completions'))
  assert.equal(rows.length, calls, 'one row per call the mocks answered')
  for (const r of rows) {
    assert.deepEqual([r.status, r.clientKind, r.partial, r.unpriced], [200, 'droid-cli', false, false], `${r.path} ${r.model}`)
    assert.ok((r.costPico ?? 0n) > 0n, `${r.path} ${r.model} is priced`)
  }
}

test('droid exec with custom models at /claude and /openai (Anthropic, Responses and Chat Completions)', { timeout: 240_000 }, async t => {
  if (!requireClientSandbox(t)) return
  const anthropic = await startAnthropicMock()
  const openai = await startOpenAIMock()
  t.after(() => Promise.all([anthropic.close(), openai.close()]))
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: EXAMPLE_PLUGINS,
    accounts: [claudeAccount(anthropic.url), { name: 'oa', provider: 'openai', type: 'openai-api-key', apiKey: 'sk-proj-oa', baseUrl: `${openai.url}/v1` }],
  }))
  const models: CustomModel[] = [
    { model: 'claude-sonnet-4-5', displayName: 'Relay Sonnet', baseUrl: `${relay.url}/claude`, provider: 'anthropic' },
    { model: 'gpt-5.4', displayName: 'Relay GPT', baseUrl: `${relay.url}/openai/v1`, provider: 'openai' },
    { model: 'gpt-5.4', displayName: 'Relay Chat', baseUrl: `${relay.url}/openai/v1`, provider: 'generic-chat-completion-api' },
  ]
  const env = droidEnv(models)
  for (const [i, answer] of [[0, ANTHROPIC_TEXT], [1, MOCK_TEXT], [2, MOCK_TEXT]] as const) {
    const run = await runClient(CLIENTS.droid, ['exec', '-m', modelId(models, i), 'say hi'], env)
    assert.equal(run.code, 0, run.stderr + run.stdout)
    assert.match(run.stdout, new RegExp(answer))
  }
  // The accounts' keys went upstream; the relay key went nowhere.
  assert.ok(anthropic.requests.every(r => r.headers['x-api-key'] === UPSTREAM_KEY))
  assert.ok(openai.requests.every(r => r.headers.authorization === 'Bearer sk-proj-oa'))
  await assertMetered(relay, anthropic.requests.length + openai.requests.length)
})

test('droid exec with custom models at the incumbent\'s /droid paths, served by a Factory account', { timeout: 240_000 }, async t => {
  if (!requireClientSandbox(t)) return
  const factory = await startFactoryMock({ apiKeys: ['fk-factory-team-key'] })
  t.after(() => factory.close())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: EXAMPLE_PLUGINS,
    accounts: [{ name: 'factory', provider: 'droid', type: 'droid', apiKey: 'fk-factory-team-key', baseUrl: factory.llmBase }],
  }))
  const models: CustomModel[] = [
    { model: 'claude-sonnet-4-5', displayName: 'Team Sonnet', baseUrl: `${relay.url}/droid/claude`, provider: 'anthropic' },
    { model: 'gpt-5.4', displayName: 'Team GPT', baseUrl: `${relay.url}/droid/openai/v1`, provider: 'openai' },
    { model: 'gpt-5.4', displayName: 'Team Chat', baseUrl: `${relay.url}/droid/comm/v1`, provider: 'generic-chat-completion-api' },
  ]
  const env = droidEnv(models)
  for (const [i, answer] of [[0, ANTHROPIC_TEXT], [1, MOCK_TEXT], [2, MOCK_TEXT]] as const) {
    const run = await runClient(CLIENTS.droid, ['exec', '-m', modelId(models, i), 'say hi'], env)
    assert.equal(run.code, 0, run.stderr + run.stdout)
    assert.match(run.stdout, new RegExp(answer))
  }
  const llm = factory.requests.filter(r => r.url.startsWith('/api/llm/'))
  assert.deepEqual([...new Set(llm.map(r => r.url))].sort(), ['/api/llm/a/v1/messages', '/api/llm/o/v1/chat/completions', '/api/llm/o/v1/responses'])
  for (const r of llm) assert.deepEqual([r.headers.authorization, r.headers['x-factory-client'], r.headers['user-agent']], ['Bearer fk-factory-team-key', 'cli', 'factory-cli/0.225.2'])
  await assertMetered(relay, llm.length)
})
