// The usage chart's lines over generated series: a few lines however many groups, and the
// lines of each bucket still add up to everything in it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { OTHERS, SERVER_OTHERS, topLines } from '../../admin-webcomponents/src/usage-series.ts'

test('top lines plus "others": at most top + 1 lines, the biggest kept, every bucket summing to its whole', () => {
  const point = fc.record({ bucket: fc.integer({ min: 0, max: 9 }).map(h => new Date(Date.UTC(2026, 11, 1, h)).toISOString()), group: fc.option(fc.constantFrom(...Array.from({ length: 30 }, (_, i) => `k${i}`)), { nil: null }), v: fc.integer({ min: 0, max: 1e6 }) })
  fc.assert(fc.property(fc.array(point, { maxLength: 200 }), fc.integer({ min: 1, max: 10 }), (series, top) => {
    const { buckets, lines } = topLines(series, p => p.v, top, 'others')
    const groups = new Set(series.map(p => p.group ?? '–'))
    assert.ok(lines.length <= top + 1)
    assert.equal(lines.length, Math.min(groups.size, groups.size <= top + 1 ? groups.size : top + 1))
    for (const [i, b] of buckets.entries()) {
      const whole = series.filter(p => Date.parse(p.bucket) / 1000 === b).reduce((n, p) => n + p.v, 0)
      assert.equal(lines.reduce((n, l) => n + l.values[i]!, 0), whole)
    }
    const sum = (g: string) => series.filter(p => (p.group ?? '–') === g).reduce((n, p) => n + p.v, 0)
    const kept = lines.filter(l => l.group !== OTHERS)
    const dropped = [...groups].filter(g => !kept.some(l => l.group === g))
    for (const l of kept) for (const g of dropped) assert.ok(sum(l.group) >= sum(g))
  }), { numRuns: 300 })
})

test('what the server summed as "others" joins the others line, never a line of its own, and every bucket still sums to its whole', () => {
  const point = fc.record({ bucket: fc.integer({ min: 0, max: 5 }).map(h => new Date(Date.UTC(2026, 11, 1, h)).toISOString()), group: fc.constantFrom('k1', 'k2', 'k3', SERVER_OTHERS), v: fc.integer({ min: 0, max: 1e6 }) })
  fc.assert(fc.property(fc.array(point, { maxLength: 60 }), fc.integer({ min: 1, max: 4 }), (series, top) => {
    const { buckets, lines } = topLines(series, p => p.v, top, 'others')
    assert.ok(!lines.some(l => l.group === SERVER_OTHERS))
    for (const [i, b] of buckets.entries()) {
      const whole = series.filter(p => Date.parse(p.bucket) / 1000 === b).reduce((n, p) => n + p.v, 0)
      assert.equal(lines.reduce((n, l) => n + l.values[i]!, 0), whole)
    }
  }), { numRuns: 200 })
})
