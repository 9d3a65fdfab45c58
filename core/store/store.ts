// The persistence contract. SQLite (embedded, default) implements it now; a Redis store for
// several sidecars will implement the same interface and pass the same contract tests.
// Methods are async because the Redis store will be; the SQLite store answers synchronously.
import type { Granularity } from './buckets.ts'
import type { ClientKind, RateLimitSnapshot, Usage } from '../plugin-api.ts'
import type { KeyPolicy } from '../limits/policy-schema.ts'
import type { KeyBindings } from './key-bindings.ts'

export type Source = 'config' | 'store'

/** How a key's secret is hashed for storage. */
/** `sha256`: ours. `crs-sha256`: claude-relay-service's, sha256(key + its ENCRYPTION_KEY), for imported keys. */
export type HashScheme = 'sha256' | 'crs-sha256'

export interface KeyRecord {
  id: string
  name: string
  hashScheme: HashScheme
  hash: string
  /** Non-secret start of the key, for humans telling keys apart. */
  hint: string
  disabled: boolean
  /** Epoch ms, or null for never. */
  expiresAt: number | null
  createdAt: number
  source: Source
  /** Per provider (or `*`), the account or group this key draws from (core/keys/bindings.ts). */
  bindings: KeyBindings
  /** Where an imported key came from (`crs:<its id>`), so a second import finds it; null otherwise. */
  origin?: string | null
  /** Limits and permissions (the fixed expiry is `expiresAt` above). */
  policy: KeyPolicy
}

/**
 * One limit counter of a key: a rate window (`rate:1m`) or a budget period (`budget:day`,
 * `budget:model:claude-opus-*:week`, `budget:total`), identified with its period start.
 */
export interface CounterRef {
  id: string
  /** Epoch ms the period started (0 for totals). */
  start: number
  /** Epoch ms the period ends (null: never). */
  end: number | null
}

export interface CounterLimit extends CounterRef {
  requests?: number
  tokens?: number
  costPico?: bigint
  /** Whether this request counts as one request in this counter (rate windows). */
  countsRequest: boolean
}

export interface CounterValue extends CounterRef {
  requests: number
  tokens: number
  costPico: bigint
}

export interface AdmissionPlan {
  keyId: string
  /** Max leases held at once; with it, `lease` is taken atomically with the checks. */
  concurrency?: number
  lease?: { id: string, expiresAt: number }
  counters: CounterLimit[]
}

export type AdmissionVerdict =
  | { ok: true }
  | { ok: false, limit: 'concurrency', inUse: number, nextExpiry: number | null }
  | { ok: false, limit: 'counter', counter: CounterLimit, what: 'requests' | 'tokens' | 'cost', used: number | bigint }

export type KeyPatch = Partial<Pick<KeyRecord, 'disabled' | 'expiresAt' | 'hash' | 'hashScheme' | 'hint' | 'policy' | 'bindings' | 'origin'>>
export type AccountPatch = Partial<Pick<AccountRecord, 'disabled' | 'priority' | 'fields' | 'sealedSecrets' | 'groups' | 'maxConcurrency' | 'models' | 'modelMap' | 'sealedProxy' | 'origin' | 'shared'>>

/** What an import writes at once (`Store.importRecords`). */
export interface ImportBatch {
  insertAccounts: AccountRecord[]
  updateAccounts: { id: string, patch: AccountPatch }[]
  insertKeys: KeyRecord[]
  updateKeys: { id: string, patch: KeyPatch }[]
  /** History rows (their request ids make a rerun a no-op). */
  usage: UsageRecord[]
  /** Spend already made elsewhere, added to these limit counters of a key (its total budget). */
  spend: { keyId: string, counters: CounterRef[], tokens: number, costPico: bigint }[]
}

export interface AccountRecord {
  id: string
  name: string
  provider: string
  type: string
  priority: number
  disabled: boolean
  /** Non-secret fields of the account's type (e.g. baseUrl). */
  fields: Record<string, unknown>
  /** Credential fields, sealed with the secret box (AES-256-GCM) as one JSON object. */
  sealedSecrets: string | null
  createdAt: number
  source: Source
  groups: string[]
  maxConcurrency: number | null
  /** Glob patterns of the models served; null for all. */
  models: string[] | null
  /** What a requested model is sent upstream as (exact names, then globs, in order); null or absent: as asked. */
  modelMap?: Record<string, string> | null
  /** The account's egress proxy URL (it may hold credentials), sealed; null for the default. */
  sealedProxy: string | null
  /** Where an imported account came from (`crs:<its key>`), so a second import finds it; null otherwise. */
  origin?: string | null
  /** In the shared pool: true even when a key is bound to it, false never, null (default) unless a key is bound to it or it is in a group. */
  shared?: boolean | null
}

/**
 * What the relay learned about an account at run time (kept apart from its definition, so
 * config-declared accounts have it too). "Cooling down" is `cooldownUntil` in the future.
 */
export interface AccountStateRecord {
  accountId: string
  status: 'active' | 'disabled' | 'unauthorized'
  reason: string | null
  cooldownUntil: number | null
  consecutiveFailures: number
  lastError: string | null
  lastErrorAt: number | null
  /** The provider's last rate-limit report for this account (plugin-defined JSON). */
  rateLimits: RateLimitSnapshot | null
  updatedAt: number
  /** OAuth refreshes failed in a row for a passing reason (network, 5xx): drives the backoff. */
  refreshFailures: number
  /** The latest errors, newest first (at most ACCOUNT_ERRORS_KEPT), for the operator. */
  recentErrors?: { at: number, message: string }[]
}

/** How many of an account's errors its state remembers. */
export const ACCOUNT_ERRORS_KEPT = 10

export interface StickyBinding {
  accountId: string
  expiresAt: number
  /** How many times this conversation moved to another account. */
  switches: number
}

export interface UsageRecord {
  requestId: string
  /** Epoch ms when the request arrived. */
  time: number
  keyId: string
  accountId: string | null
  provider: string
  model: string | null
  path: string
  stream: boolean
  status: number
  usage: Usage
  /** Pico-USD; null when the model has no price. */
  costPico: bigint | null
  unpriced: boolean
  priceVersion: string | null
  latencyMs: number
  ttfbMs: number | null
  partial: boolean
  attempts: number
  accountsTried: string[]
  clientKind: ClientKind
  /** Only billable (generate) calls feed the aggregates; every call gets a request-log row. */
  billable: boolean
  /** Why the usage could not be trusted (the row is then unpriced), or null. */
  flags: string | null
  /** The provider's id of the answer (`request-id`, `x-request-id`), for its support. */
  upstreamRequestId?: string | null
  userAgent?: string | null
  /** The client's address (from the gateway's X-Forwarded-For when the gateway is trusted). */
  clientIp?: string | null
  /** The relay's refusal code, for refusals before admission (their rows are throttled). */
  refusal?: string
  /** Further identical refusals folded into this row. */
  repeats?: number
  /** How many requests the row stands for in the aggregates (an imported history's total); 1 when absent. */
  requests?: number
  /** The bridge that translated the request (`chat-claude`); null or absent when none did. */
  bridge?: string | null
  /** The model the client asked for, when the row's `model` is another (the account's model map, or the answer's dated name). */
  requestedModel?: string | null
}

/** A request's row as written when it is admitted, before anything is known of its outcome. */
export interface OpenedRequest {
  requestId: string
  time: number
  keyId: string
  provider: string
  model: string | null
  path: string
  stream: boolean
  clientKind: ClientKind
  userAgent?: string | null
  clientIp?: string | null
  bridge?: string | null
}

/** One write: opened rows, final rows (with aggregates), key last-used times, refusal repeats. */
export interface UsageBatch {
  opened?: OpenedRequest[]
  records: UsageRecord[]
  keysUsed?: Map<string, number>
  /** Request id → repeats to add to a refusal row written earlier. */
  repeats?: Map<string, number>
}

/** `in_progress` from admission to settle; `interrupted` when the process died in between. */
export type RequestState = 'in_progress' | 'done' | 'interrupted'

export type UsageGroup = 'key' | 'model' | 'account' | 'client'

export interface UsageQuery {
  since: number
  until: number
  groupBy: UsageGroup
  /** Only this key's usage (self-service). */
  keyId?: string
}

/** Usage over time: one point per bucket and group. */
export interface UsageSeriesQuery extends UsageQuery {
  granularity: Granularity
  /** Only these groups (null: no group) get points of their own; the rest are summed per bucket as OTHERS_GROUP. */
  keep?: (string | null)[]
}

/** The group a series sums the groups it was not asked to keep under. */
export const OTHERS_GROUP = '*others*'

export interface UsagePoint extends UsageTotal {
  /** The bucket's start, epoch ms (UTC). */
  bucket: number
}

/** The request log, newest first, filtered; `before` continues a page (exclusive). */
export interface RequestQuery {
  keyId?: string
  accountId?: string
  model?: string
  /** Models matching this glob (`*` any run, `?` one character; ASCII case ignored). */
  modelGlob?: string
  provider?: string
  clientKind?: string
  status?: number
  /** A class of statuses: 4 for 400–499, 5 for 500–599. */
  statusClass?: number
  since?: number
  until?: number
  before?: { time: number, requestId: string }
  clientIp?: string
  limit: number
}

export interface AdminUser {
  name: string
  /** `scrypt$N$r$p$salt$hash` (base64url). */
  passwordHash: string
  createdAt: number
}

export interface AdminSession {
  /** sha256 of the session id the cookie holds (the id itself is never stored). */
  idHash: string
  user: string
  csrf: string
  createdAt: number
  expiresAt: number
}

export interface UsageTotal {
  group: string | null
  requests: number
  input: number
  output: number
  cacheWrite5m: number
  cacheWrite1h: number
  cacheRead: number
  costPico: bigint
  unpricedRequests: number
}

/** A model served without a price of its own since some time (`prices list --unpriced`). */
export interface UnpricedModel {
  provider: string
  model: string
  /** Requests recorded with no cost: no price, no fallback. */
  unpriced: number
  /** Requests billed at another model's rate (`pricing.fallback`, a `pricing.aliases` glob). */
  fallback: number
  lastAt: number
}

/** Rows whose cost came from no price of their own, in `model` order: the unpriced and the billed-by-fallback. */
export const UNPRICED_MODELS_LIMIT = 1000

/** A recorded request billed again (`ai-relay usage recompute`): its row, aggregates and the key's counters move by the difference. */
export interface RepricedRequest {
  requestId: string
  /** The row as it was read: the change applies only if it still is (a rerun changes nothing twice). */
  was: { costPico: bigint | null, unpriced: boolean }
  costPico: bigint
  priceVersion: string
  flags: string
  time: number
  keyId: string
  accountId: string | null
  model: string | null
  /** The key's counters this request counts under that are still in force: their cost moves too. */
  counters: CounterRef[]
  /** The row's client kind, so the difference lands in the aggregate row the request counted in. */
  clientKind?: string
}

export interface RequestLogRow extends Omit<UsageRecord, 'billable' | 'refusal' | 'repeats'> {
  state: RequestState
  repeats: number
}

export interface Store {
  listKeys (): Promise<KeyRecord[]>
  insertKey (key: KeyRecord): Promise<void>
  updateKey (id: string, patch: KeyPatch): Promise<boolean>
  /** Last-used times, kept for config-declared keys too. */
  lastUsed (): Promise<Map<string, number>>
  /** The key's activation time, set to `now` by its first call (activation on first use). */
  activate (keyId: string, now: number): Promise<number>
  activations (): Promise<Map<string, number>>
  deleteKey (id: string): Promise<boolean>

  /**
   * Checks every limit of the plan and, only if all pass, counts the request and takes the
   * lease, in one transaction: with 200 simultaneous calls and a limit of 10, exactly 10 pass.
   */
  admit (plan: AdmissionPlan, now: number): Promise<AdmissionVerdict>
  renewLeases (ids: string[], expiresAt: number): Promise<void>
  releaseLease (id: string): Promise<void>
  activeLeases (keyId: string, now: number): Promise<number>
  /** Adds a settled request's tokens and cost to the counters it was admitted under. */
  recordSpend (keyId: string, counters: CounterRef[], tokens: number, costPico: bigint): Promise<void>
  readCounters (keyId: string, refs: CounterRef[]): Promise<CounterValue[]>
  pruneCounters (endedBefore: number): Promise<void>

  listAccounts (): Promise<AccountRecord[]>
  insertAccount (account: AccountRecord): Promise<void>
  updateAccount (id: string, patch: AccountPatch): Promise<boolean>
  /** Removes the account and its run-time state; its usage history stays under its id. */
  deleteAccount (id: string): Promise<boolean>
  listAccountStates (): Promise<AccountStateRecord[]>
  saveAccountState (state: AccountStateRecord): Promise<void>
  /** When each account was last picked (least-recently-used order across restarts). */
  saveAccountsLastUsed (times: Map<string, number>): Promise<void>
  accountsLastUsed (): Promise<Map<string, number>>

  /** Sticky conversation → account bindings, namespaced by the caller; expired ones are absent. */
  getSticky (sessionKey: string, now: number): Promise<StickyBinding | undefined>
  putSticky (sessionKey: string, binding: StickyBinding): Promise<void>
  deleteSticky (sessionKey: string): Promise<void>
  pruneSticky (now: number): Promise<number>

  /**
   * One batch, atomically: opened rows, final rows and their aggregates (a request id already
   * finished is not counted twice), key last-used times and refusal repeats.
   */
  writeUsage (batch: UsageBatch): Promise<void>
  /** Rows still in progress that started before `startedBefore` are marked interrupted (after a crash). */
  markInterrupted (startedBefore: number): Promise<number>
  queryUsage (q: UsageQuery): Promise<UsageTotal[]>
  usageSeries (q: UsageSeriesQuery): Promise<UsagePoint[]>
  recentRequests (limit: number): Promise<RequestLogRow[]>
  queryRequests (q: RequestQuery): Promise<RequestLogRow[]>
  /** One row of the request log by its id. */
  getRequest (requestId: string): Promise<RequestLogRow | undefined>

  listAdminUsers (): Promise<AdminUser[]>
  /** Adds the user, or replaces the password of an existing one. */
  putAdminUser (user: AdminUser): Promise<void>
  deleteAdminUser (name: string): Promise<boolean>
  insertAdminSession (session: AdminSession): Promise<void>
  /** The session if it exists and has not expired at `now`. */
  getAdminSession (idHash: string, now: number): Promise<AdminSession | undefined>
  deleteAdminSession (idHash: string): Promise<void>
  /** Ends every session of a user (password changed, user removed). */
  deleteAdminSessionsOf (user: string): Promise<void>

  /**
   * Deletes up to `limit` finished request-log rows older than `before` (aggregates stay);
   * returns how many went. Called in small batches so requests never wait on it.
   */
  pruneRequestLog (before: number, limit: number): Promise<number>
  /** Rows in the request log (for the bound on its size). */
  requestLogSize (): Promise<number>
  /** Applies re-priced rows in one transaction; returns how many applied (rows changed since they were read are skipped). */
  repriceRequests (changes: RepricedRequest[]): Promise<number>
  /**
   * Writes what an import brings, all of it or none: SQLite in one transaction; Redis record by
   * record, taking back the records already written when one fails (usage rows are idempotent by
   * request id, so a rerun completes them).
   */
  importRecords (batch: ImportBatch): Promise<void>
  /** Models served since `since` without a price of their own, most recently seen first (at most UNPRICED_MODELS_LIMIT). */
  unpricedModels (since: number): Promise<UnpricedModel[]>
  /** A consistent copy of the whole store in `file`, taken while it is in use. */
  backup (file: string): Promise<void>

  /** True when another process changed keys or accounts since the last call. */
  changedElsewhere (): Promise<boolean>
  /**
   * Stores shared by several instances push what another instance changed, at once: `records`
   * (keys, accounts) or `state` (an account's run-time state: a cooldown, a refused login).
   * The embedded store has no other instance and leaves it out.
   */
  onChange? (listener: (what: 'records' | 'state') => void): void
  /**
   * A lock across instances (a shared store only): true when this caller now holds `name` for
   * `ttlMs`. The embedded store has one instance and leaves it out.
   */
  lock? (name: string, ttlMs: number): Promise<boolean>
  unlock? (name: string): Promise<void>
  /**
   * Whose turn it is among equally good accounts, across every instance (a shared store only):
   * the one picked longest ago, marked as picked now, in one atomic step.
   */
  nextTurn? (accountIds: string[]): Promise<string>
  close (): Promise<void>
}
