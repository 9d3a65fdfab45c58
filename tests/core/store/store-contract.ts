// The behaviour every Store implementation must have. Each implementation's test file runs
// `storeContract` with a factory: the SQLite store and the Redis store run the same suite.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { AccountRecord, KeyRecord, RequestQuery, Store, UsageRecord } from '../../../core/store/store.ts'

export interface StoreFactory {
  /** A fresh, empty store. */
  open (): Promise<Store>
  /** A second handle on the same data (another process, for the embedded store). */
  openAgain? (store: Store): Promise<Store>
}

const key = (o: Partial<KeyRecord> = {}): KeyRecord => ({
  id: 'key_1', name: 'alice', hashScheme: 'sha256', hash: 'a'.repeat(64), hint: 'ars_abcd…', disabled: false, expiresAt: null,
  createdAt: 1, source: 'store', bindings: {}, policy: {}, ...o,
})

const account = (o: Partial<AccountRecord> = {}): AccountRecord => ({
  id: 'acc_1', name: 'main', provider: 'claude', type: 'claude-api-key', priority: 50, disabled: false, fields: { baseUrl: 'https://x' },
  sealedSecrets: 'v1:sealed', createdAt: 1, source: 'store', groups: [], maxConcurrency: null, models: null, sealedProxy: null, ...o,
})

const usage = (o: Partial<UsageRecord> = {}): UsageRecord => ({
  requestId: `req_${Math.random()}`, time: Date.parse('2026-11-26T10:30:00Z'), keyId: 'key_1', accountId: 'acc_1', provider: 'claude',
  model: 'claude-sonnet-4-5', path: '/v1/messages', stream: true, status: 200, usage: { input: 10, output: 5, cacheRead: 100 },
  costPico: 1000n, unpriced: false, priceVersion: 'v', latencyMs: 10, ttfbMs: 5, partial: false, attempts: 1, accountsTried: ['acc_1'],
  clientKind: 'claude-code', billable: true, flags: null, ...o,
})

export function storeContract (name: string, factory: StoreFactory): void {
  const withStore = (title: string, fn: (s: Store) => Promise<void>) => test(`${name}: ${title}`, async t => {
    const s = await factory.open()
    t.after(() => s.close())
    await fn(s)
  })

  withStore('an import is all or nothing; its history rows count their requests once; its spend reaches the counters', async s => {
    const total = { id: 'budget:total', start: 0, end: null }
    const batch = {
      insertAccounts: [account({ origin: 'crs:a1', shared: true })], updateAccounts: [],
      insertKeys: [key({ origin: 'crs:k1', bindings: { claude: { account: 'main' } } })], updateKeys: [],
      usage: [usage({ requestId: 'crs-import-k1-claude-sonnet-4-5', accountId: null, requests: 7, costPico: 7000n })],
      spend: [{ keyId: 'key_1', counters: [total], tokens: 0, costPico: 7000n }],
    }
    // A clash part way (the second key takes the first one's name): nothing stays.
    await assert.rejects(s.importRecords({ ...batch, insertKeys: [...batch.insertKeys, key({ id: 'key_2', hash: 'b'.repeat(64) })] }))
    assert.deepEqual([(await s.listKeys()).length, (await s.listAccounts()).length], [0, 0])
    assert.deepEqual(await s.queryUsage({ since: 0, until: Date.parse('2027-01-01T00:00:00Z'), groupBy: 'key' }), [])
    await s.importRecords(batch)
    assert.deepEqual((await s.listKeys()).map(k => [k.origin, k.bindings]), [['crs:k1', { claude: { account: 'main' } }]])
    assert.deepEqual((await s.listAccounts()).map(a => [a.origin, a.shared]), [['crs:a1', true]])
    const used = await s.queryUsage({ since: 0, until: Date.parse('2027-01-01T00:00:00Z'), groupBy: 'key' })
    assert.deepEqual(used.map(u => [u.requests, u.costPico]), [[7, 7000n]])
    assert.equal((await s.readCounters('key_1', [total]))[0]!.costPico, 7000n)
    // The same history again (a rerun) adds nothing; an update applies.
    await s.importRecords({ insertAccounts: [], updateAccounts: [{ id: 'acc_1', patch: { priority: 7 } }], insertKeys: [], updateKeys: [{ id: 'key_1', patch: { disabled: true } }], usage: batch.usage, spend: [] })
    assert.deepEqual((await s.queryUsage({ since: 0, until: Date.parse('2027-01-01T00:00:00Z'), groupBy: 'key' })).map(u => u.requests), [7])
    assert.deepEqual([(await s.listAccounts())[0]!.priority, (await s.listKeys())[0]!.disabled], [7, true])
  })

  withStore('keys: insert, list, update, delete; names and hashes are unique', async s => {
    await s.insertKey(key({ policy: { concurrency: 2, tags: ['a'] }, bindings: { claude: { account: 'c' }, '*': { group: 'team' } }, origin: 'crs:1' }))
    await assert.rejects(s.insertKey(key({ id: 'key_2' })))
    await assert.rejects(s.insertKey(key({ id: 'key_3', name: 'bob' })), 'same hash')
    assert.deepEqual((await s.listKeys()).map(k => [k.name, k.policy, k.bindings, k.origin]), [['alice', { concurrency: 2, tags: ['a'] }, { claude: { account: 'c' }, '*': { group: 'team' } }, 'crs:1']])
    assert.equal(await s.updateKey('key_1', { bindings: { openai: { group: 'o' } } }), true)
    assert.deepEqual((await s.listKeys())[0]!.bindings, { openai: { group: 'o' } })
    assert.equal(await s.updateKey('key_1', { disabled: true, policy: {} }), true)
    assert.equal(await s.updateKey('key_missing', { disabled: true }), false)
    assert.deepEqual((await s.listKeys()).map(k => [k.disabled, k.policy]), [[true, {}]])
    assert.equal(await s.deleteKey('key_1'), true)
    assert.deepEqual(await s.listKeys(), [])
  })

  withStore('activation is set once; last use only moves forward', async s => {
    assert.equal(await s.activate('key_1', 100), 100)
    assert.equal(await s.activate('key_1', 200), 100)
    await s.writeUsage({ records: [], keysUsed: new Map([['key_1', 500]]) })
    await s.writeUsage({ records: [], keysUsed: new Map([['key_1', 400]]) })
    assert.equal((await s.lastUsed()).get('key_1'), 500)
    assert.equal((await s.activations()).get('key_1'), 100)
  })

  withStore('accounts and their run-time state', async s => {
    await s.insertAccount(account({ groups: ['g'], models: ['claude-*'], maxConcurrency: 3, sealedProxy: 'v1:p' }))
    const [a] = await s.listAccounts()
    assert.deepEqual([a!.groups, a!.models, a!.maxConcurrency, a!.sealedProxy, a!.fields], [['g'], ['claude-*'], 3, 'v1:p', { baseUrl: 'https://x' }])
    assert.equal(a!.modelMap ?? null, null)
    await s.updateAccount('acc_1', { disabled: true, sealedSecrets: 'v1:new', modelMap: { 'claude-sonnet-4-5': 'us.anthropic.claude-sonnet-4-5-v1:0' } })
    assert.deepEqual((await s.listAccounts()).map(x => [x.disabled, x.sealedSecrets, x.modelMap]), [[true, 'v1:new', { 'claude-sonnet-4-5': 'us.anthropic.claude-sonnet-4-5-v1:0' }]])
    await s.updateAccount('acc_1', { modelMap: null })
    assert.equal((await s.listAccounts())[0]!.modelMap, null)
    const state = { accountId: 'acc_1', status: 'unauthorized' as const, reason: 'HTTP 401', cooldownUntil: 9, consecutiveFailures: 2, lastError: 'e', lastErrorAt: 8, rateLimits: { at: 1, windows: [{ name: '5h', utilisation: 0.5 }] }, updatedAt: 8, refreshFailures: 1, recentErrors: [{ at: 8, message: 'e' }, { at: 5, message: 'older' }] }
    await s.saveAccountState(state)
    await s.saveAccountState({ ...state, status: 'active', updatedAt: 9 })
    assert.deepEqual(await s.listAccountStates(), [{ ...state, status: 'active', updatedAt: 9 }])
    await s.saveAccountsLastUsed(new Map([['acc_1', 1234]]))
    assert.deepEqual([...await s.accountsLastUsed()], [['acc_1', 1234]])
    assert.deepEqual((await s.listAccountStates())[0]!.status, 'active', 'last use leaves the state alone')
    assert.equal(await s.deleteAccount('acc_1'), true)
    assert.deepEqual([await s.listAccounts(), await s.listAccountStates()], [[], []])
    assert.equal(await s.deleteAccount('acc_1'), false)
  })

  withStore('sticky bindings expire, are replaced, deleted and pruned', async s => {
    await s.putSticky('k:claude:s1', { accountId: 'a', expiresAt: 1000, switches: 0 })
    await s.putSticky('k:claude:s2', { accountId: 'b', expiresAt: 5000, switches: 2 })
    assert.deepEqual(await s.getSticky('k:claude:s1', 999), { accountId: 'a', expiresAt: 1000, switches: 0 })
    assert.equal(await s.getSticky('k:claude:s1', 1000), undefined)
    await s.putSticky('k:claude:s2', { accountId: 'c', expiresAt: 6000, switches: 3 })
    assert.equal((await s.getSticky('k:claude:s2', 0))!.accountId, 'c')
    assert.equal(await s.pruneSticky(2000), 1)
    await s.deleteSticky('k:claude:s2')
    assert.equal(await s.getSticky('k:claude:s2', 0), undefined)
  })

  withStore('usage: request-log rows for every call, aggregates for billable ones, exact costs past 2^53', async s => {
    const big = 2n ** 60n
    await s.writeUsage({ records: [
      usage({ costPico: big }),
      usage({ costPico: big, time: Date.parse('2026-11-26T11:10:00Z') }),
      usage({ billable: false, costPico: 0n, path: '/v1/messages/count_tokens', usage: {} }),
      usage({ model: 'mystery', costPico: null, unpriced: true }),
    ] })
    await s.writeUsage({ records: [usage({ requestId: 'dup' }), usage({ requestId: 'dup' })] })
    const rows = await s.recentRequests(10)
    assert.equal(rows.length, 5, 'a repeated request id is written once')
    assert.equal(rows.find(r => r.model === 'mystery')!.costPico, null)
    const byModel = await s.queryUsage({ since: Date.parse('2026-11-26T00:00:00Z'), until: Date.parse('2026-11-27T00:00:00Z'), groupBy: 'model' })
    const sonnet = byModel.find(r => r.group === 'claude-sonnet-4-5')!
    assert.equal(sonnet.requests, 3)
    assert.equal(sonnet.costPico, 2n * big + 1000n)
    assert.deepEqual([sonnet.input, sonnet.output, sonnet.cacheRead, sonnet.cacheWrite5m], [30, 15, 300, 0])
    assert.equal(byModel.find(r => r.group === 'mystery')!.unpricedRequests, 1)
    // An hour-aligned range is answered from hour buckets.
    const hour = await s.queryUsage({ since: Date.parse('2026-11-26T11:00:00Z'), until: Date.parse('2026-11-26T12:00:00Z'), groupBy: 'key' })
    assert.deepEqual(hour.map(r => [r.group, r.requests, r.costPico]), [['key_1', 1, big]])
  })

  withStore('aggregates equal the sums of their records, however the records are split into writes', async s => {
    let run = 0
    const day = Date.parse('2026-11-20T00:00:00Z')
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({
        key: fc.constantFrom('a', 'b'), model: fc.constantFrom('m1', 'm2'), minute: fc.nat(3 * 24 * 60 - 1), input: fc.nat(5000), output: fc.nat(5000),
        cacheRead: fc.nat(5000), cost: fc.option(fc.bigInt({ min: 0n, max: 10n ** 15n }), { nil: null }), billable: fc.boolean(),
      }), { minLength: 1, maxLength: 40 }),
      fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 1, maxLength: 5 }),
      async (generated, cuts) => {
        const r = run++
        const records = generated.map((g, i) => usage({
          requestId: `agg-${r}-${i}`, keyId: `k${r}${g.key}`, model: g.model, time: day + g.minute * 60_000, billable: g.billable,
          usage: { input: g.input, output: g.output, cacheRead: g.cacheRead }, costPico: g.cost, unpriced: g.cost === null,
        }))
        for (let i = 0, c = 0; i < records.length; c++) {
          const n = cuts[c % cuts.length]!
          await s.writeUsage({ records: records.slice(i, i + n) })
          i += n
        }
        for (const [since, until] of [[day, day + 3 * 86_400_000], [day + 86_400_000, day + 2 * 86_400_000], [day + 3_600_000, day + 7_200_000]]) {
          const totals = (await s.queryUsage({ since: since!, until: until!, groupBy: 'key' })).filter(t => t.group?.startsWith(`k${r}`))
          for (const key of ['a', 'b']) {
            const mine = records.filter(x => x.billable && x.keyId === `k${r}${key}` && x.time >= since! && x.time < until!)
            const got = totals.find(t => t.group === `k${r}${key}`)
            if (mine.length === 0) {
              assert.equal(got, undefined)
              continue
            }
            assert.deepEqual([got!.requests, got!.input, got!.output, got!.cacheRead, got!.costPico, got!.unpricedRequests], [
              mine.length, mine.reduce((a, x) => a + x.usage.input!, 0), mine.reduce((a, x) => a + x.usage.output!, 0),
              mine.reduce((a, x) => a + x.usage.cacheRead!, 0), mine.reduce((a, x) => a + (x.costPico ?? 0n), 0n), mine.filter(x => x.unpriced).length,
            ])
          }
        }
      },
    ), { numRuns: 15 })
  })

  withStore('admission: all-or-nothing, exact under a burst, leases expire without renewal', async s => {
    const counters = [{ id: 'rate:1m', start: 0, end: 60_000, requests: 5, countsRequest: true }, { id: 'budget:day', start: 0, end: 86_400_000, costPico: 10n, countsRequest: false }]
    const verdicts = await Promise.all(Array.from({ length: 50 }, (_, i) => s.admit({ keyId: 'k', counters, concurrency: 3, lease: { id: `l${i}`, expiresAt: 1000 } }, 0)))
    assert.equal(verdicts.filter(v => v.ok).length, 3)
    assert.equal((await s.readCounters('k', counters))[0]!.requests, 3, 'refused requests are not counted')
    await s.renewLeases(['l0'], 5000)
    assert.equal(await s.activeLeases('k', 1000), 1)
    await s.releaseLease('l0')
    const next = await s.admit({ keyId: 'k', counters, concurrency: 3, lease: { id: 'm', expiresAt: 9000 } }, 1000)
    assert.ok(next.ok)
    await s.recordSpend('k', counters, 7, 10n)
    const refused = await s.admit({ keyId: 'k', counters, concurrency: 3, lease: { id: 'n', expiresAt: 9000 } }, 1000)
    assert.ok(!refused.ok && refused.limit === 'counter' && refused.counter.id === 'budget:day' && refused.what === 'cost')
    const values = await s.readCounters('k', counters)
    assert.deepEqual(values.map(v => [v.requests, v.tokens, v.costPico]), [[4, 7, 10n], [0, 7, 10n]])
    await s.pruneCounters(100_000)
    assert.deepEqual((await s.readCounters('k', counters)).map(v => v.requests), [0, 0])
  })

  withStore('usage over time: points per bucket and group, one key only on request', async s => {
    const at = (iso: string) => Date.parse(iso)
    await s.writeUsage({ records: [
      usage({ time: at('2026-11-26T10:05:00Z') }), usage({ time: at('2026-11-26T10:50:00Z'), keyId: 'key_2' }), usage({ time: at('2026-11-26T12:00:00Z') }),
    ] })
    const series = await s.usageSeries({ since: at('2026-11-26T10:00:00Z'), until: at('2026-11-26T13:00:00Z'), groupBy: 'key', granularity: 'hour' })
    assert.deepEqual(series.map(p => [new Date(p.bucket).toISOString(), p.group, p.requests]), [
      ['2026-11-26T10:00:00.000Z', 'key_1', 1], ['2026-11-26T10:00:00.000Z', 'key_2', 1], ['2026-11-26T12:00:00.000Z', 'key_1', 1],
    ])
    const mine = await s.usageSeries({ since: at('2026-11-26T00:00:00Z'), until: at('2026-11-27T00:00:00Z'), groupBy: 'model', granularity: 'day', keyId: 'key_2' })
    assert.deepEqual(mine.map(p => [p.group, p.requests]), [['claude-sonnet-4-5', 1]])
  })

  withStore('usage by client kind, and a model name holding the separator the Redis fields use', async s => {
    const at = (iso: string) => Date.parse(iso)
    await s.writeUsage({ records: [
      usage({ time: at('2026-11-26T10:05:00Z'), clientKind: 'claude-code' }), usage({ time: at('2026-11-26T10:06:00Z'), clientKind: 'claude-code' }),
      usage({ time: at('2026-11-26T10:07:00Z'), clientKind: 'sdk', model: 'odd|model' }),
    ] })
    const since = at('2026-11-26T00:00:00Z')
    const until = at('2026-11-27T00:00:00Z')
    const byClient = await s.queryUsage({ since, until, groupBy: 'client' })
    assert.deepEqual(byClient.map(t => [t.group, t.requests]).sort(), [['claude-code', 2], ['sdk', 1]])
    const byModel = await s.queryUsage({ since, until, groupBy: 'model' })
    assert.deepEqual(byModel.map(t => [t.group, t.requests]).sort(), [['claude-sonnet-4-5', 2], ['odd|model', 1]])
    const series = await s.usageSeries({ since, until, groupBy: 'client', granularity: 'hour' })
    assert.deepEqual(series.map(p => [p.group, p.requests]), [['claude-code', 2], ['sdk', 1]])
    // Only the groups asked for keep points of their own; the rest are summed per bucket.
    const kept = await s.usageSeries({ since, until, groupBy: 'model', granularity: 'hour', keep: ['odd|model'] })
    assert.deepEqual(kept.map(p => [p.group, p.requests]).sort(), [['*others*', 2], ['odd|model', 1]])
    const none = await s.usageSeries({ since, until, groupBy: 'model', granularity: 'hour', keep: [] })
    assert.deepEqual(none.map(p => [p.group, p.requests]), [['*others*', 3]])
  })

  withStore('the request log by model glob (* and ? only, ASCII case ignored), provider, client, status class; one row by id', async s => {
    const t0 = Date.parse('2026-11-26T10:00:00Z')
    const models = ['claude-sonnet-4-5', 'CLAUDE-opus-4-1', 'claude_x%y', 'gpt-5', 'claudeXsonnet']
    await s.writeUsage({ records: models.map((model, i) => usage({ requestId: `m${i}`, time: t0 + i * 1000, model, provider: i === 3 ? 'openai' : 'claude', clientKind: i === 1 ? 'claude-code' : 'sdk', status: i === 4 ? 529 : i === 2 ? 400 : 200 })) })
    const ids = async (q: Partial<RequestQuery>) => (await s.queryRequests({ limit: 10, ...q })).map(r => r.requestId).sort()
    assert.deepEqual(await ids({ modelGlob: 'claude-*' }), ['m0', 'm1'])
    assert.deepEqual(await ids({ modelGlob: 'claude_*' }), ['m2'])
    assert.deepEqual(await ids({ modelGlob: 'claude_x%*' }), ['m2'])
    assert.deepEqual(await ids({ modelGlob: '%' }), [])
    assert.deepEqual(await ids({ modelGlob: 'GPT*' }), ['m3'])
    assert.deepEqual(await ids({ modelGlob: 'claude-*-4-?' }), ['m0', 'm1'])
    assert.deepEqual(await ids({ modelGlob: 'claude?sonnet' }), ['m4'])
    assert.deepEqual(await ids({ provider: 'openai' }), ['m3'])
    assert.deepEqual(await ids({ clientKind: 'claude-code' }), ['m1'])
    assert.deepEqual(await ids({ statusClass: 5 }), ['m4'])
    assert.deepEqual(await ids({ statusClass: 4 }), ['m2'])
    assert.equal((await s.getRequest('m3'))?.model, 'gpt-5')
    assert.equal(await s.getRequest('nope'), undefined)
  })

  withStore('the request log: filters, pages by cursor newest first, open rows interrupted, old rows pruned', async s => {
    const t0 = Date.parse('2026-11-26T10:00:00Z')
    await s.writeUsage({ records: Array.from({ length: 7 }, (_, i) => usage({ requestId: `r${i}`, time: t0 + i * 1000, status: i === 3 ? 429 : 200, accountId: i % 2 === 0 ? 'acc_1' : 'acc_2', clientIp: i === 5 ? '203.0.113.5' : null, bridge: i === 4 ? 'chat-claude' : null, requestedModel: i === 4 ? 'claude-sonnet-4-5' : null })) })
    await s.writeUsage({ opened: [{ requestId: 'open-1', time: t0 + 500, keyId: 'key_1', provider: 'claude', model: 'm', path: '/v1/messages', stream: true, clientKind: 'sdk', bridge: 'messages-gemini' }], records: [] })
    // The bridge that translated a request stays on its row, open or finished.
    assert.deepEqual([(await s.getRequest('r4'))?.bridge, (await s.getRequest('r5'))?.bridge, (await s.getRequest('open-1'))?.bridge], ['chat-claude', null, 'messages-gemini'])
    assert.deepEqual([(await s.getRequest('r4'))?.requestedModel, (await s.getRequest('r5'))?.requestedModel], ['claude-sonnet-4-5', null])
    const first = await s.queryRequests({ limit: 3 })
    assert.deepEqual(first.map(r => r.requestId), ['r6', 'r5', 'r4'])
    const next = await s.queryRequests({ limit: 3, before: { time: first.at(-1)!.time, requestId: first.at(-1)!.requestId } })
    assert.deepEqual(next.map(r => r.requestId), ['r3', 'r2', 'r1'])
    assert.deepEqual((await s.queryRequests({ limit: 10, status: 429 })).map(r => r.requestId), ['r3'])
    assert.deepEqual((await s.queryRequests({ limit: 10, accountId: 'acc_2' })).map(r => r.requestId), ['r5', 'r3', 'r1'])
    assert.deepEqual((await s.queryRequests({ limit: 10, clientIp: '203.0.113.5' })).map(r => r.requestId), ['r5'])
    assert.deepEqual((await s.queryRequests({ limit: 10, since: t0 + 5000, until: t0 + 6000 })).map(r => r.requestId), ['r5'])
    assert.equal(await s.markInterrupted(t0 + 1000), 1)
    assert.equal((await s.queryRequests({ limit: 20 })).find(r => r.requestId === 'open-1')!.state, 'interrupted')
    assert.equal(await s.requestLogSize(), 8)
    assert.equal(await s.pruneRequestLog(t0 + 3000, 2), 2)
    assert.equal(await s.pruneRequestLog(t0 + 3000, 10), 2)
    assert.equal(await s.requestLogSize(), 4)
    assert.deepEqual((await s.queryRequests({ limit: 20 })).map(r => r.requestId), ['r6', 'r5', 'r4', 'r3'])
  })

  withStore('unpriced models: those served with no price and those billed by a fallback, since a time, newest first', async s => {
    const t0 = Date.parse('2026-11-26T10:00:00Z')
    await s.writeUsage({
      records: [
        usage({ requestId: 'u1', time: t0, model: 'gpt-9', provider: 'openai', costPico: null, unpriced: true }),
        usage({ requestId: 'u2', time: t0 + 1000, model: 'gpt-9', provider: 'openai', costPico: null, unpriced: true }),
        usage({ requestId: 'u3', time: t0 + 2000, model: 'gpt-9', provider: 'openai', costPico: 5n, flags: 'billed as gpt-5.4 (pricing.fallback)' }),
        usage({ requestId: 'u4', time: t0 + 3000, model: 'gemini-9', provider: 'gemini', costPico: 7n, flags: 'billed as gemini-3-flash (pricing.aliases "gemini-9*")' }),
        // Not unpriced by price: a rejected usage, a priced row, an old one.
        usage({ requestId: 'u5', time: t0 + 4000, model: 'bad-usage', costPico: null, unpriced: true, flags: 'usage rejected: output over bound' }),
        usage({ requestId: 'u6', time: t0 + 5000 }),
        usage({ requestId: 'u7', time: t0 - 86_400_000, model: 'ancient', costPico: null, unpriced: true }),
      ],
    })
    assert.deepEqual(await s.unpricedModels(t0 - 1000), [
      { provider: 'gemini', model: 'gemini-9', unpriced: 0, fallback: 1, lastAt: t0 + 3000 },
      { provider: 'openai', model: 'gpt-9', unpriced: 2, fallback: 1, lastAt: t0 + 2000 },
    ])
    assert.deepEqual((await s.unpricedModels(0)).map(m => m.model), ['gemini-9', 'gpt-9', 'ancient'])
  })

  withStore('re-pricing: the row, its buckets and the key\'s counters move by the difference, once', async s => {
    const t0 = Date.parse('2026-11-26T10:00:00Z')
    const counters = [{ id: 'budget:month', start: Date.parse('2026-11-01T00:00:00Z'), end: Date.parse('2026-12-01T00:00:00Z') }]
    await s.writeUsage({
      records: [
        usage({ requestId: 'p1', time: t0, model: 'gpt-9', costPico: null, unpriced: true }),
        usage({ requestId: 'p2', time: t0 + 1000, model: 'gpt-9', costPico: 50n, flags: 'billed as gpt-5.4 (pricing.fallback)' }),
      ],
    })
    await s.recordSpend('key_1', counters, 0, 50n)
    const change = (requestId: string, was: { costPico: bigint | null, unpriced: boolean }, costPico: bigint, time: number) =>
      ({ requestId, was, costPico, priceVersion: 'v2', flags: 're-priced', time, keyId: 'key_1', accountId: 'acc_1', model: 'gpt-9', counters })
    const changes = [change('p1', { costPico: null, unpriced: true }, 300n, t0), change('p2', { costPico: 50n, unpriced: false }, 80n, t0 + 1000)]
    assert.equal(await s.repriceRequests(changes), 2)
    assert.equal(await s.repriceRequests(changes), 0, 'a rerun changes nothing twice')
    const rows = await s.queryRequests({ limit: 10 })
    assert.deepEqual(rows.map(r => [r.requestId, r.costPico, r.unpriced, r.priceVersion, r.flags]), [['p2', 80n, false, 'v2', 're-priced'], ['p1', 300n, false, 'v2', 're-priced']])
    const [total] = await s.queryUsage({ since: Date.parse('2026-11-26T00:00:00Z'), until: Date.parse('2026-11-27T00:00:00Z'), groupBy: 'model' })
    assert.deepEqual([total!.requests, total!.costPico, total!.unpricedRequests], [2, 380n, 0])
    const [month] = await s.usageSeries({ since: Date.parse('2026-11-01T00:00:00Z'), until: Date.parse('2026-12-01T00:00:00Z'), groupBy: 'key', granularity: 'month' })
    assert.equal(month!.costPico, 380n)
    assert.equal((await s.readCounters('key_1', counters))[0]!.costPico, 380n, '50 spent, then +300 and +30')
    assert.deepEqual(await s.unpricedModels(0), [])
  })

  withStore('admin users and sessions: passwords replaced, sessions expire and end with their user', async s => {
    await s.putAdminUser({ name: 'root', passwordHash: 'h1', createdAt: 5 })
    await s.putAdminUser({ name: 'root', passwordHash: 'h2', createdAt: 9 })
    assert.deepEqual(await s.listAdminUsers(), [{ name: 'root', passwordHash: 'h2', createdAt: 5 }])
    const now = Date.now()
    await s.insertAdminSession({ idHash: 'a', user: 'root', csrf: 'c', createdAt: now, expiresAt: now + 60_000 })
    await s.insertAdminSession({ idHash: 'b', user: 'root', csrf: 'c', createdAt: now, expiresAt: now + 60_000 })
    assert.equal((await s.getAdminSession('a', now))!.user, 'root')
    assert.equal(await s.getAdminSession('a', now + 60_000), undefined, 'expired')
    await s.deleteAdminSession('a')
    assert.equal(await s.getAdminSession('a', now), undefined)
    await s.deleteAdminSessionsOf('root')
    assert.equal(await s.getAdminSession('b', now), undefined)
    assert.equal(await s.deleteAdminUser('root'), true)
    assert.equal(await s.deleteAdminUser('root'), false)
  })

  if (factory.openAgain) {
    const again = factory.openAgain
    withStore('another handle sees writes, and the first learns that something changed', async s => {
      const other = await again(s)
      try {
        assert.equal(await s.changedElsewhere(), false)
        await other.insertKey(key())
        assert.equal(await s.changedElsewhere(), true)
        assert.equal(await s.changedElsewhere(), false)
        assert.deepEqual((await s.listKeys()).map(k => k.name), ['alice'])
        await s.insertKey(key({ id: 'key_2', name: 'bob', hash: 'b'.repeat(64) }))
        assert.equal(await s.changedElsewhere(), false, 'its own writes are not news')
      } finally {
        await other.close()
      }
    })
  }
}
