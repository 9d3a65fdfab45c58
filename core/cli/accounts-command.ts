// `ai-relay accounts add|list|disable`. Credentials are validated against the plugin's account
// type schema, then sealed with AES-256-GCM before they reach the store.
import { errors } from '../errors.ts'
import { randomId } from '../ids.ts'
import type { Runtime } from '../runtime.ts'
import type { AccountRecord, AccountStateRecord } from '../store/store.ts'
import { isoOrDash, table, type CliIo, type CliValues } from './main.ts'
import { readStdinLines } from './read-secret.ts'
import { allAccounts, allKeys, checkNewName, disableStored, findByRef, pairs, placementFrom, plainFields, resetAccountState, writable, type ListedAccount } from './records.ts'
import { loginCommand } from './login-command.ts'

export async function accountsCommand (rt: Runtime, sub: string | undefined, rest: string[], v: CliValues, io: CliIo): Promise<number> {
  switch (sub) {
    case 'add': {
      if (!v.name || !v.provider || !v.type) {
        io.err('accounts add needs --name, --provider and --type')
        return 2
      }
      const badName = checkNewName('account', v.name, await allAccounts(rt))
      if (badName) {
        io.err(badName)
        return 2
      }
      const type = rt.accountTypes.resolve(v.provider, v.type)
      if (typeof type === 'string') {
        io.err(type)
        return 2
      }
      const placement = placementFrom(v, io, rt.secretBox)
      if (typeof placement === 'string') {
        io.err(placement)
        return 2
      }
      const fields = plainFields(v.set, type.secretFields)
      if (typeof fields === 'string') {
        io.err(fields)
        return 2
      }
      for (const [k, envName] of pairs(v['secret-env'], '--secret-env')) {
        const value = io.env[envName]
        if (!value) {
          io.err(`--secret-env ${k}: environment variable ${envName} is not set`)
          return 2
        }
        fields[k] = value
      }
      const missing = type.secretFields.filter(f => fields[f] === undefined)
      Object.assign(fields, await readStdinLines(io.stdin, missing, io.err))
      const check = rt.accountTypes.check(type, fields)
      if (!check.ok) {
        for (const p of check.problems) io.err(`${p.path || '/'}: ${p.message}`)
        return 2
      }
      const record: AccountRecord = {
        id: randomId('acc'), name: v.name, provider: type.provider, type: type.name, disabled: false,
        fields: check.plain, sealedSecrets: rt.secretBox.seal(JSON.stringify(check.secrets)), createdAt: Date.now(), source: 'store',
        ...placement,
      }
      await rt.store.insertAccount(record)
      io.out(`Added ${type.provider} account "${v.name}" (${record.id}, ${type.name}, priority ${placement.priority}).`)
      return 0
    }
    case 'list': {
      const accounts = await allAccounts(rt)
      const states = new Map((await rt.store.listAccountStates()).map(st => [st.accountId, st]))
      const now = Date.now()
      if (v.json) {
        io.out(JSON.stringify(accounts.map(a => ({ ...a, state: describeState(a, states.get(a.id), now), login: loginInfo(rt, a, states.get(a.id), now), runtime: states.get(a.id) ?? null }))))
        return 0
      }
      io.out(table([
        ['ID', 'NAME', 'PROVIDER', 'TYPE', 'PRIORITY', 'STATE', 'UTIL', 'LOGIN', 'LAST ERROR', 'SOURCE'],
        ...accounts.map(a => {
          const st = states.get(a.id)
          const login = loginInfo(rt, a, st, now)
          return [a.id, a.name, a.provider, a.type, String(a.priority), describeState(a, st, now), utilisation(st),
            login ? [login.identity, login.expiresAt ? `expires ${login.expiresAt}` : '', login.refresh].filter(Boolean).join(', ') : '-',
            st?.lastError ? `${isoOrDash(st.lastErrorAt)} ${st.lastError}` : '-', a.source]
        }),
      ]))
      return 0
    }
    case 'delete': {
      const all = await allAccounts(rt)
      const account = writable('account', all, rest[0])
      const bound = (await allKeys(rt)).filter(k => k.boundAccount === account.name).map(k => k.name)
      if (bound.length > 0) {
        io.err(`keys bound to "${account.name}": ${bound.join(', ')}; move them first (ai-relay keys update <key> --account OTHER | --group G | --account none)`)
        return 2
      }
      await rt.store.deleteAccount(account.id)
      io.out(`Deleted account "${account.name}" (${account.id}). Its usage history stays under this id.`)
      return 0
    }
    case 'login':
      return loginCommand(rt, rest[0], v, io)
    case 'disable':
      return disableStored('account', await allAccounts(rt), rest[0], id => rt.store.updateAccount(id, { disabled: true }), io)
    case 'enable': {
      const account = findByRef('account', await allAccounts(rt), rest[0])
      if (account.disabled && account.source === 'config') throw new errors.RELAY_ERR_READ_ONLY('account', account.name)
      if (account.disabled) await rt.store.updateAccount(account.id, { disabled: false })
      await resetAccountState(rt, account.id)
      io.out(`Enabled account "${account.name}" (${account.id}).`)
      return 0
    }
    default:
      io.err('usage: ai-relay accounts add|login|list|disable|enable|delete')
      return 2
  }
}

interface LoginInfo {
  identity?: string
  expiresAt?: string
  /** `ok`, `retrying until <time>` or `log in again`. */
  refresh: string
}

/** For subscription (OAuth) accounts: who is logged in, until when, and how refreshing goes. */
function loginInfo (rt: Runtime, a: ListedAccount, st: AccountStateRecord | undefined, now: number): LoginInfo | undefined {
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

function describeState (a: ListedAccount, st: AccountStateRecord | undefined, now: number): string {
  if (a.disabled) return 'disabled'
  if (st?.status === 'disabled') return `disabled: ${st.reason ?? 'by the provider'}`
  if (st?.status === 'unauthorized') return st.reason?.startsWith('log in again') ? `unauthorized: ${st.reason}` : 'unauthorized'
  if (st?.cooldownUntil != null && st.cooldownUntil > now) return `cooling until ${new Date(st.cooldownUntil).toISOString()}`
  return 'active'
}

/** The most used window the provider reported, e.g. `5h 82%`. */
function utilisation (st: AccountStateRecord | undefined): string {
  const windows = (st?.rateLimits?.windows ?? []).filter(w => w.utilisation !== undefined)
  if (windows.length === 0) return '-'
  const top = windows.reduce((a, b) => (b.utilisation! > a.utilisation! ? b : a))
  return `${top.name} ${Math.round(top.utilisation! * 100)}%`
}
