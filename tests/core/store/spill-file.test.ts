// The spill file replays what it kept in order and in few writes: consecutive batches merged up
// to REPLAY_ROWS rows, nothing lost, nothing twice; a failed write keeps the rest for the next go.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import fc from 'fast-check'
import { SpillFile, REPLAY_ROWS, mergeBatches } from '../../../core/store/spill-file.ts'
import type { UsageBatch, UsageRecord } from '../../../core/store/store.ts'
import { tempDir } from '../../helpers/relay-harness.ts'

const record = (i: number): UsageRecord => ({
  requestId: `r${i}`, time: i, keyId: `k${i % 3}`, accountId: null, provider: 'claude', model: 'm', path: '/v1/messages', stream: false, status: 200,
  usage: { input: i }, costPico: BigInt(i) * 1000n, unpriced: false, priceVersion: 'v', latencyMs: 1, ttfbMs: null, partial: false, attempts: 1,
  accountsTried: [], clientKind: 'sdk', billable: true, flags: null,
})

test('a replay writes every spilled row once, in order, in batches of at most REPLAY_ROWS', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 60 }), async sizes => {
    const spill = new SpillFile(join(tempDir('spill-'), 'usage.spill'))
    let n = 0
    for (const size of sizes) spill.append({ records: Array.from({ length: size }, () => record(n++)), keysUsed: new Map([[`k${n % 3}`, n]]) })
    const writes: UsageBatch[] = []
    assert.equal(await spill.replay(async b => { writes.push(b) }), sizes.length)
    const ids = writes.flatMap(w => w.records.map(r => r.requestId))
    assert.deepEqual(ids, Array.from({ length: n }, (_, i) => `r${i}`))
    assert.ok(writes.every(w => w.records.length < REPLAY_ROWS + 40))
    assert.ok(writes.length <= Math.ceil(n / REPLAY_ROWS) + 1)
    assert.equal(writes[0]!.records[1]?.costPico ?? 1000n, 1000n, 'money comes back as bigint')
    assert.equal(spill.backlog, false)
  }), { numRuns: 40 })
})

test('a write that fails keeps the backlog whole for the next replay (rows are idempotent by id)', async () => {
  const spill = new SpillFile(join(tempDir('spill-'), 'usage.spill'))
  for (let i = 0; i < 3; i++) spill.append({ records: [record(i)] })
  await assert.rejects(spill.replay(async () => { throw new Error('store down') }))
  assert.equal(spill.backlog, true)
  const seen: string[] = []
  await spill.replay(async b => { seen.push(...b.records.map(r => r.requestId)) })
  assert.deepEqual(seen, ['r0', 'r1', 'r2'])
})

test('merging keeps every key\'s latest use and adds repeats', () => {
  const m = mergeBatches({ records: [], keysUsed: new Map([['a', 5], ['b', 9]]), repeats: new Map([['x', 1]]) }, { records: [], keysUsed: new Map([['a', 7], ['b', 3]]), repeats: new Map([['x', 2], ['y', 1]]) })
  assert.deepEqual([[...m.keysUsed!], [...m.repeats!]], [[['a', 7], ['b', 9]], [['x', 3], ['y', 1]]])
})
