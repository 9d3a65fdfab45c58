import { test } from 'node:test'
import assert from 'node:assert/strict'
import { costOf, createPricing, formatUsd, unpricedFallbacks } from '../../../core/metering/pricing.ts'
import plugin from '../../../plugins/claude/index.ts'

const claude = plugin.prices!

test('lookup: exact id, then without the date suffix, then aliases', () => {
  const p = createPricing([claude])
  assert.equal(p.lookup('claude-sonnet-4-5')?.id, 'claude-sonnet-4-5')
  assert.equal(p.lookup('claude-sonnet-4-5-20250929')?.id, 'claude-sonnet-4-5')
  assert.equal(p.lookup('claude-3-5-haiku-latest')?.id, 'claude-3-5-haiku')
  assert.equal(p.lookup('claude-sonnet-4-20250514')?.id, 'claude-sonnet-4-0')
  assert.equal(p.lookup('gpt-9'), undefined)
})

test('cost is exact integer pico-USD: tokens × micro-USD per million tokens', () => {
  const p = createPricing([claude])
  // Opus 4.1: 15 / 75 / 18.75 (5m) / 30 (1h) / 1.50 (read) USD per MTok.
  const c = p.cost('claude-opus-4-1-20250805', { input: 1, output: 1, cacheWrite5m: 1, cacheWrite1h: 1, cacheRead: 1 })
  assert.equal(c.costPico, 15_000_000n + 75_000_000n + 18_750_000n + 30_000_000n + 1_500_000n)
  assert.equal(c.pricedAs, 'claude-opus-4-1')
  assert.equal(c.version, claude.version)
  // Large counts stay exact far beyond 2^53 pico-USD.
  const big = p.cost('claude-opus-4-1', { output: 2_000_000_000 })
  assert.equal(big.costPico, 150_000_000_000_000_000n)
  assert.equal(formatUsd(big.costPico!), '$150000.000000')
})

test('an unknown model has no cost and is flagged by a null, not a zero', () => {
  const c = createPricing([claude]).cost('mystery-model', { input: 10 })
  assert.equal(c.costPico, null)
  assert.equal(c.pricedAs, null)
})

test('config overrides win, change the recorded version, and default missing cache prices by multiplier', () => {
  const p = createPricing([claude], {
    models: { 'claude-sonnet-4-5': { input: 2_000_000, output: 10_000_000 }, 'house-model': { input: 1_000_000, output: 1_000_000 } },
    aliases: { house: 'house-model' },
  })
  assert.equal(p.version, `${claude.version}+config`)
  assert.equal(p.cost('claude-sonnet-4-5-20250929', { input: 1 }).costPico, 2_000_000n)
  assert.equal(p.cost('house', { cacheWrite5m: 4, cacheWrite1h: 1, cacheRead: 10 }).costPico, 4n * 1_250_000n + 2_000_000n + 10n * 100_000n)
  assert.equal(costOf({ input: 3, output: 0 }, { cacheWrite5m: 1 }), 4n)
})

test('formatUsd rounds half up at the last digit', () => {
  assert.equal(formatUsd(2_925_000_000n), '$0.002925')
  assert.equal(formatUsd(1_500_000n, 6), '$0.000002')
  assert.equal(formatUsd(1_499_999n, 6), '$0.000001')
  assert.equal(formatUsd(0n), '$0.000000')
  assert.equal(formatUsd(123_456_789_012_345n, 2), '$123.46')
})

test('long prompts are priced at their tier for every token; [1m] variants price as their model', () => {
  const p = createPricing([claude])
  // Sonnet 4.5 above 200k prompt tokens: $6 in / $22.50 out / $0.60 cache read.
  const long = p.cost('claude-sonnet-4-5-20250929', { input: 1_000, cacheRead: 200_000, output: 100 })
  assert.equal(long.costPico, 1_000n * 6_000_000n + 200_000n * 600_000n + 100n * 22_500_000n)
  const short = p.cost('claude-sonnet-4-5', { input: 1_000, cacheRead: 199_000, output: 100 })
  assert.equal(short.costPico, 1_000n * 3_000_000n + 199_000n * 300_000n + 100n * 15_000_000n)
  // Haiku 5.5's tiers at 100k.
  assert.equal(p.cost('claude-haiku-5-5', { input: 100_000 }).costPico, 100_000n * 100_000n)
  assert.equal(p.cost('claude-haiku-5-5', { input: 100_001 }).costPico, 100_001n * 500_000n)
  assert.equal(p.lookup('claude-opus-5-5[1m]')?.id, 'claude-opus-5-5')
  assert.equal(p.cost('claude-opus-5-5', { input: 1, output: 1, cacheRead: 1 }).costPico, 4_000_000n + 20_000_000n + 200_000n)
})

test('a request is priced as the model that answered, else the one asked for, else the provider\'s fallback', () => {
  const table = { version: 't', models: { 'm-priced': { input: 1_000_000, output: 2_000_000 } } }
  const usage = { input: 10, output: 5 }
  const p = createPricing([table], { models: {}, aliases: {}, fallback: { claude: { like: 'm-priced' } } })
  assert.deepEqual(p.cost('m-priced-2026-01-01', usage).costPico, 20_000_000n)
  assert.deepEqual(p.cost('m-unknown', usage, { requested: 'm-priced' }), { costPico: 20_000_000n, pricedAs: 'm-priced', version: 't+config' })
  assert.deepEqual(p.cost('m-unknown', usage, { provider: 'claude' }), { costPico: 20_000_000n, pricedAs: 'm-priced', billedBy: 'pricing.fallback', version: 't+config' })
  assert.equal(p.cost('m-unknown', usage, { provider: 'openai' }).costPico, null)
  assert.deepEqual([p.priced('m-unknown', 'claude'), p.priced('m-unknown', 'openai'), p.priced('m-priced', 'openai')], [true, false, true])
  assert.deepEqual(unpricedFallbacks([table], { models: {}, aliases: {}, fallback: { openai: { like: 'nope' }, claude: { like: 'm-priced' } } }), ['openai: nope has no price to bill by'])
})

test('an alias with a * bills a family of unpriced models at a priced one, after every exact name, and says so', () => {
  const table = { version: 't', models: { 'gpt-5.4': { input: 2_500_000, output: 15_000_000 }, 'gpt-6.1': { input: 1_000_000, output: 1_000_000 } } }
  const p = createPricing([table], { models: {}, aliases: { 'gpt-6.*': 'gpt-5.4', 'GEMINI-3.*-flash': 'gpt-6.1' } })
  const usage = { input: 1, output: 1 }
  assert.deepEqual(p.cost('gpt-6.2-sol', usage), { costPico: 17_500_000n, pricedAs: 'gpt-5.4', billedBy: 'pricing.aliases "gpt-6.*"', version: 't+config' })
  assert.deepEqual(p.cost('gpt-6.2-sol-2026-11-01', usage).pricedAs, 'gpt-5.4')
  assert.deepEqual(p.cost('gpt-6.1', usage), { costPico: 2_000_000n, pricedAs: 'gpt-6.1', version: 't+config' }, 'its own price first')
  assert.equal(p.cost('gemini-3.8-flash', usage).billedBy, 'pricing.aliases "GEMINI-3.*-flash"', 'in any case')
  assert.equal(p.cost('gpt-7', usage).costPico, null)
  assert.equal(p.priced('gpt-6.9', 'openai'), true)
})

test('an announced change applies from its instant on: the Gemini 3.8 Flash promotion ends on 2027-01-01', async () => {
  const gemini = (await import('../../../plugins/gemini/index.ts')).default.prices!
  const p = createPricing([gemini])
  const usage = { input: 1_000_000, output: 1_000_000, cacheRead: 1_000_000 }
  const before = Date.parse('2026-12-31T23:59:59.999Z')
  const after = Date.parse('2027-01-01T00:00:00Z')
  // $0.75 in, $3.75 out, $0.075 cache read; then twice that.
  assert.equal(p.cost('gemini-3.8-flash', usage, { at: before }).costPico, 750_000n * 1_000_000n + 3_750_000n * 1_000_000n + 75_000n * 1_000_000n)
  assert.equal(p.cost('gemini-3.8-flash', usage, { at: after }).costPico, 1_500_000n * 1_000_000n + 7_500_000n * 1_000_000n + 150_000n * 1_000_000n)
  // A change in a config price works the same way, and falls back to the base rates before it.
  const q = createPricing([], { models: { m: { input: 1, output: 1, changes: [{ from: '2030-01-01T00:00:00Z', input: 5, output: 5 }, { from: '2031-01-01T00:00:00Z', input: 9, output: 9 }] } }, aliases: {} })
  assert.deepEqual([Date.parse('2029-06-01'), Date.parse('2030-06-01'), Date.parse('2032-01-01')].map(at => q.cost('m', { input: 1 }, { at }).costPico), [1n, 5n, 9n])
})

test('the models today\'s clients ask for by default are priced, at their published rates', async () => {
  const openai = (await import('../../../plugins/openai/index.ts')).default.prices!
  const gemini = (await import('../../../plugins/gemini/index.ts')).default.prices!
  const p = createPricing([claude, openai, gemini])
  const at = Date.parse('2026-12-07T00:00:00Z')
  const per = (model: string, usage: Parameters<typeof p.cost>[1]) => p.cost(model, usage, { at }).costPico
  // Codex 0.171: gpt-6.2-sol, $2 in / $0.10 cached / $10 out; over 272K input: $4 / $0.20 / $15.
  assert.equal(per('gpt-6.2-sol', { input: 1000, cacheRead: 1000, output: 1000 }), 1000n * (2_000_000n + 100_000n + 10_000_000n))
  assert.equal(per('gpt-6.2-sol', { input: 272_001, output: 1 }), 272_001n * 4_000_000n + 15_000_000n)
  assert.equal(per('gpt-6.2-sol', { input: 272_000, output: 1 }), 272_000n * 2_000_000n + 10_000_000n)
  // Gemini CLI 0.61 (API key): gemini-3.8-flash and its classifier gemini-3.5-flash-lite ($0.30 / $0.03 / $2.50).
  assert.equal(per('gemini-3.8-flash', { input: 1, output: 1 }), 750_000n + 3_750_000n)
  assert.equal(per('gemini-3.5-flash-lite', { input: 1, cacheRead: 1, output: 1 }), 300_000n + 30_000n + 2_500_000n)
  // Code Assist: gemini-3-flash and gemini-3.1-flash-lite; Claude Code: claude-opus-5-5.
  for (const m of ['gemini-3-flash', 'gemini-3.1-flash-lite', 'claude-opus-5-5', 'claude-haiku-5-5']) assert.ok((per(m, { input: 1, output: 1 }) ?? 0n) > 0n, m)
})
