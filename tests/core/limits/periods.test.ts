// Budget periods are remembered between requests; the remembered answer must always be the one
// luxon computes, whatever order the times come in, across DST changes and month ends.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { budgetPeriod, computeBudgetPeriod, durationMs, type BudgetPeriod } from '../../../core/limits/periods.ts'

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Shanghai', 'Australia/Lord_Howe', 'Pacific/Chatham']
// 2026 around the spring and autumn DST changes and month ends, plus anything in 2020–2040.
const instant = fc.oneof(
  fc.integer({ min: Date.UTC(2026, 2, 27), max: Date.UTC(2026, 3, 2) }),
  fc.integer({ min: Date.UTC(2026, 9, 24), max: Date.UTC(2026, 10, 2) }),
  fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 0, 1) }),
)

test('a remembered budget period is always the one computed afresh, for any sequence of times, periods and zones', () => {
  const ask = fc.record({ period: fc.constantFrom<BudgetPeriod>('day', 'week', 'month', 'total'), zone: fc.constantFrom(...ZONES), now: instant })
  fc.assert(fc.property(fc.array(ask, { minLength: 1, maxLength: 40 }), asks => {
    for (const { period, zone, now } of asks) {
      const got = budgetPeriod(period, now, zone)
      assert.deepEqual(got, computeBudgetPeriod(period, now, zone), `${period} ${zone} ${new Date(now).toISOString()}`)
      if (got.end !== null) assert.ok(got.start <= now && now < got.end)
    }
  }), { numRuns: 300 })
})

test('each answer is a new object: a caller changing it cannot change the next answer', () => {
  const a = budgetPeriod('day', Date.UTC(2026, 5, 1, 12), 'UTC')
  a.start = 0
  assert.equal(budgetPeriod('day', Date.UTC(2026, 5, 1, 13), 'UTC').start, Date.UTC(2026, 5, 1))
})

test('durations are parsed the same when remembered', () => {
  for (const d of ['1m', '5h', '1d', '30d', '1m']) assert.equal(durationMs(d), { '1m': 60_000, '5h': 18_000_000, '1d': 86_400_000, '30d': 2_592_000_000 }[d])
})
