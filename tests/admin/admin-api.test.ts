// The admin API end to end with an admin token: keys (secret shown once, live limits, rotate,
// disable → the relay refuses it at once), accounts (every type listed with its schema, added,
// tested against the mock, updated, never returning a credential), usage totals and series,
// the request log with filters and cursor pages, and config-declared records read-only.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { ALICE_KEY, UPSTREAM_KEY } from '../helpers/relay-harness.ts'
import { adminRelay, ADMIN_TOKEN } from '../helpers/admin.ts'
import { GOOD_CODE, startOAuthMock } from '../mocks/oauth-mock.ts'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import type { Relay } from '../helpers/relay-harness.ts'
import { webhookReceiver } from '../helpers/webhook.ts'

function api (relay: Relay) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number, json: any }> => {
    const res = await request(`${relay.url}/_relay/admin/api${path}`, {
      method: method as 'GET', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.body.text()
    return { status: res.statusCode, json: text ? JSON.parse(text) : undefined }
  }
}

const message = (relay: Relay, key: string) => request(`${relay.url}/claude/v1/messages`, {
  method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' },
  body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
})

test('keys: created with the secret shown once, used at once, limits live, disabled and refused, rotated, deleted; declared keys read-only', async t => {
  const relay = await adminRelay(t)
  const call = api(relay)
  const created = await call('POST', '/keys', { name: 'dev-1', policy: { rateLimits: [{ window: '1h', requests: 10 }] } })
  assert.equal(created.status, 201)
  assert.match(created.json.key, /^ars_/)
  const id = created.json.id as string
  const listed = await call('GET', '/keys')
  assert.ok(listed.json.items.every((k: Record<string, unknown>) => k.key === undefined && k.hash === undefined), 'no secret or hash in a list')
  assert.equal((await message(relay, created.json.key)).statusCode, 200)
  await relay.settled()
  const shown = await call('GET', `/keys/${id}`)
  assert.deepEqual(shown.json.limits.find((l: { limit: string }) => l.limit === 'rate 1h requests').used, 1)
  assert.equal((await call('POST', `/keys/${id}/disable`)).json.disabled, true)
  const refused = await message(relay, created.json.key)
  assert.equal(refused.statusCode, 401)
  await refused.body.dump()
  await call('POST', `/keys/${id}/enable`)
  const rotated = await call('POST', `/keys/${id}/rotate`)
  assert.notEqual(rotated.json.key, created.json.key)
  const old = await message(relay, created.json.key)
  assert.equal(old.statusCode, 401)
  await old.body.dump()
  assert.equal((await message(relay, rotated.json.key)).statusCode, 200)
  const patched = await call('PATCH', `/keys/${id}`, { policy: { concurrency: 2 }, expiresAt: '2099-01-01T00:00:00Z' })
  assert.deepEqual([patched.json.policy, patched.json.expiresAt], [{ concurrency: 2 }, '2099-01-01T00:00:00.000Z'])
  const bad = await call('PATCH', `/keys/${id}`, { policy: { concurrency: 0 } })
  assert.deepEqual([bad.status, bad.json.error.code], [400, 'RELAY_ERR_BODY_INVALID'])
  const unknown = await call('POST', '/keys', { name: 'x', evil: true })
  assert.equal(unknown.status, 400)
  const taken = await call('POST', '/keys', { name: 'dev-1' })
  assert.equal(taken.status, 409)
  // The code and what filled the message, for the console to say it in its reader's language.
  assert.deepEqual([taken.json.error.code, taken.json.error.params], ['RELAY_ERR_NAME_TAKEN', ['key', 'dev-1']])
  assert.deepEqual(bad.json.error.details.map((d: { path: string, keyword: string }) => [d.path, d.keyword]), [['/policy/concurrency', 'minimum']])
  const declared = (listed.json.items as { id: string, source: string }[]).find(k => k.source === 'config')!
  const readOnly = await call('POST', `/keys/${declared.id}/disable`)
  assert.deepEqual([readOnly.status, readOnly.json.error.message], [409, 'The key "alice" is declared in the config file and is read-only'])
  assert.equal((await call('DELETE', `/keys/${id}`)).status, 204)
  assert.equal((await call('GET', `/keys/${id}`)).status, 404)
})

test('accounts: every type with its schema; added, tested, updated and listed without credentials; declared ones read-only', async t => {
  const relay = await adminRelay(t)
  const call = api(relay)
  const types = await call('GET', '/account-types')
  const claudeKey = types.json.items.find((x: { type: string }) => x.type === 'claude-api-key')
  assert.equal(claudeKey.schema.properties.apiKey.writeOnly, true)
  assert.equal(types.json.items.find((x: { type: string }) => x.type === 'claude-oauth').login, true)
  const mockUrl = String(relay.rt.declaredAccounts[0]!.fields.baseUrl)
  const added = await call('POST', '/accounts', { name: 'spare', provider: 'claude', type: 'claude-api-key', fields: { apiKey: 'sk-ant-spare-secret', baseUrl: mockUrl }, priority: 90, groups: ['team'] })
  assert.equal(added.status, 201, JSON.stringify(added.json))
  assert.ok(!JSON.stringify(added.json).includes('sk-ant-spare-secret'), 'the credential never comes back')
  assert.deepEqual([added.json.state, added.json.priority, added.json.groups], ['active', 90, ['team']])
  const tested = await call('POST', `/accounts/${added.json.id}/test`)
  assert.deepEqual([tested.json.ok, tested.json.status], [true, 200])
  const patched = await call('PATCH', `/accounts/${added.json.id}`, { priority: 5, fields: { baseUrl: `${mockUrl}/` } })
  assert.deepEqual([patched.json.priority, patched.json.fields.baseUrl], [5, `${mockUrl}/`])
  // The credential was kept though the form did not send it: the account still works.
  assert.equal((await call('POST', `/accounts/${added.json.id}/test`)).json.ok, true)
  // The model map, set, listed, refused when a served name could go into a URL, and cleared.
  const mapped = await call('PATCH', `/accounts/${added.json.id}`, { modelMap: { 'claude-haiku-*': 'claude-sonnet-4-5' } })
  assert.deepEqual(mapped.json.modelMap ?? (await call('GET', '/accounts')).json.items.find((x: { name: string }) => x.name === 'spare').modelMap, { 'claude-haiku-*': 'claude-sonnet-4-5' })
  const badMap = await call('PATCH', `/accounts/${added.json.id}`, { modelMap: { x: '../admin' } })
  assert.equal(badMap.status, 400)
  assert.match(badMap.json.error.message, /modelMap\["x"\]/)
  await call('PATCH', `/accounts/${added.json.id}`, { modelMap: null })
  assert.equal((await call('GET', '/accounts')).json.items.find((x: { name: string }) => x.name === 'spare').modelMap, null)
  // A test the provider refuses marks the account as a request would: it needs a new key or login.
  const refusing = await startAnthropicMock()
  t.after(() => refusing.close())
  refusing.setAuth(() => false)
  const revoked = await call('POST', '/accounts', { name: 'revoked', provider: 'claude', type: 'claude-api-key', fields: { apiKey: 'sk-ant-revoked', baseUrl: refusing.url } })
  assert.deepEqual([(await call('POST', `/accounts/${revoked.json.id}/test`)).json.status, revoked.json.state], [401, 'active'])
  const after = (await call('GET', '/accounts')).json.items.find((a: { name: string }) => a.name === 'revoked')
  assert.equal(after.state, 'unauthorized')
  assert.match(after.lastError, /^test: HTTP 401/)
  const badField = await call('POST', '/accounts', { name: 'bad', provider: 'claude', type: 'claude-api-key', fields: { apiKey: '' } })
  assert.equal(badField.status, 400)
  assert.equal((await call('POST', `/accounts/${added.json.id}/disable`)).json.disabled, true)
  const listed = await call('GET', '/accounts')
  assert.ok(!JSON.stringify(listed.json).includes(UPSTREAM_KEY) && !JSON.stringify(listed.json).includes('sk-ant-spare-secret'))
  const declared = listed.json.items.find((a: { source: string }) => a.source === 'config')
  assert.equal((await call('DELETE', `/accounts/${declared.id}`)).status, 409)
  assert.equal((await call('DELETE', `/accounts/${added.json.id}`)).status, 204)
})

test('usage totals and series, and the request log filtered and paged by cursor', async t => {
  const relay = await adminRelay(t)
  const call = api(relay)
  for (let i = 0; i < 5; i++) await (await message(relay, ALICE_KEY)).body.dump()
  await relay.settled()
  const usage = await call('GET', '/usage?by=key&granularity=hour')
  assert.equal(usage.status, 200)
  const alice = usage.json.totals.find((x: { group: string }) => x.group === relay.server.keys.list()[0]!.id)
  assert.equal(alice.requests, 5)
  assert.match(alice.costUsd, /^\d+(\.\d+)?$/)
  assert.equal(usage.json.series.reduce((n: number, p: { requests: number }) => n + p.requests, 0), 5)
  const first = await call('GET', '/requests?limit=2&model=claude-sonnet-4-5')
  assert.equal(first.json.items.length, 2)
  const second = await call('GET', `/requests?limit=2&model=claude-sonnet-4-5&cursor=${first.json.nextCursor}`)
  const third = await call('GET', `/requests?limit=2&model=claude-sonnet-4-5&cursor=${second.json.nextCursor}`)
  const ids = [...first.json.items, ...second.json.items, ...third.json.items].map((r: { id: string }) => r.id)
  assert.equal(new Set(ids).size, 5, 'every row once, none twice')
  assert.equal(third.json.nextCursor, null)
  assert.equal((await call('GET', '/requests?status=500')).json.items.length, 0)
  // By the names the console shows, and a model prefix; rows carry the names.
  const byName = await call('GET', '/requests?key=ALICE&model=claude-*')
  assert.equal(byName.json.items.length, 5)
  assert.deepEqual([byName.json.items[0].keyName, byName.json.items[0].accountName], ['alice', 'mock'])
  assert.equal((await call('GET', '/requests?key=nobody')).json.items.length, 0, 'a name nobody has finds nothing')
  assert.equal((await call('GET', '/requests?model=gpt-*')).json.items.length, 0)
  assert.equal((await call('GET', '/requests?account=mock')).json.items.length, 5)
  assert.equal((await call('GET', '/requests?cursor=not-a-cursor')).status, 400)
  assert.equal((await call('GET', '/usage?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z')).status, 400)
  const prices = await call('GET', '/prices')
  assert.ok(prices.json.version && prices.json.models['claude-sonnet-4-5'])
  assert.equal((await call('GET', '/plugins')).json.items[0].name, 'claude')
})

test('self-service: a key holder sees their own limits, usage and requests, nothing of other keys or the accounts', async t => {
  const relay = await adminRelay(t)
  for (let i = 0; i < 2; i++) await (await message(relay, ALICE_KEY)).body.dump()
  await relay.settled()
  const me = (path: string, key = ALICE_KEY) => request(`${relay.url}/_relay/me/api${path}`, { headers: { 'x-api-key': key } })
  const key = await (await me('/key')).body.json() as Record<string, unknown>
  assert.equal(key.name, 'alice')
  assert.equal(key.boundTo, undefined)
  const usage = await (await me('/usage?granularity=day')).body.json() as { totals: { requests: number }[] }
  assert.equal(usage.totals.reduce((n, x) => n + x.requests, 0), 2)
  const rows = await (await me('/requests')).body.json() as { items: Record<string, unknown>[] }
  assert.equal(rows.items.length, 2)
  assert.ok(rows.items.every(r => r.accountId === undefined))
  const other = await me('/requests?key=key_other')
  assert.equal(other.statusCode, 400, 'no filter by another key')
  await other.body.dump()
  const anon = await request(`${relay.url}/_relay/me/api/key`)
  assert.equal(anon.statusCode, 401)
  await anon.body.dump()
})

test('subscription logins over the API: start gives the URL, finish with the pasted address saves the account; a stale id is refused', async t => {
  const oauth = await startOAuthMock({ codex: true })
  t.after(() => oauth.close())
  const relay = await adminRelay(t, {}, { plugins: [{ use: 'claude', mount: '/claude' }, { use: 'openai', mount: '/openai', options: { oauth: { tokenUrl: oauth.tokenUrl, authorizeUrl: `${oauth.url}/oauth/authorize` } } }] })
  const call = api(relay)
  const started = await call('POST', '/logins', { provider: 'codex', name: 'plus', groups: ['team'] })
  assert.equal(started.status, 200, JSON.stringify(started.json))
  const state = new URL(started.json.url).searchParams.get('state')
  assert.equal(started.json.type, 'codex-oauth')
  const finished = await call('POST', `/logins/${started.json.loginId}/finish`, { code: `http://localhost:1455/auth/callback?code=${GOOD_CODE}&state=${state}` })
  assert.equal(finished.status, 200, JSON.stringify(finished.json))
  assert.deepEqual([finished.json.again, finished.json.account.name, finished.json.account.login.identity, finished.json.account.groups], [false, 'plus', 'dev@example.com', ['team']])
  assert.ok(!JSON.stringify(finished.json).includes(oauth.access()), 'no token comes back')
  const again = await call('POST', `/logins/${started.json.loginId}/finish`, { code: 'x' })
  assert.equal(again.status, 404)
  const credential = await call('POST', '/logins', { provider: 'codex', name: 'other', fields: { accessToken: 'x' } })
  assert.deepEqual([credential.status, credential.json.error.message], [400, 'accessToken is a credential: the login provides it'])
})

test('keys list: searched, filtered, sorted and paged on the server, with today\'s and this month\'s spend and each limit\'s use; bulk create, tag, disable and delete', async t => {
  const relay = await adminRelay(t)
  const call = api(relay)
  const bulk = await call('POST', '/keys/bulk-create', { prefix: 'class', count: 12, policy: { rateLimits: [{ window: '1h', requests: 4 }] } })
  assert.equal(bulk.status, 201, JSON.stringify(bulk.json))
  assert.deepEqual(bulk.json.items.map((k: { name: string }) => k.name).slice(0, 2), ['class-001', 'class-002'])
  assert.ok(bulk.json.items.every((k: { key: string }) => /^ars_/.test(k.key)))
  const again = await call('POST', '/keys/bulk-create', { prefix: 'class', count: 1 })
  assert.equal(again.json.items[0].name, 'class-013', 'numbered after the names taken')
  const ids = (bulk.json.items as { id: string, key: string }[])
  // class-005 makes three requests: it sorts first by requests today, at 3 of 4 of its hourly limit.
  for (let i = 0; i < 3; i++) assert.equal((await message(relay, ids[4]!.key)).statusCode, 200)
  await relay.settled()
  const page1 = await call('GET', '/keys?q=CLASS&limit=5&sort=requestsToday')
  assert.deepEqual([page1.json.total, page1.json.items.length], [13, 5])
  const top = page1.json.items[0]
  assert.equal(top.name, 'class-005')
  assert.equal(top.today.requests, 3)
  assert.equal(top.month.requests, 3)
  assert.ok(Number(top.today.costUsd) > 0, 'priced')
  assert.deepEqual([top.nearest.limit, top.nearest.ratio], ['rate 1h requests', 0.75])
  assert.ok(!JSON.stringify(page1.json).includes(ids[4]!.key), 'no secret in a list')
  const page3 = await call('GET', '/keys?q=class&limit=5&offset=10&sort=name&order=asc')
  assert.deepEqual(page3.json.items.map((k: { name: string }) => k.name), ['class-011', 'class-012', 'class-013'])
  // Tag three, disable two of them (a declared key in the selection is skipped, not an error).
  const declared = (await call('GET', '/keys?q=alice')).json.items[0]
  const tagged = await call('POST', '/keys/bulk', { ids: [ids[0]!.id, ids[1]!.id, ids[2]!.id, declared.id], action: 'tag', tag: 'spring' })
  assert.deepEqual([tagged.json.changed.length, tagged.json.skipped.length], [3, 1])
  assert.match(tagged.json.skipped[0].reason, /read-only/)
  assert.deepEqual([tagged.json.skipped[0].code, tagged.json.skipped[0].params], ['RELAY_ERR_READ_ONLY', ['key', 'alice']])
  const byTag = await call('GET', '/keys?tag=spring')
  assert.deepEqual([byTag.json.total, byTag.json.tags], [3, ['spring']])
  assert.deepEqual(byTag.json.items[0].policy.rateLimits, [{ window: '1h', requests: 4 }], 'tagging keeps the rest of the policy')
  await call('POST', '/keys/bulk', { ids: [ids[0]!.id, ids[1]!.id], action: 'disable' })
  assert.equal((await call('GET', '/keys?state=disabled')).json.total, 2)
  const refused = await message(relay, ids[0]!.key)
  assert.equal(refused.statusCode, 401, 'a bulk disable applies at once')
  await refused.body.dump()
  await call('POST', '/keys/bulk', { ids: [ids[0]!.id], action: 'untag', tag: 'spring' })
  assert.equal((await call('GET', '/keys?tag=spring')).json.total, 2)
  assert.equal((await call('POST', '/keys/bulk', { ids: ids.map(k => k.id), action: 'delete' })).json.changed.length, 12)
  assert.equal((await call('GET', '/keys?q=class')).json.total, 1)
  const bad = await call('GET', '/keys?sort=hash')
  assert.equal(bad.status, 400)
  const tooMany = await call('POST', '/keys/bulk-create', { prefix: 'x', count: 5000 })
  assert.equal(tooMany.status, 400)
})

test('overview: today, 7 and 30 days, the last minute, accounts by state, keys near a limit, top keys and models, store and notifications; the config without its secrets; a test notification', async t => {
  const hook = await webhookReceiver(t)
  const broken = 'http://127.0.0.1:9/unreachable-hook-token-XYZ'
  const relay = await adminRelay(t, {}, { notifications: { targets: [{ type: 'webhook', url: hook.url, secret: 'hook-signing-secret' }, { type: 'slack', url: broken }] } })
  const call = api(relay)
  const created = await call('POST', '/keys', { name: 'busy', policy: { rateLimits: [{ window: '1h', requests: 5 }] } })
  for (let i = 0; i < 4; i++) assert.equal((await message(relay, created.json.key)).statusCode, 200)
  assert.equal((await message(relay, ALICE_KEY)).statusCode, 200)
  await relay.settled()
  const o = (await call('GET', '/overview')).json
  assert.equal(o.periods.today.requests, 5)
  assert.equal(o.periods.last7Days.requests, 5)
  assert.equal(o.periods.last30Days.requests, 5)
  assert.ok(Number(o.periods.today.costUsd) > 0)
  assert.ok(o.live.requestsLastMinute >= 5, JSON.stringify(o.live))
  assert.equal(o.live.inflight, 0)
  assert.equal(typeof o.live.eventLoopLag.p99Ms, 'number')
  assert.deepEqual(o.accounts.byState, { active: o.accounts.total })
  assert.deepEqual(o.keys.nearLimit.map((k: { name: string, ratio: number }) => [k.name, k.ratio]), [['busy', 0.8]])
  assert.deepEqual([o.topKeys[0].name, o.topKeys[0].requests], ['busy', 4])
  assert.deepEqual([o.topModels[0].model, o.topModels[0].requests], ['claude-sonnet-4-5', 5])
  assert.equal(o.store.status, 'ok')
  assert.deepEqual(o.notifications.map((n: { type: string }) => n.type), ['webhook', 'slack'])
  // The chart asks for its top lines only; with as few groups as it would keep, it gets them all.
  const top = (await call('GET', '/usage?by=key&granularity=hour&top=1&limit=1')).json
  assert.deepEqual([top.groups, top.totals.length, top.totals[0].name], [2, 1, 'busy'])
  assert.deepEqual(top.series.map((p: { group: string, name?: string, requests: number }) => [p.name ?? p.group, p.requests]).sort(), [['alice', 1], ['busy', 4]])

  const config = await call('GET', '/config')
  const text = JSON.stringify(config.json)
  for (const secret of [ALICE_KEY, UPSTREAM_KEY, ADMIN_TOKEN, 'hook-signing-secret', 'unreachable-hook-token-XYZ']) assert.ok(!text.includes(secret), `no ${secret.slice(0, 12)}… in the config view`)
  assert.equal(config.json.config.notifications.targets[1].url, 'http://127.0.0.1:9/…')
  assert.equal(config.json.config.admin.tokens[0].name, 'ops', 'what is not secret is shown')

  const tested = await call('POST', '/notifications/test')
  assert.deepEqual(tested.json.items.map((r: { type: string, ok: boolean }) => [r.type, r.ok]), [['webhook', true], ['slack', false]])
  assert.match(JSON.parse(hook.told.at(-1)!).text, /test notification, sent by ops/)
})

test('the request log: glob, provider, client and status-class filters; one request in full with its accounts by name and its cost by kind', async t => {
  const relay = await adminRelay(t)
  const call = api(relay)
  assert.equal((await message(relay, ALICE_KEY)).statusCode, 200)
  await relay.settled()
  const page = await call('GET', '/requests?model=claude-*-4-?&provider=claude&status=2xx')
  assert.equal(page.json.items.length, 1, JSON.stringify(page.json))
  assert.equal((await call('GET', '/requests?model=*opus*')).json.items.length, 0)
  assert.equal((await call('GET', '/requests?status=5xx')).json.items.length, 0)
  assert.equal((await call('GET', '/requests?provider=openai')).json.items.length, 0)
  assert.equal((await call('GET', '/requests?status=7xx')).status, 400)
  const r = page.json.items[0]
  assert.equal((await call('GET', `/requests?client=${r.clientKind}`)).json.items.length, 1)
  const detail = (await call('GET', `/requests/${r.id}`)).json
  assert.equal(detail.keyName, 'alice')
  assert.deepEqual(detail.accountsTried.map((a: { name: string }) => a.name), ['mock'])
  assert.equal(detail.cost.pricedAs, 'claude-sonnet-4-5')
  const parts = Object.values(detail.cost.byKind as Record<string, string>).reduce((a, b) => a + Number(b), 0)
  assert.ok(Math.abs(parts - Number(detail.cost.totalUsd)) < 1e-12 && parts > 0, 'the kinds add up to the total')
  assert.equal((await call('GET', '/requests/no-such-id')).status, 404)
  // A request that failed over: each account tried, in order, with what it answered.
  const overloaded = await startAnthropicMock()
  t.after(() => overloaded.close())
  overloaded.setDefault({ kind: 'status', status: 529 })
  const spare = await call('POST', '/accounts', { name: 'first', provider: 'claude', type: 'claude-api-key', fields: { apiKey: 'sk-ant-first', baseUrl: overloaded.url }, priority: 1 })
  assert.equal(spare.status, 201, JSON.stringify(spare.json))
  // Another conversation (the first one stays on its account).
  const other = await request(`${relay.url}/claude/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'a new conversation' }] }),
  })
  assert.equal(other.statusCode, 200)
  await other.body.dump()
  await relay.settled()
  const moved = (await call('GET', '/requests?limit=1')).json.items[0]
  const tried = (await call('GET', `/requests/${moved.id}`)).json.accountsTried as { name: string, errors: string[] }[]
  assert.deepEqual(tried.map(a => a.name), ['first', 'mock'])
  assert.match(tried[0]!.errors.join(' '), /529/)
  assert.deepEqual(tried[1]!.errors, [])
  // Usage by provider: the accounts' usage summed per their provider.
  const byProvider = (await call('GET', '/usage?by=provider&granularity=hour')).json
  assert.deepEqual(byProvider.totals.map((x: { group: string, requests: number }) => [x.group, x.requests]), [['claude', 2]])
  assert.deepEqual(byProvider.series.map((x: { group: string }) => x.group), ['claude'])
})
