// `ai-relay keys create|list|show|update|rotate|disable|enable|delete`: the command line over
// core/manage/keys.ts (the admin API uses the same functions).
import type { Runtime } from '../runtime.ts'
import { table, type CliIo, type CliValues } from './cli-io.ts'
import { invalid } from '../manage/records.ts'
import { parseBindSpec } from '../keys/bindings.ts'
import { createKey, deleteKey, listKeys, rotateKey, setKeyDisabled, showKey, updateKey, type KeyChange } from '../manage/keys.ts'

export async function keysCommand (rt: Runtime, sub: string | undefined, rest: string[], v: CliValues, io: CliIo): Promise<number> {
  switch (sub) {
    case 'create': {
      const { key, secret } = await createKey(rt, v.name, changeFrom(v))
      if (v.json) io.out(JSON.stringify({ id: key.id, name: key.name, key: secret, expiresAt: key.expiresAt && new Date(key.expiresAt).toISOString() }))
      else io.out(`Created key "${key.name}" (${key.id}). It is shown only this once:\n\n  ${secret}\n`)
      return 0
    }
    case 'list': {
      const keys = await listKeys(rt)
      if (v.json) {
        io.out(JSON.stringify(keys.map(({ policy: _p, createdAt: _c, ...k }) => k)))
        return 0
      }
      io.out(table([
        ['ID', 'NAME', 'KEY', 'STATE', 'BOUND TO', 'EXPIRES', 'LAST USED', 'SOURCE'],
        ...keys.map(k => [k.id, k.name, k.hint, k.disabled ? 'disabled' : 'active',
          k.boundTo,
          k.expiresAt ?? '-', k.lastUsedAt ?? '-', k.source]),
      ]))
      return 0
    }
    case 'disable':
    case 'enable': {
      const key = await setKeyDisabled(rt, String(rest[0]), sub === 'disable')
      io.out(`${sub === 'disable' ? 'Disabled' : 'Enabled'} key "${key.name}" (${key.id}).`)
      return 0
    }
    case 'show': {
      const report = await showKey(rt, String(rest[0]))
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
      const key = await updateKey(rt, String(rest[0]), changeFrom(v))
      io.out(`Updated key "${key.name}" (${key.id}).`)
      return 0
    }
    case 'rotate': {
      const { key, secret } = await rotateKey(rt, String(rest[0]))
      if (v.json) io.out(JSON.stringify({ id: key.id, name: key.name, key: secret }))
      else io.out(`New secret for key "${key.name}" (${key.id}); the old one stops working within a second. Shown only this once:\n\n  ${secret}\n`)
      return 0
    }
    case 'delete': {
      const key = await deleteKey(rt, String(rest[0]))
      io.out(`Deleted key "${key.name}" (${key.id}). Its usage history stays under this id.`)
      return 0
    }
    default:
      io.err('usage: ai-relay keys create|list|show|update|rotate|disable|enable|delete')
      return 2
  }
}

/**
 * The change the flags ask for: `--policy JSON` replaces the policy (`{}` clears it), `--expires
 * ISO|never`, `--bind PROVIDER=account:NAME|group:NAME|pool` (repeatable; `*` for every other
 * provider), `--account NAME|none` and `--group NAME|none` (the binding of every provider, as
 * before bindings were per provider); absent flags keep what the key has.
 */
function changeFrom (v: CliValues): KeyChange {
  const change: KeyChange = {}
  if (v.policy !== undefined) {
    try {
      change.policy = JSON.parse(v.policy)
    } catch (err) {
      throw invalid(`--policy: not JSON (${(err as Error).message})`)
    }
  }
  if (v.expires !== undefined) change.expiresAt = v.expires === 'never' ? null : v.expires
  if (v.group.length > 1) throw invalid('a key is bound to one account (--account) or one group (--group), not more')
  if (v.account !== undefined) change.account = v.account === 'none' ? null : v.account
  if (v.group.length === 1) change.group = v.group[0] === 'none' ? null : v.group[0]!
  if (v.bind.length > 0) {
    change.bindings = {}
    for (const spec of v.bind) {
      const parsed = parseBindSpec(spec)
      if (typeof parsed === 'string') throw invalid(`--bind: ${parsed}`)
      if (Object.hasOwn(change.bindings, parsed.provider)) throw invalid(`--bind: ${parsed.provider} is bound twice`)
      change.bindings[parsed.provider] = parsed.binding
    }
  }
  return change
}
