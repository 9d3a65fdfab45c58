// Account selection, health rules and sticky sessions with a fake clock and an in-memory store.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import picomatch from 'picomatch'
import type { PoolAccount } from '../../../core/accounts/account-pool.ts'
import { AccountPool } from '../../../core/accounts/account-pool.ts'
import { AccountHealth, type HealthPolicy } from '../../../core/scheduler/account-health.ts'
import { AccountSelector } from '../../../core/scheduler/select-account.ts'
import { Scheduler } from '../../../core/scheduler/scheduler.ts'
import { SESSION_KEY_LIMIT, StickySessions, sessionNamespace } from '../../../core/scheduler/sticky-sessions.ts'
import fc from 'fast-check'
import { openSqliteStore } from '../../../core/store/sqlite-store.ts'
import { ACCOUNT_ERRORS_KEPT, type AccountStateRecord, type KeyRecord } from '../../../core/store/store.ts'
import { join } from 'node:path'
import { tempDir } from '../../helpers/relay-harness.ts'

const POLICY: HealthPolicy = { rateLimitCooldownMs: 60_000, failureThreshold: 3, failureCooldownMs: 30_000, slowFirstByteRatio: 3, slowFirstByteMinMs: 5_000 }

function acct (name: string, o: Partial<PoolAccount> = {}): PoolAccount {
  const models = o.models ?? null
  return {
    id: `acc_${name}`, name, type: 'claude-api-key', fields: {}, provider: 'claude', priority: 50, disabled: false,
    source: 'config', groups: [], maxConcurrency: null, models, serves: models ? picomatch(models) : () => true, proxy: null, shared: null, ...o,
  }
}

function key (o: Partial<KeyRecord> = {}): KeyRecord {
  return { id: 'key_a', name: 'a', hashScheme: 'sha256', hash: 'x', hint: 'x', disabled: false, expiresAt: null, createdAt: 0, source: 'config', bindings: {}, policy: {}, ...o }
}

function world (accounts: PoolAccount[], policy: Partial<HealthPolicy> = {}, maxSessionSwitches = 3) {
  const saved: AccountStateRecord[] = []
  const health = new AccountHealth({ ...POLICY, ...policy }, s => saved.push(s))
  const pool = new AccountPool()
  pool.load(accounts)
  const store = openSqliteStore(':memory:')
  const scheduler = new Scheduler({ pool, health, selector: new AccountSelector(), sticky: new StickySessions(store, 3_600_000), maxSessionSwitches })
  const pick = async (now: number, o: { session?: string, model?: string, exclude?: string[], k?: KeyRecord } = {}) => {
    const k = o.k ?? key()
    const p = await scheduler.pick({ provider: 'claude', key: k, model: o.model, session: o.session && sessionNamespace(k.id, 'claude', o.session), exclude: new Set(o.exclude ?? []), now })
    return p
  }
  return { health, scheduler, store, pick, saved }
}

test('lowest priority number first, least recently used within it; deterministic', async () => {
  const run = async () => {
    const { pick } = world([acct('a', { priority: 20 }), acct('b', { priority: 10 }), acct('c', { priority: 10 }), acct('d', { priority: 10 })])
    const seq = []
    for (let i = 0; i < 6; i++) seq.push((await pick(0))!.account.name)
    return seq
  }
  assert.deepEqual(await run(), ['b', 'c', 'd', 'b', 'c', 'd'])
  assert.deepEqual(await run(), await run())
})

test('never disabled, unauthorized, cooling, at capacity, wrong model, or already tried', async () => {
  const { pick, health } = world([
    acct('off', { priority: 1, disabled: true }),
    acct('capped', { priority: 2, maxConcurrency: 1 }),
    acct('sonnet-only', { priority: 3, models: ['claude-sonnet-*'] }),
    acct('last', { priority: 9 }),
  ])
  health.acquire('acc_capped')
  assert.equal((await pick(0, { model: 'claude-opus-4-5' }))!.account.name, 'last')
  assert.equal((await pick(0, { model: 'claude-sonnet-4-5' }))!.account.name, 'sonnet-only')
  health.release('acc_capped')
  assert.equal((await pick(0, { model: 'claude-opus-4-5' }))!.account.name, 'capped')
  assert.equal((await pick(0, { model: 'claude-opus-4-5', exclude: ['acc_capped'] }))!.account.name, 'last')
  health.failed('acc_last', { kind: 'auth_failed', retryable: true }, 'HTTP 401: invalid x-api-key', 0)
  assert.equal(await pick(0, { model: 'claude-opus-4-5', exclude: ['acc_capped'] }), undefined)
  assert.equal(health.state('acc_last').status, 'unauthorized')
})

test('429 cools the account until the provider reset time, or the default; it comes back exactly then', async () => {
  const { pick, health, scheduler } = world([acct('a', { priority: 1 }), acct('b', { priority: 2 })])
  const t0 = 1_000_000
  health.failed('acc_a', { kind: 'rate_limited', retryable: true, until: t0 + 17_000 }, 'HTTP 429', t0)
  assert.equal((await pick(t0 + 16_999))!.account.name, 'b')
  assert.equal((await pick(t0 + 17_000))!.account.name, 'a')
  health.failed('acc_a', { kind: 'rate_limited', retryable: true }, 'HTTP 429', t0)
  assert.equal(health.state('acc_a').cooldownUntil, t0 + 60_000)
  health.failed('acc_b', { kind: 'rate_limited', retryable: true, until: t0 + 5_000 }, 'HTTP 429', t0)
  // Nothing usable now: the earliest comeback is what a client is told to wait for.
  assert.equal(await pick(t0 + 500), undefined)
  assert.deepEqual(scheduler.whyNone({ provider: 'claude', key: key(), model: undefined, now: t0 + 500 }), { kind: 'busy', retryAfter: 5 })
})

test('5xx/529/network failures cool an account only after N in a row; success resets; client errors never count', async () => {
  const { pick, health } = world([acct('a', { priority: 1 }), acct('b', { priority: 2 })])
  const fail = (now: number) => health.failed('acc_a', { kind: 'overloaded', retryable: true }, 'HTTP 529', now)
  fail(0)
  fail(0)
  health.succeeded('acc_a', 100, 0)
  fail(0)
  fail(0)
  for (let i = 0; i < 20; i++) health.failed('acc_a', { kind: 'client_error', retryable: false }, 'HTTP 400', 0)
  assert.equal((await pick(0))!.account.name, 'a', 'two in a row and many client errors: still usable')
  fail(1000)
  assert.equal((await pick(1000))!.account.name, 'b')
  assert.equal(health.state('acc_a').cooldownUntil, 31_000)
  assert.equal((await pick(31_000))!.account.name, 'a')
  health.failed('acc_a', { kind: 'forbidden', retryable: true }, 'HTTP 403: This organization has been disabled.', 2000)
  assert.deepEqual([health.state('acc_a').status, health.state('acc_a').reason], ['disabled', 'HTTP 403: This organization has been disabled.'])
})

test('sticky sessions: 50 turns on one account, a cut-over re-binds, and the session does not ping-pong back', async () => {
  const { pick, health, scheduler, store } = world([acct('a'), acct('b'), acct('c')])
  const served = async (now: number, session: string) => {
    const p = (await pick(now, { session }))!
    await scheduler.served(sessionNamespace('key_a', 'claude', session), p, now)
    return p.account.name
  }
  const first = await served(0, 's1')
  for (let turn = 1; turn < 50; turn++) {
    assert.equal(await served(turn * 1000, 's1'), first, `turn ${turn}`)
    await pick(turn * 1000 + 1) // other traffic rotating through the pool
  }
  health.failed(`acc_${first}`, { kind: 'rate_limited', retryable: true, until: 200_000 }, 'HTTP 429', 50_000)
  const second = await served(51_000, 's1')
  assert.notEqual(second, first)
  assert.equal((await store.getSticky(sessionNamespace('key_a', 'claude', 's1'), 51_000))!.switches, 1)
  for (let turn = 0; turn < 5; turn++) assert.equal(await served(300_000 + turn, 's1'), second, 'stays after the old account recovers')
  // Namespaced by relay key: another key with the same session id gets its own binding.
  const other = key({ id: 'key_b', name: 'b' })
  const p = (await pick(300_100, { session: 's1', k: other }))!
  assert.equal((await store.getSticky(sessionNamespace('key_b', 'claude', 's1'), 300_100)), undefined)
  assert.ok(p)
  // Bindings expire with their TTL.
  assert.equal(await store.getSticky(sessionNamespace('key_a', 'claude', 's1'), 300_004 + 3_600_000), undefined)
})

test('a sticky account much slower to first byte is left, up to the switch cap', async () => {
  const { pick, health, scheduler } = world([acct('a'), acct('b'), acct('c')], {}, 1)
  const ns = sessionNamespace('key_a', 'claude', 's')
  const p0 = (await pick(0, { session: 's' }))!
  await scheduler.served(ns, p0, 0)
  const slow = p0.account.id
  for (const a of ['acc_a', 'acc_b', 'acc_c']) health.succeeded(a, a === slow ? 30_000 : 800, 0)
  const p1 = (await pick(1, { session: 's' }))!
  assert.notEqual(p1.account.id, slow, 'left the slow account')
  await scheduler.served(ns, p1, 1)
  // Now the new one turns slow too, but the cap (1 switch) keeps the conversation where it is.
  for (let i = 0; i < 10; i++) health.succeeded(p1.account.id, 60_000, 2)
  assert.equal((await pick(3, { session: 's' }))!.account.id, p1.account.id)
})

test('bindings: a dedicated account or a group; the shared pool excludes both', async () => {
  const { pick, scheduler } = world([acct('shared1'), acct('shared2'), acct('team-a', { groups: ['a'] }), acct('mine')])
  scheduler.setDedicated(['mine'])
  const names = async (k: KeyRecord) => new Set(await Promise.all(Array.from({ length: 6 }, async () => (await pick(0, { k }))?.account.name)))
  assert.deepEqual(await names(key()), new Set(['shared1', 'shared2']))
  assert.deepEqual(await names(key({ bindings: { '*': { group: 'a' } } })), new Set(['team-a']))
  assert.deepEqual(await names(key({ bindings: { '*': { account: 'mine' } } })), new Set(['mine']))
  assert.deepEqual(await names(key({ bindings: { '*': { account: 'nope' } } })), new Set([undefined]))
})

test('an account\'s shared setting: true keeps a bound or grouped account in the shared pool, false keeps an unbound one out', async () => {
  const { pick, scheduler } = world([acct('bound-shared', { shared: true }), acct('grouped-shared', { groups: ['g'], shared: true }), acct('reserved', { shared: false }), acct('bound')])
  scheduler.setDedicated(['bound-shared', 'bound'])
  const names = async (k: KeyRecord) => new Set(await Promise.all(Array.from({ length: 8 }, async () => (await pick(0, { k }))?.account.name)))
  assert.deepEqual(await names(key()), new Set(['bound-shared', 'grouped-shared']))
  assert.deepEqual(await names(key({ bindings: { claude: { account: 'reserved' } } })), new Set(['reserved']))
})

test('bindings are per provider: each provider its own account or group, the others the shared pool, * the rest', async () => {
  const accounts = [acct('c-shared'), acct('c-mine'), acct('o-shared', { provider: 'openai' }), acct('o-team', { provider: 'openai', groups: ['t'] }), acct('g-shared', { provider: 'gemini' })]
  const pool = new AccountPool()
  pool.load(accounts)
  const scheduler = new Scheduler({ pool, health: new AccountHealth(POLICY, () => {}), selector: new AccountSelector(), sticky: new StickySessions(openSqliteStore(':memory:'), 3_600_000), maxSessionSwitches: 3 })
  scheduler.setDedicated(['c-mine'])
  const names = (provider: string, k: KeyRecord) => scheduler.candidates(provider, k).map(a => a.name)
  const both = key({ bindings: { claude: { account: 'c-mine' }, openai: { group: 't' } } })
  assert.deepEqual([names('claude', both), names('openai', both), names('gemini', both)], [['c-mine'], ['o-team'], ['g-shared']])
  // `*` covers the providers without their own binding; an account under `*` serves its own provider only.
  const star = key({ bindings: { claude: { account: 'c-mine' }, '*': { group: 't' } } })
  assert.deepEqual([names('claude', star), names('openai', star), names('gemini', star)], [['c-mine'], ['o-team'], []])
  const legacy = key({ bindings: { '*': { account: 'c-mine' } } })
  assert.deepEqual([names('claude', legacy), names('openai', legacy)], [['c-mine'], []])
  // An account bound for the wrong provider serves nothing there.
  assert.deepEqual(names('openai', key({ bindings: { openai: { account: 'c-mine' } } })), [])
})

test('a subscription window the provider rejected blocks the account, or only its model family, until the reset', async () => {
  const { pick, health } = world([acct('max', { priority: 1 }), acct('spare', { priority: 2 })])
  const opusLimited = { at: 0, windows: [{ name: '5h', utilisation: 0.3, status: 'allowed' }, { name: '7d_opus', models: '*opus*', status: 'rejected', resetsAt: 100_000 }] }
  health.rateLimits('acc_max', opusLimited)
  // The 429 that came with it benches only the family.
  health.failed('acc_max', { kind: 'rate_limited', retryable: true, until: 100_000 }, 'HTTP 429', 0)
  assert.equal(health.state('acc_max').cooldownUntil, null)
  assert.equal((await pick(1, { model: 'claude-opus-4-5' }))!.account.name, 'spare')
  assert.equal((await pick(1, { model: 'claude-sonnet-4-5' }))!.account.name, 'max')
  assert.equal((await pick(100_000, { model: 'claude-opus-4-5' }))!.account.name, 'max', 'back at the reset time')
  health.rateLimits('acc_max', { at: 10_000, windows: [{ name: 'unified', status: 'rejected', resetsAt: 200_000 }] })
  assert.equal((await pick(10_001, { model: 'claude-sonnet-4-5' }))!.account.name, 'spare')
})

test('least-recently-used order survives a restart: picks are saved and seed the next run', async t => {
  const dir = tempDir()
  const accounts = [acct('a'), acct('b'), acct('c')]
  const first = new AccountSelector()
  const health = new AccountHealth({ rateLimitCooldownMs: 60_000, failureThreshold: 3, failureCooldownMs: 30_000, slowFirstByteRatio: 3, slowFirstByteMinMs: 5000 }, () => {})
  const pickWith = (sel: AccountSelector, now: number) => sel.select({ candidates: accounts, model: undefined, exclude: new Set(), now }, health)!.name
  assert.deepEqual([pickWith(first, 1), pickWith(first, 2)], ['a', 'b'])
  const store = openSqliteStore(join(dir, 'r.db'))
  t.after(() => store.close())
  await store.saveAccountsLastUsed(first.takeUnsaved())
  assert.equal(first.takeUnsaved().size, 0)
  // A restart: the next pick is the one not used yet, then the least recent of the others.
  const second = new AccountSelector()
  second.seed(await store.accountsLastUsed())
  assert.deepEqual([pickWith(second, 3), pickWith(second, 4), pickWith(second, 5)], ['c', 'a', 'b'])
})

test('an account keeps its latest errors, newest first, at most ACCOUNT_ERRORS_KEPT, across a reload', () => {
  const saved: AccountStateRecord[] = []
  const health = new AccountHealth(POLICY, s => saved.push(s))
  for (let i = 1; i <= ACCOUNT_ERRORS_KEPT + 3; i++) health.failed('a', { kind: 'server_error', retryable: true }, `HTTP 500 number ${i}`, 1000 + i)
  const errors = health.state('a').recentErrors!
  assert.equal(errors.length, ACCOUNT_ERRORS_KEPT)
  assert.deepEqual(errors[0], { at: 1000 + ACCOUNT_ERRORS_KEPT + 3, message: `HTTP 500 number ${ACCOUNT_ERRORS_KEPT + 3}` })
  // A save that is not a new error (a success ends the streak) adds nothing.
  health.succeeded('a', 100, 5000)
  assert.equal(health.state('a').recentErrors!.length, ACCOUNT_ERRORS_KEPT)
  const reloaded = new AccountHealth(POLICY, () => {})
  reloaded.load([saved.at(-1)!])
  assert.deepEqual(reloaded.state('a').recentErrors, errors)
})

test('a session id of any length is stored in bounded space, and two ids stay apart', () => {
  fc.assert(fc.property(fc.string({ maxLength: 5000 }), fc.string({ maxLength: 5000 }), (a, b) => {
    const na = sessionNamespace('key_1', 'openai', a)
    assert.ok(na.length <= 'key_1:openai:'.length + Math.max(SESSION_KEY_LIMIT, 'sha256:'.length + 64))
    if (a !== b) assert.notEqual(na, sessionNamespace('key_1', 'openai', b))
  }))
  // Short ids are kept as they are (bindings stored before stay valid).
  assert.equal(sessionNamespace('k', 'claude', 'abc'), 'k:claude:abc')
})
