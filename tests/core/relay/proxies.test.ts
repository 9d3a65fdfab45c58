// Egress proxies with real proxy servers on loopback: an HTTP proxy (the `proxy` package) and
// a SOCKS5 server (`simple-socks`), both requiring credentials.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo, Server } from 'node:net'
import { createProxy } from 'proxy'
import socks from 'simple-socks'
import { request } from 'undici'
import { startAnthropicMock } from '../../mocks/anthropic-mock.ts'
import { startOAuthMock } from '../../mocks/oauth-mock.ts'
import { ALICE_KEY, claudeAccount, startRelay, testConfig } from '../../helpers/relay-harness.ts'
import { randomId } from '../../../core/ids.ts'

const port = (s: Server) => (s.address() as AddressInfo).port

/** Closes a server and every socket it holds, tunnels included (the relay keeps them alive). */
function closing (t: import('node:test').TestContext, server: Server) {
  const sockets = new Set<import('node:net').Socket>()
  server.on('connection', (s: import('node:net').Socket) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  t.after(() => new Promise<void>(resolve => {
    for (const s of sockets) s.destroy()
    server.close(() => resolve())
  }))
}

async function httpProxy (t: import('node:test').TestContext) {
  const server = createProxy(createServer())
  const seen: string[] = []
  server.authenticate = req => req.headers['proxy-authorization'] === `Basic ${Buffer.from('hp:hp-pass').toString('base64')}`
  server.on('connect', req => seen.push(`CONNECT ${req.url}`))
  server.on('request', req => seen.push(`${req.method} ${req.url}`))
  closing(t, server)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://hp:hp-pass@127.0.0.1:${port(server)}`, seen }
}

async function socksProxy (t: import('node:test').TestContext) {
  const seen: number[] = []
  const server = socks.createServer({
    authenticate: (user, pass, _socket, cb) => (user === 'sx' && pass === 'sx-pass' ? cb() : cb(new Error('denied'))),
  })
  server.on('proxyConnect', (info: { port: number }) => seen.push(info.port))
  closing(t, server)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', () => resolve()))
  return { url: `socks5://sx:sx-pass@127.0.0.1:${port(server)}`, seen }
}

const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })
const call = async (url: string, n = 1) => {
  const out = []
  for (let i = 0; i < n; i++) {
    const res = await request(`${url}/claude/v1/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, 'x-claude-code-session-id': `s${i}-${Math.random()}` }, body,
    })
    out.push(res.statusCode)
    await res.body.dump()
  }
  return out
}

test('a global HTTP proxy carries every account; an account with its own SOCKS5 proxy uses that instead', async t => {
  const hp = await httpProxy(t)
  const sp = await socksProxy(t)
  const direct = await startAnthropicMock()
  t.after(() => direct.close())
  const viaSocks = await startAnthropicMock()
  t.after(() => viaSocks.close())
  const relay = await startRelay(t, testConfig(undefined, {
    upstream: { proxy: hp.url },
    accounts: [claudeAccount(direct.url, { name: 'global' }), claudeAccount(viaSocks.url, { name: 'own', apiKey: 'sk-ant-own', proxy: sp.url })],
  }))
  assert.deepEqual(await call(relay.url, 4), [200, 200, 200, 200])
  assert.equal(direct.requests.length, 2)
  assert.equal(viaSocks.requests.length, 2)
  assert.ok(hp.seen.some(s => s.includes(`127.0.0.1:${new URL(direct.url).port}`)), JSON.stringify(hp.seen))
  assert.ok(!hp.seen.some(s => s.includes(`:${new URL(viaSocks.url).port}`)), 'the SOCKS account never used the global proxy')
  assert.ok(sp.seen.includes(Number(new URL(viaSocks.url).port)))
  assert.ok(!relay.logs.join('').includes('sx-pass') && !relay.logs.join('').includes('hp-pass'), 'proxy credentials stay out of the log')
})

test('HTTPS_PROXY/HTTP_PROXY from the environment apply, and NO_PROXY exempts hosts', async t => {
  const hp = await httpProxy(t)
  const upstream = await startAnthropicMock()
  t.after(() => upstream.close())
  const viaEnv = await startRelay(t, testConfig(upstream.url), undefined, { HTTP_PROXY: hp.url })
  assert.deepEqual(await call(viaEnv.url), [200])
  assert.equal(hp.seen.length, 1)
  const exempt = await startRelay(t, testConfig(upstream.url), undefined, { HTTP_PROXY: hp.url, NO_PROXY: '127.0.0.1' })
  assert.deepEqual(await call(exempt.url), [200])
  assert.equal(hp.seen.length, 1, 'NO_PROXY host went direct')
})

test("an OAuth account's token refresh leaves through the account's proxy", async t => {
  const sp = await socksProxy(t)
  const oauth = await startOAuthMock()
  t.after(() => oauth.close())
  const upstream = await startAnthropicMock()
  t.after(() => upstream.close())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'claude', mount: '/claude', options: { oauth: { tokenUrl: oauth.tokenUrl } } }],
  }), async rt => {
    await rt.store.insertAccount({
      id: randomId('acc'), name: 'max', provider: 'claude', type: 'claude-oauth', priority: 10, disabled: false,
      fields: { baseUrl: upstream.url, allowOtherClients: true, expiresAt: Date.now() + 5_000 },
      sealedSecrets: rt.secretBox.seal(JSON.stringify({ accessToken: 'at-1', refreshToken: 'rt-1' })),
      createdAt: Date.now(), source: 'store', groups: [], maxConcurrency: null, models: null, sealedProxy: rt.secretBox.seal(sp.url),
    })
  })
  assert.deepEqual(await call(relay.url), [200])
  assert.equal(oauth.refreshes, 1)
  assert.ok(sp.seen.includes(Number(new URL(oauth.url).port)), 'token call went through SOCKS')
  assert.ok(sp.seen.includes(Number(new URL(upstream.url).port)), 'upstream call went through SOCKS')
})

test('a live price source is fetched through the egress proxy too', async t => {
  const hp = await httpProxy(t)
  const { startPriceServer, litellmFile } = await import('../../mocks/price-server.ts')
  const prices = await startPriceServer(litellmFile({ 'gpt-via-proxy': [1e-6, 2e-6] }))
  t.after(() => prices.close())
  const relay = await startRelay(t, testConfig(undefined, {
    upstream: { proxy: hp.url },
    admin: { tokens: [{ name: 'ops', token: 'admin-token-0123456789abcdefghij' }] },
    pricing: { sources: [{ url: prices.fileUrl }] },
  }))
  const res = await request(`${relay.url}/_relay/admin/api/prices/update`, { method: 'POST', headers: { authorization: 'Bearer admin-token-0123456789abcdefghij' } })
  assert.equal(res.statusCode, 200)
  assert.deepEqual(((await res.body.json()) as { sources: Array<{ outcome: string }> }).sources.map(s => s.outcome), ['updated'])
  assert.ok(hp.seen.some(s => s.includes(`127.0.0.1:${new URL(prices.url).port}`)), JSON.stringify(hp.seen))
  assert.deepEqual(relay.rt.pricing.lookup('gpt-via-proxy')!.price, { input: 1_000_000, output: 2_000_000 })
})
