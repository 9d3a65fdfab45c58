// An admin-enabled sidecar for tests: an admin token in the config, a local user `root`.
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { request } from 'undici'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { startRelay, testConfig, type Relay } from './relay-harness.ts'
import { hashPassword } from '../../core/admin/passwords.ts'

export const ADMIN_TOKEN = 'admin-token-0123456789abcdefghij'
export const PASSWORD = 'correct horse battery staple'

export async function adminRelay (t: TestContext, admin: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<Relay> {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  return startRelay(t, testConfig(mock.url, { admin: { tokens: [{ name: 'ops', token: ADMIN_TOKEN }], ...admin }, ...extra }), async rt => {
    await rt.store.putAdminUser({ name: 'root', passwordHash: await hashPassword(PASSWORD), createdAt: Date.now() })
  })
}

/** Logs `root` in; the session cookie and CSRF token. */
export async function login (relay: Relay): Promise<{ cookie: string, csrf: string }> {
  const res = await request(`${relay.url}/_relay/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'root', password: PASSWORD }) })
  assert.equal(res.statusCode, 200)
  const { csrf } = await res.body.json() as { csrf: string }
  const cookie = String(res.headers['set-cookie']).split(';')[0]!
  return { cookie, csrf }
}
