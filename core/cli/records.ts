// What the key and account commands share: names as the config allows them, and finding and
// disabling a stored record by name or id (config-declared ones are read-only).
import { errors } from '../errors.ts'
import { NAME_PATTERN } from '../config/schema.ts'
import type { Source } from '../store/store.ts'
import type { CliIo } from './main.ts'

export const NAME_RE = new RegExp(NAME_PATTERN)
export const NAME_RULE = 'letters, digits, . _ -; at most 64, starting with a letter or digit'

interface Named { id: string, name: string, source: Source }

export async function disableStored<T extends Named> (
  kind: 'key' | 'account', list: T[], ref: string | undefined, update: (id: string) => Promise<unknown>, io: CliIo,
): Promise<number> {
  const record = list.find(x => x.id === ref || x.name === ref)
  if (!record) throw new errors.RELAY_ERR_NOT_FOUND(kind, String(ref))
  if (record.source === 'config') throw new errors.RELAY_ERR_READ_ONLY(kind, record.name)
  await update(record.id)
  io.out(`Disabled ${kind} "${record.name}" (${record.id}).`)
  return 0
}
