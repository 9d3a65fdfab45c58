// Live price sources (issue 23) against a local price server: a good file is taken and kept as
// the last good copy; a source that fails, hangs, truncates, floods or empties its file changes
// nothing; a sha256 file is polled and the price file fetched only when it changes, and refused
// when it does not match; hostile entries never become a price.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { Agent } from '../../../core/http-client.ts'
import { checkPriceText, copyPaths, loadCopy, PriceSource, PriceSourceError, parseAdvertisedHash } from '../../../core/metering/price-source.ts'
import { PriceRefresher } from '../../../core/metering/price-refresher.ts'
import { litellmFile, startPriceServer, type PriceServer } from '../../mocks/price-server.ts'
import { tempDir } from '../../helpers/relay-harness.ts'
import pino from 'pino'

const FIVE = litellmFile({ 'gpt-a': [1e-6, 2e-6], 'gpt-b': [2e-6, 4e-6], 'gpt-c': [3e-6, 6e-6], 'gpt-d': [4e-6, 8e-6], 'gpt-e': [5e-6, 1e-5] })

async function setup (t: import('node:test').TestContext, body = FIVE, sha = false, timeoutMs = 5_000) {
  const server = await startPriceServer(body)
  const dispatcher = new Agent()
  t.after(async () => {
    await server.close()
    await dispatcher.close()
  })
  const dir = tempDir()
  const make = () => new PriceSource({ url: server.fileUrl, ...(sha ? { sha256Url: server.hashUrl } : {}) }, { dir, dispatcher, now: Date.now, timeoutMs })
  return { server, dir, source: make(), make }
}

const fileRequests = (s: PriceServer) => s.requests.filter(r => r.path === '/prices.json')

test('a good file is taken, kept in the data dir as the last good copy, and asked for again only if changed', async t => {
  const { server, dir, source, make } = await setup(t)
  const first = await source.refresh()
  assert.equal(first.outcome, 'updated')
  assert.deepEqual(source.copy!.table.models['gpt-a'], { input: 1_000_000, output: 2_000_000 })
  assert.match(source.copy!.table.version, /^source:127\.0\.0\.1:\d+:[0-9a-f]{12}$/)
  assert.equal(readFileSync(copyPaths(dir, server.fileUrl).body, 'utf8'), FIVE, 'the copy is the text as fetched')
  // A relay starting later reads the same copy, with the validators for a conditional fetch.
  const restarted = make()
  assert.deepEqual(restarted.copy!.table, source.copy!.table)
  assert.equal((await restarted.refresh()).outcome, 'unchanged')
  assert.equal(fileRequests(server).at(-1)!.headers['if-none-match'], restarted.copy!.etag)
  // The file changes: the new one is taken.
  server.body = litellmFile({ 'gpt-a': [1.5e-6, 2e-6], 'gpt-b': [2e-6, 4e-6], 'gpt-c': [3e-6, 6e-6], 'gpt-d': [4e-6, 8e-6], 'gpt-e': [5e-6, 1e-5], 'gpt-f': [1e-7, 1e-7] })
  const next = await restarted.refresh()
  assert.equal(next.outcome, 'updated')
  assert.equal(restarted.copy!.table.models['gpt-a']!.input, 1_500_000)
  assert.equal(loadCopy(dir, server.fileUrl)!.table.models['gpt-f']!.input, 100_000)
})

test('a source that fails, hangs, truncates, floods or empties its file leaves the last good copy in force', async t => {
  const { server, dir, source } = await setup(t, FIVE, false, 500)
  assert.equal((await source.refresh()).outcome, 'updated')
  const good = source.copy!
  const onDisk = readFileSync(copyPaths(dir, server.fileUrl).body, 'utf8')
  const cases: Array<[string, () => void, RegExp]> = [
    ['error', () => { server.mode = 'error' }, /answered 500/],
    ['hang', () => { server.mode = 'hang' }, /did not answer in time/],
    ['truncated', () => { server.mode = 'truncated' }, /not JSON/],
    ['huge', () => { server.mode = 'huge' }, /larger than|did not answer in time/],
    ['emptied', () => { server.mode = 'ok'; server.body = litellmFile({ 'gpt-a': [1e-6, 2e-6] }) }, /prices 1 models where the last good copy priced 5/],
    ['not an object', () => { server.body = '[1, 2, 3]' }, /not a JSON object/],
    ['no usable price', () => { server.body = litellmFile({}, { 'gpt-z': { input_cost_per_token: -1, output_cost_per_token: 1 } }) }, /no usable model price/],
  ]
  for (const [name, arrange, reason] of cases) {
    arrange()
    const result = await source.refresh({ force: true })
    assert.equal(result.outcome, 'failed', name)
    assert.match((result as { reason: string }).reason, reason, name)
    assert.equal(source.copy, good, `${name}: the copy in force is the good one`)
    assert.equal(readFileSync(copyPaths(dir, server.fileUrl).body, 'utf8'), onDisk, `${name}: the copy on disk is untouched`)
    assert.match(source.lastError!.reason, reason)
  }
})

test('with a sha256Url, the hash is polled and the file fetched only when it changes; a file that does not match it is refused', async t => {
  const { server, source } = await setup(t, FIVE, true)
  assert.equal((await source.poll()).outcome, 'updated')
  const fetched = fileRequests(server).length
  for (let i = 0; i < 3; i++) assert.equal((await source.poll()).outcome, 'unchanged')
  assert.equal(fileRequests(server).length, fetched, 'an unchanged hash fetches no file')
  server.body = litellmFile({ 'gpt-a': [9e-6, 9e-6], 'gpt-b': [2e-6, 4e-6], 'gpt-c': [3e-6, 6e-6], 'gpt-d': [4e-6, 8e-6], 'gpt-e': [5e-6, 1e-5] })
  assert.equal((await source.poll()).outcome, 'updated')
  assert.equal(source.copy!.table.models['gpt-a']!.input, 9_000_000)
  const good = source.copy
  server.body = litellmFile({ 'gpt-a': [1e-6, 1e-6], 'gpt-b': [2e-6, 4e-6], 'gpt-c': [3e-6, 6e-6], 'gpt-d': [4e-6, 8e-6], 'gpt-e': [5e-6, 1e-5] })
  server.mode = 'wrong-hash'
  const refused = await source.refresh({ force: true })
  assert.equal(refused.outcome, 'failed')
  assert.match((refused as { reason: string }).reason, /is not the advertised/)
  assert.equal(source.copy, good)
  assert.equal(parseAdvertisedHash('  ABCDEF' + '0'.repeat(58) + '  file.json'), 'abcdef' + '0'.repeat(58))
  assert.equal(parseAdvertisedHash('not a hash'), undefined)
})

test('the refresher polls the hash on its schedule and applies a new file once, without being asked', async t => {
  const { server, source } = await setup(t, FIVE, true)
  await source.refresh()
  const changes: string[] = []
  const refresher = new PriceRefresher([{ source, everyMs: 3_600_000, hashEveryMs: 40 }], {
    log: pino({ level: 'silent' }), now: Date.now, changed: (_s, r) => changes.push(r.copy.sha256),
  })
  refresher.start()
  t.after(() => refresher.stop())
  await new Promise(resolve => setTimeout(resolve, 150))
  assert.deepEqual(changes, [], 'nothing changed, nothing applied')
  server.body = litellmFile({ 'gpt-a': [7e-6, 7e-6], 'gpt-b': [2e-6, 4e-6], 'gpt-c': [3e-6, 6e-6], 'gpt-d': [4e-6, 8e-6], 'gpt-e': [5e-6, 1e-5] })
  const deadline = Date.now() + 5_000
  while (changes.length === 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  await new Promise(resolve => setTimeout(resolve, 150))
  assert.equal(changes.length, 1, 'applied once')
  assert.equal(source.copy!.table.models['gpt-a']!.input, 7_000_000)
})

// Hostile files: whatever a source holds, what becomes a price is a whole number of µUSD per
// million tokens within bounds, never $0 for both directions, and nothing but PriceSourceError is thrown.
const hostileRate = fc.oneof(
  fc.double({ noNaN: false }), fc.integer(), fc.constantFrom(0, -0, 1e-300, 1e300, Number.MAX_VALUE, 2.5e-6, 3e-7, 1.0000001e-6),
  fc.string(), fc.constant(null), fc.constant(true), fc.array(fc.integer(), { maxLength: 2 }), fc.object({ maxDepth: 1 }),
)
const hostileName = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'gemini/gemini-x', 'gemini/', 'azure/gpt-a', 'x'.repeat(500)))
const hostileEntry = fc.record({
  input_cost_per_token: hostileRate, output_cost_per_token: hostileRate, cache_read_input_token_cost: hostileRate,
  input_cost_per_token_above_272k_tokens: hostileRate, output_cost_per_token_above_272k_tokens: hostileRate,
}, { requiredKeys: [] })

test('hostile entries never become a price out of bounds, a $0 price or a crash (property)', () => {
  fc.assert(fc.property(fc.array(fc.tuple(hostileName, fc.oneof(hostileEntry, hostileRate)), { maxLength: 12 }), entries => {
    const text = `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v) ?? 'null'}`).join(',')}}`
    let table
    try {
      table = checkPriceText('http://127.0.0.1/p.json', text).table
    } catch (err) {
      assert.ok(err instanceof PriceSourceError, String(err))
      return
    }
    for (const [name, p] of Object.entries(table.models)) {
      assert.ok(name.length > 0 && name.length <= 200 && !name.includes('/'), name)
      assert.ok(p.input > 0 || p.output > 0, `${name} priced at $0`)
      for (const r of [p.input, p.output, p.cacheRead, p.longPrompt?.input, p.longPrompt?.output]) {
        if (r !== undefined) assert.ok(Number.isSafeInteger(r) && r >= 0 && r <= 1_000_000_000_000, `${name}: ${r}`)
      }
    }
  }), { numRuns: 400 })
})

test('a private mirror\'s credentials stay out of what is shown: labels, reasons, the copy\'s metadata', async t => {
  const server = await startPriceServer(FIVE)
  const dispatcher = new Agent()
  t.after(async () => {
    await server.close()
    await dispatcher.close()
  })
  const dir = tempDir()
  const url = `http://mirror:s3cret-pass@127.0.0.1:${new URL(server.url).port}/prices.json?token=t0ken-value`
  const source = new PriceSource({ url }, { dir, dispatcher, now: Date.now })
  assert.equal((await source.refresh()).outcome, 'updated')
  assert.equal(source.label, `http://***@127.0.0.1:${new URL(server.url).port}/prices.json?token=***`)
  assert.equal(server.requests[0]!.headers.authorization, `Basic ${Buffer.from('mirror:s3cret-pass').toString('base64')}`, 'the userinfo is sent as Basic auth')
  server.mode = 'error'
  const failed = await source.refresh({ force: true })
  const shown = JSON.stringify([failed, source.lastError, source.label, readFileSync(copyPaths(dir, url).meta, 'utf8')])
  assert.doesNotMatch(shown, /s3cret-pass|t0ken-value/)
  assert.match(shown, /answered 500/)
})
