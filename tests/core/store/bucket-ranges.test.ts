// bucketRanges: the day and hour rows chosen for a range count every event of its hours exactly
// once, whatever the range (any start and end, in any time zone's day, across months).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { bucketRanges, bucketStart, type Granularity } from '../../../core/store/buckets.ts'

const T0 = Date.UTC(2026, 0, 1)
const YEAR = 366 * 86_400_000

test('bucketRanges: day rows inside, hour rows at the ends, every event of the range counted once', () => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: YEAR }), fc.integer({ min: 1, max: 90 * 86_400_000 }),
    fc.array(fc.integer({ min: 0, max: YEAR + 91 * 86_400_000 }), { maxLength: 60 }),
    (start, length, offsets) => {
      const since = T0 + start
      const until = since + length
      const events = offsets.map(o => T0 + o)
      const ranges = bucketRanges(since, until)
      const inRanges = (t: number) => ranges.filter(r => {
        const b = bucketStart(r.granularity as Granularity, t)
        return b >= r.from && b < r.to
      }).length
      for (const t of events) {
        // Hour rows are the finest: an event counts when its hour starts in [since's hour, until).
        const hour = bucketStart('hour', t)
        const expected = hour >= bucketStart('hour', since) && hour < until ? 1 : 0
        assert.equal(inRanges(t), expected, `event ${new Date(t).toISOString()} in [${new Date(since).toISOString()}, ${new Date(until).toISOString()})`)
      }
      for (const r of ranges) {
        assert.ok(r.from < r.to)
        if (r.granularity === 'day') assert.ok(r.from % 86_400_000 === 0 && r.to % 86_400_000 === 0)
      }
      // Whole days inside a long range are read as day rows.
      if (until - since > 3 * 86_400_000) assert.ok(ranges.some(r => r.granularity === 'day'))
    }), { numRuns: 300 })
})
