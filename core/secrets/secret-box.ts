// AES-256-GCM for account credentials at rest. The key comes from RELAY_SECRET_KEY (32 bytes as
// 64 hex chars or base64) or, when unset, from a key file generated once with mode 0600 outside
// the database, so a copy of the database alone does not reveal any credential.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { errors } from '../errors.ts'

const VERSION = 'v1'

export interface SecretBox {
  seal (plaintext: string): string
  open (sealed: string): string
}

export function createSecretBox (key: Buffer): SecretBox {
  if (key.length !== 32) throw new errors.RELAY_ERR_SECRET_KEY('the secret key must be 32 bytes')
  return {
    seal (plaintext) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64')}`
    },
    open (sealed) {
      const [version, payload] = sealed.split(':')
      if (version !== VERSION || !payload) throw new errors.RELAY_ERR_SECRET_KEY('unknown secret format')
      const raw = Buffer.from(payload, 'base64')
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12))
      decipher.setAuthTag(raw.subarray(12, 28))
      try {
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')
      } catch {
        throw new errors.RELAY_ERR_SECRET_KEY('a stored credential cannot be decrypted: is RELAY_SECRET_KEY (or the key file) the one it was stored with?')
      }
    },
  }
}

function parseSecretKey (text: string): Buffer {
  const t = text.trim()
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64')
  if (key.length !== 32) throw new errors.RELAY_ERR_SECRET_KEY('RELAY_SECRET_KEY must be 32 bytes: 64 hex characters or base64 (openssl rand -hex 32)')
  return key
}

export interface SecretKeySource {
  key: Buffer
  /** Set when a new key file was written: the caller warns the operator once. */
  generatedFile?: string
}

export function loadSecretKey (env: NodeJS.ProcessEnv, keyFile: string): SecretKeySource {
  if (env.RELAY_SECRET_KEY) return { key: parseSecretKey(env.RELAY_SECRET_KEY) }
  if (existsSync(keyFile)) {
    if ((statSync(keyFile).mode & 0o077) !== 0) chmodSync(keyFile, 0o600)
    return { key: parseSecretKey(readFileSync(keyFile, 'utf8')) }
  }
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 })
  const key = randomBytes(32)
  // 'wx' fails if another process created the file meanwhile; then read theirs.
  try {
    writeFileSync(keyFile, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
  } catch {
    return { key: parseSecretKey(readFileSync(keyFile, 'utf8')) }
  }
  return { key, generatedFile: keyFile }
}
