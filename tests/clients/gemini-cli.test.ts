// The real Gemini CLI (pinned in tests/clients/package.json) through the relay, in a
// loopback-only network namespace, served by a gemini-api-key account in both of its modes:
// API-key mode (GEMINI_API_KEY, GOOGLE_GEMINI_BASE_URL at /gemini) and Code Assist mode ("Login
// with Google": GOOGLE_GENAI_USE_GCA, GOOGLE_CLOUD_ACCESS_TOKEN, CODE_ASSIST_ENDPOINT at /gemini,
// no Google project). Exit 0, the mock's answer printed, and the exact usage (thinking and
// cached tokens included) and cost recorded. Subscription accounts follow with issue 9.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULT_GEMINI_USAGE, GEMINI_TEXT, startGeminiMock } from '../mocks/gemini-mock.ts'
import { ALICE_KEY, startRelay, testConfig } from '../helpers/relay-harness.ts'
import { CLIENTS, clientEnv, requireClientSandbox, runClient } from './harness.ts'

// Gemini CLI 0.61 may ask for models with no published price yet (its classifier on
// gemini-3.5-flash-lite, answers from gemini-3.8-flash, or the shipped gemini-3.1-pro-preview):
// the config prices the unpublished ones, as an operator would, so every cost is checked exactly.
const TEST_PRICE = { input: 1_000_000, output: 8_000_000, cacheRead: 100_000 }
const CLI_MODELS = ['gemini-3.5-flash-lite', 'gemini-3.8-flash']

for (const mode of ['api-key', 'code-assist'] as const) {
  test(`gemini -p in ${mode} mode at /gemini, served by an API-key account`, async t => {
    if (!requireClientSandbox(t)) return
    const mock = await startGeminiMock()
    t.after(() => mock.close())
    const relay = await startRelay(t, testConfig(undefined, {
      plugins: [{ use: 'gemini', mount: '/gemini' }],
      accounts: [{ name: 'g', provider: 'gemini', type: 'gemini-api-key', apiKey: 'AIza-upstream-0001', baseUrl: mock.url }],
      pricing: { models: Object.fromEntries(CLI_MODELS.map(m => [m, TEST_PRICE])) },
    }))
    const env = clientEnv(mode === 'api-key'
      ? { GEMINI_API_KEY: ALICE_KEY, GOOGLE_GEMINI_BASE_URL: `${relay.url}/gemini`, GEMINI_CLI_TRUST_WORKSPACE: 'true' }
      : { GOOGLE_GENAI_USE_GCA: 'true', GOOGLE_CLOUD_ACCESS_TOKEN: ALICE_KEY, CODE_ASSIST_ENDPOINT: `${relay.url}/gemini`, GEMINI_CLI_TRUST_WORKSPACE: 'true' })
    mkdirSync(join(env.HOME!, '.gemini'), { recursive: true })
    writeFileSync(join(env.HOME!, '.gemini', 'settings.json'), JSON.stringify({
      privacy: { usageStatisticsEnabled: false }, telemetry: { enabled: false },
      general: { disableAutoUpdate: true, disableUpdateNag: true },
      security: { auth: { selectedType: mode === 'api-key' ? 'gemini-api-key' : 'oauth-personal' } },
    }))
    const run = await runClient(process.execPath, [CLIENTS.gemini, '-p', 'say hi'], env)
    assert.equal(run.code, 0, run.stderr + run.stdout)
    assert.match(run.stdout, new RegExp(GEMINI_TEXT))
    await relay.settled()
    const calls = mock.requests.filter(r => /:(generateContent|streamGenerateContent)/.test(r.url))
    assert.ok(calls.length > 0)
    for (const r of calls) assert.equal(r.headers['x-goog-api-key'], 'AIza-upstream-0001')
    const u = DEFAULT_GEMINI_USAGE
    const rows = (await relay.rt.store.recentRequests(100)).filter(r => /Content$/.test(r.path))
    assert.equal(rows.length, calls.length)
    for (const row of rows) {
      const price = relay.rt.pricing.lookup(row.model!)?.price
      assert.ok(price, `${row.model} is priced (shipped table or config)`)
      const cost = BigInt(u.prompt - u.cached) * BigInt(price.input) + BigInt(u.cached) * BigInt(price.cacheRead!) + BigInt(u.candidates + u.thoughts) * BigInt(price.output)
      assert.deepEqual([row.status, row.clientKind, row.usage.input, row.usage.cacheRead, row.usage.output, row.usage.reasoning, row.costPico],
        [200, 'gemini-cli', u.prompt - u.cached, u.cached, u.candidates + u.thoughts, u.thoughts, cost])
    }
  })
}
