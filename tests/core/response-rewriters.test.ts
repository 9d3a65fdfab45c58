// The kit's answer rewriters: whatever the split of the bytes, the same rewrite; an answer that
// does not parse (or that the map refuses) passes as it came; past the bound, the relay's error,
// or with `overflow: 'pass'` the answer itself, unchanged and whole.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { createEventRewriter, createJsonRewriter } from '../../core/response-rewriters.ts'
import { WHOLE_BODY_LIMIT } from '../../core/plugin-kit.ts'

function run (filter: ReturnType<typeof createJsonRewriter>, bytes: Buffer, cuts: number[]): string {
  const points = [...new Set(cuts.map(c => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Buffer[] = []
  let at = 0
  for (const p of [...points, bytes.length]) {
    out.push(filter.write(bytes.subarray(at, p)))
    at = p
  }
  out.push(filter.end())
  return Buffer.concat(out).toString('utf8')
}

test('a JSON answer in any split: mapped once whole; unparsable or refused by the map, as it came', () => {
  fc.assert(fc.property(fc.jsonValue(), fc.array(fc.nat(), { maxLength: 8 }), (value, cuts) => {
    const text = JSON.stringify(value)
    assert.equal(run(createJsonRewriter(v => ({ wrapped: v })), Buffer.from(text), cuts), JSON.stringify({ wrapped: JSON.parse(text) }))
    assert.equal(run(createJsonRewriter(() => { throw new Error('no') }), Buffer.from(text), cuts), text)
  }))
  assert.equal(run(createJsonRewriter(v => v), Buffer.from('{"cut'), [2]), '{"cut')
})

test('past the bound: the relay\'s error, or the answer passed on whole', () => {
  const big = Buffer.alloc(WHOLE_BODY_LIMIT + 10, 0x61)
  assert.throws(() => run(createJsonRewriter(v => v), big, [WHOLE_BODY_LIMIT - 5]), /larger than the relay reads/)
  assert.ok(run(createJsonRewriter(v => v, { overflow: 'pass' }), big, [WHOLE_BODY_LIMIT - 5, WHOLE_BODY_LIMIT + 2]) === big.toString('utf8'))
})

test('events in any split: each rewritten once, in order, the close after them', () => {
  fc.assert(fc.property(fc.array(fc.string({ maxLength: 20 }).filter(s => !/[\r\n]/.test(s)), { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 8 }), (events, cuts) => {
    const text = events.map(e => `data: ${e}\n\n`).join('')
    const filter = createEventRewriter(emit => ({ event: d => emit(`[${d}]`), end: () => emit('END') }))
    assert.equal(run(filter, Buffer.from(text), cuts), `${events.map(e => `[${e}]`).join('')}END`)
  }))
})
