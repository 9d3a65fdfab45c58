// Key policies with a fake clock and an in-memory store: every field, window roll-over,
// budgets across day/week/month boundaries in a time zone, leases.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DateTime } from 'luxon'
import { Admission, type Admitted } from '../../../core/limits/admission.ts'
import type { KeyPolicy } from '../../../core/limits/policy-schema.ts'
import { openSqliteStore } from '../../../core/store/sqlite-store.ts'
import type { KeyRecord } from '../../../core/store/store.ts'
import type { ParsedRequest, PluginRoute, Usage } from '../../../core/plugin-api.ts'
import { keyUsageReport } from '../../../core/limits/key-usage.ts'
import { rateWindow } from '../../../core/limits/periods.ts'

/** What settle does with a request's admission: the lease back, then the spend. */
async function settleIn (admission: Admission, a: Admitted, usage: Usage, cost: bigint | null): Promise<void> {
  await admission.release(a)
  await admission.addSpend(a, usage, cost)
}

const GENERATE: PluginRoute = { method: 'POST', path: '/v1/messages', kind: 'generate' }
const COUNT_TOKENS: PluginRoute = { method: 'POST', path: '/v1/messages/count_tokens', kind: 'passthrough' }
const USD = 1_000_000_000_000n

function setup (policy: KeyPolicy, zone = 'UTC', leaseTtlMs = 30_000) {
  const store = openSqliteStore(':memory:')
  let now = Date.parse('2026-11-26T10:00:00Z')
  const admission = new Admission(store, { timeZone: zone, leaseTtlMs, now: () => now, onError: err => { throw err } })
  const key: KeyRecord = { id: 'key_1', name: 'alice', hashScheme: 'sha256', hash: 'h', hint: 'x', disabled: false, expiresAt: null, createdAt: 0, source: 'store', bindings: {}, policy }
  const req = (o: Partial<ParsedRequest> = {}): ParsedRequest => ({ model: 'claude-sonnet-4-5', stream: true, clientKind: 'claude-code', ...o })
  const admit = (o: Partial<ParsedRequest> = {}, route = GENERATE, provider = 'claude') => admission.admit(key, provider, route, req(o), now)
  const refused = async (o: Partial<ParsedRequest> = {}, route = GENERATE, provider = 'claude') => {
    try {
      await admit(o, route, provider)
    } catch (err) {
      return err as { code: string, statusCode: number, message: string, retryAfter?: number, noRetry?: boolean }
    }
    return undefined
  }
  return {
    store, admission, key, admit, refused,
    at: (iso: string) => { now = Date.parse(iso) },
    tick: (ms: number) => { now += ms },
    now: () => now,
    spend: (a: Admitted, usd: bigint, tokens = 0) => settleIn(admission, a, { input: tokens }, usd),
  }
}

test('permissions: providers, model allow/deny globs and client kinds are 403s naming the rule', async () => {
  const w = setup({ providers: ['claude'], models: { allow: ['claude-*'], deny: ['claude-haiku-3*', 'claude-opus-*'] }, clients: ['claude-code', 'sdk'] })
  assert.ok(await w.admit())
  const provider = await w.refused({}, GENERATE, 'openai')
  assert.deepEqual([provider?.code, provider?.statusCode], ['RELAY_ERR_KEY_FORBIDDEN', 403])
  assert.match(provider!.message, /openai provider/)
  // The refusal names the pattern that matched, not the whole list.
  assert.match((await w.refused({ model: 'claude-opus-4-5' }))!.message, /model claude-opus-4-5 \(denied by claude-opus-\*\)$/)
  assert.match((await w.refused({ model: 'gpt-5' }))!.message, /model gpt-5 \(allowed: claude-\*\)/)
  // In any case: the upstream may take the model name whatever its case.
  for (const model of ['Claude-Opus-4-5', 'CLAUDE-OPUS-4-5', 'claude-HAIKU-3-5']) assert.match((await w.refused({ model }))!.message, /denied by/, model)
  assert.ok(await w.admit({ model: 'CLAUDE-SONNET-4-5' }), 'allow globs match in any case too')
  assert.match((await w.refused({ clientKind: 'other' }))!.message, /client \(other; allowed: claude-code, sdk\)/)
})

test('activation on first use: the lifetime starts at the first call', async () => {
  const w = setup({ validFor: '2d' })
  w.at('2026-12-01T00:00:00Z')
  await w.admit()
  w.at('2026-12-02T23:59:59Z')
  assert.ok(await w.admit())
  w.at('2026-12-03T00:00:00Z')
  const r = await w.refused()
  assert.deepEqual([r?.code, r?.statusCode], ['RELAY_ERR_KEY_EXPIRED', 401])
  assert.equal((await w.store.activations()).get('key_1'), Date.parse('2026-12-01T00:00:00Z'))
})

test('request windows: exactly N per window, Retry-After to the window end, open again at roll-over', async () => {
  const w = setup({ rateLimits: [{ window: '1m', requests: 3 }] })
  w.at('2026-11-26T10:00:15Z')
  for (let i = 0; i < 3; i++) await w.admit()
  const r = await w.refused()
  assert.deepEqual([r?.code, r?.statusCode, r?.retryAfter], ['RELAY_ERR_LIMIT_RATE', 429, 45])
  assert.match(r!.message, /3 requests per 1m .*resets at 2026-11-26T10:01:00.000Z/)
  w.at('2026-11-26T10:00:59.999Z')
  assert.ok(await w.refused())
  w.at('2026-11-26T10:01:00Z')
  assert.ok(await w.admit())
  // count_tokens and models never use up a window.
  for (let i = 0; i < 10; i++) await w.admit({}, COUNT_TOKENS)
  assert.ok(await w.admit())
})

test('token and cost windows count settled spend; cache reads are not tokens', async () => {
  const w = setup({ rateLimits: [{ window: '1h', tokens: 1000 }, { window: '5h', costUsd: 0.5 }] })
  const a = await w.admit()
  await settleIn(w.admission, a, { input: 600, output: 300, cacheRead: 50_000 }, USD / 10n)
  assert.ok(await w.admit(), '900 tokens < 1000')
  const b = await w.admit()
  await settleIn(w.admission, b, { output: 100 }, USD / 10n)
  const r = await w.refused()
  assert.match(r!.message, /1000 tokens per 1h/)
  w.at('2026-11-26T11:00:00Z')
  const c = await w.admit()
  await settleIn(w.admission, c, { input: 1 }, 3n * USD / 10n)
  const cost = await w.refused()
  assert.match(cost!.message, /\$0\.50 per 5h/)
  // 5-hour windows are aligned to the epoch, not to the first request; a wait that long says
  // when it resets and is marked not to be retried (no Retry-After a client would sleep through).
  assert.match(cost!.message, new RegExp(`resets at ${new Date(rateWindow('5h', w.now()).end).toISOString()}`))
  assert.deepEqual([cost!.statusCode, cost!.retryAfter, cost!.noRetry], [429, (rateWindow('5h', w.now()).end - w.now()) / 1000, true])
})

test('budgets reset at day, week and month boundaries of the configured time zone', async () => {
  const zone = 'America/New_York'
  const w = setup({ budgets: { dailyUsd: 1, weeklyUsd: 3, monthlyUsd: 5 } }, zone)
  const local = (s: string) => DateTime.fromISO(s, { zone }).toMillis()
  // Sunday 29 Nov 2026, 23:30 in New York (04:30 UTC on Monday).
  w.at(new Date(local('2026-11-29T23:30:00')).toISOString())
  await w.spend(await w.admit(), USD)
  const daily = await w.refused()
  assert.deepEqual([daily?.code, daily?.statusCode, daily?.retryAfter, daily?.noRetry], ['RELAY_ERR_LIMIT_BUDGET', 429, 30 * 60, true])
  assert.match(daily!.message, new RegExp(`resets at ${new Date(local('2026-11-30T00:00:00')).toISOString()}`))
  assert.match(daily!.message, /Daily budget of \$1\.00 reached/)
  // Local midnight: a new day and a new ISO week.
  w.at(new Date(local('2026-11-30T00:00:00')).toISOString())
  await w.spend(await w.admit(), USD)
  w.at(new Date(local('2026-11-30T12:00:00')).toISOString())
  assert.ok(await w.refused(), 'daily again')
  w.at(new Date(local('2026-12-01T00:00:00')).toISOString())
  await w.spend(await w.admit(), USD)
  w.at(new Date(local('2026-12-02T00:00:00')).toISOString())
  await w.spend(await w.admit(), USD)
  w.at(new Date(local('2026-12-03T00:00:00')).toISOString())
  const weekly = await w.refused()
  assert.match(weekly!.message, /Weekly budget of \$3\.00/)
  assert.match(weekly!.message, new RegExp(`resets at ${new Date(local('2026-12-07T00:00:00')).toISOString()}`))
  // November's spend (2 USD) does not count in December; the monthly budget is December's.
  w.at(new Date(local('2026-12-07T00:00:00')).toISOString())
  await w.spend(await w.admit(), USD)
  w.at(new Date(local('2026-12-08T00:00:00')).toISOString())
  await w.spend(await w.admit(), USD)
  w.at(new Date(local('2026-12-09T00:00:00')).toISOString())
  await w.spend(await w.admit(), USD)
  w.at(new Date(local('2026-12-14T00:00:00')).toISOString())
  const monthly = await w.refused()
  assert.match(monthly!.message, /Monthly budget of \$5\.00/)
  assert.match(monthly!.message, new RegExp(`resets at ${new Date(local('2027-01-01T00:00:00')).toISOString()}`))
  // A minute before the reset, the same budget is a 429 to wait out.
  w.at(new Date(local('2026-12-31T23:59:30')).toISOString())
  const soon = await w.refused()
  assert.deepEqual([soon?.statusCode, soon?.retryAfter, soon?.noRetry], [429, 30, undefined])
})

test('per-model budgets apply to their models only; a total budget is a 403 that never resets', async () => {
  const w = setup({ budgets: { totalUsd: 10, models: [{ models: 'claude-opus-*', period: 'week', usd: 2 }] } })
  await w.spend(await w.admit({ model: 'claude-opus-4-5' }), 2n * USD)
  const opus = await w.refused({ model: 'claude-opus-4-5' })
  assert.match(opus!.message, /Weekly budget of \$2\.00 for models claude-opus-\* reached/)
  assert.deepEqual([opus!.statusCode, opus!.noRetry], [429, true])
  await w.spend(await w.admit({ model: 'claude-sonnet-4-5' }), 8n * USD)
  const total = await w.refused({ model: 'claude-sonnet-4-5' })
  assert.deepEqual([total?.code, total?.statusCode, total?.retryAfter], ['RELAY_ERR_LIMIT_BUDGET_EXHAUSTED', 403, undefined])
})

test('overshoot is bounded by the requests in flight: they are let in, the next one is refused', async () => {
  const w = setup({ budgets: { dailyUsd: 1 } })
  const inFlight = await Promise.all([w.admit(), w.admit(), w.admit()])
  for (const a of inFlight) await w.spend(a, USD / 2n)
  assert.ok(await w.refused())
  const report = await keyUsageReport(w.key, w.store, 'UTC', w.now())
  assert.deepEqual(report.limits, [{ limit: 'budget day', used: '$1.50', max: '$1.00', resetsAt: '2026-11-27T00:00:00.000Z' }])
})

test('leases: concurrency is exact, released slots are reused, an unrenewed lease expires by itself', async () => {
  const w = setup({ concurrency: 10 }, 'UTC', 30_000)
  const results = await Promise.allSettled(Array.from({ length: 200 }, () => w.admit()))
  const ok = results.filter((r): r is PromiseFulfilledResult<Admitted> => r.status === 'fulfilled')
  assert.equal(ok.length, 10)
  const refusal = (results.find(r => r.status === 'rejected') as PromiseRejectedResult).reason as { code: string, retryAfter: number }
  assert.deepEqual([refusal.code, refusal.retryAfter], ['RELAY_ERR_LIMIT_CONCURRENCY', 2])
  await settleIn(w.admission, ok[0]!.value, {}, null)
  assert.ok(await w.admit(), 'a released slot is free at once')
  assert.ok(await w.refused())
  // The holder renews: still held after the TTL.
  w.tick(20_000)
  await w.admission.leases.renew()
  w.tick(20_000)
  assert.ok(await w.refused())
  // The holder dies (no more renewals): every slot frees itself a TTL after its last renewal (t=20 s).
  w.admission.leases.stop()
  w.tick(9_999)
  assert.ok(await w.refused())
  w.tick(1)
  assert.ok(await w.admit())
  assert.equal(await w.store.activeLeases('key_1', w.now()), 1)
})
