// What an operator can do to upstream accounts, whether from the CLI or the admin API: the
// account types the loaded plugins offer (their JSON Schemas drive a form), add, list with live
// state, update placement and fields, disable / enable, delete, and save a subscription login.
// Credentials are validated against the type's schema and sealed before they reach the store;
// they never come back out of here.
import { errors } from '../errors.ts'
import { boundAccounts } from '../keys/bindings.ts'
import { randomId } from '../ids.ts'
import { PROXY_PATTERN, NAME_PATTERN } from '../config/schema.ts'
import type { Runtime } from '../runtime.ts'
import type { AccountRecord, AccountStateRecord } from '../store/store.ts'
import type { AccountType } from '../accounts/account-types.ts'
import { modelMapProblem } from '../accounts/model-map.ts'
import type { JsonSchemaObject, RateLimitWindow } from '../plugin-api.ts'
import { allAccounts, allKeys, checkNewName, findByRef, invalid, resetAccountState, writable, type ListedAccount } from './records.ts'

/** How an account sits in the pool. */
export interface Placement {
  priority: number
  groups: string[]
  maxConcurrency: number | null
  models: string[] | null
  /** What a requested model is sent upstream as (`core/accounts/model-map.ts`); null: as asked. */
  modelMap?: Record<string, string> | null
  /** Proxy URL (`http://user:pass@host:port`, `socks5://…`): sealed before it is stored. */
  proxy?: string | null
  /** In the shared pool: true always, false never, null when unbound and in no group. */
  shared?: boolean | null
}

export interface AccountTypeView {
  provider: string
  type: string
  aliases: string[]
  /** The type's fields; `writeOnly` ones are credentials. */
  schema: JsonSchemaObject
  /** A subscription login (start / finish) is how this type is added. */
  login: boolean
}

export interface AccountListing extends ListedAccount {
  groups: string[]
  /** In the shared pool: true always, false never, null when unbound and in no group. */
  shared: boolean | null
  maxConcurrency: number | null
  models: string[] | null
  modelMap: Record<string, string> | null
  /** `active`, `disabled`, `unauthorized`, or `cooling` (see `cooldownUntil`). */
  state: string
  reason: string | null
  cooldownUntil: string | null
  lastError: string | null
  lastErrorAt: string | null
  /** The latest errors, newest first. */
  recentErrors: { at: string, message: string }[]
  rateLimits: (RateLimitWindow & { resetsAt?: number })[]
  /** Whether its requests go through a proxy (the address itself is sealed, never listed). */
  hasProxy: boolean
  login?: { identity?: string, expiresAt?: string, refresh: string }
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString())
const NAME_RE = new RegExp(NAME_PATTERN)

export function accountTypes (rt: Runtime): AccountTypeView[] {
  return rt.plugins.filter(p => !p.bridge).flatMap(({ plugin }) => Object.entries(plugin.accountTypes).map(([type, spec]) => ({
    provider: plugin.name, type, aliases: spec.aliases ?? [], schema: spec.schema, login: spec.oauth !== undefined,
  })))
}

export function resolveType (rt: Runtime, provider: string | undefined, type: string | undefined): AccountType {
  if (!provider || !type) throw invalid('an account needs a provider and a type')
  const t = rt.accountTypes.resolve(provider, type)
  if (typeof t === 'string') throw invalid(t)
  return t
}

/** Checks a placement; the proxy is sealed. */
export function checkPlacement (rt: Runtime, p: Partial<Placement>): Partial<Pick<AccountRecord, 'priority' | 'groups' | 'maxConcurrency' | 'models' | 'modelMap' | 'sealedProxy' | 'shared'>> {
  const out: Partial<Pick<AccountRecord, 'priority' | 'groups' | 'maxConcurrency' | 'models' | 'modelMap' | 'sealedProxy' | 'shared'>> = {}
  if (p.shared !== undefined) out.shared = p.shared
  if (p.priority !== undefined) {
    if (!Number.isInteger(p.priority) || p.priority < 1 || p.priority > 100) throw invalid('priority must be an integer from 1 to 100')
    out.priority = p.priority
  }
  if (p.maxConcurrency !== undefined) {
    if (p.maxConcurrency !== null && (!Number.isInteger(p.maxConcurrency) || p.maxConcurrency < 1)) throw invalid('maxConcurrency must be a positive integer or null')
    out.maxConcurrency = p.maxConcurrency
  }
  if (p.groups !== undefined) {
    const bad = p.groups.find(g => !NAME_RE.test(g))
    if (bad !== undefined) throw invalid(`group ${bad}: letters, digits, . _ -; at most 64`)
    out.groups = p.groups
  }
  if (p.models !== undefined) out.models = p.models === null || p.models.length === 0 ? null : p.models
  if (p.modelMap !== undefined) {
    const problem = p.modelMap === null ? undefined : modelMapProblem(p.modelMap)
    if (problem) throw invalid(problem)
    out.modelMap = p.modelMap === null || Object.keys(p.modelMap).length === 0 ? null : p.modelMap
  }
  if (p.proxy !== undefined) {
    if (p.proxy !== null && !new RegExp(PROXY_PATTERN).test(p.proxy)) throw invalid('proxy: expected http://[user:pass@]host:port or socks5://[user:pass@]host:port')
    out.sealedProxy = p.proxy === null ? null : rt.secretBox.seal(p.proxy)
  }
  return out
}

/** The type's fields checked against its schema (defaults applied) and split; credentials sealed. */
export function sealFields (rt: Runtime, type: AccountType, fields: Record<string, unknown>): Pick<AccountRecord, 'fields' | 'sealedSecrets'> {
  const check = rt.accountTypes.check(type, fields)
  if (!check.ok) throw invalid(check.problems.map(p => `${p.path || '/'}: ${p.message}`).join('; '))
  return { fields: check.plain, sealedSecrets: rt.secretBox.seal(JSON.stringify(check.secrets)) }
}

export async function addAccount (rt: Runtime, input: { name?: string, provider?: string, type?: string, fields?: Record<string, unknown> } & Partial<Placement>): Promise<AccountRecord> {
  if (!input.name) throw invalid('an account needs a name')
  checkNewName('account', input.name, await allAccounts(rt))
  const type = resolveType(rt, input.provider, input.type)
  const { name, provider: _p, type: _t, fields, ...placement } = input
  return addAccountRecord(rt, name, type, sealFields(rt, type, fields ?? {}), placement)
}

/**
 * Changes placement, and fields: the plain ones given replace the stored ones, a credential is
 * replaced only when given (it is never sent back, so a form cannot echo it).
 */
export async function updateAccount (rt: Runtime, ref: string, change: Partial<Placement> & { fields?: Record<string, unknown> }): Promise<ListedAccount> {
  const account = writable('account', await allAccounts(rt), ref)
  const patch: Parameters<Runtime['store']['updateAccount']>[1] = checkPlacement(rt, stripUndefined(change))
  if (change.fields !== undefined) {
    const type = resolveType(rt, account.provider, account.type)
    const stored = (await rt.store.listAccounts()).find(a => a.id === account.id)!
    const secrets = stored.sealedSecrets ? JSON.parse(rt.secretBox.open(stored.sealedSecrets)) as Record<string, unknown> : {}
    // A plain field given as null is removed (a form clears an optional field that way).
    const merged = Object.fromEntries(Object.entries({ ...account.fields, ...secrets, ...change.fields }).filter(([, v]) => v !== null))
    Object.assign(patch, sealFields(rt, type, merged))
  }
  await rt.store.updateAccount(account.id, patch)
  return findByRef('account', await allAccounts(rt), account.id)
}

/** Disabling is the operator's; enabling also clears any state the relay set (unauthorized, cooling). */
export async function setAccountDisabled (rt: Runtime, ref: string, disabled: boolean): Promise<ListedAccount> {
  const account = findByRef('account', await allAccounts(rt), ref)
  if (account.source === 'config' && (disabled || account.disabled)) throw new errors.RELAY_ERR_READ_ONLY('account', account.name)
  if (account.disabled !== disabled) await rt.store.updateAccount(account.id, { disabled })
  if (!disabled) await resetAccountState(rt, account.id)
  return { ...account, disabled }
}

/** Back in service now: the cooldown and failure streaks cleared (an operator who knows the provider recovered). */
export async function clearAccountState (rt: Runtime, ref: string): Promise<ListedAccount> {
  const account = findByRef('account', await allAccounts(rt), ref)
  await resetAccountState(rt, account.id)
  return account
}

/** Refused while keys are bound to it (they would have nowhere to go); its usage history stays. */
export async function deleteAccount (rt: Runtime, ref: string): Promise<ListedAccount> {
  const account = writable('account', await allAccounts(rt), ref)
  const bound = (await allKeys(rt)).filter(k => boundAccounts(k.bindings).includes(account.name)).map(k => k.name)
  if (bound.length > 0) throw new errors.RELAY_ERR_ACCOUNT_IN_USE(account.name, bound.join(', '))
  await rt.store.deleteAccount(account.id)
  return account
}

export async function listAccounts (rt: Runtime, now = Date.now()): Promise<AccountListing[]> {
  const states = new Map((await rt.store.listAccountStates()).map(st => [st.accountId, st]))
  const placement = new Map([...rt.declaredAccounts, ...await rt.store.listAccounts()].map(a => [a.id, a]))
  return (await allAccounts(rt)).map(a => {
    const st = states.get(a.id)
    const p = placement.get(a.id)
    return {
      ...a,
      groups: p?.groups ?? [], maxConcurrency: p?.maxConcurrency ?? null, models: p?.models ?? null, modelMap: p?.modelMap ?? null, shared: p?.shared ?? null,
      hasProxy: p !== undefined && 'sealedProxy' in p && p.sealedProxy != null,
      ...describeState(a, st, now),
      lastError: st?.lastError ?? null, lastErrorAt: iso(st?.lastErrorAt),
      recentErrors: (st?.recentErrors ?? []).map(e => ({ at: new Date(e.at).toISOString(), message: e.message })),
      rateLimits: st?.rateLimits?.windows ?? [],
      login: loginInfo(rt, a, st, now),
    }
  })
}

function describeState (a: ListedAccount, st: AccountStateRecord | undefined, now: number): Pick<AccountListing, 'state' | 'reason' | 'cooldownUntil'> {
  if (a.disabled) return { state: 'disabled', reason: 'disabled by the operator', cooldownUntil: null }
  if (st?.status === 'disabled') return { state: 'disabled', reason: st.reason ?? 'by the provider', cooldownUntil: null }
  if (st?.status === 'unauthorized') return { state: 'unauthorized', reason: st.reason, cooldownUntil: null }
  if (st?.cooldownUntil != null && st.cooldownUntil > now) return { state: 'cooling', reason: st.lastError, cooldownUntil: iso(st.cooldownUntil) }
  return { state: 'active', reason: null, cooldownUntil: null }
}

/** For subscription (OAuth) accounts: who is logged in, until when, and how refreshing goes. */
function loginInfo (rt: Runtime, a: ListedAccount, st: AccountStateRecord | undefined, now: number): AccountListing['login'] {
  const type = rt.accountTypes.resolve(a.provider, a.type)
  if (typeof type === 'string' || !type.spec.oauth) return undefined
  const expiresAt = type.spec.oauth.expiresAt(a.fields)
  const identity = typeof a.fields.email === 'string' ? a.fields.email : undefined
  let refresh = 'ok'
  if (st?.status === 'unauthorized') refresh = 'log in again'
  else if ((st?.refreshFailures ?? 0) > 0) refresh = st?.cooldownUntil != null && st.cooldownUntil > now ? `retrying until ${new Date(st.cooldownUntil).toISOString()}` : 'retrying'
  else if (expiresAt !== undefined && expiresAt <= now) refresh = 'expired, refreshed at next use'
  return { identity, expiresAt: expiresAt === undefined ? undefined : new Date(expiresAt).toISOString(), refresh }
}

/**
 * Saves what a subscription login returned: a new account, or the same account logged in again
 * in place (same id, keys and history; run-time state reset; what the operator set before kept).
 */
export async function saveLogin (
  rt: Runtime, input: { name: string, type: AccountType, fields: Record<string, unknown>, extra: Record<string, unknown> } & Partial<Placement>,
): Promise<{ account: ListedAccount, again: boolean }> {
  const accounts = await allAccounts(rt)
  const existing = accounts.find(a => a.name === input.name)
  if (existing?.source === 'config') throw new errors.RELAY_ERR_READ_ONLY('account', existing.name)
  if (existing && (existing.provider !== input.type.provider || existing.type !== input.type.name)) {
    throw invalid(`account "${existing.name}" is a ${existing.provider} ${existing.type} account, not ${input.type.name}: choose another name, or delete it first`)
  }
  const sealed = sealFields(rt, input.type, { ...(existing?.fields ?? {}), ...input.extra, ...input.fields })
  if (existing) {
    await rt.store.updateAccount(existing.id, sealed)
    await resetAccountState(rt, existing.id)
    return { account: findByRef('account', await allAccounts(rt), existing.id), again: true }
  }
  const { extra: _e, fields: _f, type: _t, name: _n, ...placement } = input
  const record = await addAccountRecord(rt, input.name, input.type, sealed, placement)
  return { account: findByRef('account', await allAccounts(rt), record.id), again: false }
}

async function addAccountRecord (rt: Runtime, name: string, type: AccountType, sealed: Pick<AccountRecord, 'fields' | 'sealedSecrets'>, p: Partial<Placement>): Promise<AccountRecord> {
  checkNewName('account', name, await allAccounts(rt))
  const record = newAccountRecord(rt, name, type, sealed, p)
  await rt.store.insertAccount(record)
  return record
}

/** A new stored account of `type` (placement checked, unset parts at their defaults), not yet written. */
export function newAccountRecord (rt: Runtime, name: string, type: AccountType, sealed: Pick<AccountRecord, 'fields' | 'sealedSecrets'>, p: Partial<Placement>, now = Date.now()): AccountRecord {
  const placement = checkPlacement(rt, { priority: 50, groups: [], maxConcurrency: null, models: null, proxy: null, ...stripUndefined(p) })
  return {
    id: randomId('acc'), name, provider: type.provider, type: type.name, disabled: false, createdAt: now, source: 'store',
    priority: placement.priority!, groups: placement.groups!, maxConcurrency: placement.maxConcurrency!, models: placement.models!, sealedProxy: placement.sealedProxy ?? null,
    modelMap: placement.modelMap ?? null, shared: placement.shared ?? null, ...sealed,
  }
}

function stripUndefined<T extends object> (o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
