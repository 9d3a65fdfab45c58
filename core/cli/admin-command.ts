// `ai-relay admin users add|list|delete`: the admin pages' local users. A password is read from
// stdin (never an argument), hashed with scrypt; changing or removing a user ends its sessions.
import type { Runtime } from '../runtime.ts'
import { hashPassword, PASSWORD_MAX, PASSWORD_MIN } from '../admin/passwords.ts'
import { NAME_PATTERN } from '../config/schema.ts'
import { table, type CliIo, type CliValues } from './cli-io.ts'
import { readStdinLines } from './read-secret.ts'

export async function adminCommand (rt: Runtime, sub: string | undefined, rest: string[], v: CliValues, io: CliIo): Promise<number> {
  const [what, ref] = [sub, rest[0]]
  if (what !== 'users') {
    io.err('usage: ai-relay admin users add --name N | admin users list | admin users delete <name>')
    return 2
  }
  const action = ref
  switch (action) {
    case 'add': {
      if (!v.name || !new RegExp(NAME_PATTERN).test(v.name)) {
        io.err('admin users add needs --name (letters, digits, . _ -)')
        return 2
      }
      const { password } = await readStdinLines(io.stdin, ['password'], io.err)
      if (!password || password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
        io.err(`the password must have ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`)
        return 2
      }
      const existed = (await rt.store.listAdminUsers()).some(u => u.name === v.name)
      await rt.store.putAdminUser({ name: v.name, passwordHash: await hashPassword(password), createdAt: Date.now() })
      if (existed) await rt.store.deleteAdminSessionsOf(v.name)
      io.out(existed ? `Changed the password of admin user "${v.name}"; its sessions were ended.` : `Added admin user "${v.name}". Log in at /_relay/admin/.`)
      return 0
    }
    case 'list': {
      const users = await rt.store.listAdminUsers()
      if (v.json) io.out(JSON.stringify(users.map(u => ({ name: u.name, createdAt: new Date(u.createdAt).toISOString() }))))
      else io.out(table([['NAME', 'CREATED'], ...users.map(u => [u.name, new Date(u.createdAt).toISOString()])]))
      return 0
    }
    case 'delete': {
      const name = rest[1]
      if (!name || !await rt.store.deleteAdminUser(name)) {
        io.err(`no admin user is named "${name ?? ''}"`)
        return 1
      }
      await rt.store.deleteAdminSessionsOf(name)
      io.out(`Deleted admin user "${name}"; its sessions were ended.`)
      return 0
    }
    default:
      io.err('usage: ai-relay admin users add --name N | admin users list | admin users delete <name>')
      return 2
  }
}
