// The shared store for several sidecars: Redis (ioredis), standalone, Sentinel or Cluster. What
// must be exact across instances is done by Lua scripts (loaded once, run by SHA): admission
// with its lease, unique names and hashes, activation. The keys one script touches share a hash
// tag, so scripts run on Cluster: `{keys}` for key records, `{accounts}` for accounts, `{k:<id>}`
// for one key's counters and leases. Usage aggregates are pipelined increments. Changes to keys
// and accounts are announced on a channel, so every instance reloads at once.
//
// Layout under the prefix (default `relay:`): see docs/architecture.md, "Redis store".
import { randomBytes } from 'node:crypto'
import { Redis, Cluster, type RedisOptions } from 'ioredis'
import { bucketRanges, bucketStart, type Granularity } from './buckets.ts'
import { globMatches } from './model-glob.ts'
import { addRepricing, addToAggregates, addUsageTotal, type AggregateRow } from './aggregate-sums.ts'
import type {
  AccountRecord, AccountStateRecord, AdminSession, AdminUser, AdmissionPlan, AdmissionVerdict, CounterRef, CounterValue, KeyRecord,
  RequestLogRow, RequestQuery, StickyBinding, Store, UsageBatch, UsagePoint, UsageQuery, UsageRecord, UsageSeriesQuery, UsageTotal, UnpricedModel,
} from './store.ts'
import { OTHERS_GROUP, UNPRICED_MODELS_LIMIT } from './store.ts'
import { legacyBindings } from './key-bindings.ts'

export interface RedisStoreOptions {
  url?: string
  prefix: string
  sentinels?: { host: string, port: number }[]
  sentinelName?: string
  cluster?: { host: string, port: number }[]
}

type Client = Redis | Cluster

/** Request-log rows kept at most (the oldest go first), whatever the retention. */
const LOG_CAP = 2_000_000
/** The most request-log rows one `unpricedModels` reads. */
const UNPRICED_SCAN_MAX = 200_000
/** Aggregate buckets live this long (reports and budgets read them; months are kept a year past). */
const AGG_TTL_MS: Record<Granularity, number> = { hour: 45 * 86_400_000, day: 400 * 86_400_000, month: 800 * 86_400_000 }
/** A counter stays this long past its window's end (reporting what a key used). */
const COUNTER_GRACE_MS = 40 * 86_400_000
/** Counters of windows without an end (total budgets). */
const FOREVER_MS = 10 * 365 * 86_400_000

// KEYS: records, names, hashes; ARGV: id, name, hash, json. Refuses a taken name or hash.
const INSERT_KEY = `
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 'name' end
if redis.call('HEXISTS', KEYS[3], ARGV[3]) == 1 then return 'hash' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[1])
return 'ok'`

// KEYS: records, hashes; ARGV: id, json, oldHash, newHash.
const UPDATE_KEY = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
if ARGV[3] ~= ARGV[4] then
  if redis.call('HEXISTS', KEYS[2], ARGV[4]) == 1 then return -1 end
  redis.call('HDEL', KEYS[2], ARGV[3])
  redis.call('HSET', KEYS[2], ARGV[4], ARGV[1])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`

// KEYS: records, names; ARGV: id, name, json.
const INSERT_NAMED = `
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 'name' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return 'ok'`

// KEYS: activated; ARGV: keyId, now. Set once.
const ACTIVATE = `
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
return redis.call('HGET', KEYS[1], ARGV[1])`

// KEYS: lastused hash; ARGV: id, at (pairs). Only moves forward.
const TOUCH = `
for i = 1, #ARGV, 2 do
  local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if tonumber(ARGV[i + 1]) > cur then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 1`

// Admission for one key, all or nothing. KEYS[1]: the key's leases (zset); KEYS[2..]: one hash
// per counter. ARGV: now, concurrency (or ''), leaseId, leaseExpiresAt, then per counter:
// requests limit, tokens limit, cost limit ('' when none), countsRequest (1/0), expireAt.
// Returns {'ok'} or {'concurrency', inUse, nextExpiry} or {'counter', index, what, used}.
const ADMIT = `
local now = tonumber(ARGV[1])
if ARGV[2] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  local n = redis.call('ZCARD', KEYS[1])
  if n >= tonumber(ARGV[2]) then
    local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {'concurrency', n, first[2] or ''}
  end
end
for i = 2, #KEYS do
  local base = 4 + (i - 2) * 5
  local v = redis.call('HMGET', KEYS[i], 'requests', 'tokens', 'cost')
  local requests = tonumber(v[1] or '0')
  local tokens = tonumber(v[2] or '0')
  local cost = v[3] or '0'
  if ARGV[base + 1] ~= '' and requests >= tonumber(ARGV[base + 1]) then return {'counter', i - 1, 'requests', tostring(requests)} end
  if ARGV[base + 2] ~= '' and tokens >= tonumber(ARGV[base + 2]) then return {'counter', i - 1, 'tokens', tostring(tokens)} end
  if ARGV[base + 3] ~= '' then
    local a, b = cost, ARGV[base + 3]
    if #a > #b or (#a == #b and a >= b) then return {'counter', i - 1, 'cost', cost} end
  end
end
for i = 2, #KEYS do
  local base = 4 + (i - 2) * 5
  if ARGV[base + 4] == '1' then redis.call('HINCRBY', KEYS[i], 'requests', 1) end
  redis.call('PEXPIREAT', KEYS[i], ARGV[base + 5])
end
if ARGV[2] ~= '' and ARGV[3] ~= '' then
  redis.call('ZADD', KEYS[1], ARGV[4], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], 86400000)
end
return {'ok'}`

// Spend settled against a key's counters, all or nothing (one script costs the client far less
// than a MULTI of the same commands). KEYS: one hash per counter, all on the key's slot. ARGV:
// tokens, cost in pico-USD (a decimal string), then each counter's expireAt.
const SPEND = `
for i = 1, #KEYS do
  redis.call('HINCRBY', KEYS[i], 'tokens', ARGV[1])
  redis.call('HINCRBY', KEYS[i], 'cost', ARGV[2])
  redis.call('PEXPIREAT', KEYS[i], ARGV[2 + i])
end
return 1`

// KEYS: the turns hash; ARGV: the tied account ids. The one picked longest ago (never: first),
// marked with the next turn number.
const NEXT_TURN = `
local best, bestTurn
for i = 1, #ARGV do
  local t = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if best == nil or t < bestTurn then best, bestTurn = ARGV[i], t end
end
redis.call('HSET', KEYS[1], best, redis.call('HINCRBY', KEYS[1], '#turn', 1))
return best`

// KEYS: the lock; ARGV: its holder. Deletes it only when that holder still has it.
const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

// KEYS: request hash, time zset, key zset, account zset, open zset; ARGV: id, time, fields json
// (opened) — written only when the row does not exist yet.
const OPEN_ROW = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[2], ARGV[1])
return 1`

// KEYS: request hash, time zset, key zset, account zset, open zset; ARGV: id, time, row json.
// Finishes a row unless it is already done; 1 when it was (aggregates are counted then).
const FINISH_ROW = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, row = pcall(cjson.decode, cur)
  if ok and row.state == 'done' then return 0 end
end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
return 1`

// KEYS: request hash; ARGV: the row as read, the row re-priced. Compare and set: a row changed
// since it was read (a rerun, another recompute) is left alone; 1 when it was replaced.
const REPRICE_ROW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1`

const SCRIPTS = { INSERT_KEY, UPDATE_KEY, INSERT_NAMED, ACTIVATE, TOUCH, ADMIT, SPEND, OPEN_ROW, FINISH_ROW, UNLOCK, NEXT_TURN, REPRICE_ROW }
type ScriptName = keyof typeof SCRIPTS

/** The scripts as client commands: ioredis runs them by SHA and loads them where a node lacks one. */
/** A key as stored: a record written before bindings were per provider has its single binding. */
type StoredKey = KeyRecord & { boundAccount?: string | null, boundGroup?: string | null }

function keyRecord (stored: StoredKey): KeyRecord {
  const { boundAccount, boundGroup, ...key } = stored
  return key.bindings ? key : { ...key, bindings: legacyBindings(boundAccount, boundGroup) }
}

function defineScripts (client: Client): (name: ScriptName, keys: string[], args: (string | number)[]) => Promise<unknown> {
  for (const [name, lua] of Object.entries(SCRIPTS)) client.defineCommand(`relay${name}`, { lua })
  return (name, keys, args) => (client as unknown as Record<string, (...a: (string | number)[]) => Promise<unknown>>)[`relay${name}`]!(keys.length, ...keys, ...args)
}

interface StoredRow extends Omit<RequestLogRow, 'costPico'> { costPico: string | null }

const toRow = (json: string): RequestLogRow => {
  const r = JSON.parse(json) as StoredRow
  return { ...r, costPico: r.costPico === null ? null : BigInt(r.costPico) }
}

export function createRedisClient (opts: RedisStoreOptions): Client {
  // No offline queue: while Redis is away a command fails at once (the relay's fail mode decides
  // what happens), instead of holding requests through reconnection attempts.
  const base: RedisOptions = {
    maxRetriesPerRequest: 2, enableReadyCheck: true, lazyConnect: false, enableAutoPipelining: true, enableOfflineQueue: false,
    // A master demoted by a failover answers READONLY until the client moves: reconnect (through
    // the Sentinel, to the new master) and resend; a refused write was not applied.
    reconnectOnError: err => (err.message.startsWith('READONLY') ? 2 : false),
  }
  if (opts.cluster) return new Cluster(opts.cluster, { redisOptions: base, enableAutoPipelining: true, enableOfflineQueue: false })
  if (opts.sentinels) return new Redis({ ...base, sentinels: opts.sentinels, name: opts.sentinelName ?? 'mymaster' })
  return new Redis(opts.url ?? 'redis://127.0.0.1:6379', base)
}

/** Resolves once the client can take commands (they are not queued while it connects). */
function ready (client: Client): Promise<void> {
  if (client.status === 'ready') return Promise.resolve()
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => { cleanup(); reject(err) }
    const ok = () => { cleanup(); resolve() }
    const timer = setTimeout(() => fail(new Error('Redis did not become ready within 10 s')), 10_000)
    const cleanup = () => { clearTimeout(timer); client.off('ready', ok); client.off('error', onError) }
    let errors = 0
    const onError = (err: Error) => { if (++errors >= 20) fail(err) }
    client.on('ready', ok)
    client.on('error', onError)
  })
}

export async function openRedisStore (opts: RedisStoreOptions): Promise<Store> {
  const client = createRedisClient(opts)
  // Connection errors are reported by the commands that fail; the event itself is expected while Redis is away.
  client.on('error', () => {})
  await ready(client)
  const subscriber = client.duplicate() as Client
  subscriber.on('error', () => {})
  await ready(subscriber)
  const p = opts.prefix
  const instance = randomBytes(8).toString('hex')
  const run = defineScripts(client)
  const k = {
    keys: `${p}{keys}:records`, keyNames: `${p}{keys}:names`, keyHashes: `${p}{keys}:hashes`,
    lastUsed: `${p}{keys}:lastused`, activated: `${p}{keys}:activated`,
    leases: (keyId: string) => `${p}{k:${keyId}}:leases`,
    counter: (keyId: string, id: string, start: number) => `${p}{k:${keyId}}:c:${id}:${start}`,
    counterIndex: `${p}counter-ends`,
    version: `${p}version`,
    accounts: `${p}{accounts}:records`, accountNames: `${p}{accounts}:names`, states: `${p}{accounts}:state`, accountsUsed: `${p}{accounts}:lastused`,
    turns: `${p}{accounts}:turns`,
    sticky: `${p}{sticky}:bindings`, stickyIndex: `${p}{sticky}:expiry`,
    row: (id: string) => `${p}{log}:req:${id}`, logTime: `${p}{log}:time`, logKey: (id: string) => `${p}{log}:key:${id}`,
    logAccount: (id: string) => `${p}{log}:account:${id}`, logOpen: `${p}{log}:open`,
    agg: (g: Granularity, bucket: number) => `${p}agg:${g}:${bucket}`,
    admins: `${p}{admin}:users`, session: (h: string) => `${p}{admin}:session:${h}`, sessionsOf: (user: string) => `${p}{admin}:sessions-of:${user}`,
    changes: `${p}changes`,
  }
  // Changes to keys and accounts: a version every writer bumps (exact, for `changedElsewhere`)
  // and a message on a channel (at once, for whoever listens).
  let seen = Number(await client.get(`${p}version`) ?? 0)
  const listeners = new Set<(what: 'records' | 'state') => void>()
  void (subscriber as Redis).subscribe(k.changes).catch(() => {})
  subscriber.on('message', (_channel: string, message: string) => {
    const [from, what] = message.split(' ') as [string, 'records' | 'state']
    if (from !== instance) for (const l of listeners) l(what)
  })
  const announce = async () => {
    const v = await client.incr(k.version)
    // Only this write since the last look: not news to this instance.
    if (v === seen + 1) seen = v
    await client.publish(k.changes, `${instance} records`)
  }
  const counterExpiry = (c: CounterRef) => Math.max(c.end ?? Date.now() + FOREVER_MS, Date.now()) + COUNTER_GRACE_MS
  // What this instance knows without asking Redis, to keep a limited request to three round
  // trips (admit, release, spend) instead of seven (bench/: 1,058 req/s and 676 µs a request
  // against 3,449 and ~300 for a key without limits, issue 14):
  // - which key holds each lease it took: the API releases and renews by lease id, and only the
  //   instance that took a lease ever releases or renews it (a dead instance's leases expire by
  //   their score in the key's set);
  // - which counters it has already put in the prune index, and when they end.
  const leaseOwners = new Map<string, string>()
  const indexed = new Map<string, number>()
  const indexCounters = async (keyId: string, counters: CounterRef[]) => {
    const fresh = counters.filter(c => c.end !== null && !indexed.has(k.counter(keyId, c.id, c.start)))
    if (fresh.length === 0) return
    await client.zadd(k.counterIndex, ...fresh.flatMap(c => [c.end!, k.counter(keyId, c.id, c.start)]))
    for (const c of fresh) indexed.set(k.counter(keyId, c.id, c.start), c.end!)
  }

  const list = async <T>(hash: string): Promise<T[]> => Object.values(await client.hgetall(hash)).map(v => JSON.parse(v) as T)

  /** Adds aggregate sums as increments (one per bucket, key, account, model and metric); each is observed at once. */
  const incrementAggregates = (sums: Map<string, AggregateRow>): Promise<unknown>[] => {
    const increments: Promise<unknown>[] = []
    const expiring = new Map<string, Granularity>()
    for (const row of sums.values()) {
      const key = k.agg(row.granularity, row.bucket)
      expiring.set(key, row.granularity)
      // `c:<client kind>|` first when known; fields from before it was kept have none.
      const prefix = `${row.clientKind === '' ? '' : `c:${row.clientKind}|`}${row.keyId}|${row.accountId}|${row.model}|`
      const metrics: [string, number | bigint][] = [['requests', row.requests], ['input', row.input], ['output', row.output], ['cw5', row.cacheWrite5m],
        ['cw1', row.cacheWrite1h], ['cr', row.cacheRead], ['cost', row.costPico], ['unpriced', row.unpriced]]
      for (const [metric, n] of metrics) if (n) increments.push(client.hincrby(key, prefix + metric, n.toString()))
    }
    for (const [key, g] of expiring) increments.push(client.pexpire(key, AGG_TTL_MS[g]))
    // Should a later step throw, none of them goes unobserved.
    for (const p of increments) p.catch(() => {})
    return increments
  }

  const store: Store = {
    async listKeys () {
      return (await list<StoredKey>(k.keys)).map(keyRecord).sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name))
    },
    async insertKey (key) {
      const r = await run('INSERT_KEY', [k.keys, k.keyNames, k.keyHashes], [key.id, key.name, key.hash, JSON.stringify(key)])
      if (r !== 'ok') throw new Error(`a key with this ${String(r)} exists`)
      await announce()
    },
    async updateKey (id, patch) {
      const cur = await client.hget(k.keys, id)
      if (!cur) return false
      const old = keyRecord(JSON.parse(cur) as StoredKey)
      const next = { ...old, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) }
      const r = await run('UPDATE_KEY', [k.keys, k.keyHashes], [id, JSON.stringify(next), old.hash, next.hash])
      if (r === -1) throw new Error('a key with this hash exists')
      await announce()
      return r === 1
    },
    async lastUsed () {
      return new Map(Object.entries(await client.hgetall(k.lastUsed)).map(([id, at]) => [id, Number(at)]))
    },
    async activate (keyId, now) {
      return Number(await run('ACTIVATE', [k.activated], [keyId, now]))
    },
    async activations () {
      return new Map(Object.entries(await client.hgetall(k.activated)).map(([id, at]) => [id, Number(at)]))
    },
    async deleteKey (id) {
      const cur = await client.hget(k.keys, id)
      if (!cur) return false
      const key = JSON.parse(cur) as KeyRecord
      await client.multi().hdel(k.keys, id).hdel(k.keyNames, key.name).hdel(k.keyHashes, key.hash).exec()
      await announce()
      return true
    },

    async admit (plan: AdmissionPlan, now): Promise<AdmissionVerdict> {
      const keys = [k.leases(plan.keyId), ...plan.counters.map(c => k.counter(plan.keyId, c.id, c.start))]
      const args: (string | number)[] = [now, plan.concurrency ?? '', plan.lease?.id ?? '', plan.lease?.expiresAt ?? '']
      for (const c of plan.counters) {
        args.push(c.requests ?? '', c.tokens ?? '', c.costPico === undefined ? '' : c.costPico.toString(), c.countsRequest ? 1 : 0, counterExpiry(c))
      }
      const r = await run('ADMIT', keys, args) as (string | number)[]
      if (r[0] === 'ok') {
        if (plan.lease) leaseOwners.set(plan.lease.id, plan.keyId)
        await indexCounters(plan.keyId, plan.counters)
        return { ok: true }
      }
      if (r[0] === 'concurrency') return { ok: false, limit: 'concurrency', inUse: Number(r[1]), nextExpiry: r[2] === '' ? null : Number(r[2]) }
      const counter = plan.counters[Number(r[1]) - 1]!
      const what = r[2] as 'requests' | 'tokens' | 'cost'
      return { ok: false, limit: 'counter', counter, what, used: what === 'cost' ? BigInt(String(r[3])) : Number(r[3]) }
    },
    async renewLeases (ids, expiresAt) {
      if (ids.length === 0) return
      // One lease at a time: on Cluster each key's set lives on its own slot.
      await Promise.all(ids.map(async id => {
        const owner = leaseOwners.get(id)
        if (owner === undefined) return
        await client.multi().zadd(k.leases(owner), 'XX', expiresAt, id).pexpire(k.leases(owner), 86_400_000).exec()
      }))
    },
    async releaseLease (id) {
      const owner = leaseOwners.get(id)
      if (owner === undefined) return
      leaseOwners.delete(id)
      await client.zrem(k.leases(owner), id)
    },
    async activeLeases (keyId, now) {
      return client.zcount(k.leases(keyId), `(${now}`, '+inf')
    },
    async recordSpend (keyId, counters, tokens, costPico) {
      if (counters.length === 0) return
      await run('SPEND', counters.map(c => k.counter(keyId, c.id, c.start)), [tokens, costPico.toString(), ...counters.map(counterExpiry)])
      await indexCounters(keyId, counters)
    },
    async readCounters (keyId, refs): Promise<CounterValue[]> {
      return Promise.all(refs.map(async ref => {
        const [requests, tokens, cost] = await client.hmget(k.counter(keyId, ref.id, ref.start), 'requests', 'tokens', 'cost')
        return { ...ref, requests: Number(requests ?? 0), tokens: Number(tokens ?? 0), costPico: BigInt(cost ?? 0) }
      }))
    },
    async pruneCounters (endedBefore) {
      // Counters also expire by themselves; this drops those whose window ended, at once.
      for (const [key, end] of indexed) if (end < Date.now()) indexed.delete(key)
      const ended = await client.zrangebyscore(k.counterIndex, '-inf', `(${endedBefore}`)
      for (const key of ended) await client.del(key)
      if (ended.length > 0) await client.zrem(k.counterIndex, ...ended)
    },

    async listAccounts () {
      return (await list<AccountRecord>(k.accounts)).sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name))
    },
    async insertAccount (a) {
      const r = await run('INSERT_NAMED', [k.accounts, k.accountNames], [a.id, a.name, JSON.stringify(a)])
      if (r !== 'ok') throw new Error('an account with this name exists')
      await announce()
    },
    async updateAccount (id, patch) {
      const cur = await client.hget(k.accounts, id)
      if (!cur) return false
      const next = { ...JSON.parse(cur) as AccountRecord, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) }
      await client.hset(k.accounts, id, JSON.stringify(next))
      await announce()
      return true
    },
    async deleteAccount (id) {
      const cur = await client.hget(k.accounts, id)
      if (!cur) return false
      const a = JSON.parse(cur) as AccountRecord
      await client.multi().hdel(k.accounts, id).hdel(k.accountNames, a.name).hdel(k.states, id).hdel(k.accountsUsed, id).hdel(k.turns, id).exec()
      await announce()
      return true
    },
    async listAccountStates () {
      return list<AccountStateRecord>(k.states)
    },
    async saveAccountState (state) {
      await client.hset(k.states, state.accountId, JSON.stringify(state))
      // Every instance rests the account as soon as one saw it fail.
      await client.publish(k.changes, `${instance} state`)
    },
    async saveAccountsLastUsed (times) {
      if (times.size === 0) return
      await run('TOUCH', [k.accountsUsed], [...times].flat())
    },
    async accountsLastUsed () {
      return new Map(Object.entries(await client.hgetall(k.accountsUsed)).map(([id, at]) => [id, Number(at)]))
    },

    async getSticky (sessionKey, now) {
      const v = await client.hget(k.sticky, sessionKey)
      if (!v) return undefined
      const b = JSON.parse(v) as StickyBinding
      return b.expiresAt > now ? b : undefined
    },
    async putSticky (sessionKey, binding) {
      await client.multi().hset(k.sticky, sessionKey, JSON.stringify(binding)).zadd(k.stickyIndex, binding.expiresAt, sessionKey).exec()
    },
    async deleteSticky (sessionKey) {
      await client.multi().hdel(k.sticky, sessionKey).zrem(k.stickyIndex, sessionKey).exec()
    },
    async pruneSticky (now) {
      const expired = await client.zrangebyscore(k.stickyIndex, '-inf', now)
      if (expired.length === 0) return 0
      await client.multi().hdel(k.sticky, ...expired).zrem(k.stickyIndex, ...expired).exec()
      return expired.length
    },

    async writeUsage (batch: UsageBatch) {
      // Rows all live on the {log} slot: sent together (auto-pipelined), not one round trip each.
      await Promise.all((batch.opened ?? []).map(o => {
        const row: StoredRow = {
          requestId: o.requestId, time: o.time, keyId: o.keyId, accountId: null, provider: o.provider, model: o.model, path: o.path, stream: o.stream,
          status: 0, usage: {}, costPico: null, unpriced: false, priceVersion: null, latencyMs: 0, ttfbMs: null, partial: false, attempts: 0,
          accountsTried: [], clientKind: o.clientKind, state: 'in_progress', flags: null, repeats: 0, userAgent: o.userAgent ?? null, clientIp: o.clientIp ?? null, upstreamRequestId: null, bridge: o.bridge ?? null,
        }
        return run('OPEN_ROW', [k.row(o.requestId), k.logTime, k.logKey(o.keyId), k.logAccount(''), k.logOpen], [o.requestId, o.time, JSON.stringify(row)])
      }))
      // Settled, not all-or-nothing: the rows that were finished get their aggregates even when
      // another failed (a retry finds them done and does not count them again).
      const finished = await Promise.allSettled(batch.records.map(r =>
        run('FINISH_ROW', [k.row(r.requestId), k.logTime, k.logKey(r.keyId), k.logAccount(r.accountId ?? ''), k.logOpen], [r.requestId, r.time, JSON.stringify(storedRow(r))])))
      // Aggregates are summed first (aggregate-sums.ts): one increment per bucket, key, account,
      // model and metric of the write instead of ~24 commands a record. Buckets live on
      // different slots, so they go as separate commands (auto-pipelined by the client, per
      // node on Cluster).
      const sums = new Map<string, AggregateRow>()
      for (const [i, r] of batch.records.entries()) {
        // A row seen before (the same request id) is not counted twice.
        const f = finished[i]!
        if (f.status === 'fulfilled' && f.value === 1 && r.billable) addToAggregates(sums, r)
      }
      const increments = incrementAggregates(sums)
      const failed = finished.find(f => f.status === 'rejected')
      if (failed) {
        await Promise.allSettled(increments)
        throw failed.reason
      }
      for (const [id, n] of batch.repeats ?? []) {
        const cur = await client.get(k.row(id))
        if (cur) {
          const row = JSON.parse(cur) as StoredRow
          await client.set(k.row(id), JSON.stringify({ ...row, repeats: row.repeats + n }))
        }
      }
      if (batch.keysUsed && batch.keysUsed.size > 0) await run('TOUCH', [k.lastUsed], [...batch.keysUsed].flat())
      await Promise.all(increments)
      // The log is capped: the oldest rows beyond the cap go.
      const excess = await client.zcard(k.logTime) - LOG_CAP
      if (excess > 0) await store.pruneRequestLog(Number.MAX_SAFE_INTEGER, excess)
    },
    async markInterrupted (before) {
      const ids = await client.zrangebyscore(k.logOpen, '-inf', `(${before}`)
      for (const id of ids) {
        const cur = await client.get(k.row(id))
        if (cur) await client.set(k.row(id), JSON.stringify({ ...JSON.parse(cur) as StoredRow, state: 'interrupted' }))
      }
      if (ids.length > 0) await client.zrem(k.logOpen, ...ids)
      return ids.length
    },
    async queryUsage (q: UsageQuery): Promise<UsageTotal[]> {
      const totals = new Map<string, UsageTotal>()
      for (const r of bucketRanges(q.since, q.until)) {
        for (const pt of await readAggregates(r.granularity, { ...q, since: r.from, until: r.to })) add(totals, pt.group ?? '', pt)
      }
      return [...totals.values()].sort((a, b) => (a.costPico === b.costPico ? String(a.group).localeCompare(String(b.group)) : a.costPico > b.costPico ? -1 : 1))
    },
    async usageSeries (q: UsageSeriesQuery): Promise<UsagePoint[]> {
      const points = await readAggregates(q.granularity, q)
      if (q.keep === undefined) return points
      // Groups not kept are summed as one per bucket.
      const kept = new Set(q.keep)
      const out = new Map<string, UsagePoint>()
      for (const p of points) {
        const group = kept.has(p.group) ? p.group : OTHERS_GROUP
        const id = `${p.bucket}\u0000${group ?? ''}`
        const into = out.get(id)
        if (into) addUsageTotal(into, p)
        else out.set(id, { ...p, group })
      }
      return [...out.values()].sort((a, b) => a.bucket - b.bucket || String(a.group).localeCompare(String(b.group)))
    },
    async recentRequests (limit) {
      return store.queryRequests({ limit })
    },
    async queryRequests (q: RequestQuery) {
      const index = q.keyId !== undefined ? k.logKey(q.keyId) : q.accountId !== undefined ? k.logAccount(q.accountId) : k.logTime
      const max = q.before ? `${q.before.time}` : q.until !== undefined ? `(${q.until}` : '+inf'
      const min = q.since ?? '-inf'
      const out: RequestLogRow[] = []
      let offset = 0
      const page = Math.max(q.limit * 2, 100)
      while (out.length < q.limit) {
        const ids = await client.zrevrangebyscore(index, max, min, 'WITHSCORES', 'LIMIT', offset, page)
        if (ids.length === 0) break
        offset += ids.length / 2
        const pairs: [string, number][] = []
        for (let i = 0; i < ids.length; i += 2) pairs.push([ids[i]!, Number(ids[i + 1])])
        // Rows with the same time come newest id first, as the SQLite store orders them.
        pairs.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0))
        const rows = await client.mget(...pairs.map(([id]) => k.row(id)))
        for (const [i, json] of rows.entries()) {
          if (!json) continue
          const r = toRow(json)
          const [id, time] = pairs[i]!
          if (q.before && (time > q.before.time || (time === q.before.time && id >= q.before.requestId))) continue
          if (q.keyId !== undefined && r.keyId !== q.keyId) continue
          if (q.accountId !== undefined && r.accountId !== q.accountId) continue
          if (q.model !== undefined && r.model !== q.model) continue
          if (q.modelGlob !== undefined && (r.model === null || !globMatches(q.modelGlob, r.model))) continue
          if (q.provider !== undefined && r.provider !== q.provider) continue
          if (q.clientKind !== undefined && r.clientKind !== q.clientKind) continue
          if (q.status !== undefined && r.status !== q.status) continue
          if (q.statusClass !== undefined && Math.floor(r.status / 100) !== q.statusClass) continue
          if (q.clientIp !== undefined && r.clientIp !== q.clientIp) continue
          out.push(r)
          if (out.length === q.limit) break
        }
        if (ids.length / 2 < page) break
      }
      return out
    },
    async getRequest (requestId) {
      const json = await client.get(k.row(requestId))
      return json === null ? undefined : toRow(json)
    },
    async requestLogSize () {
      return client.zcard(k.logTime)
    },
    async importRecords (batch) {
      // Key and account records live on two slots, so there is no one transaction on Cluster:
      // each write is undone, newest first, should a later one fail.
      const undo: (() => Promise<unknown>)[] = []
      /** Applies one write and remembers how to take it back. */
      const step = async (apply: () => Promise<unknown>, revert: () => Promise<unknown>) => {
        await apply()
        undo.push(revert)
      }
      /** A record gone (before or during its update) fails the import. */
      const gone = (what: string, id: string) => new Error(`${what} ${id} is gone`)
      const current = async (hash: string, what: string, id: string) => {
        const json = await client.hget(hash, id)
        if (json === null) throw gone(what, id)
        return json
      }
      const updated = (what: string, id: string) => (ok: boolean) => { if (!ok) throw gone(what, id) }
      try {
        for (const a of batch.insertAccounts) await step(() => store.insertAccount(a), () => store.deleteAccount(a.id))
        for (const u of batch.updateAccounts) {
          const before = await current(k.accounts, 'account', u.id)
          await step(() => store.updateAccount(u.id, u.patch).then(updated('account', u.id)), () => client.hset(k.accounts, u.id, before))
        }
        for (const key of batch.insertKeys) await step(() => store.insertKey(key), () => store.deleteKey(key.id))
        for (const u of batch.updateKeys) {
          // Through updateKey, so the hash index follows a hash put back.
          const before = keyRecord(JSON.parse(await current(k.keys, 'key', u.id)) as StoredKey)
          await step(() => store.updateKey(u.id, u.patch).then(updated('key', u.id)), () => store.updateKey(u.id, before))
        }
      } catch (err) {
        for (const step of undo.reverse()) await step().catch(() => {})
        if (undo.length > 0) await announce()
        throw err
      }
      if (batch.usage.length > 0) await store.writeUsage({ records: batch.usage })
      for (const x of batch.spend) await store.recordSpend(x.keyId, x.counters, x.tokens, x.costPico)
    },
    async repriceRequests (changes) {
      const sums = new Map<string, AggregateRow>()
      let applied = 0
      for (const r of changes) {
        const cur = await client.get(k.row(r.requestId))
        if (!cur) continue
        const row = JSON.parse(cur) as StoredRow
        if (row.state !== 'done' || row.unpriced !== r.was.unpriced || row.costPico !== (r.was.costPico === null ? null : r.was.costPico.toString())) continue
        const next: StoredRow = { ...row, costPico: r.costPico.toString(), unpriced: false, priceVersion: r.priceVersion, flags: r.flags }
        if (await run('REPRICE_ROW', [k.row(r.requestId)], [cur, JSON.stringify(next)]) !== 1) continue
        applied++
        addRepricing(sums, r)
        const delta = r.costPico - (r.was.costPico ?? 0n)
        if (delta !== 0n) await store.recordSpend(r.keyId, r.counters, 0, delta)
      }
      await Promise.all(incrementAggregates(sums))
      return applied
    },
    async unpricedModels (since) {
      // No index by price: the log since `since` is read newest first, a page at a time, up to
      // a bound (an operator's question, not a request's).
      const found = new Map<string, UnpricedModel>()
      let before: { time: number, requestId: string } | undefined
      for (let scanned = 0; scanned < UNPRICED_SCAN_MAX;) {
        const rows = await store.queryRequests({ since, limit: 1000, ...(before ? { before } : {}) })
        if (rows.length === 0) break
        scanned += rows.length
        for (const r of rows) {
          const noPrice = r.unpriced && r.flags === null
          const fallback = !r.unpriced && r.flags?.startsWith('billed as ') === true
          if (r.state !== 'done' || r.model === null || (!noPrice && !fallback)) continue
          const id = `${r.provider}\u0000${r.model}`
          const m = found.get(id) ?? { provider: r.provider, model: r.model, unpriced: 0, fallback: 0, lastAt: r.time }
          if (noPrice) m.unpriced++
          else m.fallback++
          if (!found.has(id) && found.size < UNPRICED_MODELS_LIMIT) found.set(id, m)
        }
        const last = rows.at(-1)!
        before = { time: last.time, requestId: last.requestId }
      }
      return [...found.values()]
    },
    async pruneRequestLog (before, limit) {
      const ids = await client.zrangebyscore(k.logTime, '-inf', `(${before}`, 'LIMIT', 0, limit)
      let n = 0
      for (const id of ids) {
        const json = await client.get(k.row(id))
        const row = json ? toRow(json) : undefined
        if (row?.state === 'in_progress') continue
        const m = client.multi().del(k.row(id)).zrem(k.logTime, id)
        if (row) m.zrem(k.logKey(row.keyId), id).zrem(k.logAccount(row.accountId ?? ''), id)
        await m.exec()
        n++
      }
      return n
    },
    async backup () {
      throw new Error('a Redis store is backed up by Redis itself (RDB snapshots, AOF or your provider\'s backups)')
    },

    async listAdminUsers () {
      return (await list<AdminUser>(k.admins)).sort((a, b) => a.name.localeCompare(b.name))
    },
    async putAdminUser (u) {
      const cur = await client.hget(k.admins, u.name)
      const createdAt = cur ? (JSON.parse(cur) as AdminUser).createdAt : u.createdAt
      await client.hset(k.admins, u.name, JSON.stringify({ ...u, createdAt }))
    },
    async deleteAdminUser (name) {
      return (await client.hdel(k.admins, name)) > 0
    },
    async insertAdminSession (s: AdminSession) {
      const ttl = s.expiresAt - Date.now()
      if (ttl <= 0) return
      await client.multi().set(k.session(s.idHash), JSON.stringify(s), 'PX', ttl).sadd(k.sessionsOf(s.user), s.idHash).pexpire(k.sessionsOf(s.user), ttl).exec()
    },
    async getAdminSession (idHash, now) {
      const v = await client.get(k.session(idHash))
      const s = v ? JSON.parse(v) as AdminSession : undefined
      return s && s.expiresAt > now ? s : undefined
    },
    async deleteAdminSession (idHash) {
      await client.del(k.session(idHash))
    },
    async deleteAdminSessionsOf (user) {
      const ids = await client.smembers(k.sessionsOf(user))
      for (const id of ids) await client.del(k.session(id))
      await client.del(k.sessionsOf(user))
    },

    onChange (listener) {
      listeners.add(listener)
    },
    async lock (name, ttlMs) {
      return (await client.set(`${p}lock:${name}`, instance, 'PX', ttlMs, 'NX')) === 'OK'
    },
    async unlock (name) {
      await run('UNLOCK', [`${p}lock:${name}`], [instance])
    },
    async nextTurn (accountIds) {
      return String(await run('NEXT_TURN', [k.turns], accountIds))
    },
    async changedElsewhere () {
      const v = Number(await client.get(k.version) ?? 0)
      if (v === seen) return false
      seen = v
      return true
    },
    async close () {
      subscriber.disconnect()
      await client.quit().catch(() => client.disconnect())
    },
  }

  /** Aggregate points of every bucket of the range. */
  async function readAggregates (g: Granularity, q: UsageQuery): Promise<UsagePoint[]> {
    const buckets: number[] = []
    for (let b = bucketStart(g, q.since); b < q.until; b = nextBucket(g, b)) buckets.push(b)
    const points: UsagePoint[] = []
    for (const bucket of buckets) {
      const fields = await client.hgetall(k.agg(g, bucket))
      const groups = new Map<string, UsagePoint>()
      for (const [field, value] of Object.entries(fields)) {
        const { clientKind, keyId, accountId, model, metric } = parseAggField(field)
        if (q.keyId !== undefined && keyId !== q.keyId) continue
        const group = q.groupBy === 'key' ? keyId : q.groupBy === 'account' ? accountId : q.groupBy === 'client' ? clientKind : model
        let pt = groups.get(group)
        if (!pt) {
          pt = { bucket, group: group === '' ? null : group, requests: 0, input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, costPico: 0n, unpricedRequests: 0 }
          groups.set(group, pt)
        }
        const n = Number(value)
        switch (metric) {
          case 'requests': pt.requests += n; break
          case 'input': pt.input += n; break
          case 'output': pt.output += n; break
          case 'cw5': pt.cacheWrite5m += n; break
          case 'cw1': pt.cacheWrite1h += n; break
          case 'cr': pt.cacheRead += n; break
          case 'cost': pt.costPico += BigInt(value); break
          case 'unpriced': pt.unpricedRequests += n; break
        }
      }
      points.push(...[...groups.values()].sort((a, b) => String(a.group).localeCompare(String(b.group))))
    }
    return points
  }

  return store
}

function nextBucket (g: Granularity, b: number): number {
  const d = new Date(b)
  if (g === 'hour') return b + 3_600_000
  if (g === 'day') return b + 86_400_000
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
}

/**
 * An aggregate field: `[c:<client>|]<key>|<account>|<model>|<metric>`. A model name is the
 * client's to choose and may hold a `|`: everything between the account and the metric is it.
 */
export function parseAggField (field: string): { clientKind: string, keyId: string, accountId: string, model: string, metric: string } {
  const parts = field.split('|')
  const clientKind = parts[0]!.startsWith('c:') ? parts.shift()!.slice(2) : ''
  const metric = parts.pop() ?? ''
  const keyId = parts.shift() ?? ''
  const accountId = parts.shift() ?? ''
  return { clientKind, keyId, accountId, model: parts.join('|'), metric }
}

function add (totals: Map<string, UsageTotal>, group: string, pt: UsageTotal): void {
  const t = totals.get(group) ?? { group: pt.group, requests: 0, input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, costPico: 0n, unpricedRequests: 0 }
  addUsageTotal(t, pt)
  totals.set(group, t)
}

function storedRow (r: UsageRecord): StoredRow {
  return {
    requestId: r.requestId, time: r.time, keyId: r.keyId, accountId: r.accountId, provider: r.provider, model: r.model, path: r.path, stream: r.stream,
    status: r.status, usage: r.usage, costPico: r.costPico === null ? null : r.costPico.toString(), unpriced: r.unpriced, priceVersion: r.priceVersion,
    latencyMs: r.latencyMs, ttfbMs: r.ttfbMs, partial: r.partial, attempts: r.attempts, accountsTried: r.accountsTried, clientKind: r.clientKind,
    state: 'done', flags: r.flags, repeats: r.repeats ?? 0, upstreamRequestId: r.upstreamRequestId ?? null, userAgent: r.userAgent ?? null, clientIp: r.clientIp ?? null,
    bridge: r.bridge ?? null, requestedModel: r.requestedModel ?? null,
  }
}

