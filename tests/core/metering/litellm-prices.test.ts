// LiteLLM price files (issue 8): USD-per-token floats become exact integer rates; hostile or
// too-fine values skip the model instead of bending the money math; the config's `pricing.file`
// sits over the plugins' tables and under the config's own entries.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { readLiteLLMPrices, usdPerTokenToMicros } from '../../../core/metering/litellm-prices.ts'
import { openRuntime } from '../../../core/runtime.ts'
import { tempDir } from '../../helpers/relay-harness.ts'

test('USD per token → micro-USD per million tokens, exactly, for every rate a table can hold', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 1_000_000_000_000 }), micros => {
    assert.equal(usdPerTokenToMicros(micros / 1e12), micros)
  }), { numRuns: 5000 })
  assert.equal(usdPerTokenToMicros(2.5e-6), 2_500_000)
  assert.equal(usdPerTokenToMicros(1.1e-7), 110_000)
  assert.equal(usdPerTokenToMicros(0), 0)
  for (const bad of [-1e-6, Number.NaN, Infinity, 2, 1e-20, 3.3333333333333335e-7, '1e-6', null, {}]) assert.equal(usdPerTokenToMicros(bad), undefined, String(bad))
})

test('a LiteLLM file: rates, cache and long-prompt tiers read; broken entries skipped, never thrown on', () => {
  const { table, skipped } = readLiteLLMPrices({
    sample_spec: { input_cost_per_token: 0 },
    'gpt-4o': { input_cost_per_token: 2.5e-6, output_cost_per_token: 1e-5, cache_read_input_token_cost: 1.25e-6, litellm_provider: 'openai', mode: 'chat' },
    'claude-sonnet-4-5': { input_cost_per_token: 3e-6, output_cost_per_token: 1.5e-5, cache_creation_input_token_cost: 3.75e-6, cache_creation_input_token_cost_above_1hr: 6e-6, cache_read_input_token_cost: 3e-7, input_cost_per_token_above_200k_tokens: 6e-6, output_cost_per_token_above_200k_tokens: 2.25e-5 },
    'text-embedding-3-small': { input_cost_per_token: 2e-8, output_cost_per_token: 0, mode: 'embedding' },
    evil: { input_cost_per_token: -1, output_cost_per_token: 1 },
    huge: { input_cost_per_token: 1e300, output_cost_per_token: 1e-6 },
    image: { output_cost_per_image: 0.04 },
  }, 'v')
  assert.deepEqual(table.models['gpt-4o'], { input: 2_500_000, output: 10_000_000, cacheRead: 1_250_000 })
  assert.deepEqual(table.models['claude-sonnet-4-5'], { input: 3_000_000, output: 15_000_000, cacheRead: 300_000, cacheWrite5m: 3_750_000, cacheWrite1h: 6_000_000, longPrompt: { thresholdTokens: 200_000, input: 6_000_000, output: 22_500_000 } })
  assert.deepEqual(table.models['text-embedding-3-small'], { input: 20_000, output: 0 })
  assert.deepEqual(Object.keys(table.models).sort(), ['claude-sonnet-4-5', 'gpt-4o', 'text-embedding-3-small'])
  assert.equal(skipped.length, 2)
  fc.assert(fc.property(fc.jsonValue(), json => { readLiteLLMPrices(json, 'v') }), { numRuns: 500 })
})

test('pricing.file in the config: over the plugins\' tables, under the config\'s own models; a bad file is a config error', async t => {
  const dir = tempDir()
  writeFileSync(join(dir, 'prices.json'), JSON.stringify({
    'gpt-5.4': { input_cost_per_token: 3e-6, output_cost_per_token: 1.6e-5 },
    'my-local-model': { input_cost_per_token: 1e-7, output_cost_per_token: 2e-7 },
    'claude-sonnet-4-5': { input_cost_per_token: 1e-6, output_cost_per_token: 1e-6 },
  }))
  const file = join(dir, 'relay.yaml')
  writeFileSync(file, JSON.stringify({
    plugins: [{ use: 'claude', mount: '/claude' }, { use: 'openai', mount: '/openai' }],
    store: { path: './relay.db' }, secrets: { keyFile: './secret.key' },
    pricing: { file: './prices.json', models: { 'claude-sonnet-4-5': { input: 7, output: 8 } } },
  }))
  const rt = (await openRuntime(file, { env: {} }))!
  t.after(() => rt.store.close())
  assert.deepEqual(rt.pricing.lookup('gpt-5.4')!.price, { input: 3_000_000, output: 16_000_000 }, 'the file over the plugin table')
  assert.deepEqual(rt.pricing.lookup('my-local-model')!.price, { input: 100_000, output: 200_000 })
  assert.deepEqual(rt.pricing.lookup('claude-sonnet-4-5')!.price, { input: 7, output: 8 }, 'the config over the file')
  assert.match(rt.pricing.version, /litellm:[0-9a-f]{12}\+config$/)
  writeFileSync(join(dir, 'prices.json'), 'not json')
  await assert.rejects(openRuntime(file, { env: {} }), (err: { issues?: { path: string, message: string }[] }) => {
    assert.equal(err.issues?.[0]?.path, '/pricing/file')
    return true
  })
})
