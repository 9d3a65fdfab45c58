// `ai-relay admin users add|list|delete`: the admin pages' local users. A password is read from
// stdin (never an argument), hashed with scrypt; changing or removing a user ends its sessions.
import type { Runtime } from '../runtime.ts'
import { deleteAdminUser, listAdminUsers, putAdminUser } from '../manage/admin-users.ts'
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
      if (!v.name) {
        io.err('admin users add needs --name (letters, digits, . _ -)')
        return 2
      }
      const { password } = await readStdinLines(io.stdin, ['password'], io.err)
      const existed = await putAdminUser(rt, v.name, password)
      io.out(existed ? `Changed the password of admin user "${v.name}"; its sessions were ended.` : `Added admin user "${v.name}". Log in at /_relay/admin/.`)
      return 0
    }
    case 'list': {
      const users = await listAdminUsers(rt)
      if (v.json) io.out(JSON.stringify(users))
      else io.out(table([['NAME', 'CREATED'], ...users.map(u => [u.name, u.createdAt])]))
      return 0
    }
    case 'delete': {
      const name = rest[1] ?? ''
      await deleteAdminUser(rt, name)
      io.out(`Deleted admin user "${name}"; its sessions were ended.`)
      return 0
    }
    default:
      io.err('usage: ai-relay admin users add --name N | admin users list | admin users delete <name>')
      return 2
  }
}
