// Record ids. Entries declared in the config file get ids derived from their names, so a
// restart (or another sidecar reading the same file) gives them the same id and their usage
// history stays attached; entries created at run time get random ids.
import { createHash, randomBytes, randomUUID } from 'node:crypto'

export type IdKind = 'key' | 'acc' | 'lease'

export function declaredId (kind: IdKind, name: string): string {
  return `${kind}_${createHash('sha256').update(`${kind}:${name}`).digest('hex').slice(0, 20)}`
}

export function randomId (kind: IdKind): string {
  return `${kind}_${randomBytes(10).toString('hex')}`
}

/** randomUUID draws from a pooled entropy buffer: far cheaper per request than randomBytes. */
export function requestId (): string {
  return `req_${randomUUID().replaceAll('-', '')}`
}
