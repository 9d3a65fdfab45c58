// A flush is written in slices with the event loop free between them, so one big batch never
// stalls the requests behind it; and slicing loses, repeats or reorders nothing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import pino from 'pino'
import { nextSliceSize, slices, UsageRecorder } from '../../../core/metering/usage-recorder.ts'
import type { OpenedRequest, Store, UsageBatch, UsageRecord } from '../../../core/store/store.ts'

const record = (i: number) => ({ requestId: `r${i}` }) as UsageRecord
const opened = (i: number) => ({ requestId: `o${i}` }) as OpenedRequest

test('slices: every opened row and record exactly once and in order, none over the size, the key times with the first part', () => {
  fc.assert(fc.property(fc.nat(300), fc.nat(300), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }), (nOpened, nRecords, sizes) => {
    const keysUsed = new Map([['key_1', 1]])
    const batch: UsageBatch = { opened: Array.from({ length: nOpened }, (_, i) => opened(i)), records: Array.from({ length: nRecords }, (_, i) => record(i)), keysUsed }
    let call = 0
    const parts = [...slices(batch, () => sizes[call++ % sizes.length]!)]
    assert.deepEqual(parts.flatMap(p => p.opened ?? []), batch.opened)
    assert.deepEqual(parts.flatMap(p => p.records), batch.records)
    parts.forEach((p, i) => {
      assert.ok((p.opened?.length ?? 0) + p.records.length <= sizes[i % sizes.length]!)
      assert.equal(p.keysUsed, i === 0 ? keysUsed : undefined)
    })
    assert.ok(parts.length >= 1)
  }))
})

test('nextSliceSize: towards 1 ms a slice, never more than doubling or halving, within bounds', () => {
  fc.assert(fc.property(fc.integer({ min: 8, max: 2048 }), fc.double({ min: 0, max: 1000, noNaN: true }), (size, took) => {
    const next = nextSliceSize(size, took)
    assert.ok(Number.isInteger(next) && next >= 8 && next <= 2048)
    assert.ok(next <= size * 2 + 1 && next >= Math.floor(size / 2) - 1)
    if (took > 2) assert.ok(next <= size)
    if (took < 0.5) assert.ok(next >= size || next === 2048)
  }))
})

test('a batch of 5,000 rows reaches the store in slices, with the event loop turning between them, and none lost', async () => {
  const writes: { rows: number, tick: number }[] = []
  const written: string[] = []
  let tick = 0
  let spinning = true
  const spin = () => { tick++; if (spinning) setImmediate(spin) }
  spin()
  const store = {
    async writeUsage (batch: UsageBatch) {
      // A synchronous store (as SQLite is): ~20 µs a row.
      const end = performance.now() + 0.02 * batch.records.length
      while (performance.now() < end);
      writes.push({ rows: batch.records.length, tick })
      written.push(...batch.records.map(r => r.requestId))
    },
  } as unknown as Store
  const recorder = new UsageRecorder(store, { flushIntervalMs: 60_000, mode: 'batch', log: pino({ level: 'silent' }) })
  for (let i = 0; i < 5000; i++) await recorder.record(record(i))
  await recorder.close()
  spinning = false
  assert.deepEqual(written, Array.from({ length: 5000 }, (_, i) => `r${i}`))
  assert.ok(writes.length >= 5000 / 2048, `${writes.length} writes`)
  assert.ok(writes.every(w => w.rows <= 2048))
  for (let i = 1; i < writes.length; i++) assert.ok(writes[i]!.tick > writes[i - 1]!.tick, 'the loop turned between two slices')
})
