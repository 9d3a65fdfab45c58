// Record ids. Entries declared in the config file get ids derived from their names, so a
// restart (or another sidecar reading the same file) gives them the same id and their usage
// history stays attached; entries created at run time get random ids.
import { createHash, randomUUID } from 'node:crypto'

/** What a key's, account's, group's or admin's name may be (it appears in URLs, logs and configs). */
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'

export type IdKind = 'key' | 'acc' | 'lease'

export function declaredId (kind: IdKind, name: string): string {
  return `${kind}_${createHash('sha256').update(`${kind}:${name}`).digest('hex').slice(0, 20)}`
}

export function randomId (kind: IdKind): string {
  return `${kind}_${randomHex20()}`
}

/**
 * 20 random hex digits (80 bits) from randomUUID, which draws from a pooled entropy buffer: a
 * lease id is made on every request of a key with a concurrency limit, and randomBytes cost
 * ~2 % of such a request. The UUID's fixed version and variant digits are left out.
 */
function randomHex20 (): string {
  const u = randomUUID()
  // xxxxxxxx-xxxx-4xxx-vxxx-xxxxxxxxxxxx: 8 + 4 + 3 + 3 + 2 random hex digits (v is not).
  return `${u.slice(0, 8)}${u.slice(9, 13)}${u.slice(15, 18)}${u.slice(20, 23)}${u.slice(24, 26)}`
}

/**
 * `req_` + 12 hex digits of the time in ms + 20 random hex digits (80 bits). Time first keeps
 * the request log's primary-key index append-mostly: with random ids every insert lands on a
 * random page, which made a row cost 24–38 µs on tables of 200k–1M rows against 8 µs
 * (issue 14). The random part comes from randomUUID, which draws from a pooled entropy buffer
 * (`randomHex20`).
 */
export function requestId (now = Date.now()): string {
  return `req_${now.toString(16).padStart(12, '0')}${randomHex20()}`
}
