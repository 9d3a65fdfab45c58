// What the widgets show of numbers and money, over generated amounts: no exponent form, no cost
// shown as $0.00 when it is not zero, cents that read back to the amount, separators by language.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { formatCount, formatTime, formatUsd } from '../../admin-webcomponents/src/format.ts'

test('formatUsd: any exact decimal the API sends reads right; nothing nonzero is shown as zero', () => {
  const decimal = fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 10n }), fc.bigInt({ min: 0n, max: 10n ** 12n - 1n })).map(([whole, frac]) => `${whole}.${frac.toString().padStart(12, '0')}`.replace(/\.?0+$/, '') || '0')
  fc.assert(fc.property(decimal, d => {
    const shown = formatUsd(d)
    assert.match(shown, /^\$[\d,]+(\.\d+)?$/, `${d} → ${shown}`)
    const value = Number(shown.replace(/[$,]/g, ''))
    const n = Number(d)
    if (n >= 0.01) assert.ok(Math.abs(value - n) <= 0.005 + n * 1e-12, `${d} → ${shown}`)
    else if (n > 0) assert.ok(value > 0 && Math.abs(value - n) / n < 0.01, `${d} → ${shown}`)
    else assert.equal(shown, '$0.00')
  }), { numRuns: 2000 })
  assert.deepEqual([formatUsd('0.502956'), formatUsd('0.000756'), formatUsd('1234567.5'), formatUsd('1e21'), formatUsd(null)], ['$0.50', '$0.000756', '$1,234,567.50', '–', '–'])
})

test('counts have separators; times are read, not ISO; junk is a dash', () => {
  assert.equal(formatCount(1234567), '1,234,567')
  assert.equal(formatCount(undefined), '–')
  assert.equal(formatCount(Number.NaN), '–')
  assert.doesNotMatch(formatTime('2026-12-07T10:48:24.087Z', true), /T|Z$/)
  assert.equal(formatTime('not a time'), '–')
})
