// Keys by the batch, for the admin console: create many at once (a class, a team; each secret
// returned once, for one download) and disable / enable / delete / tag / untag a selection.
// Every key is checked as the single-key operations check it; a config-declared or unknown
// key in a selection is reported and skipped, the others are changed.
import type { Runtime } from '../runtime.ts'
import type { KeyRecord } from '../store/store.ts'
import { errors } from '../errors.ts'
import { allKeys, checkNewName, invalid } from './records.ts'
import { newKey, NO_FIELDS, resolveKeyChange, type KeyChange } from './keys.ts'

/** At most this many keys are created or changed by one call. */
export const BULK_MAX = 1000

export type BulkAction = 'disable' | 'enable' | 'delete' | 'tag' | 'untag'

export interface BulkResult {
  changed: string[]
  /** Why each was left alone: the error's message, code and params (the console says it in its reader's language). */
  skipped: { id: string, reason: string, code: string, params: unknown[] }[]
}

/** `prefix-001` … : the names of `count` new keys, numbered after any the prefix already has. */
export function bulkNames (prefix: string, count: number, taken: ReadonlySet<string>): string[] {
  const width = Math.max(3, String(count).length)
  const names: string[] = []
  for (let i = 1; names.length < count; i++) {
    const name = `${prefix}-${String(i).padStart(width, '0')}`
    if (!taken.has(name)) names.push(name)
  }
  return names
}

/** Creates `count` keys named `prefix-NNN` with the same limits and bindings; their secrets come back once. */
export async function createKeys (rt: Runtime, prefix: string, count: number, change: KeyChange = {}): Promise<{ key: KeyRecord, secret: string }[]> {
  if (!Number.isInteger(count) || count < 1 || count > BULK_MAX) throw invalid(`count: 1 to ${BULK_MAX}`)
  const existing = await allKeys(rt)
  const names = bulkNames(prefix, count, new Set(existing.map(k => k.name)))
  // The last name is the longest: when it passes the name rule, every one does.
  checkNewName('key', names.at(-1)!, existing)
  const fields = await resolveKeyChange(rt, change, NO_FIELDS)
  const created = names.map(name => newKey(name, fields))
  // One write: a batch that fails leaves no key whose secret nobody was shown.
  await rt.store.importRecords({ insertAccounts: [], updateAccounts: [], insertKeys: created.map(c => c.key), updateKeys: [], usage: [], spend: [] })
  return created
}

export async function bulkKeys (rt: Runtime, ids: readonly string[], action: BulkAction, tag?: string): Promise<BulkResult> {
  if (ids.length > BULK_MAX) throw invalid(`ids: at most ${BULK_MAX}`)
  if ((action === 'tag' || action === 'untag') && !tag) throw invalid(`${action} needs a tag`)
  const byId = new Map((await allKeys(rt)).map(k => [k.id, k]))
  const result: BulkResult = { changed: [], skipped: [] }
  for (const id of new Set(ids)) {
    const key = byId.get(id)
    const refusal = !key ? new errors.RELAY_ERR_NOT_FOUND('key', id) : key.source === 'config' ? new errors.RELAY_ERR_READ_ONLY('key', key.name) : undefined
    if (!key || refusal) {
      result.skipped.push({ id, reason: refusal!.message, code: refusal!.code, params: refusal!.params })
      continue
    }
    const tags = key.policy.tags ?? []
    switch (action) {
      case 'disable': case 'enable':
        if (key.disabled === (action === 'disable')) continue
        await rt.store.updateKey(id, { disabled: action === 'disable' })
        break
      case 'delete':
        await rt.store.deleteKey(id)
        break
      case 'tag': case 'untag': {
        const next = action === 'tag' ? [...new Set([...tags, tag!])] : tags.filter(t => t !== tag)
        if (next.length === tags.length) continue
        const { tags: _, ...rest } = key.policy
        await rt.store.updateKey(id, { policy: next.length > 0 ? { ...rest, tags: next } : rest })
      }
    }
    result.changed.push(id)
  }
  return result
}
