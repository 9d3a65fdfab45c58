// A broken or hostile upstream's usage numbers (issue 7.3): whatever it reports, the client gets
// its answer, the key's concurrency slot comes back, the request has exactly one row, and
// anything that is not a plausible token count is marked and left unpriced instead of reaching
// the money math. A record the store cannot take is set aside without blocking the others.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import pino from 'pino'
import { request } from 'undici'
import { messageEvents, startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { ALICE_KEY, startRelay, testConfig, tempDir } from '../helpers/relay-harness.ts'
import { UsageRecorder } from '../../core/metering/usage-recorder.ts'
import { openSqliteStore } from '../../core/store/sqlite-store.ts'
import type { UsageRecord } from '../../core/store/store.ts'
import { isTokenCount, MAX_REQUEST_COST_PICO } from '../../core/metering/usage-check.ts'

const weird = fc.oneof(
  fc.nat({ max: 5000 }),
  fc.constantFrom(1.5, 1e12, -1, 2 ** 53, 2 ** 63, 1e300, -0, 0.1, '12', null, true, {}, [], 'NaN', 1e9, 1e9 + 1),
  fc.double({ noNaN: true }),
)
const usageFields = fc.record({ input_tokens: weird, output_tokens: weird, cache_read_input_tokens: weird, cache_creation_input_tokens: weird }, { requiredKeys: [] })

test('poisoned usage: one row each, marked and unpriced when not plausible; the concurrency slot always comes back', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const config = testConfig(mock.url)
  ;(config.keys as Record<string, unknown>[])[0] = { ...(config.keys as Record<string, unknown>[])[0], concurrency: 1, budgets: { dailyUsd: 100_000_000 } }
  const relay = await startRelay(t, config)
  let n = 0
  await fc.assert(fc.asyncProperty(usageFields, fc.boolean(), async (usage, stream) => {
    const events = messageEvents('claude-sonnet-4-5', { input_tokens: 1, output_tokens: 1 }, 'hi')
    // The reported usage replaces the numbers in message_start and message_delta as sent.
    const sse = events.map(e => (e.startsWith('event: message_delta') ? `event: message_delta\ndata: ${JSON.stringify({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage })}\n\n` : e)).join('')
    const json = JSON.stringify({ id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'hi' }], usage })
    mock.enqueue(stream
      ? { kind: 'status', status: 200, headers: { 'content-type': 'text/event-stream' }, body: sse }
      : { kind: 'status', status: 200, headers: { 'content-type': 'application/json' }, body: json })
    const res = await request(`${relay.url}/claude/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': ALICE_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, stream, messages: [{ role: 'user', content: 'hi' }] }),
    })
    await res.body.text()
    assert.equal(res.statusCode, 200)
    await relay.settled()
    n++
    assert.equal(relay.server.admission.leases.held, 0, 'the lease was released')
    const [row] = await relay.rt.store.recentRequests(1)
    assert.equal(row!.state, 'done')
    // What the upstream actually sent: JSON has no infinities (they travel as null).
    const counts = Object.values(JSON.parse(JSON.stringify(usage)) as Record<string, unknown>)
    const valid = counts.every(v => v === null || isTokenCount(v))
    // Valid counts can still add up to a cost no request has: that is flagged too.
    const small = valid && counts.reduce<number>((sum, v) => sum + (typeof v === 'number' ? v : 0), 0) <= 100_000_000
    if (!valid) {
      assert.match(row!.flags ?? '', /usage rejected/)
    } else if (!small && row!.flags !== null) {
      assert.equal(row!.flags, 'cost out of range')
    }
    if (small) {
      assert.equal(row!.flags, null)
      assert.ok(row!.costPico !== null && row!.costPico >= 0n && row!.costPico <= MAX_REQUEST_COST_PICO)
    } else if (row!.flags !== null) {
      assert.equal(row!.costPico, null)
      assert.equal(row!.unpriced, true)
    }
    for (const v of Object.values(row!.usage)) assert.ok(v === undefined || isTokenCount(v))
  }), { numRuns: 150, includeErrorInReport: true })
  const rows = await relay.rt.store.recentRequests(10_000)
  assert.equal(rows.length, n, 'every request has exactly one row')
  assert.equal(await relay.rt.store.activeLeases(relay.server.keys.list().find(k => k.name === 'alice')!.id, Date.now()), 0)
})

test('a record the store cannot write is set aside after retries; the records around it are written', async t => {
  const dir = tempDir()
  const store = openSqliteStore(`${dir}/r.db`)
  t.after(() => store.close())
  let refusals = 0
  const flaky = {
    ...store,
    async writeUsage (batch: Parameters<typeof store.writeUsage>[0]) {
      if (batch.records.some(r => r.requestId === 'poison')) {
        refusals++
        throw new Error('value out of range')
      }
      return store.writeUsage(batch)
    },
  }
  const lines: string[] = []
  const recorder = new UsageRecorder(flaky, { flushIntervalMs: 10, mode: 'batch', log: pino({}, { write: (s: string) => { lines.push(s) } }) })
  const rec = (requestId: string): UsageRecord => ({
    requestId, time: Date.now(), keyId: 'key_1', accountId: 'acc_1', provider: 'claude', model: 'm', path: '/v1/messages', stream: false,
    status: 200, usage: { input: 1 }, costPico: 1n, unpriced: false, priceVersion: 'v', latencyMs: 1, ttfbMs: 1, partial: false,
    attempts: 1, accountsTried: ['acc_1'], clientKind: 'other', billable: true, flags: null,
  })
  await recorder.record(rec('a'))
  await recorder.record(rec('poison'))
  await recorder.record(rec('b'))
  await recorder.flush()
  await recorder.record(rec('c'))
  for (let i = 0; i < 5; i++) await recorder.flush()
  await recorder.close()
  const ids = (await store.recentRequests(10)).map(r => r.requestId).sort()
  assert.deepEqual(ids, ['a', 'b', 'c'])
  assert.deepEqual(recorder.setAside.map(r => r.requestId), ['poison'])
  assert.equal(lines.filter(l => l.includes('set aside')).length, 1, 'logged once')
  assert.ok(refusals >= 3)
})

test('a store that cannot write at all loses nothing: every record is kept in order and written once it can; past the bound the recorder refuses', async t => {
  const dir = tempDir()
  const store = openSqliteStore(`${dir}/r.db`)
  t.after(() => store.close())
  let full = true
  const order: string[] = []
  const disk = {
    ...store,
    async writeUsage (batch: Parameters<typeof store.writeUsage>[0]) {
      if (full) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })
      order.push(...batch.records.map(r => r.requestId))
      return store.writeUsage(batch)
    },
  }
  const recorder = new UsageRecorder(disk, { flushIntervalMs: 5, mode: 'batch', log: pino({ level: 'silent' }), backlog: { maxRecords: 150, whenFull: 'refuse' } })
  t.after(() => recorder.close())
  const rec = (requestId: string): UsageRecord => ({
    requestId, time: Date.now(), keyId: 'key_1', accountId: 'acc_1', provider: 'claude', model: 'm', path: '/v1/messages', stream: false,
    status: 200, usage: { input: 1 }, costPico: 1n, unpriced: false, priceVersion: 'v', latencyMs: 1, ttfbMs: 1, partial: false,
    attempts: 1, accountsTried: ['acc_1'], clientKind: 'other', billable: true, flags: null,
  })
  const ids = Array.from({ length: 200 }, (_, i) => `r${String(i).padStart(3, '0')}`)
  for (const [i, id] of ids.entries()) {
    if (i === 150) assert.throws(() => recorder.checkAccepting(), { code: 'RELAY_ERR_USAGE_BACKLOG_FULL', statusCode: 503 })
    await recorder.record(rec(id))
    // Flushes in between, as the timer would: each fails and keeps everything.
    if (i % 40 === 0) await recorder.flush()
  }
  await recorder.flush()
  assert.ok(recorder.state.failingSince !== undefined)
  assert.equal(recorder.state.pending, 200)
  assert.equal(recorder.setAside.length, 0)
  full = false
  for (let i = 0; i < 100 && recorder.state.failingSince !== undefined; i++) await new Promise(resolve => setTimeout(resolve, 50))
  assert.equal(recorder.state.failingSince, undefined, 'the recorder saw the store write again')
  assert.deepEqual(order, ids, 'every record, once, in order')
  assert.equal(recorder.accepting, true)
})
