// Request ids: time-ordered (the request log's index stays append-mostly), random enough to be
// unguessable, and always the same shape.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { randomId, requestId } from '../../core/ids.ts'

const MAX_MS = 2 ** 48 - 1

test('a request id is req_ and 32 hex digits, the first 12 the time it was made', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: MAX_MS }), now => {
    const id = requestId(now)
    assert.match(id, /^req_[0-9a-f]{32}$/)
    assert.equal(parseInt(id.slice(4, 16), 16), now)
  }))
})

test('ids made at different times sort in time order', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: MAX_MS - 1 }), fc.integer({ min: 1, max: 2 ** 40 }), (a, gap) => {
    const b = Math.min(MAX_MS, a + gap)
    assert.ok(requestId(a) < requestId(b))
  }))
})

test('ids made in the same millisecond do not repeat, and their random part uses every hex digit', () => {
  const ids = new Set<string>()
  const digits = new Set<string>()
  for (let i = 0; i < 100_000; i++) {
    const id = requestId(1_800_000_000_000)
    ids.add(id)
    for (const d of id.slice(16)) digits.add(d)
  }
  assert.equal(ids.size, 100_000)
  // The UUID's fixed version digit (4) and variant digit are left out: every hex digit appears
  // in the random part, and no position of it is constant.
  assert.equal(digits.size, 16)
  const first = requestId(0).slice(16)
  for (let p = 0; p < 20; p++) {
    const seen = new Set(Array.from({ length: 200 }, () => requestId(0)[16 + p]))
    assert.ok(seen.size > 1, `position ${p} of the random part never changes (${first})`)
  }
})

test('record ids made at run time are kind_ and 20 random hex digits, never repeated', () => {
  const seen = new Set<string>()
  for (let i = 0; i < 50_000; i++) {
    const id = randomId('lease')
    assert.match(id, /^lease_[0-9a-f]{20}$/)
    seen.add(id)
  }
  assert.equal(seen.size, 50_000)
  for (let p = 0; p < 20; p++) {
    const at = new Set(Array.from({ length: 200 }, () => randomId('key')[4 + p]))
    assert.ok(at.size > 1, `position ${p} never changes`)
  }
})
