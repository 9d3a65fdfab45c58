// `ai-relay accounts add|login|list|disable|enable|delete`: the command line over
// core/manage/accounts.ts (the admin API uses the same functions). Credentials come from stdin
// or an environment variable, never from the command line.
import type { Runtime } from '../runtime.ts'
import { isoOrDash, table, type CliIo, type CliValues } from './cli-io.ts'
import { readStdinLines } from './read-secret.ts'
import { pairs, placementFrom, plainFields } from './records.ts'
import { fieldFromText } from '../accounts/field-text.ts'
import { loginCommand } from './login-command.ts'
import { addAccount, deleteAccount, listAccounts, resolveType, setAccountDisabled, type AccountListing } from '../manage/accounts.ts'

export async function accountsCommand (rt: Runtime, sub: string | undefined, rest: string[], v: CliValues, io: CliIo): Promise<number> {
  switch (sub) {
    case 'add': {
      if (!v.name || !v.provider || !v.type) {
        io.err('accounts add needs --name, --provider and --type')
        return 2
      }
      const type = resolveType(rt, v.provider, v.type)
      const placement = placementFrom(v, io)
      const properties = type.spec.schema.properties
      const fields = plainFields(v.set, type.secretFields, properties)
      if (typeof placement === 'string' || typeof fields === 'string') {
        io.err(typeof placement === 'string' ? placement : fields as string)
        return 2
      }
      for (const [k, envName] of pairs(v['secret-env'], '--secret-env')) {
        const value = io.env[envName]
        if (!value) {
          io.err(`--secret-env ${k}: environment variable ${envName} is not set`)
          return 2
        }
        fields[k] = fieldFromText(properties[k], value)
      }
      // One line each from stdin; a map (headers added) is no line's worth, given only by --secret-env.
      const missing = type.secretFields.filter(f => fields[f] === undefined && properties[f]?.type !== 'object')
      Object.assign(fields, await readStdinLines(io.stdin, missing, io.err))
      const record = await addAccount(rt, { name: v.name, provider: v.provider, type: v.type, fields, ...placement })
      io.out(`Added ${record.provider} account "${record.name}" (${record.id}, ${record.type}, priority ${record.priority}).`)
      return 0
    }
    case 'list': {
      const accounts = await listAccounts(rt)
      if (v.json) {
        io.out(JSON.stringify(accounts))
        return 0
      }
      io.out(table([
        ['ID', 'NAME', 'PROVIDER', 'TYPE', 'PRIORITY', 'STATE', 'UTIL', 'LOGIN', 'LAST ERROR', 'SOURCE'],
        ...accounts.map(a => [a.id, a.name, a.provider, a.type, String(a.priority), stateText(a), utilisation(a),
          a.login ? [a.login.identity, a.login.expiresAt ? `expires ${a.login.expiresAt}` : '', a.login.refresh].filter(Boolean).join(', ') : '-',
          a.lastError ? `${isoOrDash(a.lastErrorAt === null ? null : Date.parse(a.lastErrorAt))} ${a.lastError}` : '-', a.source]),
      ]))
      return 0
    }
    case 'delete': {
      const account = await deleteAccount(rt, String(rest[0]))
      io.out(`Deleted account "${account.name}" (${account.id}). Its usage history stays under this id.`)
      return 0
    }
    case 'login':
      return loginCommand(rt, rest[0], v, io)
    case 'disable':
    case 'enable': {
      const account = await setAccountDisabled(rt, String(rest[0]), sub === 'disable')
      io.out(`${sub === 'disable' ? 'Disabled' : 'Enabled'} account "${account.name}" (${account.id}).`)
      return 0
    }
    default:
      io.err('usage: ai-relay accounts add|login|list|disable|enable|delete')
      return 2
  }
}

function stateText (a: AccountListing): string {
  if (a.state === 'cooling') return `cooling until ${a.cooldownUntil}`
  if (a.state === 'unauthorized') return a.reason?.startsWith('log in again') ? `unauthorized: ${a.reason}` : 'unauthorized'
  if (a.state === 'disabled' && a.reason !== 'disabled by the operator') return `disabled: ${a.reason}`
  return a.state
}

/** The most used window the provider reported, e.g. `5h 82%`. */
function utilisation (a: AccountListing): string {
  const windows = a.rateLimits.filter(w => w.utilisation !== undefined)
  if (windows.length === 0) return '-'
  const top = windows.reduce((x, y) => (y.utilisation! > x.utilisation! ? y : x))
  return `${top.name} ${Math.round(top.utilisation! * 100)}%`
}
