// Admin auth is deny by default: every route registered under /_relay/admin/api/ is called with
// no identity, a wrong token, an expired session, a live session without its CSRF token (calls
// that change something), and a spoofed SSO header, and must refuse each, changing nothing.
// Logins are rate-limited per address; a session's cookie is HttpOnly and SameSite=Strict.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { adminRelay, ADMIN_TOKEN, login, PASSWORD } from '../helpers/admin.ts'
import { tempDir, testConfig, type Relay } from '../helpers/relay-harness.ts'
import { runCli } from '../helpers/processes.ts'
import { openRuntime } from '../../core/runtime.ts'
import { createRelayServer } from '../../core/server.ts'

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

test('every admin API route refuses a caller without an identity, with a wrong token, an expired session, a missing CSRF token or a spoofed SSO header', async t => {
  const relay = await adminRelay(t, { sso: { header: 'X-Forwarded-User', trustedProxies: ['10.9.9.9/32'] } })
  const routes = relay.server.adminRoutes.filter(r => r.url.startsWith('/_relay/admin/api/') && r.method !== 'OPTIONS' && r.method !== 'HEAD')
  assert.ok(routes.length >= 25, `only ${routes.length} admin routes were seen`)
  // An expired session, as the store would hold one.
  await relay.rt.store.insertAdminSession({ idHash: sha256('expired-session-id'), user: 'root', csrf: 'c', createdAt: 0, expiresAt: Date.now() - 1 })
  const live = await login(relay)
  const before = JSON.stringify([await relay.rt.store.listKeys(), await relay.rt.store.listAccounts()])
  const cases: [string, Record<string, string>, (method: string) => number | undefined][] = [
    ['no identity', {}, () => 401],
    ['a wrong token', { authorization: 'Bearer admin-token-wrong-00000000000000' }, () => 401],
    ['the token as another scheme', { authorization: `Basic ${ADMIN_TOKEN}` }, () => 401],
    ['an expired session', { cookie: 'relay_admin_session=expired-session-id' }, () => 401],
    ['a made-up session', { cookie: 'relay_admin_session=made-up' }, () => 401],
    ['a live session without CSRF', { cookie: live.cookie }, m => (m === 'GET' ? undefined : 403)],
    ['a live session with a wrong CSRF', { cookie: live.cookie, 'x-csrf-token': 'x'.repeat(live.csrf.length) }, m => (m === 'GET' ? undefined : 403)],
    ['a spoofed SSO header', { 'x-forwarded-user': 'root', 'x-requested-with': 'x' }, () => 401],
  ]
  for (const route of routes) {
    const url = route.url.replace(/:(\w+)/g, 'x')
    for (const [name, headers, expect] of cases) {
      const want = expect(route.method)
      if (want === undefined) continue
      const res = await request(`${relay.url}${url}`, {
        method: route.method as 'GET', headers: { 'content-type': 'application/json', ...headers },
        body: route.method === 'GET' || route.method === 'DELETE' ? undefined : JSON.stringify({ name: 'evil', provider: 'claude', type: 'claude-api-key', fields: { apiKey: 'x' }, code: 'x' }),
      })
      const body = await res.body.json() as { error?: { code?: string } }
      assert.equal(res.statusCode, want, `${route.method} ${url} with ${name}: ${JSON.stringify(body)}`)
      assert.match(String(body.error?.code), /^RELAY_ERR_ADMIN_/)
    }
  }
  assert.equal(JSON.stringify([await relay.rt.store.listKeys(), await relay.rt.store.listAccounts()]), before, 'nothing changed')
})

test('an SSO header is believed from a trusted proxy (and only for listed users); changing calls need X-Requested-With', async t => {
  const relay = await adminRelay(t, { sso: { header: 'X-Forwarded-User', trustedProxies: ['127.0.0.1/32'], users: ['alice@example.com'] } })
  const call = (user: string, method = 'GET', extra: Record<string, string> = {}) => request(`${relay.url}/_relay/admin/api/${method === 'GET' ? 'session' : 'keys'}`, {
    method: method as 'GET', headers: { 'x-forwarded-user': user, 'content-type': 'application/json', ...extra }, body: method === 'GET' ? undefined : JSON.stringify({ name: 'via-sso' }),
  })
  const ok = await call('alice@example.com')
  assert.deepEqual([ok.statusCode, (await ok.body.json() as { user: string, via: string }).via], [200, 'sso'])
  const stranger = await call('mallory@example.com')
  assert.equal(stranger.statusCode, 403)
  await stranger.body.dump()
  const noHeader = await call('alice@example.com', 'POST')
  assert.equal(noHeader.statusCode, 403)
  await noHeader.body.dump()
  const created = await call('alice@example.com', 'POST', { 'x-requested-with': 'relay-admin' })
  assert.equal(created.statusCode, 201)
  await created.body.dump()
})

test('sessions: the cookie is HttpOnly and SameSite=Strict; logging out ends the session; logins are throttled', async t => {
  const relay = await adminRelay(t, { loginAttempts: { max: 5, windowMs: 60_000 } })
  const res = await request(`${relay.url}/_relay/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'root', password: PASSWORD }) })
  const setCookie = String(res.headers['set-cookie'])
  assert.match(setCookie, /HttpOnly/i)
  assert.match(setCookie, /SameSite=Strict/i)
  assert.match(setCookie, /Path=\/_relay\//)
  const { csrf } = await res.body.json() as { csrf: string }
  const cookie = setCookie.split(';')[0]!
  const who = await request(`${relay.url}/_relay/admin/api/session`, { headers: { cookie } })
  assert.deepEqual(await who.body.json(), { user: 'root', via: 'session', csrf })
  const out = await request(`${relay.url}/_relay/admin/api/logout`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } })
  assert.equal(out.statusCode, 204)
  await out.body.dump()
  const after = await request(`${relay.url}/_relay/admin/api/session`, { headers: { cookie } })
  assert.equal(after.statusCode, 401)
  await after.body.dump()

  const statuses: number[] = []
  for (let i = 0; i < 7; i++) {
    const bad = await request(`${relay.url}/_relay/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'root', password: `wrong-${i}` }) })
    statuses.push(bad.statusCode)
    await bad.body.dump()
  }
  // One good login above, then 4 more attempts in the window; the rest are turned away.
  assert.deepEqual(statuses, [401, 401, 401, 401, 429, 429, 429])
})

test('behind a gateway, logins are throttled per client address and per user name, with their own code and when to retry', async t => {
  const relay = await adminRelay(t, { loginAttempts: { max: 3, windowMs: 60_000 } })
  // The relay's peer is always the gateway (127.0.0.1, trusted): the client is in X-Forwarded-For.
  const attempt = async (from: string, name: string, password: string) => {
    const res = await request(`${relay.url}/_relay/admin/login`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `${from}, 127.0.0.1` }, body: JSON.stringify({ name, password }),
    })
    const body = await res.body.json() as { error?: { code: string, message: string } }
    return { status: res.statusCode, code: body.error?.code, retryAfter: res.headers['retry-after'], message: body.error?.message }
  }
  for (let i = 0; i < 3; i++) assert.equal((await attempt('203.0.113.7', `guess-${i}`, 'wrong-password-1')).status, 401)
  const throttled = await attempt('203.0.113.7', 'root', PASSWORD)
  assert.equal(throttled.status, 429)
  assert.equal(throttled.code, 'RELAY_ERR_LOGIN_THROTTLED')
  assert.ok(Number(throttled.retryAfter) >= 1 && Number(throttled.retryAfter) <= 60, String(throttled.retryAfter))
  assert.match(throttled.message!, /from this address; retry in \d+ seconds/)
  // Another client behind the same gateway is not locked out.
  assert.equal((await attempt('198.51.100.2', 'root', PASSWORD)).status, 200)
  // Many addresses guessing one user's password: that user is throttled, whatever the address.
  for (let i = 0; i < 2; i++) assert.equal((await attempt(`192.0.2.${10 + i}`, 'ROOT', 'wrong-password-2')).status, 401)
  const user = await attempt('192.0.2.99', 'root', PASSWORD)
  assert.deepEqual([user.status, user.code], [429, 'RELAY_ERR_LOGIN_THROTTLED'])
  assert.match(user.message!, /for this user/)
})

test('the session cookie is Secure when the client came over https, as told by a trusted proxy only', async t => {
  const cookieFor = async (relay: Relay, proto: string) => {
    const res = await request(`${relay.url}/_relay/admin/login`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-proto': proto }, body: JSON.stringify({ name: 'root', password: PASSWORD }),
    })
    await res.body.dump()
    assert.equal(res.statusCode, 200)
    return String(res.headers['set-cookie'])
  }
  const trusted = await adminRelay(t)
  assert.match(await cookieFor(trusted, 'https'), /;\s*Secure/i)
  assert.doesNotMatch(await cookieFor(trusted, 'http'), /;\s*Secure/i)
  const untrusted = await adminRelay(t, {}, { relay: { trustedProxies: ['10.9.9.9/32'] } })
  assert.doesNotMatch(await cookieFor(untrusted, 'https'), /;\s*Secure/i, 'a client cannot claim https for itself')
})

test('the first admin from the CLI (password on stdin), and a token given as its hash', async t => {
  const dir = tempDir()
  const config = join(dir, 'relay.yaml')
  const token = 'admin-token-from-hash-0123456789ab'
  writeFileSync(config, JSON.stringify(testConfig(undefined, { store: { path: './relay.db' }, admin: { tokens: [{ name: 'ci', tokenHash: `sha256:${sha256(token)}` }] } })))
  const short = runCli(['admin', 'users', 'add', '--name', 'root', '--config', config], { input: 'short\n' })
  assert.equal(short.status, 2)
  const added = runCli(['admin', 'users', 'add', '--name', 'root', '--config', config], { input: `${PASSWORD}\n` })
  assert.equal(added.status, 0, added.stderr)
  assert.ok(!added.stdout.includes(PASSWORD) && !added.stderr.includes(PASSWORD))
  assert.match(runCli(['admin', 'users', 'list', '--config', config]).stdout, /root/)
  const rt = (await openRuntime(config))!
  const server = await createRelayServer(rt, { logDestination: { write: () => {} } })
  const url = await server.listen()
  t.after(() => server.close())
  const relay = { url } as Relay
  await login(relay)
  const byHash = await request(`${url}/_relay/admin/api/session`, { headers: { authorization: `Bearer ${token}` } })
  assert.deepEqual(await byHash.body.json(), { user: 'ci', via: 'token', csrf: null })
})

test('the pages answer with a trailing slash too (the address the CLI prints): a redirect, query kept; other slashed targets stay refused', async t => {
  const relay = await adminRelay(t)
  for (const [path, to] of [['/_relay/admin/', '/_relay/admin'], ['/_relay/admin/?lang=zh-CN', '/_relay/admin?lang=zh-CN'], ['/_relay/me/', '/_relay/me']]) {
    const res = await request(`${relay.url}${path}`)
    await res.body.dump()
    assert.deepEqual([res.statusCode, res.headers.location], [308, to], path)
    const page = await request(`${relay.url}${to}`)
    assert.equal(page.statusCode, 200)
    assert.match(await page.body.text(), /<html/i)
  }
  const other = await request(`${relay.url}/_relay/admin/api/keys/`)
  await other.body.dump()
  assert.equal(other.statusCode, 400)
})
