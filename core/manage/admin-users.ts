// The admin pages' local users, whether from the CLI or the admin API: list, add or change a
// password (scrypt; a change ends the user's sessions), delete (its sessions end too), and sign
// a user out everywhere. Input is checked here and refused with coded errors.
import { errors } from '../errors.ts'
import { NAME_PATTERN } from '../ids.ts'
import { hashPassword, PASSWORD_MAX, PASSWORD_MIN } from '../admin/passwords.ts'
import type { Runtime } from '../runtime.ts'
import { invalid } from './records.ts'

export interface AdminUserView { name: string, createdAt: string }

export async function listAdminUsers (rt: Runtime): Promise<AdminUserView[]> {
  return (await rt.store.listAdminUsers()).map(u => ({ name: u.name, createdAt: new Date(u.createdAt).toISOString() }))
}

/** Adds the user, or sets a new password for one that exists (ending its sessions). Returns whether it existed. */
export async function putAdminUser (rt: Runtime, name: string | undefined, password: string | undefined): Promise<boolean> {
  if (!name || !new RegExp(NAME_PATTERN).test(name)) throw invalid('a user name is letters, digits, . _ -; at most 64')
  if (!password || password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) throw invalid(`the password must have ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`)
  const existing = (await rt.store.listAdminUsers()).find(u => u.name === name)
  await rt.store.putAdminUser({ name, passwordHash: await hashPassword(password), createdAt: existing?.createdAt ?? Date.now() })
  if (existing) await rt.store.deleteAdminSessionsOf(name)
  return existing !== undefined
}

export async function deleteAdminUser (rt: Runtime, name: string): Promise<void> {
  if (!await rt.store.deleteAdminUser(name)) throw new errors.RELAY_ERR_NOT_FOUND('admin user', name)
  await rt.store.deleteAdminSessionsOf(name)
}

/** Ends every session of the user (a lost laptop). */
export async function signOutAdminUser (rt: Runtime, name: string): Promise<void> {
  if (!(await rt.store.listAdminUsers()).some(u => u.name === name)) throw new errors.RELAY_ERR_NOT_FOUND('admin user', name)
  await rt.store.deleteAdminSessionsOf(name)
}
