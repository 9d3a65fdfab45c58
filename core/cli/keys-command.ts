// `ai-relay keys create|list|show|update|rotate|disable|delete`.
import { errors } from '../errors.ts'
import { randomId } from '../ids.ts'
import { generateKey, hashKey, keyHint } from '../keys/api-key.ts'
import type { Runtime } from '../runtime.ts'
import type { KeyRecord } from '../store/store.ts'
import { isoOrDash, table, type CliIo, type CliValues } from './main.ts'
import { allAccounts, allKeys, checkNewName, disableStored, findByRef, NAME_RULE, writable } from './records.ts'
import { keyUsageReport } from '../limits/key-usage.ts'
import { policySchema, type KeyPolicy } from '../limits/policy-schema.ts'
import { createValidator, formatAjvErrors } from '../config/validator.ts'

export async function keysCommand (rt: Runtime, sub: string | undefined, rest: string[], v: CliValues, io: CliIo): Promise<number> {
  switch (sub) {
    case 'create': {
      const name = v.name
      if (!name) {
        io.err(`keys create needs --name (${NAME_RULE})`)
        return 2
      }
      const badName = checkNewName('key', name, await allKeys(rt))
      if (badName) {
        io.err(badName)
        return 2
      }
      const expiresAt = parseExpiry(v.expires, null)
      const policy = parsePolicy(v.policy, {})
      if (typeof expiresAt === 'string' || typeof policy === 'string') {
        io.err(typeof expiresAt === 'string' ? expiresAt : policy as string)
        return 2
      }
      if (v.group.length > 1 || (v.account && v.group.length > 0)) {
        io.err('a key is bound to one account (--account) or one group (--group), not more')
        return 2
      }
      const boundAccount = v.account ?? null
      if (boundAccount && !(await allAccounts(rt)).some(a => a.name === boundAccount)) throw new errors.RELAY_ERR_NOT_FOUND('account', boundAccount)
      const secret = generateKey()
      const record: KeyRecord = {
        id: randomId('key'), name, hashScheme: 'sha256', hash: hashKey(secret), hint: keyHint(secret),
        disabled: false, expiresAt: policy.expiresAt ?? expiresAt, createdAt: Date.now(), source: 'store', boundAccount, boundGroup: v.group[0] ?? null,
        policy: policy.rest,
      }
      await rt.store.insertKey(record)
      if (v.json) io.out(JSON.stringify({ id: record.id, name, key: secret, expiresAt: expiresAt && new Date(expiresAt).toISOString() }))
      else io.out(`Created key "${name}" (${record.id}). It is shown only this once:\n\n  ${secret}\n`)
      return 0
    }
    case 'list': {
      const keys = await allKeys(rt)
      const used = await rt.store.lastUsed()
      if (v.json) {
        io.out(JSON.stringify(keys.map(k => ({
          id: k.id, name: k.name, hint: k.hint, disabled: k.disabled, source: k.source, account: k.boundAccount, group: k.boundGroup,
          expiresAt: k.expiresAt && new Date(k.expiresAt).toISOString(), lastUsedAt: used.has(k.id) ? new Date(used.get(k.id)!).toISOString() : null,
        }))))
        return 0
      }
      io.out(table([
        ['ID', 'NAME', 'KEY', 'STATE', 'BOUND TO', 'EXPIRES', 'LAST USED', 'SOURCE'],
        ...keys.map(k => [k.id, k.name, k.hint, k.disabled ? 'disabled' : 'active',
          k.boundAccount ? `account ${k.boundAccount}` : k.boundGroup ? `group ${k.boundGroup}` : 'pool',
          isoOrDash(k.expiresAt), isoOrDash(used.get(k.id)), k.source]),
      ]))
      return 0
    }
    case 'disable':
      return disableStored('key', await allKeys(rt), rest[0], id => rt.store.updateKey(id, { disabled: true }), io)
    case 'show': {
      const report = await keyUsageReport(findByRef('key', await allKeys(rt), rest[0]), rt.store, rt.loaded.config.limits.timeZone, Date.now())
      if (v.json) {
        io.out(JSON.stringify(report))
        return 0
      }
      io.out(`${report.name} (${report.id}): ${report.state}, bound to ${report.boundTo}`)
      io.out(`  expires: ${report.expiresAt ?? 'never'}${report.activatedAt ? ` (activated ${report.activatedAt})` : ''}`)
      if (report.providers) io.out(`  providers: ${report.providers.join(', ')}`)
      if (report.models?.allow) io.out(`  models allowed: ${report.models.allow.join(', ')}`)
      if (report.models?.deny) io.out(`  models denied: ${report.models.deny.join(', ')}`)
      if (report.clients) io.out(`  clients: ${report.clients.join(', ')}`)
      if (report.tags.length > 0) io.out(`  tags: ${report.tags.join(', ')}`)
      if (report.limits.length === 0) io.out('  no limits')
      else io.out(table([['  LIMIT', 'USED', 'MAX', 'RESETS'], ...report.limits.map(l => [`  ${l.limit}`, String(l.used), String(l.max), l.resetsAt ?? '-'])]))
      return 0
    }
    case 'update': {
      const key = writable('key', await allKeys(rt), rest[0])
      const expiresAt = parseExpiry(v.expires, key.expiresAt)
      const policy = parsePolicy(v.policy, key.policy)
      if (typeof expiresAt === 'string' || typeof policy === 'string') {
        io.err(typeof expiresAt === 'string' ? expiresAt : policy as string)
        return 2
      }
      const binding = await parseBinding(rt, v, key)
      if (typeof binding === 'string') {
        io.err(binding)
        return 2
      }
      await rt.store.updateKey(key.id, { policy: policy.rest, expiresAt: policy.expiresAt ?? expiresAt, ...binding })
      io.out(`Updated key "${key.name}" (${key.id}).`)
      return 0
    }
    case 'rotate': {
      const key = writable('key', await allKeys(rt), rest[0])
      const secret = generateKey()
      await rt.store.updateKey(key.id, { hashScheme: 'sha256', hash: hashKey(secret), hint: keyHint(secret) })
      if (v.json) io.out(JSON.stringify({ id: key.id, name: key.name, key: secret }))
      else io.out(`New secret for key "${key.name}" (${key.id}); the old one stops working within a second. Shown only this once:\n\n  ${secret}\n`)
      return 0
    }
    case 'delete': {
      const key = writable('key', await allKeys(rt), rest[0])
      await rt.store.deleteKey(key.id)
      io.out(`Deleted key "${key.name}" (${key.id}). Its usage history stays under this id.`)
      return 0
    }
    default:
      io.err('usage: ai-relay keys create|list|show|update|rotate|disable|delete')
      return 2
  }
}

/**
 * `--account NAME|none` and `--group NAME|none` move a key (e.g. off an account that is gone);
 * absent keeps its binding. A key is bound to one account or one group at most. A string is the problem.
 */
async function parseBinding (rt: Runtime, v: CliValues, key: KeyRecord): Promise<Pick<KeyRecord, 'boundAccount' | 'boundGroup'> | string> {
  if (v.account === undefined && v.group.length === 0) return { boundAccount: key.boundAccount, boundGroup: key.boundGroup }
  if (v.group.length > 1 || (v.account !== undefined && v.account !== 'none' && v.group.length > 0 && v.group[0] !== 'none')) {
    return 'a key is bound to one account (--account) or one group (--group), not more'
  }
  let boundAccount = v.account === undefined ? key.boundAccount : v.account === 'none' ? null : v.account
  let boundGroup = v.group.length === 0 ? key.boundGroup : v.group[0] === 'none' ? null : v.group[0]!
  // Binding to one clears the other.
  if (v.account !== undefined && boundAccount !== null) boundGroup = null
  if (v.group.length > 0 && boundGroup !== null) boundAccount = null
  if (boundAccount !== null && !(await allAccounts(rt)).some(a => a.name === boundAccount)) return `--account: no account is named "${boundAccount}"`
  return { boundAccount, boundGroup }
}

/** `--expires ISO` or `--expires never`; absent keeps `current`. A string is the problem. */
function parseExpiry (value: string | undefined, current: number | null): number | null | string {
  if (value === undefined) return current
  if (value === 'never') return null
  const t = Date.parse(value)
  return Number.isNaN(t) ? `--expires: not an ISO-8601 time: ${value}` : t
}

const validatePolicy = createValidator(policySchema)

/**
 * `--policy JSON` replaces the policy (`{}` clears it); absent keeps `current`. Its `expiresAt`
 * goes to the key's expiry column. A string is the problem.
 */
function parsePolicy (json: string | undefined, current: KeyPolicy): { rest: KeyPolicy, expiresAt?: number } | string {
  if (json === undefined) return { rest: current }
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (err) {
    return `--policy: not JSON (${(err as Error).message})`
  }
  if (!validatePolicy(value)) return `--policy: ${formatAjvErrors(validatePolicy.errors).map(e => `${e.path || '/'} ${e.message}`).join('; ')}`
  const { expiresAt, ...rest } = value as KeyPolicy
  return expiresAt === undefined ? { rest } : { rest, expiresAt: Date.parse(expiresAt) }
}
