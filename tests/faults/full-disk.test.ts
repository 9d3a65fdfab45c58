// Issue 22, item 7: a full disk loses no usage. The store's directory is a tiny tmpfs; it is
// filled, requests are served, the space is freed: every 200 has its row. Meanwhile health says
// degraded, the write-error metric counts, and past the backlog bound new metered requests get a
// 503 in the provider's shape (or, with `whenFull: serve` and a spill file on another volume,
// every request is served and its usage waits on that volume).
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { appendFileSync, existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { webhookReceiver } from '../helpers/webhook.ts'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { ALICE_KEY, startRelay, tempDir, testConfig, type Relay } from '../helpers/relay-harness.ts'

/** A 4 MB tmpfs, or undefined after skipping (mounting needs root; CI runs as root). */
function tinyDisk (t: TestContext): string | undefined {
  const dir = tempDir('relay-disk-')
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'pipe' })
  } catch (err) {
    if (process.env.CI === 'true') throw new Error(`cannot mount a tmpfs (CI runs as root): ${(err as Error).message}`)
    console.error('\n*** SKIPPED: mounting a tmpfs needs root ***\n')
    t.skip('mounting a tmpfs needs root')
    return undefined
  }
  t.after(() => { execFileSync('umount', ['-l', dir]) })
  return dir
}

/** Fills the volume to the last byte: big writes, then small ones. */
function fill (dir: string): string {
  const file = join(dir, 'filler')
  for (const size of [1024 * 1024, 64 * 1024, 4096, 512, 64, 1]) {
    try {
      for (;;) appendFileSync(file, Buffer.alloc(size))
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOSPC') throw err
    }
  }
  return file
}

async function healthy (relay: Relay, ms: number): Promise<void> {
  for (const end = Date.now() + ms; (await health(relay)).status !== 'ok';) {
    if (Date.now() > end) throw new Error(`still degraded after ${ms} ms: ${JSON.stringify(await health(relay))} ${relay.logs.filter(l => /"level":5/.test(l)).slice(-3).join("")}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

const send = async (relay: Relay) => {
  const res = await request(`${relay.url}/claude/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
  })
  return { status: res.statusCode, id: String(res.headers['x-relay-request-id']), retryAfter: res.headers['retry-after'], body: await res.body.text() }
}

const health = async (relay: Relay) => (await (await request(`${relay.url}/_relay/health`)).body.json()) as { status: string, usage: { pendingRecords: number, spilled: boolean, storeFailingSince?: string, refusingRequests?: boolean } }

async function serveWhileFull (relay: Relay, n: number) {
  const results: Awaited<ReturnType<typeof send>>[] = []
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (results.length < n) results.push(await send(relay))
  }))
  return results
}

test('a full disk: served requests keep their usage until space returns; past the bound, 503 in the provider shape', { timeout: 60_000 }, async t => {
  const disk = tinyDisk(t)
  if (!disk) return
  const mock = await startAnthropicMock({ record: false })
  t.after(() => mock.close())
  // The operator's webhook: told that the store refuses writes.
  const { url: hookUrl, told } = await webhookReceiver(t)
  const relay = await startRelay(t, testConfig(mock.url, {
    store: { kind: 'sqlite', path: join(disk, 'relay.db') },
    usage: { flush: 'batch', flushIntervalMs: 20, backlog: { maxRecords: 100, whenFull: 'refuse' } },
    metrics: { enabled: true },
    notifications: { debounceMs: 0, targets: [{ type: 'webhook', url: hookUrl }] },
  }))
  assert.equal((await send(relay)).status, 200)
  await relay.settled()
  const filler = fill(disk)

  const results = await serveWhileFull(relay, 160)
  const served = results.filter(r => r.status === 200)
  const refused = results.filter(r => r.status !== 200)
  assert.ok(served.length >= 50, `${served.length} served while the disk was full`)
  assert.ok(refused.length > 0, 'past the bound, new requests are refused')
  for (const r of refused) {
    assert.equal(r.status, 503)
    assert.equal(r.retryAfter, '5')
    assert.deepEqual(JSON.parse(r.body), { type: 'error', error: { type: 'overloaded_error', message: 'The relay cannot record usage right now (its store is not writing), please retry shortly' } })
  }
  const degraded = await health(relay)
  assert.equal(degraded.status, 'degraded')
  assert.ok(degraded.usage.storeFailingSince)
  assert.ok(degraded.usage.pendingRecords >= 50)
  const metrics = await (await request(`${relay.url}/_relay/metrics`)).body.text()
  assert.match(metrics, /^ai_relay_store_write_errors_total [1-9]/m)
  for (let i = 0; i < 50 && !told.some(b => b.includes('relay.store_error')); i++) await new Promise(resolve => setTimeout(resolve, 100))
  assert.ok(told.some(b => b.includes('relay.store_error')), 'the relay.store_error notification went out')

  rmSync(filler)
  await healthy(relay, 15_000)
  const rows = new Map((await relay.rt.store.queryRequests({ limit: 10_000 })).map(r => [r.requestId, r]))
  for (const r of served) {
    const row = rows.get(r.id)
    assert.ok(row, `served request ${r.id} has its row`)
    assert.deepEqual([row.status, row.state], [200, 'done'])
  }
  assert.equal((await send(relay)).status, 200, 'served again')
})

test('a full disk with whenFull: serve and a spill file on another volume: every request served, every row written once space returns', { timeout: 60_000 }, async t => {
  const disk = tinyDisk(t)
  if (!disk) return
  const mock = await startAnthropicMock({ record: false })
  t.after(() => mock.close())
  const spill = join(tempDir(), 'usage-spill.jsonl')
  const relay = await startRelay(t, testConfig(mock.url, {
    store: { kind: 'sqlite', path: join(disk, 'relay.db') },
    usage: { flush: 'sync', backlog: { maxRecords: 100, whenFull: 'serve' }, spillFile: spill },
  }))
  assert.equal((await send(relay)).status, 200)
  const filler = fill(disk)
  const results = await serveWhileFull(relay, 200)
  assert.deepEqual([...new Set(results.map(r => r.status))], [200])
  const during = await health(relay)
  assert.deepEqual([during.status, during.usage.spilled], ['degraded', true])
  assert.ok(existsSync(spill) || existsSync(`${spill}.replaying`))

  rmSync(filler)
  await healthy(relay, 15_000)
  const rows = new Map((await relay.rt.store.queryRequests({ limit: 10_000 })).map(r => [r.requestId, r]))
  for (const r of results) assert.equal(rows.get(r.id)?.state, 'done', `request ${r.id} has its row`)
  assert.ok(!existsSync(spill) && !existsSync(`${spill}.replaying`), 'the spill file is gone once replayed')
})
