// The real Gemini CLI (pinned in tests/clients/package.json) through nginx with the shipped kit
// and the relay, in a loopback-only network namespace, in both of its modes: API-key mode
// (GEMINI_API_KEY, GOOGLE_GEMINI_BASE_URL at /gemini) and Code Assist mode ("Login with Google":
// GOOGLE_GENAI_USE_GCA, GOOGLE_CLOUD_ACCESS_TOKEN, CODE_ASSIST_ENDPOINT at /gemini, no Google
// project), each served once by a Gemini API key and once by a Google login (Code Assist
// upstream, the account's own project). Exit 0, the mock's answer printed, the upstream called
// with the account's credential, and the exact usage (thinking and cached tokens included) and
// cost recorded.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CODE_ASSIST_PROJECT, DEFAULT_GEMINI_USAGE, GEMINI_TEXT, startGeminiMock } from '../mocks/gemini-mock.ts'
import { ALICE_KEY, startRelay, testConfig } from '../helpers/relay-harness.ts'
import { requireBinary } from '../helpers/processes.ts'
import { startNginx } from '../helpers/nginx.ts'
import { CLIENTS, clientEnv, requireClientSandbox, runClient } from './harness.ts'

// What Gemini CLI 0.61 asks for with no model configured, priced here from Google's published
// rates (µUSD per million tokens: input, cached input, output), not from the relay's table:
// API-key mode answers with gemini-3.8-flash (its promotional rate doubles on 2027-01-01) after
// its classifier on gemini-3.5-flash-lite; Code Assist uses gemini-3-flash and gemini-3.1-flash-lite.
const PROMO = Date.now() < Date.parse('2027-01-01T00:00:00Z') ? 1n : 2n
const PUBLISHED: Record<string, { input: bigint, cacheRead: bigint, output: bigint }> = {
  'gemini-3.8-flash': { input: 750_000n * PROMO, cacheRead: 75_000n * PROMO, output: 3_750_000n * PROMO },
  'gemini-3.5-flash-lite': { input: 300_000n, cacheRead: 30_000n, output: 2_500_000n },
  'gemini-3-flash': { input: 500_000n, cacheRead: 50_000n, output: 3_000_000n },
  'gemini-3.1-flash-lite': { input: 250_000n, cacheRead: 25_000n, output: 1_500_000n },
  'gemini-3.1-pro-preview': { input: 2_000_000n, cacheRead: 200_000n, output: 12_000_000n },
}

const GOOGLE_TOKEN = 'ya29.mock-google-token'
const ACCOUNTS = {
  'gemini-api-key': (url: string) => ({ name: 'g', provider: 'gemini', type: 'gemini-api-key', apiKey: 'AIza-upstream-0001', baseUrl: url }),
  'gemini-oauth': (url: string) => ({ name: 'g', provider: 'gemini', type: 'gemini-oauth', accessToken: GOOGLE_TOKEN, projectId: CODE_ASSIST_PROJECT, expiresAt: Date.now() + 3_600_000, baseUrl: url }),
  // Antigravity's Google login: the mock is then Antigravity's backend, which takes only its envelope.
  'antigravity-oauth': (url: string) => ({ name: 'g', provider: 'gemini', type: 'antigravity-oauth', accessToken: GOOGLE_TOKEN, projectId: CODE_ASSIST_PROJECT, expiresAt: Date.now() + 3_600_000, baseUrl: url }),
}

for (const account of ['gemini-api-key', 'gemini-oauth', 'antigravity-oauth'] as const) {
  for (const mode of ['api-key', 'code-assist'] as const) {
    test(`gemini -p in ${mode} mode through nginx at /gemini, served by a ${account} account`, async t => {
      if (!requireClientSandbox(t)) return
      const nginx = requireBinary(t, 'nginx')
      if (!nginx) return
      const mock = await startGeminiMock()
      t.after(() => mock.close())
      mock.bearer = () => GOOGLE_TOKEN
      mock.antigravity = account === 'antigravity-oauth'
      const relay = await startRelay(t, testConfig(undefined, {
        plugins: [{ use: 'gemini', mount: '/gemini' }],
        accounts: [ACCOUNTS[account](mock.url)],
      }))
      const base = `${await startNginx(t, nginx, Number(new URL(relay.url).port))}/gemini`
      const env = clientEnv(mode === 'api-key'
        ? { GEMINI_API_KEY: ALICE_KEY, GOOGLE_GEMINI_BASE_URL: base, GEMINI_CLI_TRUST_WORKSPACE: 'true' }
        : { GOOGLE_GENAI_USE_GCA: 'true', GOOGLE_CLOUD_ACCESS_TOKEN: ALICE_KEY, CODE_ASSIST_ENDPOINT: base, GEMINI_CLI_TRUST_WORKSPACE: 'true' })
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
      for (const r of calls) {
        if (account === 'gemini-api-key') {
          assert.match(r.url, /^\/v1beta\/models\//)
          assert.equal(r.headers['x-goog-api-key'], 'AIza-upstream-0001')
        } else {
          assert.match(r.url, /^\/v1internal:/)
          assert.deepEqual([r.headers.authorization, r.headers['x-goog-api-key']], [`Bearer ${GOOGLE_TOKEN}`, undefined])
          const envelope = JSON.parse(r.body.toString()) as { project: string, userAgent?: string }
          assert.deepEqual([envelope.project, envelope.userAgent], [CODE_ASSIST_PROJECT, account === 'antigravity-oauth' ? 'antigravity' : undefined])
        }
      }
      const u = DEFAULT_GEMINI_USAGE
      const rows = (await relay.rt.store.recentRequests(100)).filter(r => /Content$/.test(r.path))
      assert.equal(rows.length, calls.length)
      for (const row of rows) {
        const price = PUBLISHED[row.model!]
        assert.ok(price, `${row.model} is one of the models this client is known to ask for`)
        const cost = BigInt(u.prompt - u.cached) * price.input + BigInt(u.cached) * price.cacheRead + BigInt(u.candidates + u.thoughts) * price.output
        assert.deepEqual([row.status, row.clientKind, row.usage.input, row.usage.cacheRead, row.usage.output, row.usage.reasoning, row.costPico, row.flags],
          [200, 'gemini-cli', u.prompt - u.cached, u.cached, u.candidates + u.thoughts, u.thoughts, cost, null])
      }
    })
  }
}

test('a daily budget spent: Gemini CLI prints the relay\'s reason and when it resets, at once, without retrying for minutes', async t => {
  if (!requireClientSandbox(t)) return
  const mock = await startGeminiMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'gemini', mount: '/gemini' }],
    keys: [{ name: 'alice', key: ALICE_KEY, budgets: { dailyUsd: 0.000001 } }],
    accounts: [ACCOUNTS['gemini-api-key'](mock.url)],
  }))
  const env = clientEnv({ GEMINI_API_KEY: ALICE_KEY, GOOGLE_GEMINI_BASE_URL: `${relay.url}/gemini`, GEMINI_CLI_TRUST_WORKSPACE: 'true' })
  mkdirSync(join(env.HOME!, '.gemini'), { recursive: true })
  writeFileSync(join(env.HOME!, '.gemini', 'settings.json'), JSON.stringify({
    privacy: { usageStatisticsEnabled: false }, telemetry: { enabled: false },
    general: { disableAutoUpdate: true, disableUpdateNag: true }, security: { auth: { selectedType: 'gemini-api-key' } },
  }))
  // The budget spent by one request (Gemini CLI may make more than one per run).
  const spend = await fetch(`${relay.url}/gemini/v1beta/models/gemini-2.5-flash:generateContent`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-goog-api-key': ALICE_KEY }, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }) })
  assert.equal(spend.status, 200)
  await spend.text()
  await relay.settled()
  const started = Date.now()
  const run = await runClient(process.execPath, [CLIENTS.gemini, '-p', 'say hi again'], env)
  assert.notEqual(run.code, 0)
  assert.match(run.stdout + run.stderr, /Daily budget of \$0\.000001 reached for this key; resets at \d{4}-\d\d-\d\dT/)
  assert.ok(Date.now() - started < 20_000, `Gemini CLI took ${Date.now() - started} ms`)
})
