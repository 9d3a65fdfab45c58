// Relay API keys: generation, hashing and constant-time verification. Keys are shown once and
// stored only as a hash with its scheme, so imported schemes (the incumbent's salted SHA-256)
// can be added without touching existing rows.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { HashScheme } from '../store/store.ts'

export type { HashScheme }

/** Recognisable in logs, secret scanners and support tickets. */
export const KEY_PREFIX = 'ars_'

export function generateKey (): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url')
}

/** `salt` is claude-relay-service's ENCRYPTION_KEY, for its scheme (appended to the key, as it does). */
export function hashKey (key: string, scheme: HashScheme = 'sha256', salt = ''): string {
  return createHash('sha256').update(scheme === 'crs-sha256' ? key + salt : key, 'utf8').digest('hex')
}

/** `sha256:<hex>` as written in config files. */
export function parseKeyHash (value: string): { scheme: HashScheme, hash: string } {
  const [scheme, hash] = value.split(':') as [HashScheme, string]
  return { scheme, hash }
}

/** A short, non-secret reminder of which key this is (`ars_AbCd…`). */
export function keyHint (key: string): string {
  return key.slice(0, KEY_PREFIX.length + 4) + '…'
}

export function hashesEqual (a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex')
  const y = Buffer.from(b, 'hex')
  return x.length === y.length && timingSafeEqual(x, y)
}
