// Importing an existing claude-relay-service (the incumbent) from its Redis, read only: accounts,
// groups (as account groups), API keys as it hashed them (holders change nothing), limits, client
// restrictions, per-provider bindings and usage history. Records remember where they came from,
// so a second run updates what changed there and nothing else. Everything is planned first and
// written at once (`Store.importRecords`); a dry run shows the same report without writing.
// crs/ holds the reading and the mapping; docs/import-crs.md says what each field becomes.
import type { Redis } from 'ioredis'
import { randomId } from '../ids.ts'
import type { Runtime } from '../runtime.ts'
import type { AccountPatch, AccountRecord, ImportBatch, KeyPatch, KeyRecord } from '../store/store.ts'
import { policyCounters } from '../limits/admission.ts'
import { allAccounts, allKeys } from './records.ts'
import { newAccountRecord, resolveType, sealFields } from './accounts.ts'
import { readCrs, type CrsAccount, type CrsGroup, type CrsSnapshot } from './crs/crs-read.ts'
import { mapAccount, type MappedAccount } from './crs/crs-accounts.ts'
import { mapKey, type MappedKey } from './crs/crs-keys.ts'
import { guessProvider, keyHistory, type ProviderOf } from './crs/crs-usage.ts'
import { clip, type RecordNotes } from './crs/crs-values.ts'
import { freeName } from './crs/crs-names.ts'

export interface ImportItem {
  kind: 'account' | 'key'
  /** Its name here (the existing record's, or the one it gets). */
  name: string
  /** Its name in the incumbent. */
  was: string
  origin: string
  /** `skip`: cannot be imported; `refused`: would lose a restriction (imported with --allow-lossy). */
  action: 'create' | 'update' | 'unchanged' | 'skip' | 'refused'
  /** For an update: each field that changes, `field: old → new` (credentials without values). */
  changes: string[]
  notes: RecordNotes
  reason?: string
}

export interface ImportReport {
  items: ImportItem[]
  notImported: CrsSnapshot['notImported']
  /** History rows written (or that would be). */
  usageRows: number
  /** Something the incumbent did is not carried (a lost field, a record skipped or refused). */
  lossy: boolean
  written: boolean
}

export interface ImportOptions {
  dryRun?: boolean
  allowLossy?: boolean
  now?: number
}

/** JSON with sorted keys: equal settings compare equal whatever order they were written in. */
function stable (v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x)) ?? 'null'
}

const show = (v: unknown) => clip(v === undefined ? 'none' : stable(v), 80)

/** Adds `field: old → new` to `changes` and the new value to `patch` when they differ. */
function diff<P extends object> (changes: string[], patch: P, field: string, old: unknown, next: unknown, secret = false): void {
  if (stable(old) === stable(next)) return
  changes.push(secret ? `${field}: changed` : `${field}: ${show(old)} → ${show(next)}`)
  ;(patch as Record<string, unknown>)[field] = next
}

/** Which provider's plugin prices a model (its row's provider), else a guess from its name. */
function providerOfModels (rt: Runtime): ProviderOf {
  const byModel = new Map<string, string>()
  for (const e of rt.pricing.list()) if (e.from.startsWith('plugin ')) byModel.set(e.model, e.from.slice(7))
  return model => byModel.get(model) ?? guessProvider(model)
}

interface Plan {
  report: ImportReport
  batch: ImportBatch
}

async function planAccounts (rt: Runtime, snap: CrsSnapshot, encryptionKey: string, now: number, plan: Plan): Promise<Map<string, string>> {
  const stored = await rt.store.listAccounts()
  const taken = new Set((await allAccounts(rt)).map(a => a.name))
  const names = new Map<string, string>()
  const memberOf = (a: CrsAccount): CrsGroup[] => [...snap.groups.values()].filter(g => g.platform === a.kind.platform && g.members.includes(a.id))
  for (const a of snap.accounts) {
    const mapped = mapAccount(a, encryptionKey, memberOf(a))
    const was = a.h.name ?? a.id
    if ('skip' in mapped) {
      plan.report.items.push({ kind: 'account', name: was, was, origin: `crs:${a.kind.prefix}${a.id}`, action: 'skip', changes: [], notes: mapped.notes, reason: mapped.skip })
      continue
    }
    const existing = stored.find(s => s.origin === mapped.origin)
    const item: ImportItem = { kind: 'account', name: existing?.name ?? was, was, origin: mapped.origin, action: existing ? 'unchanged' : 'create', changes: [], notes: mapped.notes }
    plan.report.items.push(item)
    try {
      const record = accountRecord(rt, mapped, now)
      if (existing) {
        const patch: AccountPatch = {}
        const open = (sealed: string | null) => (sealed ? rt.secretBox.open(sealed) : null)
        diff(item.changes, patch, 'priority', existing.priority, record.priority)
        diff(item.changes, patch, 'disabled', existing.disabled, record.disabled)
        diff(item.changes, patch, 'groups', existing.groups, record.groups)
        diff(item.changes, patch, 'maxConcurrency', existing.maxConcurrency, record.maxConcurrency)
        diff(item.changes, patch, 'models', existing.models, record.models)
        diff(item.changes, patch, 'modelMap', existing.modelMap ?? null, record.modelMap ?? null)
        diff(item.changes, patch, 'shared', existing.shared ?? null, record.shared ?? null)
        diff(item.changes, patch, 'fields', existing.fields, record.fields)
        if (open(existing.sealedSecrets) !== open(record.sealedSecrets)) diff(item.changes, patch, 'sealedSecrets', 'old', record.sealedSecrets, true)
        if (open(existing.sealedProxy) !== open(record.sealedProxy)) diff(item.changes, patch, 'sealedProxy', 'old', record.sealedProxy, true)
        item.changes = item.changes.map(c => c.replace(/^sealedSecrets:/, 'credentials:').replace(/^sealedProxy:/, 'proxy:'))
        if (item.changes.length > 0) {
          item.action = 'update'
          plan.batch.updateAccounts.push({ id: existing.id, patch })
        }
      } else {
        record.name = freeName(mapped.wantedName, 'imported', taken)
        item.name = record.name
        plan.batch.insertAccounts.push(record)
      }
      names.set(mapped.origin, item.name)
    } catch (err) {
      item.action = 'skip'
      item.reason = (err as Error).message
    }
  }
  return names
}

/** The record a mapped account becomes (a new id and the wanted name; the plan fixes the name). */
function accountRecord (rt: Runtime, m: MappedAccount, now: number): AccountRecord {
  const type = resolveType(rt, m.kind.provider, m.kind.type)
  const placement = { priority: m.priority, groups: m.groups, maxConcurrency: m.maxConcurrency, models: m.models, modelMap: m.modelMap, proxy: m.proxy, shared: m.shared }
  return { ...newAccountRecord(rt, m.wantedName, type, sealFields(rt, type, m.fields), placement, now), disabled: m.disabled, origin: m.origin }
}

async function planKeys (rt: Runtime, snap: CrsSnapshot, accountNames: Map<string, string>, opts: Required<ImportOptions>, plan: Plan): Promise<void> {
  const stored = await rt.store.listKeys()
  const taken = new Set((await allKeys(rt)).map(k => k.name))
  const providerOf = providerOfModels(rt)
  const hashes = new Set(stored.map(s => s.hash))
  const targets = { account: (origin: string) => accountNames.get(origin), group: (id: string) => snap.groups.get(id) }
  for (const k of snap.keys) {
    const mapped = mapKey(k, targets, opts.now)
    if (mapped === undefined) continue
    const was = k.h.name ?? k.id
    if ('skip' in mapped) {
      plan.report.items.push({ kind: 'key', name: was, was, origin: `crs:apikey:${k.id}`, action: 'skip', changes: [], notes: mapped.notes, reason: mapped.skip })
      continue
    }
    // An earlier import that kept no origin is found by the key's hash.
    const existing = stored.find(s => s.origin === mapped.origin) ?? stored.find(s => !s.origin && s.hashScheme === 'crs-sha256' && s.hash === mapped.hash)
    const item: ImportItem = { kind: 'key', name: existing?.name ?? was, was, origin: mapped.origin, action: existing ? 'unchanged' : 'create', changes: [], notes: mapped.notes }
    plan.report.items.push(item)
    if (mapped.refused && !opts.allowLossy) {
      item.action = 'refused'
      item.reason = mapped.refused
      continue
    }
    if (existing) {
      const patch: KeyPatch = {}
      diff(item.changes, patch, 'origin', existing.origin ?? undefined, mapped.origin)
      diff(item.changes, patch, 'hash', existing.hash, mapped.hash, true)
      diff(item.changes, patch, 'disabled', existing.disabled, mapped.disabled)
      diff(item.changes, patch, 'expiresAt', existing.expiresAt === null ? null : new Date(existing.expiresAt).toISOString(), mapped.expiresAt === null ? null : new Date(mapped.expiresAt).toISOString())
      if ('expiresAt' in patch) patch.expiresAt = mapped.expiresAt
      // The policy field by field: `policy.concurrency: 2 → 5` says more than two whole policies.
      const fields = [...new Set([...Object.keys(existing.policy), ...Object.keys(mapped.policy)])].sort()
      for (const f of fields) diff(item.changes, {}, `policy.${f}`, (existing.policy as Record<string, unknown>)[f], (mapped.policy as Record<string, unknown>)[f])
      if (item.changes.some(c => c.startsWith('policy.'))) patch.policy = mapped.policy
      diff(item.changes, patch, 'bindings', existing.bindings, mapped.bindings)
      if (item.changes.length > 0) {
        item.action = 'update'
        plan.batch.updateKeys.push({ id: existing.id, patch: { ...patch, ...(patch.hash ? { hashScheme: 'crs-sha256' as const, hint: 'crs…' } : {}) } })
      }
      continue
    }
    // Two records with one hash cannot both be a key (a broken or hostile dump).
    if (hashes.has(mapped.hash)) {
      item.action = 'skip'
      item.reason = 'its hash is another key\'s'
      continue
    }
    hashes.add(mapped.hash)
    const record = keyRecord(mapped, freeName(mapped.wantedName, 'imported', taken))
    item.name = record.name
    plan.batch.insertKeys.push(record)
    // Its history comes with it, once: a later run finds the key and leaves its rows alone.
    const history = keyHistory(k, record.id, record.createdAt, providerOf, mapped.notes)
    plan.batch.usage.push(...history.rows)
    const total = policyCounters(record.policy, opts.now, rt.loaded.config.limits.timeZone, undefined).filter(c => c.id === 'budget:total')
    if (total.length > 0 && history.costPico > 0n) plan.batch.spend.push({ keyId: record.id, counters: total, tokens: history.tokens, costPico: history.costPico })
  }
}

function keyRecord (m: MappedKey, name: string): KeyRecord {
  return {
    id: randomId('key'), name, hashScheme: 'crs-sha256', hash: m.hash, hint: 'crs…', disabled: m.disabled, expiresAt: m.expiresAt,
    createdAt: m.createdAt, source: 'store', bindings: m.bindings, policy: m.policy, origin: m.origin,
  }
}

export async function importCrs (rt: Runtime, redis: Redis, encryptionKey: string, options: ImportOptions = {}): Promise<ImportReport> {
  const opts: Required<ImportOptions> = { dryRun: false, allowLossy: false, now: Date.now(), ...options }
  const snap = await readCrs(redis)
  const plan: Plan = {
    report: { items: [], notImported: snap.notImported, usageRows: 0, lossy: false, written: false },
    batch: { insertAccounts: [], updateAccounts: [], insertKeys: [], updateKeys: [], usage: [], spend: [] },
  }
  const accountNames = await planAccounts(rt, snap, encryptionKey, opts.now, plan)
  await planKeys(rt, snap, accountNames, opts, plan)
  const { report, batch } = plan
  report.usageRows = batch.usage.length
  report.lossy = snap.notImported.length > 0 || report.items.some(i => i.action === 'skip' || i.action === 'refused' || i.notes.lost.length > 0)
  if (opts.dryRun || (report.lossy && !opts.allowLossy)) return report
  try {
    await rt.store.importRecords(batch)
  } catch (err) {
    throw new Error(`the import wrote nothing: ${(err as Error).message}`, { cause: err })
  }
  report.written = true
  return report
}
