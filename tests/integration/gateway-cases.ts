// What every shipped gateway kit must do, run against the real server (nginx, Caddy) in front of
// a real sidecar process: streams pass unbuffered, large bodies and Codex's session headers
// pass, a client's identity headers are stripped, refusals reach the client in the provider's
// shape with the right status (and, through the gate, before the sidecar reads any body), a
// route protected with relay keys gets the key holder's identity, and WebSocket upgrades pass.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { request, WebSocket } from 'undici'
import fc from 'fast-check'
import { rawRequest } from '../helpers/raw-http.ts'
import { startAnthropicMock, type AnthropicMock } from '../mocks/anthropic-mock.ts'
import { startOpenAIMock, type OpenAIMock } from '../mocks/openai-mock.ts'
import { startGeminiMock } from '../mocks/gemini-mock.ts'
import { ALICE_KEY, BOB_KEY, claudeAccount, sseEvents, tempDir, testConfig } from '../helpers/relay-harness.ts'
import { freePort, requireBinary, spawnRelay, type Child } from '../helpers/processes.ts'

export const CAROL_KEY = 'ars_test-carol-0123456789abcdefghijklmno'
export const DAVE_KEY = 'ars_test-dave-0123456789abcdefghijklmnopq'

/** Starts the gateway in front of the sidecar; resolves to its base URL. */
export type StartGateway = (t: TestContext, binary: string, sidecarPort: number, toolPort: number) => Promise<string>

export interface Deployment {
  base: string
  anthropic: AnthropicMock
  openai: OpenAIMock
  sidecar: Child
  /** What the protected example tool received. */
  toolSeen: Record<string, string | string[] | undefined>[]
  /** The same, as raw header names and values (every copy, every spelling). */
  toolRaw: string[][]
  toolPort: number
}

/** Mocks, a sidecar process with three mounts and four keys, the example tool, and the gateway. */
export async function deploy (t: TestContext, binary: string, start: StartGateway): Promise<Deployment> {
  const anthropic = await startAnthropicMock()
  const openai = await startOpenAIMock()
  const gemini = await startGeminiMock()
  t.after(() => Promise.all([anthropic.close(), openai.close(), gemini.close()]))
  const toolSeen: Deployment['toolSeen'] = []
  const toolRaw: Deployment['toolRaw'] = []
  const tool = createServer((req, res) => {
    toolSeen.push(req.headers)
    toolRaw.push(req.rawHeaders)
    res.end(JSON.stringify({ tool: 'ok', keyId: req.headers['x-relay-key-id'] ?? null, keyName: req.headers['x-relay-key-name'] ?? null }))
  })
  await new Promise<void>(resolve => tool.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>(resolve => { tool.closeAllConnections(); tool.close(() => resolve()) }))
  const toolPort = (tool.address() as AddressInfo).port
  const dir = tempDir()
  const sidecarPort = await freePort()
  const config = join(dir, 'relay.yaml')
  writeFileSync(config, JSON.stringify(testConfig(anthropic.url, {
    listen: { host: '127.0.0.1', port: sidecarPort },
    plugins: [{ use: 'claude', mount: '/claude', aliases: ['/api'] }, { use: 'openai', mount: '/openai' }, { use: 'gemini', mount: '/gemini' }],
    accounts: [
      claudeAccount(anthropic.url),
      { name: 'oa', provider: 'openai', type: 'openai-api-key', apiKey: 'sk-proj-gateway', baseUrl: `${openai.url}/v1`, websocket: true },
      { name: 'g', provider: 'gemini', type: 'gemini-api-key', apiKey: 'AIza-gateway', baseUrl: gemini.url },
    ],
    keys: [
      { name: 'alice', key: ALICE_KEY },
      { name: 'bob', key: BOB_KEY, providers: ['gemini'] },
      { name: 'carol', key: CAROL_KEY, rateLimits: [{ window: '1h', requests: 1 }] },
      { name: 'dave', key: DAVE_KEY, disabled: true },
    ],
    // An SSO layer may set the admin's user from the gateway's address: a client never may.
    admin: { sso: { header: 'X-Forwarded-User', trustedProxies: ['127.0.0.1/32', '::1/128'] } },
  })))
  const sidecar = await spawnRelay(t, config)
  return { base: await start(t, binary, sidecarPort, toolPort), anthropic, openai, sidecar, toolSeen, toolRaw, toolPort }
}

/** A header only the gateway may set, spelt as a client might: any case, `-` or `_`, 1–3 copies. */
const spoofedHeader = fc.constantFrom('X-Relay-Key-Id', 'X-Relay-Key-Name', 'X-Relay-Provider', 'X-Relay-Request-Id', 'X-Forwarded-User')
  .chain(name => fc.tuple(
    fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }),
    fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }),
    fc.integer({ min: 1, max: 3 }),
  ).map(([upper, underscore, copies]) => [[...name].map((c, i) => (c === '-' ? (underscore[i] ? '_' : '-') : upper[i] ? c.toUpperCase() : c.toLowerCase())).join(''), copies] as [string, number]))

const messages = (extra: Record<string, unknown> = {}) => JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }], ...extra })
const ANTHROPIC = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }

/** The sidecar's log lines (pino JSON on stdout) with this message. */
function logged (sidecar: Child, msg: string): Record<string, unknown>[] {
  return sidecar.stdout.join('').split('\n').filter(Boolean).flatMap(l => {
    try { return [JSON.parse(l) as Record<string, unknown>] } catch { return [] }
  }).filter(l => l.msg === msg)
}

/** `binaryName`: the gateway's program (required under CI), or undefined for one started in-process. */
export function gatewayCases (name: string, binaryName: string | undefined, start: StartGateway): void {
  const binaryFor = (t: TestContext) => (binaryName === undefined ? '' : requireBinary(t, binaryName))
  test(`${name}: events unbuffered, a 20 MB body, Codex's session_id and session-id pass; a client's X-Relay-* headers are stripped`, async t => {
    const binary = binaryFor(t)
    if (binary === undefined) return
    const { base, anthropic } = await deploy(t, binary, start)
    anthropic.enqueue({ kind: 'stepped' })
    const res = await request(`${base}/claude/v1/messages`, {
      method: 'POST',
      // As the clients send it: a gateway compressing event streams would hold events back.
      headers: { ...ANTHROPIC, 'accept-encoding': 'gzip, deflate, br', 'x-api-key': ALICE_KEY, 'x-relay-key-id': 'key_spoofed', 'X-Relay-Key-Name': 'admin', session_id: 'sess-underscore', 'session-id': 'sess-dash' },
      body: messages({ stream: true, messages: [{ role: 'user', content: 'x'.repeat(20 * 1024 * 1024) }] }),
    })
    assert.equal(res.statusCode, 200)
    let n = 0
    // The mock sends event N+1 only after this loop saw event N: any buffering stalls it.
    for await (const ev of sseEvents(res.body)) {
      n++
      if (ev.event === 'message_stop') break
      anthropic.step()
    }
    assert.ok(n >= 7)
    const seen = anthropic.requests[0]!
    assert.ok(seen.body.length > 20 * 1024 * 1024)
    assert.deepEqual([seen.headers.session_id, seen.headers['session-id']], ['sess-underscore', 'sess-dash'])
    assert.deepEqual([seen.headers['x-relay-key-id'], seen.headers['x-relay-key-name']], [undefined, undefined])
  })

  test(`${name}: every refusal reaches the client with its status and native body; the gate refuses before the sidecar reads a body`, async t => {
    const binary = binaryFor(t)
    if (binary === undefined) return
    const { base, anthropic, sidecar } = await deploy(t, binary, start)
    const post = (path: string, headers: Record<string, string>, body = messages()) => request(`${base}${path}`, { method: 'POST', headers: { ...ANTHROPIC, ...headers }, body })
    const big = messages({ messages: [{ role: 'user', content: 'x'.repeat(5 * 1024 * 1024) }] })

    const missing = await post('/claude/v1/messages', {}, big)
    assert.deepEqual([missing.statusCode, await missing.body.json()], [401, { type: 'error', error: { type: 'authentication_error', message: 'No API key was provided' } }])
    const disabled = await post('/api/v1/messages', { 'x-api-key': DAVE_KEY }, big)
    assert.deepEqual([disabled.statusCode, (await disabled.body.json() as { error: { message: string } }).error.message], [401, 'This API key has been disabled'])
    const forbidden = await post('/claude/v1/messages', { 'x-api-key': BOB_KEY }, big)
    assert.deepEqual([forbidden.statusCode, (await forbidden.body.json() as { error: { type: string } }).error.type], [403, 'permission_error'])
    const openai = await post('/openai/v1/responses', { authorization: 'Bearer ars_wrong-0000000000000000000000000000' }, JSON.stringify({ model: 'gpt-5.4', input: 'hi' }))
    assert.deepEqual([openai.statusCode, (await openai.body.json() as { error: { code: string } }).error.code], [401, 'invalid_api_key'])
    const gemini = await request(`${base}/gemini/v1beta/models/gemini-2.5-pro:generateContent?key=ars_wrong`, { method: 'POST', body: '{"contents":[]}' })
    assert.deepEqual([gemini.statusCode, await gemini.body.json()], [401, { error: { code: 401, message: 'Invalid API key', status: 'UNAUTHENTICATED' } }])

    // Carol's one request an hour: the first is relayed, the second refused with a 429. The hour
    // is epoch-aligned: with more than a minute of it left, the refusal says when it resets and
    // tells SDKs not to retry (no Retry-After); in its last minute, a Retry-After.
    const first = await post('/claude/v1/messages', { 'x-api-key': CAROL_KEY })
    assert.equal(first.statusCode, 200)
    await first.body.dump()
    const limited = await post('/claude/v1/messages', { 'x-api-key': CAROL_KEY }, big)
    const refusal = await limited.body.json() as { error: { type: string, message: string } }
    assert.deepEqual([limited.statusCode, refusal.error.type], [429, 'rate_limit_error'])
    if (limited.headers['x-should-retry'] === 'false') {
      assert.equal(limited.headers['retry-after'], undefined)
    } else {
      const retryAfter = Number(limited.headers['retry-after'])
      assert.ok(retryAfter > 0 && retryAfter <= 60, String(limited.headers['retry-after']))
    }
    assert.match(refusal.error.message, /1 requests per 1h for this key; resets at /)

    assert.equal(anthropic.requests.length, 1, 'only the admitted request went upstream')
    // The refusals came from the gate: the relay routes never saw those requests, or their bodies.
    // The log is buffered (written every 250 ms at the latest): wait for the gate's lines, which
    // come after any the relay routes would have written.
    for (let i = 0; i < 100 && logged(sidecar, 'forward auth refused').length < 6; i++) await new Promise(resolve => setTimeout(resolve, 50))
    assert.ok(logged(sidecar, 'forward auth refused').length >= 6)
    assert.equal(logged(sidecar, 'relay refused').length, 0, 'no relay route refused anything')
  })

  test(`${name}: a route protected with relay keys gets the holder's identity; a bad key is refused`, async t => {
    const binary = binaryFor(t)
    if (binary === undefined) return
    const { base, toolSeen } = await deploy(t, binary, start)
    const good = await request(`${base}/internal/report`, { headers: { authorization: `Bearer ${ALICE_KEY}`, 'x-relay-key-name': 'spoofed-admin' } })
    assert.equal(good.statusCode, 200)
    assert.deepEqual(await good.body.json(), { tool: 'ok', keyId: toolSeen[0]!['x-relay-key-id'], keyName: 'alice' })
    assert.match(String(toolSeen[0]!['x-relay-key-id']), /^key_/)
    const bad = await request(`${base}/internal/report`, { headers: { authorization: 'Bearer ars_wrong' } })
    assert.deepEqual([bad.statusCode, await bad.body.json()], [401, { error: { code: 'RELAY_ERR_KEY_INVALID', message: 'Invalid API key' } }])
    const none = await request(`${base}/internal/report`)
    assert.equal(none.statusCode, 401)
    await none.body.dump()
    assert.equal(toolSeen.length, 1, 'the tool saw only the good key')
  })

  test(`${name}: a client's identity and SSO headers reach neither a protected route nor the relay, in any spelling, case or number of copies`, async t => {
    const binary = binaryFor(t)
    if (binary === undefined) return
    const { base, toolRaw } = await deploy(t, binary, start)
    const port = Number(new URL(base).port)
    const normal = (name: string) => name.toLowerCase().replaceAll('_', '-')
    await fc.assert(fc.asyncProperty(fc.array(spoofedHeader, { minLength: 1, maxLength: 6 }), async spoofed => {
      const lines = spoofed.flatMap(([name, copies]) => Array.from({ length: copies }, (_, i) => `${name}: spoofed-${i}`))
      const before = toolRaw.length
      const res = await rawRequest(port, [`GET /internal/report HTTP/1.1`, `Host: 127.0.0.1:${port}`, `Authorization: Bearer ${ALICE_KEY}`, ...lines].join('\r\n'))
      assert.equal(res.status, 200, res.head)
      const raw = toolRaw[before]!
      const names: [string, string][] = []
      for (let i = 0; i < raw.length; i += 2) names.push([normal(raw[i]!), raw[i + 1]!])
      const identity = names.filter(([n]) => n.startsWith('x-relay-')).sort()
      assert.deepEqual(identity.map(([n]) => n), ['x-relay-key-id', 'x-relay-key-name'], JSON.stringify(raw))
      assert.deepEqual(identity.map(([, v]) => /^key_/.test(v) || v === 'alice'), [true, true], JSON.stringify(raw))
      assert.deepEqual(names.filter(([n]) => n === 'x-forwarded-user'), [], JSON.stringify(raw))
    }), { numRuns: 25, includeErrorInReport: true })

    // The relay believes an SSO user from the gateway's address: a client's own must not get there.
    for (const name of ['X-Forwarded-User', 'x-forwarded-user', 'X_Forwarded_User', 'X-FORWARDED-USER']) {
      const res = await rawRequest(port, `GET /_relay/admin/api/session HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${name}: root`)
      assert.notEqual(res.status, 200, `${name}: ${res.head}`)
    }
  })

  test(`${name}: a WebSocket upgrade (Codex) passes through the gate to the relay's bridge`, async t => {
    const binary = binaryFor(t)
    if (binary === undefined) return
    const { base, openai } = await deploy(t, binary, start)
    const socket = new WebSocket(`${base.replace('http', 'ws')}/openai/v1/responses`, { headers: { authorization: `Bearer ${ALICE_KEY}`, 'user-agent': 'codex_exec/0.171.0' } } as never)
    await new Promise((resolve, reject) => { socket.addEventListener('open', resolve); socket.addEventListener('error', reject) })
    const done = new Promise<string>(resolve => socket.addEventListener('message', ev => { if (String(ev.data).includes('"response.completed"')) resolve(String(ev.data)) }))
    socket.send(JSON.stringify({ type: 'response.create', model: 'gpt-5.4', input: 'hi' }))
    assert.match(await done, /response\.completed/)
    socket.close()
    assert.equal(openai.requests.filter(r => r.method === 'WS').length, 1)
  })
}
