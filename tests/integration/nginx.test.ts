// The shipped nginx kit in front of a real sidecar process: the official Anthropic SDK with exact
// metering, and every case a gateway kit must pass (gateway-cases.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Anthropic from '@anthropic-ai/sdk'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { ALICE_KEY, tempDir, testConfig } from '../helpers/relay-harness.ts'
import { freePort, requireBinary, spawnRelay } from '../helpers/processes.ts'
import { startNginx } from '../helpers/nginx.ts'
import { openSqliteStore } from '../../core/store/sqlite-store.ts'
import { gatewayCases } from './gateway-cases.ts'

/** Mock upstream ← sidecar process ← nginx with the shipped snippets. */
async function relayBehindNginx (t: import('node:test').TestContext, nginxBin: string, extra: Record<string, unknown>) {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const dir = tempDir()
  const sidecarPort = await freePort()
  const configFile = join(dir, 'relay.yaml')
  writeFileSync(configFile, JSON.stringify(testConfig(mock.url, { listen: { host: '127.0.0.1', port: sidecarPort }, ...extra })))
  await spawnRelay(t, configFile)
  return { mock, dir, base: await startNginx(t, nginxBin, sidecarPort) }
}

test('through real nginx: the Anthropic SDK streams and not, usage and cost are exact, headers pass', async t => {
  const nginxBin = requireBinary(t, 'nginx')
  if (!nginxBin) return
  // Default batching (flush every second) on purpose: the test waits for the writes.
  const { mock, dir, base } = await relayBehindNginx(t, nginxBin, { usage: { flushIntervalMs: 1000 } })
  const client = new Anthropic({ apiKey: ALICE_KEY, baseURL: `${base}/claude`, maxRetries: 0 })

  // Worked example 1, not streaming, Claude Opus 4.5 ($5 in, $25 out, $6.25 5m write, $0.50 read per MTok):
  //   1200 in × 5 + 345 out × 25 + 2000 cache-write-5m × 6.25 + 8000 cache-read × 0.5 = 31125 µUSD
  mock.enqueue({ kind: 'ok', usage: { input_tokens: 1200, output_tokens: 345, cache_creation_input_tokens: 2000, cache_read_input_tokens: 8000, cache_creation: { ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 0 } } })
  const message = await client.messages.create({ model: 'claude-opus-4-5-20251101', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
  assert.equal(message.usage.input_tokens, 1200)
  assert.equal(message.content[0]?.type, 'text')

  // Worked example 2, streaming, Claude Haiku 4.5 ($1 in, $5 out, $2 1h write per MTok):
  //   500 in × 1 + 250 out × 5 + 1000 cache-write-1h × 2 = 3750 µUSD
  mock.enqueue({ kind: 'ok', usage: { input_tokens: 500, output_tokens: 250, cache_creation_input_tokens: 1000, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 1000 } } })
  const stream = client.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
  let text = ''
  stream.on('text', delta => { text += delta })
  const final = await stream.finalMessage()
  assert.equal(text, 'Hello from the mock Anthropic upstream.')
  assert.equal(final.usage.output_tokens, 250)

  const store = openSqliteStore(join(dir, 'relay.db'))
  t.after(() => store.close())
  let rows = await store.recentRequests(10)
  const end = Date.now() + 10_000
  while (rows.length < 2 && Date.now() < end) {
    await new Promise(resolve => setTimeout(resolve, 100))
    rows = await store.recentRequests(10)
  }
  const byModel = new Map(rows.map(r => [r.model, r]))
  const opus = byModel.get('claude-opus-4-5-20251101')!
  const haiku = byModel.get('claude-haiku-4-5')!
  assert.equal(opus.costPico, 31_125_000_000n)
  assert.equal(opus.stream, false)
  assert.equal(opus.clientKind, 'sdk')
  assert.equal(haiku.costPico, 3_750_000_000n)
  assert.equal(haiku.stream, true)
  assert.deepEqual([haiku.usage.input, haiku.usage.output, haiku.usage.cacheWrite1h], [500, 250, 1000])
  const total = await store.queryUsage({ since: 0, until: Date.now() + 3_600_000, groupBy: 'key' })
  assert.equal(total[0]!.costPico, 34_875_000_000n)
})

gatewayCases('nginx', 'nginx', (t, bin, sidecarPort, toolPort) => startNginx(t, bin, sidecarPort, { toolPort }))
