// /_relay/metrics: what a Prometheus scrape sees after real traffic — requests, tokens and cost
// by model, failovers, refusals by reason, account states, store writes, Node's own metrics —
// and never a key's secret (nor its name unless the config allows).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { ROOT } from '../helpers/processes.ts'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { ALICE_KEY, claudeAccount, startRelay, testConfig, UPSTREAM_KEY } from '../helpers/relay-harness.ts'

const message = (url: string, key: string) => request(`${url}/claude/v1/messages`, {
  method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' },
  body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
})

/** The value of the series with exactly these labels. */
function sample (text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',')
  for (const line of text.split('\n')) {
    const m = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const got = (m[2] ?? '').split(',').filter(Boolean).sort().join(',')
    if (got === want) return Number(m[3])
  }
  return undefined
}

test('a scrape after traffic: requests, tokens, cost, failovers, refusals, accounts and the store, without secrets', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(undefined, {
    accounts: [claudeAccount(mock.url, { name: 'first', priority: 1 }), claudeAccount(mock.url, { name: 'second', priority: 2 })],
  }))
  await (await message(relay.url, ALICE_KEY)).body.dump()
  mock.enqueue({ kind: 'status', status: 529, body: JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }) })
  await (await message(relay.url, ALICE_KEY)).body.dump()
  await (await message(relay.url, 'ars_not-a-key-00000000000000000000000')).body.dump()
  await relay.settled()
  const res = await request(`${relay.url}/_relay/metrics`)
  assert.equal(res.statusCode, 200)
  assert.match(String(res.headers['content-type']), /^text\/plain/)
  const text = await res.body.text()
  assert.equal(sample(text, 'ai_relay_requests_total', { provider: 'claude', route: '/v1/messages', status: '200', client_kind: 'other' }), 2)
  assert.equal(sample(text, 'ai_relay_failovers_total', { provider: 'claude' }), 1)
  assert.equal(sample(text, 'ai_relay_upstream_attempts_total', { provider: 'claude' }), 3)
  assert.equal(sample(text, 'ai_relay_tokens_total', { provider: 'claude', model: 'claude-sonnet-4-5', kind: 'input' }), 50)
  assert.ok(sample(text, 'ai_relay_cost_usd_total', { provider: 'claude', model: 'claude-sonnet-4-5' })! > 0)
  assert.equal(sample(text, 'ai_relay_key_refusals_total', { reason: 'RELAY_ERR_KEY_INVALID' }), 1)
  assert.equal(sample(text, 'ai_relay_accounts', { provider: 'claude', state: 'active' }), 2)
  assert.equal(sample(text, 'ai_relay_inflight_requests', {}), 0)
  assert.ok(sample(text, 'ai_relay_store_write_seconds_count', {})! >= 1)
  assert.ok(sample(text, 'ai_relay_time_to_first_byte_seconds_count', { provider: 'claude' })! >= 2)
  assert.match(text, /^ai_relay_process_cpu_seconds_total /m, "Node's own metrics")
  for (const secret of [ALICE_KEY, UPSTREAM_KEY, 'alice']) assert.ok(!text.includes(secret), `${secret} is not in the metrics`)
})

test('a metrics token is required when configured; key names appear only when allowed', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(mock.url, { metrics: { token: 'metrics-token-0123456789', keyLabels: true } }))
  await (await message(relay.url, ALICE_KEY)).body.dump()
  const anon = await request(`${relay.url}/_relay/metrics`)
  assert.equal(anon.statusCode, 401)
  await anon.body.dump()
  const wrong = await request(`${relay.url}/_relay/metrics`, { headers: { authorization: 'Bearer metrics-token-wrong-000' } })
  assert.equal(wrong.statusCode, 401)
  await wrong.body.dump()
  const ok = await request(`${relay.url}/_relay/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } })
  const text = await ok.body.text()
  assert.equal(sample(text, 'ai_relay_requests_total', { provider: 'claude', route: '/v1/messages', status: '200', client_kind: 'other', key: 'alice' }), 1)
})

test('the Grafana dashboard in docs/ queries only metrics the relay exports', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(mock.url))
  const exported = new Set((await (await request(`${relay.url}/_relay/metrics`)).body.text()).split('\n').filter(l => l.startsWith('# TYPE ')).map(l => l.split(' ')[2]!))
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'docs', 'grafana-dashboard.json'), 'utf8')) as { panels: { title: string, targets: { expr: string }[] }[] }
  assert.ok(dashboard.panels.length >= 8)
  for (const panel of dashboard.panels) {
    for (const { expr } of panel.targets) {
      for (const name of expr.match(/ai_relay_\w+/g) ?? []) {
        const base = name.replace(/_(bucket|sum|count)$/, '')
        assert.ok(exported.has(name) || exported.has(base), `${panel.title}: ${name} is not exported`)
      }
    }
  }
})

test('unpriced requests are counted by model, and the model names (the clients\' to choose) are capped', async () => {
  const { RelayMetrics } = await import('../../core/ops/metrics.ts')
  const m = new RelayMetrics({ keyLabels: false }, { inflight: () => 0, queueDepth: () => 0, accountStates: () => [] })
  const settled = (model: string, costPico: bigint | null) => m.settled({ provider: 'openai', route: '/v1/responses', status: 200, clientKind: 'codex-cli', model, usage: { input: 1 }, costPico, billable: true, ttfbMs: 1, latencyMs: 2, attempts: 1 })
  for (let i = 0; i < 130; i++) settled(`gpt-new-${i}`, null)
  settled('gpt-new-0', null)
  settled('gpt-5.4', 1000n)
  const text = await m.render()
  const lines = text.split('\n').filter(l => l.startsWith('ai_relay_unpriced_requests_total{'))
  assert.equal(lines.length, 101, '100 models and "other"')
  assert.ok(lines.includes('ai_relay_unpriced_requests_total{provider="openai",model="gpt-new-0"} 2'))
  assert.ok(lines.includes('ai_relay_unpriced_requests_total{provider="openai",model="other"} 30'))
  assert.ok(!lines.some(l => l.includes('gpt-5.4')), 'a priced request is not counted')
})
