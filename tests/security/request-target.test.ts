// Credential exfiltration through the request target (issue 7.1): whatever target a key holder
// sends, no upstream request leaves the account's origin or the route's path. Property-based:
// generated absolute forms, userinfo, encoded and doubled dots and slashes, backslashes, odd
// schemes and Unicode, sent raw to a real sidecar with a mock upstream and a listener standing
// in for the attacker's host.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import fc from 'fast-check'
import { parseTarget, TargetProblem } from '../../core/relay/request-target.ts'
import { pinUpstream } from '../../core/relay/upstream-pin.ts'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { startOpenAIMock } from '../mocks/openai-mock.ts'
import { ALICE_KEY, startRelay, testConfig } from '../helpers/relay-harness.ts'
import { rawRequest } from '../helpers/raw-http.ts'

const pieces = ['.', '..', '%2e', '%2E', '%2e%2e', '.%2e', '%2F', '%2f', '%5C', '\\', '/', '//', '%252e', '%00', '@', ':', '?', '#', 'é', '%C3%A9', '%', '%zz', 'v1', 'messages', 'models', 'count_tokens', 'claude', 'api', 'x', '~', ';', '%3B', ' ', 'ｆ']
const segment = fc.array(fc.constantFrom(...pieces), { minLength: 0, maxLength: 4 }).map(p => p.join(''))
const tail = fc.array(segment, { minLength: 1, maxLength: 5 }).map(s => '/' + s.join('/'))
const mountPath = fc.constantFrom('/claude/v1/messages', '/claude/v1/models/', '/api/v1/models/', '/claude/v1/messages/count_tokens', '/claude/', '/api/v1/')

test('parseTarget: an accepted path is canonical: no dot segment, no encoded or literal slash inside a segment, no backslash; canonical is a fixpoint', () => {
  fc.assert(fc.property(fc.oneof(tail, mountPath.chain(m => tail.map(t => m + t.slice(1)))), fc.option(fc.constantFrom('beta=true', 'key=x', 'a=%2e&b', 'x#y'), { nil: undefined }), (path, query) => {
    const raw = query === undefined ? path : `${path}?${query}`
    const t = parseTarget(raw)
    if (t instanceof TargetProblem) return
    for (const seg of t.path.split('/').slice(1)) {
      const decoded = decodeURIComponent(seg)
      assert.ok(decoded !== '.' && decoded !== '..', raw)
      assert.ok(!decoded.includes('/') && !decoded.includes('\\'), raw)
    }
    assert.ok(!/%2f|%5c/i.test(t.path.replace(/%25/g, '')), raw)
    // The WHATWG URL parser leaves a canonical path exactly as it is.
    assert.equal(new URL(`https://h${t.path}`).pathname, t.path, raw)
    const again = parseTarget(t.path)
    assert.ok(!(again instanceof TargetProblem))
    assert.equal(again.path, t.path)
  }), { numRuns: 2000, includeErrorInReport: true })
})

test('parseTarget refuses every non-origin form', () => {
  for (const raw of ['http://@127.0.0.1:9999/claude/v1/messages', 'http://x/api/v1/messages', 'https://a@b/c', '//evil/claude', '*', 'file:///etc/passwd', 'claude/v1', '', 'javascript:alert(1)']) {
    assert.ok(parseTarget(raw) instanceof TargetProblem, raw)
  }
})

test('pinUpstream: only the base origin and base path + route path pass; userinfo, other hosts and rewritten paths never do', () => {
  const base = fc.constantFrom('https://api.anthropic.com', 'http://127.0.0.1:8080/prefix', 'https://gw.example/anthropic/', 'https://API.anthropic.com:443')
  const host = fc.constantFrom('api.anthropic.com', 'evil.example', '127.0.0.1:9999', 'api.anthropic.com@evil.example', 'api.anthropic.com:443', 'API.anthropic.com', '127.0.0.1:8080', 'gw.example')
  const scheme = fc.constantFrom('https://', 'http://', 'HTTPS://', 'file://', 'ftp://', 'https:/', 'https:\\\\')
  fc.assert(fc.property(base, scheme, host, tail, (b, sc, h, path) => {
    const url = `${sc}${h}${path}`
    let pinned
    try {
      pinned = pinUpstream({ url, headers: {} }, b, '/v1/messages', undefined)
    } catch (err) {
      assert.equal((err as { code?: string }).code, 'RELAY_ERR_UPSTREAM_TARGET')
      return
    }
    const baseUrl = new URL(b)
    assert.equal(pinned.origin, baseUrl.origin, url)
    assert.equal(pinned.path.split('?')[0], baseUrl.pathname.replace(/\/+$/, '') + '/v1/messages', url)
  }), { numRuns: 3000, includeErrorInReport: true })
  // What the plugins build from their own base URL always passes, spelled as the operator wrote it.
  for (const b of ['https://API.anthropic.com:443', 'http://127.0.0.1:8080/prefix/', 'https://gw.example/anthropic']) {
    assert.equal(pinUpstream({ url: `${b.replace(/\/+$/, '')}/v1/messages?beta=true`, headers: {} }, b, '/v1/messages', 'ars_secret').path.endsWith('/v1/messages?beta=true'), true, b)
  }
  assert.throws(() => pinUpstream({ url: 'https://api.anthropic.com/v1/messages?x=ars_secret', headers: {} }, 'https://api.anthropic.com', '/v1/messages', 'ars_secret'))
  assert.throws(() => pinUpstream({ url: 'https://api.anthropic.com/v1/messages', headers: { 'x-trace': ['a', 'ars_secret'] } }, 'https://api.anthropic.com', '/v1/messages', 'ars_secret'))
})

test('no generated request target sends the pooled credential anywhere but the account origin and a route path', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  // The attacker's host: any connection at all is a failure.
  let attacked = 0
  const attacker = createServer(s => { attacked++; s.destroy() })
  await new Promise<void>(resolve => attacker.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>(resolve => attacker.close(() => resolve())))
  const evil = `127.0.0.1:${(attacker.address() as { port: number }).port}`
  const relay = await startRelay(t, testConfig(mock.url))
  const port = Number(new URL(relay.url).port)

  const absolute = fc.tuple(fc.constantFrom('http://', 'https://', 'HTTP://', 'ftp://', 'file://', '//', 'http:\\\\', 'http:/'), fc.constantFrom('', '@', 'user:pw@', `x@${evil}@`), fc.constantFrom(evil, `${evil}@127.0.0.1`, 'x', 'localhost'), fc.constantFrom('/claude/v1/messages', '/api/v1/messages', '/claude/v1/models'))
    .map(([s, u, h, p]) => `${s}${u}${h}${p}`)
  const relative = fc.tuple(mountPath, tail).map(([m, rest]) => m + rest.slice(1))
  const target = fc.oneof(absolute, relative, fc.constantFrom('/claude/v1/models/%2e%2e', '/claude/v1/models/..%2F..%2Fv1%2Fmessages', '/claude/v1/models/%2e%2e%2f%2e%2e', '/claude/v1/models/a\\..\\..', '/claude/v1/models/%252e%252e', `/claude/v1/models/@${evil}`))
  const method = fc.constantFrom('GET', 'POST')
  const allowed = /^\/v1\/(messages|messages\/count_tokens|models|models\/[^/]+)$/

  let accepted = 0
  await fc.assert(fc.asyncProperty(method, target, async (m, tgt) => {
    const before = mock.requests.length
    const body = m === 'POST' ? JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }) : ''
    const res = await rawRequest(port, `${m} ${tgt} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: ${ALICE_KEY}\r\ncontent-type: application/json`, body)
    assert.ok(res.status >= 200 && res.status < 500, `${m} ${tgt} → ${res.status} ${res.body}`)
    for (const r of mock.requests.slice(before)) {
      const path = r.url.split('?')[0]!
      assert.match(path, allowed, `${m} ${tgt} reached the upstream as ${r.url}`)
      const model = /^\/v1\/models\/([^/]+)$/.exec(path)?.[1]
      if (model !== undefined) assert.ok(!['.', '..'].includes(decodeURIComponent(model)), r.url)
      accepted++
    }
  }), { numRuns: 300, includeErrorInReport: true })
  assert.equal(attacked, 0, 'the attacker host received a connection')
  assert.ok(accepted > 0, 'some generated targets were valid requests')
})

test('the same holds on a mount whose account base URLs hold /v1 (OpenAI): only base + the route path is ever reached', async t => {
  const mock = await startOpenAIMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'openai', mount: '/openai' }],
    accounts: [{ name: 'oa', provider: 'openai', type: 'openai-api-key', apiKey: 'sk-proj-x', baseUrl: `${mock.url}/v1` }],
  }))
  const port = Number(new URL(relay.url).port)
  const mounts = fc.constantFrom('/openai/v1/responses', '/openai/responses', '/openai/v1/models/', '/openai/models/', '/openai/v1/chat/completions', '/openai/v1/', '/openai/')
  const target = fc.tuple(mounts, tail).map(([m, rest]) => m + rest.slice(1))
  const allowed = /^\/v1\/(responses|responses\/compact|chat\/completions|models|models\/[^/]+)$/
  await fc.assert(fc.asyncProperty(fc.constantFrom('GET', 'POST'), target, async (m, tgt) => {
    const before = mock.requests.length
    const body = m === 'POST' ? JSON.stringify({ model: 'gpt-5.4', input: 'hi' }) : ''
    const res = await rawRequest(port, `${m} ${tgt} HTTP/1.1\r\nHost: 127.0.0.1\r\nauthorization: Bearer ${ALICE_KEY}\r\ncontent-type: application/json`, body)
    assert.ok(res.status >= 200 && res.status < 500, `${m} ${tgt} → ${res.status} ${res.body}`)
    for (const r of mock.requests.slice(before)) assert.match(r.url.split('?')[0]!, allowed, `${m} ${tgt} reached the upstream as ${r.url}`)
  }), { numRuns: 200, includeErrorInReport: true })
})
