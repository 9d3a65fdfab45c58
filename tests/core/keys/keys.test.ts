import { test } from 'node:test'
import assert from 'node:assert/strict'
import { presentedKey } from '../../../core/keys/presented-key.ts'
import { generateKey, hashKey, KEY_PREFIX } from '../../../core/keys/api-key.ts'
import { declaredKeys, KeyRegistry } from '../../../core/keys/key-registry.ts'
import { declaredId } from '../../../core/ids.ts'

test('keys are taken from the first of x-api-key, x-goog-api-key, Bearer, api-key, ?key=', () => {
  const all = { 'x-api-key': 'a', 'x-goog-api-key': 'b', authorization: 'Bearer c', 'api-key': 'd' }
  const q = 'beta=true&key=e'
  assert.deepEqual(presentedKey(all, q), { key: 'a', query: 'beta=true' })
  assert.equal(presentedKey({ ...all, 'x-api-key': undefined }, q).key, 'b')
  assert.equal(presentedKey({ authorization: 'Bearer c', 'api-key': 'd' }, q).key, 'c')
  assert.equal(presentedKey({ authorization: 'Basic Zm9v', 'api-key': 'd' }, q).key, 'd')
  assert.equal(presentedKey({}, q).key, 'e')
  assert.deepEqual(presentedKey({}, ''), { key: undefined, query: '' })
  // The name is read decoded, so it is removed decoded: `%6Bey` is `key`.
  assert.deepEqual(presentedKey({}, 'a=1&%6Bey=f&b=2'), { key: 'f', query: 'a=1&b=2' })
})

test('generated keys are prefixed, high-entropy and unique; only their hash is kept', () => {
  const a = generateKey()
  const b = generateKey()
  assert.ok(a.startsWith(KEY_PREFIX))
  assert.ok(a.length >= KEY_PREFIX.length + 43)
  assert.notEqual(a, b)
  assert.match(hashKey(a), /^[0-9a-f]{64}$/)
})

test('declared keys get stable ids from their names and accept a key or its hash', () => {
  const key = 'ars_declared-0123456789abcdefghijk'
  const [k1, k2] = declaredKeys([{ name: 'alice', key, disabled: false }, { name: 'bob', keyHash: `sha256:${hashKey('ars_bob-secret-0123456789abcdefg')}`, disabled: false }])
  assert.equal(k1!.id, declaredId('key', 'alice'))
  assert.equal(k1!.id, declaredKeys([{ name: 'alice', key: 'ars_other-0123456789abcdefghijklm', disabled: false }])[0]!.id)
  assert.ok(!JSON.stringify(k1).includes(key), 'the secret itself is not kept')
  const reg = new KeyRegistry()
  reg.load([k1!, k2!])
  assert.equal(reg.authenticate(key, Date.now()).name, 'alice')
  assert.equal(reg.authenticate('ars_bob-secret-0123456789abcdefg', Date.now()).name, 'bob')
})

test('authenticate: missing, invalid, disabled and expired keys fail with their own codes', () => {
  const reg = new KeyRegistry()
  const now = Date.parse('2026-11-26T12:00:00Z')
  reg.load(declaredKeys([
    { name: 'on', key: 'ars_on-0123456789abcdefghijklmno', disabled: false, expiresAt: '2026-11-26T12:00:01Z' },
    { name: 'off', key: 'ars_off-0123456789abcdefghijklmn', disabled: true },
    { name: 'old', key: 'ars_old-0123456789abcdefghijklmn', disabled: false, expiresAt: '2026-11-26T12:00:00Z' },
  ]))
  const code = (k: string | undefined) => {
    try {
      reg.authenticate(k, now)
      return 'ok'
    } catch (err) {
      return (err as { code: string, statusCode: number }).code
    }
  }
  assert.equal(code('ars_on-0123456789abcdefghijklmno'), 'ok')
  assert.equal(code(undefined), 'RELAY_ERR_KEY_MISSING')
  assert.equal(code('ars_unknown-000000000000000000000'), 'RELAY_ERR_KEY_INVALID')
  assert.equal(code('ars_off-0123456789abcdefghijklmn'), 'RELAY_ERR_KEY_DISABLED')
  assert.equal(code('ars_old-0123456789abcdefghijklmn'), 'RELAY_ERR_KEY_EXPIRED')
})
