// The real Codex CLI (pinned in tests/clients/package.json) through the relay, in a
// loopback-only network namespace: `codex exec` with a custom provider at /openai/v1 and at
// /openai (the incumbent's documented base URL), `codex exec resume --last` staying on the
// first turn's account of three, also through an nginx that drops underscore headers, and the
// built-in provider redirected with `openai_base_url` (it asks for a WebSocket first and must
// fall back to HTTP at once), and at /azure on an Azure OpenAI deployment. Each run: exit 0, the mock's answer printed, exact usage and cost.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../../core/config/load-config.ts'
import { DEFAULT_OPENAI_USAGE, MOCK_TEXT, startOpenAIMock, type OpenAIMock } from '../mocks/openai-mock.ts'
import { ALICE_KEY, startMocks, startRelay, testConfig, type Relay } from '../helpers/relay-harness.ts'
import { requireBinary } from '../helpers/processes.ts'
import { startNginx } from '../helpers/nginx.ts'
import { CLIENTS, clientEnv, requireClientSandbox, runClient } from './harness.ts'

// Codex 0.171 asks for gpt-6.2-sol when its config names no model (none of these configs
// does); priced here from OpenAI's published rates, not from the relay's table, in µUSD per
// million tokens: $2 input, $0.10 cached input, $10 output.
const DEFAULT_MODEL = 'gpt-6.2-sol'
const PUBLISHED = { input: 2_000_000n, cacheRead: 100_000n, output: 10_000_000n }

// The example config's plugins, as a user who keeps them has them: /openai is shared with the
// chat bridges (by model), and /openai/v1/models is the relay's own list.
const EXAMPLE_PLUGINS = loadConfig(fileURLToPath(new URL('../../relay.example.yaml', import.meta.url)), {}).config.plugins

async function pool (t: TestContext, n: number, websocket = false): Promise<{ mocks: OpenAIMock[], relay: Relay }> {
  const mocks = await startMocks(t, n, () => startOpenAIMock())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: EXAMPLE_PLUGINS,
    accounts: mocks.map((m, i) => ({ name: `oa${i}`, provider: 'openai', type: 'openai-api-key', apiKey: `sk-proj-oa${i}`, baseUrl: `${m.url}/v1`, websocket })),
  }))
  return { mocks, relay }
}

/** A Codex home whose config.toml uses the relay: a custom provider, or the built-in one redirected. */
function codexEnv (baseUrl: string, mode: 'custom' | 'builtin'): NodeJS.ProcessEnv {
  const env = clientEnv({ RELAY_API_KEY: ALICE_KEY })
  const codexHome = join(env.HOME!, '.codex')
  mkdirSync(codexHome, { recursive: true })
  const common = 'check_for_update_on_startup = false\n[analytics]\nenabled = false\n'
  writeFileSync(join(codexHome, 'config.toml'), mode === 'custom'
    ? `model_provider = "relay"\n${common}\n[model_providers.relay]\nname = "Relay"\nbase_url = "${baseUrl}"\nwire_api = "responses"\nenv_key = "RELAY_API_KEY"\n`
    : `openai_base_url = "${baseUrl}"\n${common}`)
  return { ...env, CODEX_HOME: codexHome, ...(mode === 'builtin' ? { CODEX_API_KEY: ALICE_KEY } : {}) }
}

const exec = (env: NodeJS.ProcessEnv, ...args: string[]) => runClient(CLIENTS.codex, ['exec', '--skip-git-repo-check', ...args], env)

async function assertMetered (relay: Relay, mocks: OpenAIMock[]) {
  await relay.settled()
  const calls = mocks.flatMap(m => m.requests).filter(r => (r.method === 'POST' && r.url.endsWith('/responses')) || (r.method === 'WS' && r.body.includes('"response.create"')))
  assert.ok(calls.length > 0)
  const u = DEFAULT_OPENAI_USAGE
  const each = BigInt(u.input - u.cached) * PUBLISHED.input + BigInt(u.cached) * PUBLISHED.cacheRead + BigInt(u.output) * PUBLISHED.output
  const [alice] = await relay.rt.store.queryUsage({ since: 0, until: Date.now() + 86_400_000, groupBy: 'key' })
  assert.deepEqual([alice!.requests, alice!.input, alice!.cacheRead, alice!.output, alice!.costPico], [calls.length, calls.length * (u.input - u.cached), calls.length * u.cached, calls.length * u.output, BigInt(calls.length) * each])
  const rows = await relay.rt.store.recentRequests(100)
  assert.ok(rows.every(r => r.status === 200 && r.clientKind === 'codex-cli' && !r.partial && r.model === DEFAULT_MODEL && !r.unpriced && r.flags === null),
    JSON.stringify(rows.map(r => [r.path, r.status, r.clientKind, r.partial, r.model, r.flags])))
}

for (const mount of ['/openai/v1', '/openai']) {
  test(`codex exec with a custom provider at ${mount}`, async t => {
    if (!requireClientSandbox(t)) return
    const { mocks, relay } = await pool(t, 1)
    const run = await exec(codexEnv(`${relay.url}${mount}`, 'custom'), 'say hi')
    assert.equal(run.code, 0, run.stderr + run.stdout)
    assert.match(run.stdout, new RegExp(MOCK_TEXT))
    await assertMetered(relay, mocks)
    for (const r of mocks[0]!.requests) assert.equal(r.headers.authorization, 'Bearer sk-proj-oa0')
  })
}

test('codex exec at the incumbent\'s /azure, served by an Azure OpenAI deployment', async t => {
  if (!requireClientSandbox(t)) return
  const mock = await startOpenAIMock({ azure: { apiKey: 'azure-key-0001', deployments: { 'team-codex': DEFAULT_MODEL } } })
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: EXAMPLE_PLUGINS,
    accounts: [{ name: 'az', provider: 'openai', type: 'azure-openai', endpoint: mock.url, apiKey: 'azure-key-0001', deployments: { 'gpt-*': 'team-codex' } }],
  }))
  const run = await exec(codexEnv(`${relay.url}/azure`, 'custom'), 'say hi')
  assert.equal(run.code, 0, run.stderr + run.stdout)
  assert.match(run.stdout, new RegExp(MOCK_TEXT))
  await assertMetered(relay, [mock])
  for (const r of mock.requests.filter(r => r.method === 'POST')) {
    assert.deepEqual([r.url, r.headers['api-key'], JSON.parse(r.body.toString()).model], ['/openai/v1/responses', 'azure-key-0001', 'team-codex'])
  }
})

async function resumeStaysOnOneAccount (t: TestContext, base: (relay: Relay) => Promise<string>) {
  const { mocks, relay } = await pool(t, 3)
  const env = codexEnv(await base(relay), 'custom')
  const first = await exec(env, 'say hi')
  assert.equal(first.code, 0, first.stderr + first.stdout)
  for (let turn = 2; turn <= 3; turn++) {
    const next = await exec(env, 'resume', '--last', `turn ${turn}`)
    assert.equal(next.code, 0, next.stderr + next.stdout)
    assert.match(next.stdout, new RegExp(MOCK_TEXT))
  }
  await assertMetered(relay, mocks)
  assert.equal(mocks.filter(m => m.requests.length > 0).length, 1, 'every turn on the first turn\'s account')
}

test('codex exec resume --last stays on the first turn\'s account of three', async t => {
  if (!requireClientSandbox(t)) return
  await resumeStaysOnOneAccount(t, async relay => `${relay.url}/openai/v1`)
})

test('... also through an nginx without underscores_in_headers', async t => {
  if (!requireClientSandbox(t)) return
  const nginx = requireBinary(t, 'nginx')
  if (!nginx) return
  await resumeStaysOnOneAccount(t, async relay => `${await startNginx(t, nginx, Number(new URL(relay.url).port), { underscoresInHeaders: false })}/openai/v1`)
})

test('the built-in provider redirected with openai_base_url, no WebSocket upstream: 426, HTTP serves at once', async t => {
  if (!requireClientSandbox(t)) return
  const { mocks, relay } = await pool(t, 1)
  const started = Date.now()
  const run = await exec(codexEnv(`${relay.url}/openai/v1`, 'builtin'), 'say hi')
  assert.equal(run.code, 0, run.stderr + run.stdout)
  assert.match(run.stdout, new RegExp(MOCK_TEXT))
  assert.ok(Date.now() - started < 5000, 'no WebSocket retries before the fallback')
  await assertMetered(relay, mocks)
})

test('the built-in provider over WebSocket, when the account\'s upstream speaks it: bridged and metered', async t => {
  if (!requireClientSandbox(t)) return
  const { mocks, relay } = await pool(t, 1, true)
  const run = await exec(codexEnv(`${relay.url}/openai/v1`, 'builtin'), 'say hi')
  assert.equal(run.code, 0, run.stderr + run.stdout)
  assert.match(run.stdout, new RegExp(MOCK_TEXT))
  assert.ok(mocks[0]!.requests.some(r => r.method === 'WS'), 'the turn went over the WebSocket')
  await assertMetered(relay, mocks)
})

test('... and the same through nginx with the shipped kit (it passes the upgrade)', async t => {
  if (!requireClientSandbox(t)) return
  const nginx = requireBinary(t, 'nginx')
  if (!nginx) return
  const { mocks, relay } = await pool(t, 1, true)
  const base = await startNginx(t, nginx, Number(new URL(relay.url).port))
  const run = await exec(codexEnv(`${base}/openai/v1`, 'builtin'), 'say hi')
  assert.equal(run.code, 0, run.stderr + run.stdout)
  assert.match(run.stdout, new RegExp(MOCK_TEXT))
  assert.ok(mocks[0]!.requests.some(r => r.method === 'WS'), 'the turn went over the WebSocket')
  await assertMetered(relay, mocks)
})

test('a daily budget spent: Codex prints the relay\'s reason and when it resets, at once, without retrying until midnight', async t => {
  if (!requireClientSandbox(t)) return
  const mocks = await startMocks(t, 1, () => startOpenAIMock())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'openai', mount: '/openai' }],
    keys: [{ name: 'alice', key: ALICE_KEY, budgets: { dailyUsd: 0.0001 } }],
    accounts: [{ name: 'oa0', provider: 'openai', type: 'openai-api-key', apiKey: 'sk-proj-oa0', baseUrl: `${mocks[0]!.url}/v1` }],
  }))
  const env = codexEnv(`${relay.url}/openai/v1`, 'custom')
  // The first turn spends more than the budget (the mock's usage on gpt-6.2-sol costs ~$0.0004).
  assert.equal((await exec(env, 'say hi')).code, 0)
  await relay.settled()
  const started = Date.now()
  const run = await exec(env, 'say hi again')
  assert.notEqual(run.code, 0)
  assert.match(run.stdout + run.stderr, /Daily budget of \$0\.000100 reached for this key; resets at \d{4}-\d\d-\d\dT/)
  assert.doesNotMatch(run.stdout + run.stderr, /Quota exceeded\. Check your plan/)
  assert.ok(Date.now() - started < 15_000, `Codex took ${Date.now() - started} ms`)
})
