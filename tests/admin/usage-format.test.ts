// Money leaves the API as exact decimal strings, and cursors come back from clients: both over
// generated values, not one example.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { usdString, usdToPico } from '../../core/limits/money.ts'
import { requestPage } from '../../core/admin/usage-api.ts'
import type { Runtime } from '../../core/runtime.ts'

test('usdString is exact: read back, it is the same number of pico-USD', () => {
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 24n }), pico => {
    const s = usdString(pico)
    assert.match(s, /^\d+(\.\d{1,12})?$/)
    const [whole, frac = ''] = s.split('.')
    assert.equal(BigInt(whole!) * 10n ** 12n + BigInt(frac.padEnd(12, '0')), pico)
  }), { numRuns: 1000 })
  assert.equal(usdString(usdToPico(0.1)), '0.1')
  assert.equal(usdString(0n), '0')
  assert.equal(usdString(31_125_000_000n), '0.031125')
})

test('usdToPico takes any finite amount: whole cents exactly, the order kept, no exponent form in the way (1e21 and up)', () => {
  fc.assert(fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), cents => {
    assert.equal(usdToPico(Number(cents) / 100), cents * 10n ** 10n)
  }), { numRuns: 1000 })
  fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double({ noNaN: true, noDefaultInfinity: true }), (a, b) => {
    const [lo, hi] = a <= b ? [a, b] : [b, a]
    assert.ok(usdToPico(lo) <= usdToPico(hi), `${lo} ${hi}`)
  }), { numRuns: 2000 })
  assert.equal(usdToPico(1e21), 10n ** 33n)
  assert.equal(usdToPico(1.5e300), 15n * 10n ** 311n)
  assert.equal(usdToPico(1e-7), 100_000n)
  assert.equal(usdToPico(1e-13), 0n)
  assert.equal(usdToPico(999_999_999_999_999_900_000), 999_999_999_999_999_900_000n * 10n ** 12n)
  assert.throws(() => usdToPico(Number.NaN), RangeError)
  assert.throws(() => usdToPico(Infinity), RangeError)
})

test('a cursor a client made up is a 400, whatever it holds; a good one pages on from its row', async () => {
  const seen: unknown[] = []
  const rt = { store: { queryRequests: async (q: unknown) => { seen.push(q); return [] } } } as unknown as Runtime
  await fc.assert(fc.asyncProperty(fc.oneof(fc.string({ maxLength: 200 }), fc.json().map(j => Buffer.from(j).toString('base64url'))), async cursor => {
    try {
      await requestPage(rt, { cursor, limit: 10 })
    } catch (err) {
      assert.equal((err as { statusCode: number }).statusCode, 400)
    }
  }), { numRuns: 500 })
  const good = Buffer.from(JSON.stringify([1_700_000_000_000, 'req_x'])).toString('base64url')
  await requestPage(rt, { cursor: good, limit: 10 })
  assert.deepEqual((seen.at(-1) as { before: unknown }).before, { time: 1_700_000_000_000, requestId: 'req_x' })
})
