// /_relay/authz, the forward-auth endpoint of the gateway kits: the client's headers and the
// original target, no body; read-only (nothing counted, no lease); refusals in the shape of the
// target's mount, as real statuses, as Nginx's 401/403 with the real one in a header, and
// rendered again for Nginx's error page.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { request } from 'undici'
import { startAnthropicMock } from '../../mocks/anthropic-mock.ts'
import { ALICE_KEY, BOB_KEY, startRelay, testConfig } from '../../helpers/relay-harness.ts'

async function setup (t: import('node:test').TestContext) {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(mock.url, {
    plugins: [{ use: 'claude', mount: '/claude', aliases: ['/api'] }, { use: 'gemini', mount: '/gemini' }],
    keys: [
      { name: 'alice', key: ALICE_KEY, rateLimits: [{ window: '1m', requests: 1 }] },
      { name: 'bob', key: BOB_KEY, providers: ['gemini'] },
    ],
  }))
  return { mock, relay }
}

const authz = (relay: { url: string }, headers: Record<string, string>, path = '/_relay/authz') => request(`${relay.url}${path}`, { headers })

test('a good key: 204 with its identity and the provider of the target; asking counts nothing', async t => {
  const { relay } = await setup(t)
  for (let i = 0; i < 5; i++) {
    const res = await authz(relay, { 'x-original-uri': '/claude/v1/messages?beta=true', 'x-original-method': 'POST', 'x-api-key': ALICE_KEY }, '/_relay/authz/nginx')
    assert.equal(res.statusCode, 204)
    assert.deepEqual([res.headers['x-relay-key-id'], res.headers['x-relay-key-name'], res.headers['x-relay-provider']], [relay.server.keys.list()[0]!.id, 'alice', 'claude'])
    await res.body.dump()
  }
  // Caddy's names (at its endpoint), the key in the query, an alias mount, a route that is no mount (an internal tool).
  const caddy = await authz(relay, { 'x-forwarded-uri': `/api/v1/messages?key=${ALICE_KEY}`, 'x-forwarded-method': 'POST' })
  assert.deepEqual([caddy.statusCode, caddy.headers['x-relay-provider']], [204, 'claude'])
  const tool = await authz(relay, { 'x-forwarded-uri': '/internal/dashboard', authorization: `Bearer ${ALICE_KEY}` })
  assert.deepEqual([tool.statusCode, tool.headers['x-relay-key-name'], tool.headers['x-relay-provider']], [204, 'alice', '-'])
  await relay.settled()
  assert.equal((await relay.rt.store.recentRequests(10)).length, 0, 'no request row')
  // The one request of alice's rate window is still there for the relay route.
  const relayed = await request(`${relay.url}/claude/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, 'anthropic-version': '2023-06-01' }, body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }) })
  assert.equal(relayed.statusCode, 200)
  await relayed.body.dump()
})

test('refusals: native shapes per mount, real statuses, Nginx\'s 401/403 with the real status, and the rendering for its error page', async t => {
  const { relay } = await setup(t)
  const missing = await authz(relay, { 'x-forwarded-uri': '/claude/v1/messages' })
  assert.equal(missing.statusCode, 401)
  assert.deepEqual(await missing.body.json(), { type: 'error', error: { type: 'authentication_error', message: 'No API key was provided' } })
  const gemini = await authz(relay, { 'x-forwarded-uri': '/gemini/v1beta/models/gemini-2.5-pro:generateContent', 'x-goog-api-key': 'ars_wrong' })
  assert.deepEqual([gemini.statusCode, await gemini.body.json()], [401, { error: { code: 401, message: 'Invalid API key', status: 'UNAUTHENTICATED' } }])
  const tool = await authz(relay, { 'x-forwarded-uri': '/internal/x' })
  assert.deepEqual([tool.statusCode, await tool.body.json()], [401, { error: { code: 'RELAY_ERR_KEY_MISSING', message: 'No API key was provided' } }])
  const provider = await authz(relay, { 'x-forwarded-uri': '/claude/v1/messages', 'x-api-key': BOB_KEY })
  assert.equal(provider.statusCode, 403)
  assert.match((await provider.body.json() as { error: { message: string } }).error.message, /may not use the claude provider/)

  // Alice's one request a minute, used by the relay route: the gate now refuses her with a 429.
  const used = await request(`${relay.url}/claude/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, 'anthropic-version': '2023-06-01' }, body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }) })
  await used.body.dump()
  // Each endpoint reads its own gateway's header: both are sent here.
  const headers = { 'x-original-uri': '/claude/v1/messages', 'x-forwarded-uri': '/claude/v1/messages', 'x-api-key': ALICE_KEY }
  const limited = await authz(relay, headers)
  assert.equal(limited.statusCode, 429)
  assert.ok(Number(limited.headers['retry-after']) >= 1)
  assert.equal((await limited.body.json() as { error: { type: string } }).error.type, 'rate_limit_error')
  const nginx = await authz(relay, headers, '/_relay/authz/nginx')
  assert.deepEqual([nginx.statusCode, nginx.headers['x-relay-status'], nginx.headers['x-relay-error-code'], await nginx.body.text()], [403, '429', 'RELAY_ERR_LIMIT_RATE', ''])
  assert.ok(Number(nginx.headers['retry-after']) >= 1)
  const nginx401 = await authz(relay, { 'x-original-uri': '/claude/v1/messages' }, '/_relay/authz/nginx')
  assert.deepEqual([nginx401.statusCode, nginx401.headers['x-relay-status']], [401, '401'])
  await nginx401.body.dump()
  const denied = await authz(relay, headers, '/_relay/authz/denied')
  assert.equal(denied.statusCode, 429)
  assert.equal((await denied.body.json() as { error: { type: string } }).error.type, 'rate_limit_error')
  // Asked to render a refusal that no longer holds, the gateway's client is told to retry, never let through.
  const freed = await authz(relay, { 'x-original-uri': '/gemini/v1beta/models', 'x-goog-api-key': BOB_KEY }, '/_relay/authz/denied')
  assert.deepEqual([freed.statusCode, freed.headers['retry-after']], [429, '1'])
  await freed.body.dump()
})

test('hostile original targets and key headers: never a 5xx, never allowed without the key, allowed with it only for a valid target', async t => {
  const { relay } = await setup(t)
  const segment = fc.oneof(fc.constantFrom('..', '.', '%2e%2e', '%2F', '%00', '\\', 'claude', 'v1', 'messages', '//', '%252e'), fc.webSegment())
  const uri = fc.oneof(
    fc.array(segment, { maxLength: 5 }).map(s => `/${s.join('/')}`),
    fc.constantFrom('http://evil.example/claude/v1/messages', '*', '', 'claude/v1', '/claude/v1/messages#frag', `/claude/v1/messages?%6Bey=${ALICE_KEY}`),
    fc.string({ maxLength: 40 }).map(s => `/claude/${encodeURIComponent(s)}`),
  )
  await fc.assert(fc.asyncProperty(uri, fc.boolean(), async (original, withKey) => {
    const res = await authz(relay, { 'x-forwarded-uri': original, ...(withKey ? { 'x-api-key': BOB_KEY } : {}) }).catch(() => undefined)
    if (!res) return // undici itself refused to send the header value
    await res.body.dump()
    assert.ok(res.statusCode < 500, `${original}: ${res.statusCode}`)
    if (!withKey && !/\?%6Bey=/.test(original)) assert.notEqual(res.statusCode, 204, original)
    if (res.statusCode === 204) assert.ok(original.startsWith('/'), original)
  }), { numRuns: 300 })
})

test("each gateway's endpoint reads only the header its gateway sets; the other is a client's", async t => {
  const { relay } = await setup(t)
  // Alice may use claude only through this target; bob is refused the claude provider.
  const caddy = await authz(relay, { 'x-forwarded-uri': '/claude/v1/messages', 'x-original-uri': '/gemini/v1beta/models', 'x-api-key': BOB_KEY })
  assert.equal(caddy.statusCode, 403, 'Caddy\'s endpoint judged X-Forwarded-Uri, not a client\'s X-Original-URI')
  await caddy.body.dump()
  const nginx = await authz(relay, { 'x-original-uri': '/claude/v1/messages', 'x-forwarded-uri': '/gemini/v1beta/models', 'x-api-key': BOB_KEY }, '/_relay/authz/nginx')
  assert.deepEqual([nginx.statusCode, nginx.headers['x-relay-status']], [403, '403'], 'nginx\'s endpoint judged X-Original-URI')
  await nginx.body.dump()
  const nothing = await authz(relay, { 'x-original-uri': '/claude/v1/messages', 'x-api-key': BOB_KEY })
  assert.deepEqual([nothing.statusCode, nothing.headers['x-relay-provider']], [204, '-'], 'without its header the plain endpoint sees no mount')
  await nothing.body.dump()
})
