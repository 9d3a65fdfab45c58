// `ai-relay keys create|list|disable`.
import { errors } from '../errors.ts'
import { randomId } from '../ids.ts'
import { generateKey, hashKey, keyHint } from '../keys/api-key.ts'
import type { Runtime } from '../runtime.ts'
import type { KeyRecord } from '../store/store.ts'
import { isoOrDash, table, type CliIo, type CliValues } from './main.ts'
import { disableStored, NAME_RE, NAME_RULE } from './records.ts'

async function accountNames (rt: Runtime): Promise<Set<string>> {
  return new Set([...rt.declaredAccounts, ...await rt.store.listAccounts()].map(a => a.name))
}

async function allKeys (rt: Runtime): Promise<KeyRecord[]> {
  return [...rt.declaredKeys, ...await rt.store.listKeys()]
}

export async function keysCommand (rt: Runtime, sub: string | undefined, rest: string[], v: CliValues, io: CliIo): Promise<number> {
  switch (sub) {
    case 'create': {
      const name = v.name
      if (!name || !NAME_RE.test(name)) {
        io.err(`keys create needs --name (${NAME_RULE})`)
        return 2
      }
      if ((await allKeys(rt)).some(k => k.name === name)) throw new errors.RELAY_ERR_NAME_TAKEN('key', name)
      let expiresAt: number | null = null
      if (v.expires) {
        expiresAt = Date.parse(v.expires)
        if (Number.isNaN(expiresAt)) {
          io.err(`--expires: not an ISO-8601 time: ${v.expires}`)
          return 2
        }
      }
      if (v.group.length > 1 || (v.account && v.group.length > 0)) {
        io.err('a key is bound to one account (--account) or one group (--group), not more')
        return 2
      }
      const boundAccount = v.account ?? null
      if (boundAccount && !(await accountNames(rt)).has(boundAccount)) throw new errors.RELAY_ERR_NOT_FOUND('account', boundAccount)
      const secret = generateKey()
      const record: KeyRecord = {
        id: randomId('key'), name, hashScheme: 'sha256', hash: hashKey(secret), hint: keyHint(secret),
        disabled: false, expiresAt, createdAt: Date.now(), source: 'store', boundAccount, boundGroup: v.group[0] ?? null, policy: {},
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
    default:
      io.err('usage: ai-relay keys create|list|disable')
      return 2
  }
}
