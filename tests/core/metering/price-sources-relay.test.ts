// Live price sources in a relay (issue 23), with a local price server and the OpenAI mock:
// `ai-relay prices update` fetches, prints what changed and keeps the last good copy; a relay
// started while the source is down bills by that copy; precedence is plugin < source < config;
// the admin API updates a running relay at once and requests are billed by the new table while
// recorded rows keep the version they were billed with; unpriced models are listed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { openRuntime } from '../../../core/runtime.ts'
import { startOpenAIMock, DEFAULT_OPENAI_USAGE } from '../../mocks/openai-mock.ts'
import { litellmFile, startPriceServer } from '../../mocks/price-server.ts'
import { ALICE_KEY, startRelay, tempDir, testConfig } from '../../helpers/relay-harness.ts'
import { ADMIN_TOKEN } from '../../helpers/admin.ts'
import { runCliAsync } from '../../helpers/processes.ts'

// gpt-new is priced by the source alone; gpt-5.4 by the plugin and the source (the source
// wins); gpt-5.4-mini by the plugin, the source and the config (the config wins).
const SOURCE = { 'gpt-new': [3e-6, 1.2e-5], 'gpt-5.4': [2.6e-6, 1.6e-5], 'gpt-5.4-mini': [1e-6, 1e-6], 'gpt-x1': [1e-6, 1e-6], 'gpt-x2': [1e-6, 1e-6] } as Record<string, [number, number]>
const CONFIG_PRICE = { input: 123, output: 456 }

async function ask (url: string, model: string) {
  const res = await request(`${url}/openai/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE_KEY}` },
    body: JSON.stringify({ model, input: 'hi' }),
  })
  await res.body.dump()
  return res.statusCode
}

test('prices update keeps a last good copy; a relay started with the source down bills by it; precedence plugin < source < config', async t => {
  const server = await startPriceServer(litellmFile(SOURCE))
  t.after(() => server.close())
  const dir = tempDir()
  const file = join(dir, 'relay.yaml')
  writeFileSync(file, JSON.stringify({
    listen: { host: '127.0.0.1', port: 0 },
    store: { path: './data/relay.db' }, secrets: { keyFile: './secret.key' },
    plugins: [{ use: 'openai', mount: '/openai' }],
    pricing: { sources: [{ url: server.fileUrl, sha256Url: server.hashUrl }], models: { 'gpt-5.4-mini': CONFIG_PRICE } },
  }))
  const cli = (...args: string[]) => runCliAsync([...args, '--config', file])

  // Before any fetch: the plugin's prices, and gpt-new unpriced.
  let rt = (await openRuntime(file, { env: {} }))!
  assert.equal(rt.pricing.lookup('gpt-new'), undefined)
  assert.equal(rt.pricing.list().find(e => e.model === 'gpt-5.4')!.from, 'plugin openai')
  await rt.store.close()

  const updated = await cli('prices', 'update')
  assert.equal(updated.status, 0, updated.stderr)
  assert.match(updated.stdout, new RegExp(`${server.fileUrl.replace(/[.]/g, '\\.')}: updated, 5 models`))
  assert.match(updated.stdout, /^\+ gpt-new {2}in \$3\.00 · out \$12\.00/m)
  assert.match(updated.stdout, /^~ gpt-5\.4 {2}in \$2\.50 · out \$15\.00 · cache read \$0\.25.*→ {2}in \$2\.60 · out \$16\.00/m)
  assert.doesNotMatch(updated.stdout, /gpt-5\.4-mini/, 'the config\'s price did not change')

  // The source goes down; a relay starting now bills by the copy.
  server.mode = 'error'
  rt = (await openRuntime(file, { env: {} }))!
  t.after(() => rt.store.close())
  assert.deepEqual(rt.pricing.lookup('gpt-new')!.price, { input: 3_000_000, output: 12_000_000 })
  const from = Object.fromEntries(rt.pricing.list().map(e => [e.model, e.from]))
  assert.equal(from['gpt-new'], `source ${server.fileUrl}`)
  assert.equal(from['gpt-5.4'], `source ${server.fileUrl}`)
  assert.equal(from['gpt-5.4-mini'], 'config')
  assert.equal(from['gpt-5.2'], 'plugin openai', 'a model the source does not name keeps its plugin price')
  assert.deepEqual(rt.pricing.lookup('gpt-5.4-mini')!.price, CONFIG_PRICE)

  const failed = await cli('prices', 'update')
  assert.equal(failed.status, 1)
  assert.match(failed.stdout, /failed: .*answered 500 \(the copy of \d{4}-.* stays in force\)/)
  assert.match(failed.stdout, /No price changed/)
  const listed = await cli('prices', 'list')
  assert.equal(listed.status, 0, listed.stderr)
  assert.match(listed.stdout, new RegExp(`gpt-new +in \\$3\\.00 · out \\$12\\.00 +source ${server.fileUrl.replace(/[.]/g, '\\.')}`))
})

test('a running relay: the admin API updates from the source at once; rows keep the version they were billed with; unpriced models are listed', async t => {
  const server = await startPriceServer(litellmFile(SOURCE))
  t.after(() => server.close())
  const mock = await startOpenAIMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'openai', mount: '/openai' }],
    accounts: [{ name: 'oa0', provider: 'openai', type: 'openai-api-key', apiKey: 'sk-proj-oa0', baseUrl: `${mock.url}/v1` }],
    admin: { tokens: [{ name: 'ops', token: ADMIN_TOKEN }] },
    pricing: { sources: [{ url: server.fileUrl }] },
  }))
  const admin = async (method: 'GET' | 'POST', path: string) => {
    const res = await request(`${relay.url}/_relay/admin/api${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    return { status: res.statusCode, body: await res.body.json() as Record<string, unknown> }
  }

  // Served before the source is read: unpriced, and listed as such.
  assert.equal(await ask(relay.url, 'gpt-new'), 200)
  await relay.settled()
  const unpriced = await admin('GET', '/prices/unpriced')
  assert.deepEqual((unpriced.body.items as Array<Record<string, unknown>>).map(m => [m.provider, m.model, m.unpriced, m.nowPricedAs]), [['openai', 'gpt-new', 1, null]])

  const update = await admin('POST', '/prices/update')
  assert.equal(update.status, 200)
  assert.deepEqual((update.body.sources as Array<Record<string, unknown>>).map(s => s.outcome), ['updated'])
  assert.ok((update.body.added as Array<{ model: string }>).some(e => e.model === 'gpt-new'))
  const sources = await admin('GET', '/prices/sources')
  assert.equal((sources.body.items as Array<{ copy: { models: number } }>)[0]!.copy.models, 5)
  const metrics = await (await request(`${relay.url}/_relay/metrics`)).body.text()
  assert.match(metrics, new RegExp(`ai_relay_price_source_copy_age_seconds\\{source="${server.fileUrl}"\\} [0-9]\\b`))
  assert.match(metrics, new RegExp(`ai_relay_price_source_failing\\{source="${server.fileUrl}"\\} 0`))

  // Billed by the new table from now on.
  assert.equal(await ask(relay.url, 'gpt-new'), 200)
  await relay.settled()
  const [latest, first] = await relay.rt.store.recentRequests(2)
  const u = DEFAULT_OPENAI_USAGE
  // The source gives no cached-input rate: cached tokens are billed at a tenth of the input rate.
  assert.equal(latest!.costPico, BigInt(u.input - u.cached) * 3_000_000n + BigInt(u.cached) * 300_000n + BigInt(u.output) * 12_000_000n)
  assert.match(latest!.priceVersion!, /source:127\.0\.0\.1:\d+:[0-9a-f]{12}/)
  assert.equal(first!.costPico, null, 'the earlier row is not rewritten')
  assert.doesNotMatch(first!.priceVersion!, /source:/)
  const nowPriced = await admin('GET', '/prices/unpriced')
  assert.deepEqual((nowPriced.body.items as Array<Record<string, unknown>>).map(m => [m.model, m.nowPricedAs]), [['gpt-new', 'gpt-new']])
  const list = await admin('GET', '/prices/list')
  assert.ok((list.body.items as Array<{ model: string, from: string }>).some(e => e.model === 'gpt-new' && e.from === `source ${server.fileUrl}`))
})

test('usage recompute: a dry run shows the difference; --apply re-bills rows, totals and the budget the running relay enforces, once', async t => {
  const mock = await startOpenAIMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'openai', mount: '/openai' }],
    keys: [{ name: 'alice', key: ALICE_KEY, budgets: { monthlyUsd: 100 } }],
    accounts: [{ name: 'oa0', provider: 'openai', type: 'openai-api-key', apiKey: 'sk-proj-oa0', baseUrl: `${mock.url}/v1` }],
    // Until gpt-new has a price, a key with a budget is served it at gpt-5.4's rate.
    pricing: { fallback: { openai: { like: 'gpt-5.4' } } },
  }))
  for (let i = 0; i < 3; i++) assert.equal(await ask(relay.url, 'gpt-new'), 200)
  assert.equal(await ask(relay.url, 'gpt-5.4'), 200)
  await relay.settled()
  const u = DEFAULT_OPENAI_USAGE
  const at = (input: bigint, cached: bigint, output: bigint) => BigInt(u.input - u.cached) * input + BigInt(u.cached) * cached + BigInt(u.output) * output
  const fallbackEach = at(2_500_000n, 250_000n, 15_000_000n)
  const realEach = at(3_000_000n, 300_000n, 12_000_000n)
  const month = async () => (await relay.rt.store.queryUsage({ since: 0, until: Date.now() + 86_400_000, groupBy: 'key' }))[0]!.costPico
  assert.equal(await month(), 4n * fallbackEach)

  // The real price arrives (here in the config; a source would do the same).
  const config = JSON.parse(readFileSync(relay.file, 'utf8'))
  config.pricing.models = { 'gpt-new': { input: 3_000_000, output: 12_000_000 } }
  writeFileSync(relay.file, JSON.stringify(config))
  const cli = (...args: string[]) => runCliAsync(['usage', 'recompute', '--since', new Date(Date.now() - 3_600_000).toISOString(), ...args, '--config', relay.file])
  const dry = await cli()
  assert.equal(dry.status, 0, dry.stderr)
  assert.match(dry.stdout, /gpt-new +3 +\$0\.00\d+ +\$0\.00\d+ +-?\$/)
  assert.match(dry.stdout, /A dry run: nothing was written/)
  assert.equal(await month(), 4n * fallbackEach, 'a dry run writes nothing')

  const applied = await cli('--apply')
  assert.equal(applied.status, 0, applied.stderr)
  assert.match(applied.stdout, /Re-priced 3 requests/)
  assert.equal(await month(), 3n * realEach + fallbackEach)
  const rows = (await relay.rt.store.recentRequests(10)).filter(r => r.model === 'gpt-new')
  assert.ok(rows.every(r => r.costPico === realEach && /^re-priced .* as gpt-new \(was \$0\.\d+, billed as gpt-5\.4 \(pricing\.fallback\)\)$/.test(r.flags!)), JSON.stringify(rows.map(r => r.flags)))
  // The running relay reads the budget counter again once it sees the store changed.
  const counters = [{ id: 'budget:month', start: Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1), end: Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() + 1, 1) }]
  const deadline = Date.now() + 5_000
  let spent = 0n
  while (Date.now() < deadline) {
    spent = (await relay.rt.store.readCounters(relay.rt.declaredKeys[0]!.id, counters))[0]!.costPico
    if (spent === 3n * realEach + fallbackEach) break
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  assert.equal(spent, 3n * realEach + fallbackEach)

  const again = await cli('--apply')
  assert.match(again.stdout, /No request since .* was recorded without a price of its own/)
  assert.equal(await month(), 3n * realEach + fallbackEach, 'a rerun bills nothing twice')
})
