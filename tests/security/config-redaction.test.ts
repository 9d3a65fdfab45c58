// The admin console's config view never shows a secret: generated configs put marked secrets
// under secret-sounding names in any spelling and depth, in account fields the type calls
// secret, in URL passwords and query strings, and in notification URLs; none may come out,
// and plain values must.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { redactConfig, REDACTED } from '../../core/admin/config-view.ts'

const MARK = 'S3CR3T'
const secret = fc.stringMatching(/^[A-Za-z0-9_-]{4,20}$/).map(s => `${MARK}${s}`)
const plain = fc.stringMatching(/^[a-z]{1,12}$/)
const secretName = fc.constantFrom('token', 'apiKey', 'api_key', 'botToken', 'clientSecret', 'password', 'SMTP_PASSWORD', 'secret', 'key', 'credentials', 'Authorization', 'cookie', 'refreshToken', 'accessToken')
const plainName = fc.constantFrom('name', 'host', 'port', 'mount', 'every', 'level', 'path', 'chatId', 'keyFile', 'keyHash')

/** A URL carrying a secret as its password, in its query, or (for notifications) in its path. */
const secretUrl = fc.tuple(secret, fc.constantFrom('password', 'query', 'both')).map(([s, where]) =>
  where === 'password' ? `redis://user:${s}@127.0.0.1:6379/0` : where === 'query' ? `https://h.example/x?token=${s}&a=1` : `https://u:${s}@h.example/p?k=${s}`)

const leaf: fc.Arbitrary<unknown> = fc.oneof(plain, fc.integer(), fc.boolean())
const tree = fc.letrec<{ node: unknown }>(tie => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('node'), { maxLength: 3 }),
    fc.tuple(fc.array(fc.tuple(plainName, tie('node')), { maxLength: 3 }), fc.array(fc.tuple(secretName, fc.oneof(secret, fc.array(secret, { maxLength: 2 }))), { maxLength: 2 }), fc.option(secretUrl))
      .map(([plains, secrets, url]) => ({ ...Object.fromEntries(plains), ...Object.fromEntries(secrets), ...(url ? { url } : {}) }))),
})).node

test('redactConfig: no generated secret survives, at any depth, under any secret name, in any URL', () => {
  fc.assert(fc.property(tree, secret, secret, plain, (config, accountSecret, hookSecret, plainValue) => {
    const full = {
      anything: config,
      accounts: [{ name: plainValue, provider: 'claude', type: 'claude-api-key', apiKey: accountSecret, baseUrl: 'https://api.example' }, { name: 'x', provider: 'unknown', type: 'odd', customSecretField: accountSecret }],
      notifications: { targets: [{ type: 'slack', url: `https://hooks.example/services/${hookSecret}` }] },
    }
    const out = JSON.stringify(redactConfig(full, { secretFieldsOf: (p, t) => (p === 'claude' && t === 'claude-api-key' ? ['apiKey'] : undefined) }))
    assert.ok(!out.includes(MARK), out)
    const view = JSON.parse(out) as { accounts: Record<string, unknown>[], notifications: { targets: { url: string }[] } }
    assert.equal(view.accounts[0]!.name, plainValue)
    assert.equal(view.accounts[0]!.baseUrl, 'https://api.example', 'a URL without secrets as written')
    assert.equal(view.accounts[0]!.apiKey, REDACTED)
    assert.equal(view.notifications.targets[0]!.url, 'https://hooks.example/…')
  }), { numRuns: 300 })
})
