// What a `kill -9` under load costs (issue 7.4). Every request has its row from admission on;
// the next start marks rows left in progress as interrupted; completed requests whose rows are
// lost are bounded by the flush window in batch mode, and there are none in sync mode. Checked
// by killing a real sidecar process under load and comparing what the clients saw complete
// with what the store holds.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Pool } from 'undici'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { ALICE_KEY, tempDir, testConfig } from '../helpers/relay-harness.ts'
import { freePort, spawnRelay } from '../helpers/processes.ts'
import { openSqliteStore } from '../../core/store/sqlite-store.ts'
import type { RequestLogRow } from '../../core/store/store.ts'
import { rateWindow } from '../../core/limits/periods.ts'

const FLUSH_MS = 100
/** A rate window long enough that a run never crosses its end (windows are aligned to the epoch). */
const WINDOW = '1000d'
/** Timer lag on a busy 2-core machine, on top of the flush window. */
const SLACK_MS = 400

interface Seen { id: string, endedAt: number }

async function crashUnderLoad (t: TestContext, usage: Record<string, unknown>) {
  const mock = await startAnthropicMock({ record: false })
  t.after(() => mock.close())
  const dir = tempDir()
  const port = await freePort()
  const file = join(dir, 'relay.yaml')
  // A key with limits: its counters live in the sidecar's memory and reach SQLite with the rows.
  writeFileSync(file, JSON.stringify(testConfig(mock.url, {
    listen: { host: '127.0.0.1', port }, usage,
    keys: [{ name: 'alice', key: ALICE_KEY, rateLimits: [{ window: WINDOW, requests: 1_000_000 }], budgets: { totalUsd: 1_000_000 } }],
  })))
  let relay = await spawnRelay(t, file)
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 12 })
  t.after(() => pool.destroy())
  const body = (stream: boolean) => JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, stream, messages: [{ role: 'user', content: 'hi' }] })
  const headers = { 'content-type': 'application/json', 'x-api-key': ALICE_KEY }

  // Streams that never answer: in flight when the process dies.
  for (let i = 0; i < 4; i++) mock.enqueue({ kind: 'hang' })
  for (let i = 0; i < 4; i++) pool.request({ path: '/claude/v1/messages', method: 'POST', headers, body: body(true) }).catch(() => {})
  await new Promise(resolve => setTimeout(resolve, 300))

  const completed: Seen[] = []
  let stop = false
  const worker = async () => {
    while (!stop) {
      try {
        const res = await pool.request({ path: '/claude/v1/messages', method: 'POST', headers, body: body(false) })
        await res.body.text()
        if (res.statusCode === 200) completed.push({ id: String(res.headers['x-relay-request-id']), endedAt: Date.now() })
      } catch {
        return
      }
    }
  }
  const workers = Array.from({ length: 8 }, worker)
  await new Promise(resolve => setTimeout(resolve, 1200))
  const killedAt = Date.now()
  relay.proc.kill('SIGKILL')
  await relay.exited
  stop = true
  await Promise.all(workers)

  // The next start marks what the dead process left in progress.
  relay = await spawnRelay(t, file)
  relay.proc.kill('SIGTERM')
  await relay.exited
  const store = openSqliteStore(join(dir, 'relay.db'))
  t.after(() => store.close())
  const rows = new Map((await store.recentRequests(1_000_000)).map(r => [r.requestId, r]))
  const keyId = [...rows.values()][0]!.keyId
  const now = Date.now()
  const [rate, total] = await store.readCounters(keyId, [{ id: `rate:${WINDOW}`, ...rateWindow(WINDOW, now) }, { id: 'budget:total', start: 0, end: null }])
  return { completed, rows, killedAt, hanging: 4, counted: { requests: rate!.requests, costPico: total!.costPico } }
}

/**
 * The key's counters after the crash against its rows: a count is written no later than its row
 * (with the same usage write or an earlier one), so no row is without its count; what the crash
 * lost beyond the rows is at most the requests whose rows it lost.
 */
function checkCounters (rows: Map<string, RequestLogRow>, counted: { requests: number, costPico: bigint }, lostCompleted: number) {
  const inFlightAtKill = 4 + 8
  assert.ok(counted.requests >= rows.size, `${counted.requests} requests counted, ${rows.size} rows`)
  assert.ok(counted.requests <= rows.size + lostCompleted + inFlightAtKill, `${counted.requests} requests counted, ${rows.size} rows, ${lostCompleted} completions lost`)
  const done = [...rows.values()].filter(r => r.state === 'done')
  const rowCost = done.reduce((a, r) => a + (r.costPico ?? 0n), 0n)
  const each = done[0]!.costPico ?? 0n
  assert.ok(counted.costPico >= rowCost && counted.costPico <= rowCost + BigInt(lostCompleted + inFlightAtKill) * each, `${counted.costPico} pico-USD counted, ${rowCost} in the rows`)
}

test('kill -9 under load, batch mode: lost completed requests all ended within the flush window; in-flight rows are interrupted', async t => {
  const { completed, rows, killedAt, hanging, counted } = await crashUnderLoad(t, { flush: 'batch', flushIntervalMs: FLUSH_MS })
  assert.ok(completed.length > 50, `load ran (${completed.length} completed)`)
  const lost = completed.filter(c => rows.get(c.id)?.state !== 'done')
  const oldestLost = Math.max(0, ...lost.map(c => killedAt - c.endedAt))
  console.log(`batch: ${completed.length} completed, ${lost.length} without a row, the oldest ended ${oldestLost} ms before the kill`)
  assert.ok(oldestLost <= FLUSH_MS + SLACK_MS, `a request completed ${oldestLost} ms before the kill has no row`)
  // The hanging streams, and whatever the 8 workers had in flight at the kill.
  const interrupted = [...rows.values()].filter(r => r.state === 'interrupted').length
  assert.ok(interrupted >= hanging && interrupted <= hanging + 8, `${interrupted} interrupted rows`)
  assert.equal([...rows.values()].filter(r => r.state === 'in_progress').length, 0)
  checkCounters(rows, counted, lost.length)
})

test('kill -9 under load, sync mode: every completed request has its row', async t => {
  const { completed, rows, hanging, counted } = await crashUnderLoad(t, { flush: 'sync' })
  assert.ok(completed.length > 50, `load ran (${completed.length} completed)`)
  const lost = completed.filter(c => rows.get(c.id)?.state !== 'done')
  console.log(`sync: ${completed.length} completed, ${lost.length} without a row`)
  assert.deepEqual(lost, [])
  const interrupted = [...rows.values()].filter(r => r.state === 'interrupted').length
  assert.ok(interrupted >= hanging && interrupted <= hanging + 8, `${interrupted} interrupted rows`)
  checkCounters(rows, counted, 0)
})
