// The embedded store: one SQLite file (better-sqlite3, WAL), zero setup, durable across
// restarts. The sidecar and the operator CLI open the same file; WAL lets the CLI write while
// the sidecar streams, and `PRAGMA data_version` tells the sidecar someone else wrote.
import Database from 'better-sqlite3'
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { walSpace } from './wal-space.ts'
import { LimitLedger, type LedgerWrites } from './limit-ledger.ts'
import { bucketRanges, bucketStart } from './buckets.ts'
import { globToLike } from './model-glob.ts'
import { addRepricing, addToAggregates, subtractUsageTotal, type AggregateRow } from './aggregate-sums.ts'
import type {
  AccountPatch, AccountRecord, ImportBatch, KeyPatch, AccountStateRecord, KeyRecord, StickyBinding, RequestLogRow, RequestQuery, RequestState, Store, UsageBatch,
  UsagePoint, UsageQuery, UsageSeriesQuery, UsageTotal, RepricedRequest,
} from './store.ts'
import { OTHERS_GROUP, UNPRICED_MODELS_LIMIT } from './store.ts'

export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE keys (
     id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, hash_scheme TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
     hint TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, expires_at INTEGER, created_at INTEGER NOT NULL,
     bound_account TEXT, bound_group TEXT, policy TEXT NOT NULL DEFAULT '{}');
   CREATE TABLE key_activity (key_id TEXT PRIMARY KEY, last_used_at INTEGER, activated_at INTEGER);
   CREATE TABLE leases (id TEXT PRIMARY KEY, key_id TEXT NOT NULL, expires_at INTEGER NOT NULL);
   CREATE INDEX leases_key ON leases (key_id, expires_at);
   CREATE TABLE limit_counters (
     key_id TEXT NOT NULL, counter TEXT NOT NULL, period_start INTEGER NOT NULL, period_end INTEGER,
     requests INTEGER NOT NULL DEFAULT 0, tokens INTEGER NOT NULL DEFAULT 0, cost_pico INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (key_id, counter, period_start));
   CREATE TABLE accounts (
     id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, provider TEXT NOT NULL, type TEXT NOT NULL,
     priority INTEGER NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, fields TEXT NOT NULL,
     sealed_secrets TEXT, created_at INTEGER NOT NULL, groups TEXT NOT NULL DEFAULT '[]', max_concurrency INTEGER,
     models TEXT, sealed_proxy TEXT);
   CREATE TABLE account_state (
     account_id TEXT PRIMARY KEY, status TEXT NOT NULL, reason TEXT, cooldown_until INTEGER,
     consecutive_failures INTEGER NOT NULL, last_error TEXT, last_error_at INTEGER, rate_limits TEXT,
     updated_at INTEGER NOT NULL);
   CREATE TABLE sticky_sessions (
     session_key TEXT PRIMARY KEY, account_id TEXT NOT NULL, expires_at INTEGER NOT NULL, switches INTEGER NOT NULL);
   CREATE INDEX sticky_sessions_expires ON sticky_sessions (expires_at);
   CREATE TABLE request_log (
     request_id TEXT PRIMARY KEY, time INTEGER NOT NULL, key_id TEXT NOT NULL, account_id TEXT,
     provider TEXT NOT NULL, model TEXT, path TEXT NOT NULL, stream INTEGER NOT NULL, status INTEGER NOT NULL,
     input_tokens INTEGER, output_tokens INTEGER, cache_write_5m_tokens INTEGER, cache_write_1h_tokens INTEGER,
     cache_read_tokens INTEGER, reasoning_tokens INTEGER, cost_pico INTEGER, unpriced INTEGER NOT NULL,
     price_version TEXT, latency_ms INTEGER NOT NULL, ttfb_ms INTEGER, partial INTEGER NOT NULL,
     attempts INTEGER NOT NULL, accounts_tried TEXT NOT NULL, client_kind TEXT NOT NULL);
   CREATE INDEX request_log_time ON request_log (time);
   CREATE INDEX request_log_key_time ON request_log (key_id, time);
   CREATE TABLE usage_agg (
     granularity TEXT NOT NULL, bucket INTEGER NOT NULL, key_id TEXT NOT NULL, account_id TEXT NOT NULL,
     model TEXT NOT NULL, requests INTEGER NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
     cache_write_5m_tokens INTEGER NOT NULL, cache_write_1h_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,
     cost_pico INTEGER NOT NULL, unpriced_requests INTEGER NOT NULL,
     PRIMARY KEY (granularity, bucket, key_id, account_id, model));`,
  // Rows from admission on (crash durability), flagged usage, folded refusals; account
  // least-recently-used order and OAuth refresh failures survive restarts.
  `ALTER TABLE request_log ADD COLUMN state TEXT NOT NULL DEFAULT 'done';
   ALTER TABLE request_log ADD COLUMN flags TEXT;
   ALTER TABLE request_log ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX request_log_open ON request_log (time) WHERE state = 'in_progress';
   ALTER TABLE account_state ADD COLUMN last_used_at INTEGER;
   ALTER TABLE account_state ADD COLUMN refresh_failures INTEGER NOT NULL DEFAULT 0;`,
  // The admin UI's users and sessions; the request log browsed per account.
  `CREATE TABLE admin_users (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, created_at INTEGER NOT NULL);
   CREATE TABLE admin_sessions (
     id_hash TEXT PRIMARY KEY, user TEXT NOT NULL, csrf TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
   CREATE INDEX admin_sessions_user ON admin_sessions (user);
   CREATE INDEX request_log_account_time ON request_log (account_id, time);`,
  // Who sent each request and the provider's id of the answer.
  `ALTER TABLE request_log ADD COLUMN upstream_request_id TEXT;
   ALTER TABLE request_log ADD COLUMN user_agent TEXT;
   ALTER TABLE request_log ADD COLUMN client_ip TEXT;`,
  // Bindings per provider: a key's single binding becomes the binding of every provider ("*"),
  // which serves exactly what it served before. Imported keys and accounts remember their origin.
  `ALTER TABLE keys ADD COLUMN bindings TEXT NOT NULL DEFAULT '{}';
   UPDATE keys SET bindings = json_object('*', json_object('account', bound_account)) WHERE bound_account IS NOT NULL;
   UPDATE keys SET bindings = json_object('*', json_object('group', bound_group)) WHERE bound_account IS NULL AND bound_group IS NOT NULL;
   ALTER TABLE keys DROP COLUMN bound_account;
   ALTER TABLE keys DROP COLUMN bound_group;
   ALTER TABLE keys ADD COLUMN origin TEXT;
   CREATE UNIQUE INDEX keys_origin ON keys (origin) WHERE origin IS NOT NULL;
   ALTER TABLE accounts ADD COLUMN origin TEXT;
   ALTER TABLE accounts ADD COLUMN shared INTEGER;
   CREATE UNIQUE INDEX accounts_origin ON accounts (origin) WHERE origin IS NOT NULL;`,
  // An account's latest errors, for the admin console's error history.
  'ALTER TABLE account_state ADD COLUMN recent_errors TEXT;',
  // Usage by client kind: the aggregates keep it (rows from before have ''). The same sums are
  // kept without the key (usage_agg_dims), which answers every question not about keys: ten
  // thousand keys' long tail makes usage_agg about as big as the log, while accounts × models ×
  // clients stay few; and by key alone (usage_agg_keys: a key's day is one row, not one per
  // account, model and client). The two small tables are stored in key order (WITHOUT ROWID: a
  // range is one sweep, 4–5× faster than through an index); usage_agg is not, as the wide rows
  // in key order made each write's upserts about 1.6× slower (bench/admin-views.ts, notes in
  // docs/architecture.md).
  `CREATE TABLE usage_agg_by_client (
     granularity TEXT NOT NULL, bucket INTEGER NOT NULL, key_id TEXT NOT NULL, account_id TEXT NOT NULL,
     model TEXT NOT NULL, client_kind TEXT NOT NULL, requests INTEGER NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
     cache_write_5m_tokens INTEGER NOT NULL, cache_write_1h_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,
     cost_pico INTEGER NOT NULL, unpriced_requests INTEGER NOT NULL,
     PRIMARY KEY (granularity, bucket, key_id, account_id, model, client_kind));
   INSERT INTO usage_agg_by_client SELECT granularity, bucket, key_id, account_id, model, '', requests, input_tokens, output_tokens,
     cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, cost_pico, unpriced_requests FROM usage_agg;
   DROP TABLE usage_agg;
   ALTER TABLE usage_agg_by_client RENAME TO usage_agg;
   CREATE TABLE usage_agg_dims (
     granularity TEXT NOT NULL, bucket INTEGER NOT NULL, account_id TEXT NOT NULL, model TEXT NOT NULL, client_kind TEXT NOT NULL,
     requests INTEGER NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
     cache_write_5m_tokens INTEGER NOT NULL, cache_write_1h_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,
     cost_pico INTEGER NOT NULL, unpriced_requests INTEGER NOT NULL,
     PRIMARY KEY (granularity, bucket, account_id, model, client_kind)) WITHOUT ROWID;
   INSERT INTO usage_agg_dims SELECT granularity, bucket, account_id, model, client_kind, sum(requests), sum(input_tokens), sum(output_tokens),
     sum(cache_write_5m_tokens), sum(cache_write_1h_tokens), sum(cache_read_tokens), sum(cost_pico), sum(unpriced_requests)
     FROM usage_agg GROUP BY granularity, bucket, account_id, model, client_kind;
   CREATE TABLE usage_agg_keys (
     granularity TEXT NOT NULL, bucket INTEGER NOT NULL, key_id TEXT NOT NULL,
     requests INTEGER NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
     cache_write_5m_tokens INTEGER NOT NULL, cache_write_1h_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,
     cost_pico INTEGER NOT NULL, unpriced_requests INTEGER NOT NULL,
     PRIMARY KEY (granularity, bucket, key_id)) WITHOUT ROWID;
   INSERT INTO usage_agg_keys SELECT granularity, bucket, key_id, sum(requests), sum(input_tokens), sum(output_tokens),
     sum(cache_write_5m_tokens), sum(cache_write_1h_tokens), sum(cache_read_tokens), sum(cost_pico), sum(unpriced_requests)
     FROM usage_agg GROUP BY granularity, bucket, key_id;`,
  // The bridge that translated a request (chat-claude, messages-gemini), shown with its row.
  'ALTER TABLE request_log ADD COLUMN bridge TEXT;',
  // An account's model map (what a requested model is sent upstream as), and the model a
  // request asked for when the account sent another.
  `ALTER TABLE accounts ADD COLUMN model_map TEXT;
   ALTER TABLE request_log ADD COLUMN requested_model TEXT;`,
]

interface KeyRow { id: string, name: string, hash_scheme: string, hash: string, hint: string, disabled: number, expires_at: number | null, created_at: number, bindings: string, origin: string | null, policy: string }
interface AccountRow { id: string, name: string, provider: string, type: string, priority: number, disabled: number, fields: string, sealed_secrets: string | null, created_at: number, groups: string, max_concurrency: number | null, models: string | null, model_map: string | null, sealed_proxy: string | null, origin: string | null, shared: number | null }
interface StateRow { account_id: string, status: string, reason: string | null, cooldown_until: number | null, consecutive_failures: number, last_error: string | null, last_error_at: number | null, rate_limits: string | null, updated_at: number, refresh_failures: number, recent_errors: string | null }

/**
 * The database holds request logs and sealed credentials: it is created mode 0600 in a data dir
 * created 0700, before SQLite opens it, because SQLite gives its -wal and -shm files the mode
 * of the database file.
 */
function createPrivately (path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  closeSync(openSync(path, 'a', 0o600))
  for (const f of [path, `${path}-wal`, `${path}-shm`]) {
    if (existsSync(f) && (statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600)
  }
}

/** The page cache's size in KiB (SQLite's default; better-sqlite3 builds with 16,000). */
const CACHE_KIB = 2000

export function openSqliteStore (path: string): Store {
  if (path !== ':memory:') createPrivately(path)
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  // The CLI and the sidecar share the file: wait for the other's write lock instead of failing.
  db.pragma('busy_timeout = 5000')
  // SQLite's own default page cache (2 MB), not better-sqlite3's 16 MB: the relay appends rows
  // and reads little, so the pages it needs again are few (each index's right edge, the
  // aggregates); a full cache stayed resident for good and was most of the RSS the sidecar grew
  // over 100,000 requests (issue 14). Pages it drops are read back from the OS's file cache.
  db.pragma(`cache_size = -${CACHE_KIB}`)
  migrate(db)
  const wal = walSpace(db, path)

  const stmt = {
    listKeys: db.prepare<[], KeyRow>('SELECT * FROM keys ORDER BY created_at, name'),
    insertKey: db.prepare('INSERT INTO keys (id, name, hash_scheme, hash, hint, disabled, expires_at, created_at, bindings, origin, policy) VALUES (@id, @name, @hashScheme, @hash, @hint, @disabled, @expiresAt, @createdAt, @bindings, @origin, @policy)'),
    deleteKey: db.prepare('DELETE FROM keys WHERE id = ?'),
    deleteAccount: db.prepare('DELETE FROM accounts WHERE id = ?'),
    deleteState: db.prepare('DELETE FROM account_state WHERE account_id = ?'),
    lastUsed: db.prepare<[], { key_id: string, at: number }>('SELECT key_id, last_used_at AS at FROM key_activity WHERE last_used_at IS NOT NULL'),
    touchKey: db.prepare('INSERT INTO key_activity (key_id, last_used_at) VALUES (?, ?) ON CONFLICT (key_id) DO UPDATE SET last_used_at = max(coalesce(last_used_at, 0), excluded.last_used_at)'),
    activate: db.prepare('INSERT INTO key_activity (key_id, activated_at) VALUES (?, ?) ON CONFLICT (key_id) DO UPDATE SET activated_at = coalesce(activated_at, excluded.activated_at) RETURNING activated_at'),
    activations: db.prepare<[], { key_id: string, at: number }>('SELECT key_id, activated_at AS at FROM key_activity WHERE activated_at IS NOT NULL'),
    // Lease rows are what the sidecar last wrote of its leases (limit-ledger.ts), for the CLI.
    putLease: db.prepare('INSERT INTO leases (id, key_id, expires_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at'),
    deleteLease: db.prepare('DELETE FROM leases WHERE id = ?'),
    countLeases: db.prepare<[string, number], { n: number }>('SELECT count(*) AS n FROM leases WHERE key_id = ? AND expires_at > ?'),
    pruneLeases: db.prepare('DELETE FROM leases WHERE expires_at <= ?'),
    readCounter: db.prepare('SELECT requests, tokens, cost_pico FROM limit_counters WHERE key_id = ? AND counter = ? AND period_start = ?').safeIntegers(true),
    addToCounter: db.prepare(`INSERT INTO limit_counters (key_id, counter, period_start, period_end, requests, tokens, cost_pico) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (key_id, counter, period_start) DO UPDATE SET requests = requests + excluded.requests,
        tokens = tokens + excluded.tokens, cost_pico = cost_pico + excluded.cost_pico`),
    pruneCounters: db.prepare('DELETE FROM limit_counters WHERE period_end IS NOT NULL AND period_end < ?'),
    listAccounts: db.prepare<[], AccountRow>('SELECT * FROM accounts ORDER BY created_at, name'),
    insertAccount: db.prepare('INSERT INTO accounts (id, name, provider, type, priority, disabled, fields, sealed_secrets, created_at, groups, max_concurrency, models, model_map, sealed_proxy, origin, shared) VALUES (@id, @name, @provider, @type, @priority, @disabled, @fields, @sealedSecrets, @createdAt, @groups, @maxConcurrency, @models, @modelMap, @sealedProxy, @origin, @shared)'),
    listStates: db.prepare<[], StateRow>('SELECT * FROM account_state'),
    saveState: db.prepare(`INSERT INTO account_state (account_id, status, reason, cooldown_until, consecutive_failures,
      last_error, last_error_at, rate_limits, updated_at, refresh_failures, recent_errors)
      VALUES (@accountId, @status, @reason, @cooldownUntil, @consecutiveFailures, @lastError, @lastErrorAt, @rateLimits, @updatedAt, @refreshFailures, @recentErrors)
      ON CONFLICT (account_id) DO UPDATE SET status = excluded.status, reason = excluded.reason,
        cooldown_until = excluded.cooldown_until, consecutive_failures = excluded.consecutive_failures,
        last_error = excluded.last_error, last_error_at = excluded.last_error_at, rate_limits = excluded.rate_limits,
        updated_at = excluded.updated_at, refresh_failures = excluded.refresh_failures, recent_errors = excluded.recent_errors`),
    saveLastUsed: db.prepare(`INSERT INTO account_state (account_id, status, consecutive_failures, updated_at, last_used_at)
      VALUES (?, 'active', 0, ?, ?) ON CONFLICT (account_id) DO UPDATE SET last_used_at = excluded.last_used_at`),
    lastUsedAccounts: db.prepare<[], { account_id: string, at: number }>('SELECT account_id, last_used_at AS at FROM account_state WHERE last_used_at IS NOT NULL'),
    putSticky: db.prepare(`INSERT INTO sticky_sessions VALUES (?, ?, ?, ?) ON CONFLICT (session_key) DO UPDATE SET
      account_id = excluded.account_id, expires_at = excluded.expires_at, switches = excluded.switches`),
    deleteSticky: db.prepare('DELETE FROM sticky_sessions WHERE session_key = ?'),
    pruneSticky: db.prepare('DELETE FROM sticky_sessions WHERE expires_at <= ?'),
    openLog: db.prepare(`INSERT OR IGNORE INTO request_log (request_id, time, key_id, provider, model, path, stream, status,
      unpriced, latency_ms, partial, attempts, accounts_tried, client_kind, state, user_agent, client_ip, bridge)
      VALUES (@requestId, @time, @keyId, @provider, @model, @path, @stream, 0, 0, 0, 0, 0, '[]', @clientKind, 'in_progress', @userAgent, @clientIp, @bridge)`),
    // A row still open (or marked interrupted) is finished; a finished one is left alone, and
    // `changes` tells the caller whether to count the aggregates.
    finishLog: db.prepare(`INSERT INTO request_log (request_id, time, key_id, account_id, provider, model, path, stream, status,
      input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, reasoning_tokens, cost_pico,
      unpriced, price_version, latency_ms, ttfb_ms, partial, attempts, accounts_tried, client_kind, state, flags, repeats,
      upstream_request_id, user_agent, client_ip, bridge, requested_model)
      VALUES (@requestId, @time, @keyId, @accountId, @provider, @model, @path, @stream, @status, @input, @output, @cacheWrite5m,
      @cacheWrite1h, @cacheRead, @reasoning, @costPico, @unpriced, @priceVersion, @latencyMs, @ttfbMs, @partial, @attempts,
      @accountsTried, @clientKind, 'done', @flags, @repeats, @upstreamRequestId, @userAgent, @clientIp, @bridge, @requestedModel)
      ON CONFLICT (request_id) DO UPDATE SET account_id = excluded.account_id, model = excluded.model, status = excluded.status,
        input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
        cache_write_5m_tokens = excluded.cache_write_5m_tokens, cache_write_1h_tokens = excluded.cache_write_1h_tokens,
        cache_read_tokens = excluded.cache_read_tokens, reasoning_tokens = excluded.reasoning_tokens, cost_pico = excluded.cost_pico,
        unpriced = excluded.unpriced, price_version = excluded.price_version, latency_ms = excluded.latency_ms,
        ttfb_ms = excluded.ttfb_ms, partial = excluded.partial, attempts = excluded.attempts,
        accounts_tried = excluded.accounts_tried, state = 'done', flags = excluded.flags, repeats = excluded.repeats,
        upstream_request_id = excluded.upstream_request_id, bridge = excluded.bridge, requested_model = excluded.requested_model,
        user_agent = coalesce(excluded.user_agent, request_log.user_agent), client_ip = coalesce(excluded.client_ip, request_log.client_ip)
      WHERE request_log.state != 'done'`),
    addRepeats: db.prepare('UPDATE request_log SET repeats = repeats + ? WHERE request_id = ?'),
    markInterrupted: db.prepare("UPDATE request_log SET state = 'interrupted' WHERE state = 'in_progress' AND time < ?"),
    upsertAgg: upsertSums(db, 'usage_agg', ['key_id', 'account_id', 'model', 'client_kind']),
    upsertAggKeys: upsertSums(db, 'usage_agg_keys', ['key_id']),
    upsertAggDims: upsertSums(db, 'usage_agg_dims', ['account_id', 'model', 'client_kind']),
    recent: db.prepare('SELECT * FROM request_log ORDER BY time DESC, rowid DESC LIMIT ?').safeIntegers(true),
    listAdminUsers: db.prepare<[], { name: string, password_hash: string, created_at: number }>('SELECT * FROM admin_users ORDER BY name'),
    putAdminUser: db.prepare('INSERT INTO admin_users (name, password_hash, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash'),
    deleteAdminUser: db.prepare('DELETE FROM admin_users WHERE name = ?'),
    insertSession: db.prepare('INSERT INTO admin_sessions (id_hash, user, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)'),
    getSession: db.prepare<[string, number], { id_hash: string, user: string, csrf: string, created_at: number, expires_at: number }>('SELECT * FROM admin_sessions WHERE id_hash = ? AND expires_at > ?'),
    deleteSession: db.prepare('DELETE FROM admin_sessions WHERE id_hash = ?'),
    deleteSessionsOf: db.prepare('DELETE FROM admin_sessions WHERE user = ?'),
    pruneSessions: db.prepare('DELETE FROM admin_sessions WHERE expires_at <= ?'),
    logSize: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM request_log'),
    // `IS` compares NULL too: the row is changed only if it still holds what was read.
    reprice: db.prepare(`UPDATE request_log SET cost_pico = @costPico, unpriced = 0, price_version = @priceVersion, flags = @flags
      WHERE request_id = @requestId AND state = 'done' AND unpriced = @wasUnpriced AND cost_pico IS @wasCost`),
    // No price: unpriced with no other reason (a rejected usage is flagged, not unpriced by price).
    unpricedModels: db.prepare<[number, number], { provider: string, model: string, unpriced: number, fallback: number, last_at: number }>(`SELECT provider, model,
        sum(CASE WHEN unpriced = 1 THEN 1 ELSE 0 END) AS unpriced, sum(CASE WHEN unpriced = 0 THEN 1 ELSE 0 END) AS fallback, max(time) AS last_at
      FROM request_log WHERE time >= ? AND state = 'done' AND model IS NOT NULL
        AND ((unpriced = 1 AND flags IS NULL) OR flags LIKE 'billed as %')
      GROUP BY provider, model ORDER BY last_at DESC LIMIT ?`),
    pruneLog: db.prepare("DELETE FROM request_log WHERE rowid IN (SELECT rowid FROM request_log WHERE time < ? AND state != 'in_progress' ORDER BY time LIMIT ?)"),
    dataVersion: db.prepare<[], { data_version: number }>('PRAGMA data_version'),
  }
  let lastDataVersion = stmt.dataVersion.get()!.data_version
  // Sticky bindings are read on every request and written by this process only (the CLI never
  // touches them, and an embedded store has one sidecar): an in-memory mirror answers reads,
  // the table keeps them across restarts.
  const sticky = new Map<string, StickyBinding>()
  for (const r of db.prepare<[number], { session_key: string, account_id: string, expires_at: number, switches: number }>('SELECT * FROM sticky_sessions WHERE expires_at > ?').all(Date.now())) {
    sticky.set(r.session_key, { accountId: r.account_id, expiresAt: r.expires_at, switches: r.switches })
  }

  /** Each row of sums into the aggregates, and into the aggregates without the key. */
  const upsertAggregates = (sums: Map<string, AggregateRow>) => {
    for (const row of sums.values()) {
      stmt.upsertAgg.run(row)
      stmt.upsertAggDims.run(row)
      stmt.upsertAggKeys.run(row)
    }
  }

  const writeBatch = db.transaction((batch: UsageBatch, ledgerWrites: LedgerWrites) => {
    writeLedgerRows(ledgerWrites)
    const sums = new Map<string, AggregateRow>()
    for (const o of batch.opened ?? []) {
      stmt.openLog.run({ requestId: o.requestId, time: o.time, keyId: o.keyId, provider: o.provider, model: o.model, path: o.path, stream: o.stream ? 1 : 0, clientKind: o.clientKind, userAgent: o.userAgent ?? null, clientIp: o.clientIp ?? null, bridge: o.bridge ?? null })
    }
    for (const r of batch.records) {
      const u = r.usage
      const inserted = stmt.finishLog.run({
        requestId: r.requestId, time: r.time, keyId: r.keyId, accountId: r.accountId, provider: r.provider,
        model: r.model, path: r.path, stream: r.stream ? 1 : 0, status: r.status,
        input: u.input ?? null, output: u.output ?? null, cacheWrite5m: u.cacheWrite5m ?? null,
        cacheWrite1h: u.cacheWrite1h ?? null, cacheRead: u.cacheRead ?? null, reasoning: u.reasoning ?? null,
        costPico: r.costPico, unpriced: r.unpriced ? 1 : 0, priceVersion: r.priceVersion,
        latencyMs: r.latencyMs, ttfbMs: r.ttfbMs, partial: r.partial ? 1 : 0, attempts: r.attempts,
        accountsTried: JSON.stringify(r.accountsTried), clientKind: r.clientKind, flags: r.flags, repeats: r.repeats ?? 0,
        upstreamRequestId: r.upstreamRequestId ?? null, userAgent: r.userAgent ?? null, clientIp: r.clientIp ?? null, bridge: r.bridge ?? null, requestedModel: r.requestedModel ?? null,
      }).changes
      // A record seen before (same request id) is not counted twice.
      if (r.billable && inserted > 0) addToAggregates(sums, r)
    }
    // One upsert per bucket, key, account and model of the write, not three per record: under
    // load most records of a write share them, and the upserts were most of its time.
    upsertAggregates(sums)
    for (const [id, at] of batch.keysUsed ?? []) stmt.touchKey.run(id, at)
    for (const [id, n] of batch.repeats ?? []) stmt.addRepeats.run(n, id)
  })

  /** Rows, aggregates and (for a process that does not count in a ledger) stored counters; returns the rows applied. */
  const repriceBatch = db.transaction((changes: RepricedRequest[], ledgerWrites: LedgerWrites, countersToo: boolean) => {
    writeLedgerRows(ledgerWrites)
    const sums = new Map<string, AggregateRow>()
    const applied: RepricedRequest[] = []
    for (const r of changes) {
      const changed = stmt.reprice.run({ requestId: r.requestId, costPico: r.costPico, priceVersion: r.priceVersion, flags: r.flags, wasUnpriced: r.was.unpriced ? 1 : 0, wasCost: r.was.costPico }).changes
      if (changed === 0) continue
      applied.push(r)
      addRepricing(sums, r)
      const delta = r.costPico - (r.was.costPico ?? 0n)
      if (countersToo && delta !== 0n) for (const c of r.counters) stmt.addToCounter.run(r.keyId, c.id, c.start, c.end, 0, 0, delta)
    }
    upsertAggregates(sums)
    return applied
  })

  // Admission state lives in memory (limit-ledger.ts); its counters are written with the usage
  // batches, in the same transaction, or by `writeLedger` when no batch comes.
  const loadCounter = (keyId: string, counter: string, start: number) => {
    const row = stmt.readCounter.get(keyId, counter, start) as { requests: bigint, tokens: bigint, cost_pico: bigint } | undefined
    return row && { requests: Number(row.requests), tokens: Number(row.tokens), costPico: row.cost_pico }
  }
  const ledger = new LimitLedger(loadCounter)
  const writeLedgerRows = (w: LedgerWrites) => {
    for (const d of w.counters) stmt.addToCounter.run(d.keyId, d.id, d.start, d.end, d.requests, d.tokens, d.costPico)
    for (const [id, lease] of w.leases) {
      if (lease) stmt.putLease.run(id, lease.keyId, lease.expiresAt)
      else stmt.deleteLease.run(id)
    }
  }
  /** Runs `write` (a transaction) with what the ledger has pending; it stays pending if the write fails. */
  const withLedger = <T>(write: (w: LedgerWrites) => T): T => {
    const writes = ledger.drain()
    try {
      const result = write(writes)
      ledger.written(writes, Date.now())
      return result
    } catch (err) {
      ledger.restore(writes)
      throw err
    }
  }
  /** Whether this handle counts (it admits or adds spend: the sidecar); the CLI's handles read what the sidecar wrote. */
  let serving = false
  const ledgerTx = db.transaction(writeLedgerRows)
  const writeLedger = () => {
    if (ledger.dirty) withLedger(ledgerTx)
  }
  // A backstop for counts no usage batch carries (a store used only for admission, as the
  // Redis outage fallback is): written within a second. A failure leaves them pending.
  const ledgerTimer = setInterval(() => {
    try {
      writeLedger()
    } catch {}
  }, 1000)
  ledgerTimer.unref()

  const update = (table: string, id: string, patch: Record<string, unknown>, columns: Record<string, string>) => {
    const sets: string[] = []
    const values: Record<string, unknown> = { id }
    for (const [k, v] of Object.entries(patch)) {
      const col = columns[k]
      if (!col || v === undefined) continue
      sets.push(`${col} = @${k}`)
      values[k] = typeof v === 'boolean' ? (v ? 1 : 0) : (v !== null && typeof v === 'object' ? JSON.stringify(v) : v)
    }
    if (sets.length === 0) return false
    return db.prepare(`UPDATE ${table} SET ${sets.join(', ')} WHERE id = @id`).run(values).changes > 0
  }

  const insertKey = (k: KeyRecord) => stmt.insertKey.run({ ...k, disabled: k.disabled ? 1 : 0, bindings: JSON.stringify(k.bindings), origin: k.origin ?? null, policy: JSON.stringify(k.policy) })
  const updateKey = (id: string, patch: KeyPatch) => update('keys', id, patch, { disabled: 'disabled', expiresAt: 'expires_at', hash: 'hash', hashScheme: 'hash_scheme', hint: 'hint', policy: 'policy', bindings: 'bindings', origin: 'origin' })
  const insertAccount = (a: AccountRecord) => stmt.insertAccount.run({
    ...a, disabled: a.disabled ? 1 : 0, fields: JSON.stringify(a.fields), groups: JSON.stringify(a.groups),
    models: a.models === null ? null : JSON.stringify(a.models), modelMap: a.modelMap == null ? null : JSON.stringify(a.modelMap),
    origin: a.origin ?? null, shared: a.shared == null ? null : a.shared ? 1 : 0,
  })
  const updateAccount = (id: string, patch: AccountPatch) => update('accounts', id, patch, { disabled: 'disabled', priority: 'priority', fields: 'fields', sealedSecrets: 'sealed_secrets', groups: 'groups', maxConcurrency: 'max_concurrency', models: 'models', modelMap: 'model_map', sealedProxy: 'sealed_proxy', origin: 'origin', shared: 'shared' })
  /** An import, all or nothing: records, history rows (a row seen before adds nothing) and spend. */
  const importTx = db.transaction((b: ImportBatch) => {
    for (const a of b.insertAccounts) insertAccount(a)
    for (const u of b.updateAccounts) updateAccount(u.id, u.patch)
    for (const k of b.insertKeys) insertKey(k)
    for (const u of b.updateKeys) updateKey(u.id, u.patch)
    writeBatch({ records: b.usage }, { counters: [], leases: [] })
    for (const x of b.spend) for (const c of x.counters) stmt.addToCounter.run(x.keyId, c.id, c.start, c.end, 0, x.tokens, x.costPico)
  })

  return {
    async listKeys () {
      return stmt.listKeys.all().map(r => ({
        id: r.id, name: r.name, hashScheme: r.hash_scheme as KeyRecord['hashScheme'], hash: r.hash, hint: r.hint,
        disabled: r.disabled === 1, expiresAt: r.expires_at, createdAt: r.created_at, source: 'store' as const,
        bindings: JSON.parse(r.bindings) as KeyRecord['bindings'], origin: r.origin, policy: JSON.parse(r.policy) as KeyRecord['policy'],
      }))
    },
    async insertKey (k) {
      insertKey(k)
    },
    async deleteKey (id) {
      return stmt.deleteKey.run(id).changes > 0
    },
    async activate (keyId, now) {
      return (stmt.activate.get(keyId, now) as { activated_at: number }).activated_at
    },
    async activations () {
      return new Map(stmt.activations.all().map(r => [r.key_id, r.at]))
    },
    async admit (plan, now) {
      serving = true
      return ledger.admit(plan, now)
    },
    async renewLeases (ids, expiresAt) {
      ledger.renew(ids, expiresAt)
    },
    async releaseLease (id) {
      ledger.release(id)
    },
    async activeLeases (keyId, now) {
      return serving ? ledger.active(keyId, now) : stmt.countLeases.get(keyId, now)!.n
    },
    async recordSpend (keyId, counters, tokens, costPico) {
      serving = true
      ledger.spend(keyId, counters, tokens, costPico)
    },
    async readCounters (keyId, refs) {
      if (serving) return ledger.read(keyId, refs)
      return refs.map(ref => ({ ...ref, ...(loadCounter(keyId, ref.id, ref.start) ?? { requests: 0, tokens: 0, costPico: 0n }) }))
    },
    async pruneCounters (endedBefore) {
      writeLedger()
      stmt.pruneCounters.run(endedBefore)
      // Rows a stopped sidecar left behind.
      stmt.pruneLeases.run(Date.now())
      ledger.prune(endedBefore)
    },
    async updateKey (id, patch) {
      return updateKey(id, patch)
    },
    async lastUsed () {
      return new Map(stmt.lastUsed.all().map(r => [r.key_id, r.at]))
    },
    async listAccounts () {
      return stmt.listAccounts.all().map(r => ({
        id: r.id, name: r.name, provider: r.provider, type: r.type, priority: r.priority, disabled: r.disabled === 1,
        fields: JSON.parse(r.fields) as Record<string, unknown>, sealedSecrets: r.sealed_secrets, createdAt: r.created_at,
        source: 'store' as const, groups: JSON.parse(r.groups) as string[], maxConcurrency: r.max_concurrency,
        models: r.models === null ? null : JSON.parse(r.models) as string[],
        modelMap: r.model_map === null ? null : JSON.parse(r.model_map) as Record<string, string>, sealedProxy: r.sealed_proxy, origin: r.origin, shared: r.shared === null ? null : r.shared === 1,
      }))
    },
    async insertAccount (a) {
      insertAccount(a)
    },
    async listAccountStates () {
      return stmt.listStates.all().map(r => ({
        accountId: r.account_id, status: r.status as AccountStateRecord['status'], reason: r.reason,
        cooldownUntil: r.cooldown_until, consecutiveFailures: r.consecutive_failures, lastError: r.last_error,
        lastErrorAt: r.last_error_at, rateLimits: r.rate_limits === null ? null : JSON.parse(r.rate_limits) as AccountStateRecord['rateLimits'],
        updatedAt: r.updated_at, refreshFailures: r.refresh_failures,
        ...(r.recent_errors === null ? {} : { recentErrors: JSON.parse(r.recent_errors) as AccountStateRecord['recentErrors'] }),
      }))
    },
    async saveAccountState (st) {
      stmt.saveState.run({ ...st, rateLimits: st.rateLimits === null ? null : JSON.stringify(st.rateLimits), recentErrors: st.recentErrors === undefined ? null : JSON.stringify(st.recentErrors) })
    },
    async saveAccountsLastUsed (times) {
      db.transaction(() => { for (const [id, at] of times) stmt.saveLastUsed.run(id, at, at) })()
    },
    async accountsLastUsed () {
      return new Map(stmt.lastUsedAccounts.all().map(r => [r.account_id, r.at]))
    },
    async getSticky (key, now) {
      const b = sticky.get(key)
      return b && b.expiresAt > now ? { ...b } : undefined
    },
    async putSticky (key, b) {
      stmt.putSticky.run(key, b.accountId, b.expiresAt, b.switches)
      sticky.set(key, { ...b })
    },
    async deleteSticky (key) {
      stmt.deleteSticky.run(key)
      sticky.delete(key)
    },
    async pruneSticky (now) {
      for (const [k, b] of sticky) if (b.expiresAt <= now) sticky.delete(k)
      return stmt.pruneSticky.run(now).changes
    },
    async deleteAccount (id) {
      return db.transaction(() => {
        stmt.deleteState.run(id)
        return stmt.deleteAccount.run(id).changes > 0
      })()
    },
    async updateAccount (id, patch) {
      return updateAccount(id, patch)
    },
    async importRecords (batch) {
      importTx(batch)
      // The sidecar's own counters take the imported spend now, not at its next look.
      if (serving && batch.spend.length > 0) ledger.reload()
    },
    async writeUsage (batch) {
      try {
        withLedger(deltas => writeBatch(batch, deltas))
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'SQLITE_FULL') throw err
        wal.full()
        // The WAL's pages freed (when the database could grow): the batch once more.
        withLedger(deltas => writeBatch(batch, deltas))
      }
      wal.written()
    },
    async markInterrupted (startedBefore) {
      return stmt.markInterrupted.run(startedBefore).changes
    },
    async queryUsage (q) {
      return queryUsage(db, q)
    },
    async usageSeries (q) {
      return usageSeries(db, q)
    },
    async recentRequests (limit) {
      return (stmt.recent.all(limit) as Record<string, unknown>[]).map(toRequestLogRow)
    },
    async queryRequests (q) {
      return queryRequests(db, q)
    },
    async getRequest (requestId) {
      const row = db.prepare('SELECT * FROM request_log WHERE request_id = ?').safeIntegers(true).get(requestId) as Record<string, unknown> | undefined
      return row && toRequestLogRow(row)
    },
    async listAdminUsers () {
      return stmt.listAdminUsers.all().map(r => ({ name: r.name, passwordHash: r.password_hash, createdAt: r.created_at }))
    },
    async putAdminUser (u) {
      stmt.putAdminUser.run(u.name, u.passwordHash, u.createdAt)
    },
    async deleteAdminUser (name) {
      return stmt.deleteAdminUser.run(name).changes > 0
    },
    async insertAdminSession (x) {
      stmt.pruneSessions.run(x.createdAt)
      stmt.insertSession.run(x.idHash, x.user, x.csrf, x.createdAt, x.expiresAt)
    },
    async getAdminSession (idHash, now) {
      const r = stmt.getSession.get(idHash, now)
      return r && { idHash: r.id_hash, user: r.user, csrf: r.csrf, createdAt: r.created_at, expiresAt: r.expires_at }
    },
    async deleteAdminSession (idHash) {
      stmt.deleteSession.run(idHash)
    },
    async deleteAdminSessionsOf (user) {
      stmt.deleteSessionsOf.run(user)
    },
    async pruneRequestLog (before, limit) {
      return stmt.pruneLog.run(before, limit).changes
    },
    async repriceRequests (changes) {
      // The sidecar counts spend in its ledger (written with this transaction's next sibling);
      // another process (the CLI) adds it to the stored counters, which the sidecar reads again
      // when it sees the store changed (changedElsewhere).
      const applied = withLedger(writes => repriceBatch(changes, writes, !serving))
      if (serving) for (const r of applied) ledger.spend(r.keyId, r.counters, 0, r.costPico - (r.was.costPico ?? 0n))
      return applied.length
    },
    async unpricedModels (since) {
      return stmt.unpricedModels.all(since, UNPRICED_MODELS_LIMIT).map(r => ({ provider: r.provider, model: r.model, unpriced: r.unpriced, fallback: r.fallback, lastAt: r.last_at }))
    },
    async requestLogSize () {
      return stmt.logSize.get()!.n
    },
    async backup (file) {
      // SQLite's online backup API: a consistent snapshot while the relay writes.
      createPrivately(file)
      writeLedger()
      await db.backup(file)
    },
    async changedElsewhere () {
      const v = stmt.dataVersion.get()!.data_version
      if (v === lastDataVersion) return false
      lastDataVersion = v
      // Another process may have moved stored counters (a recompute): the ledger reads them again.
      if (serving) ledger.reload()
      return true
    },
    async close () {
      clearInterval(ledgerTimer)
      // This process's requests are over: their lease rows go too.
      ledger.releaseAll()
      writeLedger()
      db.close()
    },
  }
}

function migrate (db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!)
      db.pragma(`user_version = ${v + 1}`)
    }).immediate()
  }
}

const GROUP_COLUMN = { key: 'key_id', model: 'model', account: 'account_id', client: 'client_kind' } as const

const SUMS = `sum(requests) AS requests, sum(input_tokens) AS input,
      sum(output_tokens) AS output, sum(cache_write_5m_tokens) AS cw5, sum(cache_write_1h_tokens) AS cw1,
      sum(cache_read_tokens) AS cr, sum(cost_pico) AS cost, sum(unpriced_requests) AS unpriced`

/** An aggregate row's parameter, by its column. */
const AGG_PARAMS: Record<string, string> = { key_id: '@keyId', account_id: '@accountId', model: '@model', client_kind: '@clientKind' }

/**
 * Adds an aggregate row's sums into a table of sums keyed by granularity, bucket and `keys`
 * (the three aggregate tables differ only in the columns they keep).
 */
function upsertSums (db: Database.Database, table: string, keys: string[]): Database.Statement {
  return db.prepare(`INSERT INTO ${table} VALUES (@granularity, @bucket, ${keys.map(k => AGG_PARAMS[k]).join(', ')}, @requests, @input, @output,
      @cacheWrite5m, @cacheWrite1h, @cacheRead, @costPico, @unpriced)
      ON CONFLICT (granularity, bucket, ${keys.join(', ')}) DO UPDATE SET
        requests = requests + excluded.requests, input_tokens = input_tokens + excluded.input_tokens,
        output_tokens = output_tokens + excluded.output_tokens,
        cache_write_5m_tokens = cache_write_5m_tokens + excluded.cache_write_5m_tokens,
        cache_write_1h_tokens = cache_write_1h_tokens + excluded.cache_write_1h_tokens,
        cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
        cost_pico = cost_pico + excluded.cost_pico, unpriced_requests = unpriced_requests + excluded.unpriced_requests`)
}

/** The smallest table that answers a question: by key alone, without keys, or the whole. */
const tableFor = (q: UsageQuery) => (q.keyId === undefined ? (q.groupBy === 'key' ? 'usage_agg_keys' : 'usage_agg_dims') : q.groupBy === 'key' ? 'usage_agg_keys' : 'usage_agg')

function queryUsage (db: Database.Database, q: UsageQuery): UsageTotal[] {
  const ranges = bucketRanges(q.since, q.until)
  const col = GROUP_COLUMN[q.groupBy]
  const rows = db.prepare(`SELECT ${col} AS grp, ${SUMS}
    FROM ${tableFor(q)} WHERE (${ranges.map(() => '(granularity = ? AND bucket >= ? AND bucket < ?)').join(' OR ')}) ${q.keyId === undefined ? '' : 'AND key_id = ?'}
    GROUP BY ${col} ORDER BY cost DESC, grp`)
    .safeIntegers(true)
    .all(...ranges.flatMap(r => [r.granularity, BigInt(r.from), BigInt(r.to)]), ...(q.keyId === undefined ? [] : [q.keyId])) as Record<string, bigint | string>[]
  return rows.map(totalOf)
}

function usageSeries (db: Database.Database, q: UsageSeriesQuery): UsagePoint[] {
  const col = GROUP_COLUMN[q.groupBy]
  const range = [q.granularity, BigInt(bucketStart(q.granularity, q.since)), BigInt(q.until)] as const
  const keyFilter = q.keyId === undefined ? '' : 'AND key_id = ?'
  const keyArg = q.keyId === undefined ? [] : [q.keyId]
  const series = (where: string, args: unknown[], table = tableFor(q)) => (db.prepare(`SELECT bucket, ${col} AS grp, ${SUMS}
    FROM ${table} WHERE granularity = ? AND bucket >= ? AND bucket < ? ${keyFilter} ${where}
    GROUP BY bucket, grp ORDER BY bucket, grp`)
    .safeIntegers(true)
    .all(...range, ...keyArg, ...args) as Record<string, bigint | string>[]).map(r => ({ bucket: Number(r.bucket), ...totalOf(r) }))
  if (q.keep === undefined) return series('', [])
  // The groups kept, then each bucket's whole: the rest is the difference. Both sweeps follow
  // the table's order, where one grouping by a computed "kept or others" would sort every row.
  const kept = series(`AND ${col} IN (${q.keep.map(() => '?').join(', ') || "''"})`, q.keep.map(g => g ?? ''))
  const wholes = db.prepare(`SELECT bucket, '' AS grp, ${SUMS} FROM ${q.keyId === undefined ? 'usage_agg_dims' : 'usage_agg'}
    WHERE granularity = ? AND bucket >= ? AND bucket < ? ${keyFilter} GROUP BY bucket ORDER BY bucket`)
    .safeIntegers(true).all(...range, ...keyArg) as Record<string, bigint | string>[]
  const out: UsagePoint[] = []
  for (const w of wholes) {
    const bucket = Number(w.bucket)
    const inBucket = kept.filter(p => p.bucket === bucket)
    const rest: UsagePoint = { bucket, ...totalOf(w), group: OTHERS_GROUP }
    for (const p of inBucket) subtractUsageTotal(rest, p)
    out.push(...inBucket)
    if (rest.requests !== 0 || rest.costPico !== 0n || rest.input + rest.output + rest.cacheRead + rest.cacheWrite5m + rest.cacheWrite1h !== 0) out.push(rest)
  }
  return out
}

function queryRequests (db: Database.Database, q: RequestQuery): RequestLogRow[] {
  const where: string[] = []
  const args: (string | number)[] = []
  const add = (sql: string, ...values: (string | number)[]) => { where.push(sql); args.push(...values) }
  if (q.keyId !== undefined) add('key_id = ?', q.keyId)
  if (q.accountId !== undefined) add('account_id = ?', q.accountId)
  if (q.model !== undefined) add('model = ?', q.model)
  // LIKE with its own wildcards escaped: the glob's `*` and `?` only, whatever the client named its model.
  if (q.modelGlob !== undefined) add("model LIKE ? ESCAPE '\\'", globToLike(q.modelGlob))
  if (q.provider !== undefined) add('provider = ?', q.provider)
  if (q.clientKind !== undefined) add('client_kind = ?', q.clientKind)
  if (q.status !== undefined) add('status = ?', q.status)
  if (q.statusClass !== undefined) add('status >= ? AND status < ?', q.statusClass * 100, q.statusClass * 100 + 100)
  if (q.since !== undefined) add('time >= ?', q.since)
  if (q.until !== undefined) add('time < ?', q.until)
  if (q.clientIp !== undefined) add('client_ip = ?', q.clientIp)
  if (q.before !== undefined) add('(time < ? OR (time = ? AND request_id < ?))', q.before.time, q.before.time, q.before.requestId)
  const sql = `SELECT * FROM request_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time DESC, request_id DESC LIMIT ?`
  return (db.prepare(sql).safeIntegers(true).all(...args, q.limit) as Record<string, unknown>[]).map(toRequestLogRow)
}

function totalOf (r: Record<string, bigint | string>): UsageTotal {
  return {
    group: r.grp === '' ? null : String(r.grp),
    requests: Number(r.requests),
    input: Number(r.input),
    output: Number(r.output),
    cacheWrite5m: Number(r.cw5),
    cacheWrite1h: Number(r.cw1),
    cacheRead: Number(r.cr),
    costPico: BigInt(r.cost ?? 0n),
    unpricedRequests: Number(r.unpriced),
  }
}

function toRequestLogRow (r: Record<string, unknown>): RequestLogRow {
  const num = (v: unknown) => (v === null || v === undefined ? undefined : Number(v))
  return {
    requestId: String(r.request_id),
    time: Number(r.time),
    keyId: String(r.key_id),
    accountId: r.account_id === null ? null : String(r.account_id),
    provider: String(r.provider),
    model: r.model === null ? null : String(r.model),
    path: String(r.path),
    stream: Number(r.stream) === 1,
    status: Number(r.status),
    usage: {
      input: num(r.input_tokens), output: num(r.output_tokens), cacheWrite5m: num(r.cache_write_5m_tokens),
      cacheWrite1h: num(r.cache_write_1h_tokens), cacheRead: num(r.cache_read_tokens), reasoning: num(r.reasoning_tokens),
    },
    costPico: r.cost_pico === null ? null : BigInt(r.cost_pico as bigint),
    unpriced: Number(r.unpriced) === 1,
    priceVersion: r.price_version === null ? null : String(r.price_version),
    latencyMs: Number(r.latency_ms),
    ttfbMs: r.ttfb_ms === null ? null : Number(r.ttfb_ms),
    partial: Number(r.partial) === 1,
    attempts: Number(r.attempts),
    accountsTried: JSON.parse(String(r.accounts_tried)) as string[],
    clientKind: String(r.client_kind) as RequestLogRow['clientKind'],
    state: String(r.state) as RequestState,
    flags: r.flags === null ? null : String(r.flags),
    repeats: Number(r.repeats),
    upstreamRequestId: r.upstream_request_id == null ? null : String(r.upstream_request_id),
    userAgent: r.user_agent == null ? null : String(r.user_agent),
    clientIp: r.client_ip == null ? null : String(r.client_ip),
    bridge: r.bridge == null ? null : String(r.bridge),
    requestedModel: r.requested_model == null ? null : String(r.requested_model),
  }
}
