// The relay key never travels upstream (issue 7.2): for every accepted way of presenting it
// (each header, in any name case, Bearer in any case, the query with its name and value in any
// percent-encoding, repeated, among other parameters) the request authenticates and the key
// appears nowhere in what the upstream received: URL, headers or body.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { ALICE_KEY, startRelay, testConfig } from '../helpers/relay-harness.ts'
import { rawRequest } from '../helpers/raw-http.ts'

const hex = (c: string, upper: boolean) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')[upper ? 'toUpperCase' : 'toLowerCase']()
/** Each character as it is or percent-encoded, in either hex case. */
const encoded = (s: string) => fc.array(fc.tuple(fc.boolean(), fc.boolean()), { minLength: s.length, maxLength: s.length })
  .map(flags => [...s].map((c, i) => (flags[i]![0] ? hex(c, flags[i]![1]) : c)).join(''))
const mixedCase = (s: string) => fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length })
  .map(flags => [...s].map((c, i) => (flags[i] ? c.toUpperCase() : c.toLowerCase())).join(''))

const presentation = fc.oneof(
  fc.tuple(fc.constantFrom('x-api-key', 'x-goog-api-key', 'api-key'), fc.nat()).chain(([h]) => mixedCase(h).map(name => ({ header: `${name}: ${ALICE_KEY}`, query: '' }))),
  fc.tuple(mixedCase('authorization'), mixedCase('bearer')).map(([h, b]) => ({ header: `${h}: ${b} ${ALICE_KEY}`, query: '' })),
  fc.tuple(encoded('key'), encoded(ALICE_KEY), fc.nat({ max: 2 }), fc.boolean()).map(([name, value, repeats, others]) => {
    const parts = [`${name}=${value}`, ...Array.from({ length: repeats }, () => `${name}=${value}`)]
    if (others) parts.unshift('beta=true')
    if (others) parts.push('x=1')
    return { header: '', query: parts.join('&') }
  }),
  // A header key and the same key repeated in the query: both places are stripped.
  encoded('key').map(name => ({ header: `x-api-key: ${ALICE_KEY}`, query: `${name}=${ALICE_KEY}&KEY=${ALICE_KEY}` })),
)

test('no way of presenting the relay key lets it reach the upstream', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(mock.url))
  const port = Number(new URL(relay.url).port)
  const forms = [ALICE_KEY, encodeURIComponent(ALICE_KEY), ALICE_KEY.slice(4)]
  const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] })
  await fc.assert(fc.asyncProperty(presentation, fc.boolean(), async (p, stream) => {
    const before = mock.requests.length
    const payload = stream ? body.replace('{', '{"stream":true,') : body
    const target = `/claude/v1/messages${p.query ? `?${p.query}` : ''}`
    const res = await rawRequest(port, `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json${p.header ? `\r\n${p.header}` : ''}`, payload)
    assert.equal(res.status, 200, `${target} ${p.header} → ${res.status} ${res.body}`)
    const seen = mock.requests.slice(before)
    assert.equal(seen.length, 1)
    const r = seen[0]!
    const everything = [r.url, ...Object.entries(r.headers).flat().map(String), r.body.toString('latin1')].join('\n')
    for (const f of forms) assert.ok(!everything.includes(f), `the key reached the upstream (${target} ${p.header})`)
  }), { numRuns: 200, includeErrorInReport: true })
})

test('the key found in any other header is refused, not forwarded', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(mock.url))
  const port = Number(new URL(relay.url).port)
  const res = await rawRequest(port, `POST /claude/v1/messages HTTP/1.1\r\nHost: h\r\nx-api-key: ${ALICE_KEY}\r\nx-debug: copy ${ALICE_KEY}`, '{}')
  assert.equal(res.status, 400)
  assert.match(res.body, /invalid_request_error/)
  assert.equal(mock.requests.length, 0)
})
