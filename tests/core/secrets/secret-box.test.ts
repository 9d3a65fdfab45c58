import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createSecretBox, loadSecretKey } from '../../../core/secrets/secret-box.ts'
import { tempDir } from '../../helpers/relay-harness.ts'

test('seal/open round-trips; output is randomised and tamper-evident', () => {
  const box = createSecretBox(randomBytes(32))
  const a = box.seal('{"apiKey":"sk-ant-1"}')
  assert.notEqual(a, box.seal('{"apiKey":"sk-ant-1"}'))
  assert.ok(!a.includes('sk-ant'))
  assert.equal(box.open(a), '{"apiKey":"sk-ant-1"}')
  const raw = Buffer.from(a.slice(3), 'base64')
  raw[raw.length - 1]! ^= 1
  assert.throws(() => box.open(`v1:${raw.toString('base64')}`), { code: 'RELAY_ERR_SECRET_KEY' })
  assert.throws(() => createSecretBox(randomBytes(32)).open(a), { code: 'RELAY_ERR_SECRET_KEY' })
})

test('the key comes from RELAY_SECRET_KEY (hex or base64) or a 0600 file generated once', () => {
  const hex = randomBytes(32).toString('hex')
  assert.equal(loadSecretKey({ RELAY_SECRET_KEY: hex }, '/nonexistent/x').key.toString('hex'), hex)
  const b64 = randomBytes(32)
  assert.deepEqual(loadSecretKey({ RELAY_SECRET_KEY: b64.toString('base64') }, '/nonexistent/x').key, b64)
  assert.throws(() => loadSecretKey({ RELAY_SECRET_KEY: 'too-short' }, '/nonexistent/x'), { code: 'RELAY_ERR_SECRET_KEY' })

  const file = join(tempDir(), 'keys', 'secret.key')
  const first = loadSecretKey({}, file)
  assert.equal(first.generatedFile, file)
  assert.equal(statSync(file).mode & 0o777, 0o600)
  const second = loadSecretKey({}, file)
  assert.equal(second.generatedFile, undefined)
  assert.deepEqual(second.key, first.key)
  assert.equal(readFileSync(file, 'utf8').trim(), first.key.toString('hex'))
})
