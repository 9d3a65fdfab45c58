// Claude subscription (OAuth) accounts: PKCE login, refresh ahead of expiry and after a 401
// (single-flight), who may use them, and what is never forwarded.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { startAnthropicMock } from '../../mocks/anthropic-mock.ts'
import { GOOD_CODE, startOAuthMock, type OAuthMock } from '../../mocks/oauth-mock.ts'
import { claudeOAuth, OAUTH_DEFAULTS } from '../../../plugins/claude/oauth.ts'
import { ALICE_KEY, claudeAccount, startRelay, tempDir, testConfig, until } from '../../helpers/relay-harness.ts'
import { loginWithCli, runCli } from '../../helpers/processes.ts'
import { randomId } from '../../../core/ids.ts'
import type { Runtime } from '../../../core/runtime.ts'
import { openSqliteStore } from '../../../core/store/sqlite-store.ts'

const CLAUDE_CODE = { 'user-agent': 'claude-cli/2.1.332 (external, cli)', 'x-app': 'cli' }

function oauthPlugin (oauth: OAuthMock) {
  return [{ use: 'claude', mount: '/claude', options: { oauth: { tokenUrl: oauth.tokenUrl, authorizeUrl: `${oauth.url}/authorize` } } }]
}

/** Stores an OAuth account the way `accounts login` would. */
function storeOAuthAccount (fields: Record<string, unknown>, name = 'max', priority = 10) {
  return async (rt: Runtime) => {
    const { accessToken, refreshToken, ...plain } = fields
    await rt.store.insertAccount({
      id: randomId('acc'), name, provider: 'claude', type: 'claude-oauth', priority, disabled: false,
      fields: { allowOtherClients: false, ...plain }, sealedSecrets: rt.secretBox.seal(JSON.stringify({ accessToken, refreshToken })),
      createdAt: Date.now(), source: 'store', groups: [], maxConcurrency: null, models: null, sealedProxy: null,
    })
  }
}

let conversation = 0

/** A first turn of a new conversation each time (so no sticky binding carries over). */
function call (url: string, headers: Record<string, string> = CLAUDE_CODE, path = '/claude/v1/messages') {
  return request(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, 'anthropic-beta': 'claude-code-20250219', ...headers },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: `hi ${++conversation}` }] }),
  })
}

test('PKCE: the authorize URL carries an S256 challenge of the verifier the exchange sends', async t => {
  const oauth = await startOAuthMock()
  t.after(() => oauth.close())
  const steps = claudeOAuth({ ...OAUTH_DEFAULTS, tokenUrl: oauth.tokenUrl })
  const dispatcher = new Agent()
  t.after(() => dispatcher.close())
  const { url, pending } = await steps.authorize({ dispatcher, now: 1000 })
  const u = new URL(url)
  assert.equal(u.origin + u.pathname, OAUTH_DEFAULTS.authorizeUrl)
  assert.equal(u.searchParams.get('client_id'), OAUTH_DEFAULTS.clientId)
  assert.equal(u.searchParams.get('code_challenge_method'), 'S256')
  assert.equal(u.searchParams.get('redirect_uri'), OAUTH_DEFAULTS.redirectUri)
  assert.match(u.searchParams.get('scope')!, /user:inference/)
  const fields = await steps.exchange(`${GOOD_CODE}#${u.searchParams.get('state')}`, pending, { dispatcher, now: 1000 })
  const sent = oauth.calls.at(-1)!
  assert.equal(createHash('sha256').update(sent.code_verifier!).digest('base64url'), u.searchParams.get('code_challenge'))
  assert.equal(sent.state, u.searchParams.get('state'))
  assert.deepEqual(fields, { accessToken: oauth.access(), refreshToken: 'rt-2', expiresAt: 1000 + 28_800_000, scopes: ['user:inference', 'user:profile'], email: 'max@example.com' })
  await assert.rejects(steps.exchange(`${GOOD_CODE}#other-state`, pending, { dispatcher, now: 1 }), /state mismatch/)
  await assert.rejects(steps.exchange(`bad-code#${pending.state}`, pending, { dispatcher, now: 1 }), /400 \(invalid_grant\)/)
  // A code without its state cannot be tied to this login attempt.
  await assert.rejects(steps.exchange(GOOD_CODE, pending, { dispatcher, now: 1 }), /has no state/)
  // The whole callback URL, as a browser shows it, is understood.
  const again = await steps.authorize({ dispatcher, now: 1 })
  const callback = `https://platform.claude.com/oauth/code/callback?code=${GOOD_CODE}&state=${again.pending.state}`
  assert.equal((await steps.exchange(callback, again.pending, { dispatcher, now: 1 })).email, 'max@example.com')
  await assert.rejects(steps.exchange(`https://platform.claude.com/oauth/code/callback?code=${GOOD_CODE}`, again.pending, { dispatcher, now: 1 }), /has no state/)
})

test('accounts login claude: prints the URL, takes the pasted code, stores the tokens sealed', async t => {
  const oauth = await startOAuthMock()
  t.after(() => oauth.close())
  const dir = tempDir()
  const config = join(dir, 'relay.yaml')
  writeFileSync(config, JSON.stringify({ plugins: oauthPlugin(oauth), store: { path: './relay.db' }, secrets: { keyFile: './secret.key' } }))
  const r = await loginWithCli(['claude', '--name', 'max', '--set', 'allowOtherClients=true', '--group', 'team', '--config', config], url => `${GOOD_CODE}#${url.searchParams.get('state')}`)
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stderr, new RegExp(`${oauth.url}/authorize\\?code=true&client_id=`))
  assert.match(r.stdout, /Logged in: claude account "max" \(acc_\w+, claude-oauth for max@example.com\)/)
  // The CLI closed the database, so its write-ahead log is folded into the file.
  const db = readFileSync(join(dir, 'relay.db')).toString('latin1')
  assert.ok(!db.includes(oauth.access()) && !db.includes('rt-2'), 'tokens are sealed at rest')
  assert.match(runCli(['accounts', 'list', '--config', config]).stdout, /max\s+claude\s+claude-oauth\s+50\s+active/)
  const store = openSqliteStore(join(dir, 'relay.db'))
  const [stored] = await store.listAccounts()
  await store.close()
  assert.deepEqual([stored!.fields.allowOtherClients, stored!.fields.email, stored!.groups], [true, 'max@example.com', ['team']])
  const refused = runCli(['accounts', 'login', 'claude', '--name', 'max2', '--set', 'refreshToken=x', '--config', config])
  assert.equal(refused.status, 2)
  assert.match(refused.stderr, /refreshToken is a credential/)
})

test('ten concurrent 401s cause exactly one refresh; every request then succeeds with the new token', async t => {
  const oauth = await startOAuthMock()
  t.after(() => oauth.close())
  oauth.refreshDelayMs = 150
  const upstream = await startAnthropicMock()
  t.after(() => upstream.close())
  upstream.setAuth(h => h.authorization === `Bearer ${oauth.access()}`)
  const relay = await startRelay(t, testConfig(undefined, { plugins: oauthPlugin(oauth) }),
    storeOAuthAccount({ accessToken: 'at-revoked', refreshToken: 'rt-1', expiresAt: Date.now() + 3_600_000, baseUrl: upstream.url }))
  const results = await Promise.all(Array.from({ length: 10 }, async () => {
    const res = await call(relay.url)
    await res.body.dump()
    return res.statusCode
  }))
  assert.deepEqual(results, Array(10).fill(200))
  assert.equal(oauth.refreshes, 1)
  const served = upstream.requests.filter(r => r.headers.authorization === `Bearer ${oauth.access()}`)
  assert.equal(served.length, 10)
  for (const r of upstream.requests) {
    assert.equal(r.headers['x-api-key'], undefined)
    assert.equal(r.headers['anthropic-beta'], 'claude-code-20250219,oauth-2025-04-20')
  }
  // The rotated tokens are what the store now holds.
  const stored = (await relay.rt.store.listAccounts()).find(a => a.name === 'max')!
  assert.deepEqual(JSON.parse(relay.rt.secretBox.open(stored.sealedSecrets!)), { accessToken: oauth.access(), refreshToken: 'rt-2' })
})

test('a token about to expire is refreshed before the request; the upstream never sees the old one', async t => {
  const oauth = await startOAuthMock()
  t.after(() => oauth.close())
  const upstream = await startAnthropicMock()
  t.after(() => upstream.close())
  const relay = await startRelay(t, testConfig(undefined, { plugins: oauthPlugin(oauth) }),
    storeOAuthAccount({ accessToken: 'at-1', refreshToken: 'rt-1', expiresAt: Date.now() + 20_000, baseUrl: upstream.url }))
  const res = await call(relay.url)
  assert.equal(res.statusCode, 200)
  await res.body.dump()
  assert.equal(oauth.refreshes, 1)
  assert.deepEqual(upstream.requests.map(r => r.headers.authorization), ['Bearer at-2'])
})

test('a revoked grant marks the account unauthorized and the request fails over to another account', async t => {
  const oauth = await startOAuthMock()
  t.after(() => oauth.close())
  oauth.revoked = true
  const sub = await startAnthropicMock()
  t.after(() => sub.close())
  sub.setAuth(() => false)
  const api = await startAnthropicMock()
  t.after(() => api.close())
  const relay = await startRelay(t, testConfig(undefined, { plugins: oauthPlugin(oauth), accounts: [claudeAccount(api.url, { priority: 90 })] }),
    storeOAuthAccount({ accessToken: 'at-1', refreshToken: 'rt-1', expiresAt: Date.now() + 3_600_000, baseUrl: sub.url }))
  const res = await call(relay.url)
  assert.equal(res.statusCode, 200)
  await res.body.dump()
  assert.equal(oauth.refreshes, 1)
  assert.equal(api.requests.length, 1)
  const max = relay.server.pool.byName('max')!
  assert.equal(relay.server.health.state(max.id).status, 'unauthorized')
})

test('subscription accounts serve Claude Code only, unless opted in; OAuth endpoints are never relayed', async t => {
  const oauth = await startOAuthMock()
  t.after(() => oauth.close())
  const upstream = await startAnthropicMock()
  t.after(() => upstream.close())
  const relay = await startRelay(t, testConfig(undefined, { plugins: oauthPlugin(oauth) }), async rt => {
    await storeOAuthAccount({ accessToken: 'at-1', refreshToken: 'rt-1', baseUrl: upstream.url })(rt)
    await storeOAuthAccount({ accessToken: 'at-1', refreshToken: 'rt-1', baseUrl: upstream.url, allowOtherClients: true }, 'shared-max', 20)(rt)
  })
  const sdk = { 'user-agent': 'Anthropic/JS 1.14.0' }
  const a = await call(relay.url, sdk)
  assert.equal(a.statusCode, 200)
  await a.body.dump()
  const b = await call(relay.url)
  assert.equal(b.statusCode, 200)
  await b.body.dump()
  await relay.settled()
  const [cc, other] = await relay.rt.store.recentRequests(2)
  assert.equal(other!.accountId, relay.server.pool.byName('shared-max')!.id, 'the SDK may only use the opted-in account')
  assert.equal(cc!.accountId, relay.server.pool.byName('max')!.id)
  const oauthPath = await call(relay.url, CLAUDE_CODE, '/claude/api/oauth/profile')
  assert.equal(oauthPath.statusCode, 404)
  await oauthPath.body.dump()
  assert.equal(upstream.requests.length, 2)
})

test('a client that only subscription accounts could serve gets a lasting refusal saying so, not an overload', async t => {
  const oauth = await startOAuthMock()
  t.after(() => oauth.close())
  const upstream = await startAnthropicMock()
  t.after(() => upstream.close())
  const relay = await startRelay(t, testConfig(undefined, { plugins: oauthPlugin(oauth) }), storeOAuthAccount({ accessToken: 'at-1', refreshToken: 'rt-1', baseUrl: upstream.url }))
  const res = await call(relay.url, { 'user-agent': 'Anthropic/JS 1.14.0' })
  assert.equal(res.statusCode, 403)
  assert.equal(res.headers['x-should-retry'], 'false')
  const json = await res.body.json() as { error: { type: string, message: string } }
  assert.equal(json.error.type, 'permission_error')
  assert.match(json.error.message, /subscription accounts serve Claude Code only \(this client: sdk\)/)
  assert.equal(upstream.requests.length, 0)
})

test('refreshable OAuth accounts cannot be declared in the config file', async () => {
  const dir = tempDir()
  const file = join(dir, 'relay.yaml')
  writeFileSync(file, 'plugins: [{ use: claude, mount: /claude }]\naccounts: [{ name: m, provider: claude, type: claude-oauth, accessToken: a, refreshToken: r }]\n')
  const r = runCli(['config', 'check', '--config', file])
  assert.equal(r.status, 1)
  assert.match(r.stderr, /\/accounts\/0\/refreshToken: refreshable claude-oauth accounts are stored/)
})

test('a token endpoint outage is retried with backoff while the account rests; an expired token is never sent; it recovers by itself', async t => {
  const oauth = await startOAuthMock()
  t.after(() => oauth.close())
  const upstream = await startAnthropicMock()
  t.after(() => upstream.close())
  upstream.setAuth(h => h.authorization === `Bearer ${oauth.access()}`)
  let clock = Date.now()
  const t0 = clock
  const relay = await startRelay(t, testConfig(undefined, { plugins: oauthPlugin(oauth) }),
    storeOAuthAccount({ accessToken: 'at-1', refreshToken: 'rt-1', expiresAt: t0 + 10_000, baseUrl: upstream.url }), {}, { now: () => clock })
  const max = relay.server.pool.byName('max')!
  oauth.refreshStatus = 503
  // Due for a refresh ahead of expiry; the refresh fails, the token still works.
  const first = await call(relay.url)
  assert.equal(first.statusCode, 200)
  await first.body.dump()
  assert.equal(oauth.refreshes, 1)
  const st = relay.server.health.state(max.id)
  assert.deepEqual([st.status, st.refreshFailures, st.cooldownUntil], ['active', 1, null], 'a passing failure does not need a login')
  // Backing off: the next request does not call the token endpoint again.
  const second = await call(relay.url)
  assert.equal(second.statusCode, 200)
  await second.body.dump()
  assert.equal(oauth.refreshes, 1)
  // Expired while backing off: nothing is sent with it; the account rests until the retry.
  clock = t0 + 20_000
  const third = await call(relay.url)
  assert.equal(third.statusCode, 503)
  assert.equal(Number(third.headers['retry-after']), 10)
  await third.body.dump()
  assert.equal(upstream.requests.length, 2, 'no request with a known-expired token')
  assert.equal(oauth.refreshes, 1)
  // The endpoint is back and the backoff over: refreshed, served, healthy.
  oauth.refreshStatus = undefined
  clock = t0 + 31_000
  const fourth = await call(relay.url)
  assert.equal(fourth.statusCode, 200)
  await fourth.body.dump()
  assert.equal(upstream.requests.at(-1)!.headers.authorization, `Bearer ${oauth.access()}`)
  assert.deepEqual([relay.server.health.state(max.id).status, relay.server.health.state(max.id).refreshFailures], ['active', 0])
})

test('a refused refresh token needs a new login and is not retried on every request', async t => {
  const oauth = await startOAuthMock()
  t.after(() => oauth.close())
  oauth.revoked = true
  const upstream = await startAnthropicMock()
  t.after(() => upstream.close())
  const relay = await startRelay(t, testConfig(undefined, { plugins: oauthPlugin(oauth) }),
    storeOAuthAccount({ accessToken: 'at-1', refreshToken: 'rt-1', expiresAt: Date.now() - 1000, baseUrl: upstream.url }))
  for (let i = 0; i < 3; i++) {
    const res = await call(relay.url)
    assert.equal(res.statusCode, 503)
    assert.equal(res.headers['x-should-retry'], 'false')
    await res.body.dump()
  }
  assert.equal(oauth.refreshes, 1)
  assert.equal(upstream.requests.length, 0, 'the expired token was never sent')
  const st = relay.server.health.state(relay.server.pool.byName('max')!.id)
  assert.equal(st.status, 'unauthorized')
  assert.match(st.reason!, /^log in again: token endpoint answered 400 \(invalid_grant\)/)
})

test('a refresh racing a reload of the accounts (a CLI write) is not lost: the rotated token stays in use', async t => {
  const oauth = await startOAuthMock()
  t.after(() => oauth.close())
  oauth.refreshDelayMs = 1500
  const upstream = await startAnthropicMock()
  t.after(() => upstream.close())
  upstream.setAuth(h => h.authorization === `Bearer ${oauth.access()}`)
  const relay = await startRelay(t, testConfig(undefined, { plugins: oauthPlugin(oauth) }),
    storeOAuthAccount({ accessToken: 'at-1', refreshToken: 'rt-1', expiresAt: Date.now() - 1000, baseUrl: upstream.url }))
  const pending = call(relay.url)
  await until(() => oauth.calls.some(c => c.grant_type === 'refresh_token'))
  // Another process writes while the token call is in flight; the sidecar reloads from the store.
  const other = openSqliteStore(join(relay.dir, 'relay.db'))
  await other.insertKey({ id: 'key_carol', name: 'carol', hashScheme: 'sha256', hash: 'f'.repeat(64), hint: 'x', disabled: false, expiresAt: null, createdAt: 1, source: 'store', bindings: {}, policy: {} })
  await other.close()
  await until(() => relay.server.keys.list().some(k => k.name === 'carol'))
  const res = await pending
  assert.equal(res.statusCode, 200)
  await res.body.dump()
  // The reload loaded the credentials the store had before the refresh wrote; they must not win.
  const next = await call(relay.url)
  assert.equal(next.statusCode, 200)
  await next.body.dump()
  assert.equal(oauth.refreshes, 1)
  assert.deepEqual(upstream.requests.map(r => r.headers.authorization), ['Bearer at-2', 'Bearer at-2'])
})

test('CLI: accounts list shows the login; a dead account is logged in again in place; keys move; accounts delete', async t => {
  const oauth = await startOAuthMock()
  t.after(() => oauth.close())
  const dir = tempDir()
  const config = join(dir, 'relay.yaml')
  writeFileSync(config, JSON.stringify({ plugins: oauthPlugin(oauth), store: { path: './relay.db' }, secrets: { keyFile: './secret.key' } }))
  const paste = (url: URL) => `${GOOD_CODE}#${url.searchParams.get('state')}`
  const first = await loginWithCli(['claude', '--name', 'max', '--set', 'allowOtherClients=true', '--config', config], paste)
  assert.equal(first.status, 0, first.stderr)
  assert.match(first.stderr, /WARNING: generated a new credential encryption key/, 'the command that made the key file says so')
  const id = /\((acc_\w+),/.exec(first.stdout)![1]!
  assert.equal(runCli(['keys', 'create', '--name', 'alice', '--account', 'max', '--config', config]).status, 0)
  assert.match(runCli(['accounts', 'list', '--config', config]).stdout, /max@example\.com, expires \S+, ok/)

  // The refresh token dies.
  const store = openSqliteStore(join(dir, 'relay.db'))
  await store.saveAccountState({ accountId: id, status: 'unauthorized', reason: 'log in again: token endpoint answered 400 (invalid_grant)', cooldownUntil: null, consecutiveFailures: 0, lastError: 'token refresh refused', lastErrorAt: 1, rateLimits: null, updatedAt: 1, refreshFailures: 0 })
  await store.close()
  assert.match(runCli(['accounts', 'list', '--config', config]).stdout, /unauthorized: log in again.*max@example\.com, expires \S+, log in again/)
  const refused = runCli(['accounts', 'delete', 'max', '--config', config])
  assert.equal(refused.status, 1)
  assert.match(refused.stderr, /keys bound to "max": alice/)

  const again = await loginWithCli(['claude', '--name', 'max', '--config', config], paste)
  assert.equal(again.status, 0, again.stderr)
  assert.match(again.stdout, new RegExp(`Logged in again: claude account "max" \\(${id}, claude-oauth for max@example.com\\)`))
  assert.doesNotMatch(again.stderr, /WARNING/)
  const listed = JSON.parse(runCli(['accounts', 'list', '--json', '--config', config]).stdout) as { id: string, state: string, fields: Record<string, unknown>, login: { refresh: string } }[]
  assert.deepEqual(listed.map(a => [a.id, a.state, a.login.refresh, a.fields.allowOtherClients]), [[id, 'active', 'ok', true]], 'same id, active, settings kept')
  assert.ok(!JSON.stringify(listed).includes('at-') && !JSON.stringify(listed).includes('rt-'), 'no token is listed')

  assert.equal(runCli(['keys', 'update', 'alice', '--account', 'none', '--config', config]).status, 0)
  const deleted = runCli(['accounts', 'delete', 'max', '--config', config])
  assert.equal(deleted.status, 0, deleted.stderr)
  assert.match(runCli(['keys', 'list', '--config', config]).stdout, /alice\s+\S+\s+active\s+shared pool/)
  assert.deepEqual(JSON.parse(runCli(['accounts', 'list', '--json', '--config', config]).stdout), [])
})
