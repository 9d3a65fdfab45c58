// An account's header policy (a relay in a chain): what HTTP and the credential own is refused in
// any spelling, values that would split a request are refused, and applying an accepted policy
// leaves exactly one copy of each added header, none of the stripped ones, and the rest as sent.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { addPolicyHeaders, headerPolicyProblem, strippedRequestHeaders, stripResponseHeaders } from '../../core/header-policy.ts'
import { fieldFromText } from '../../core/accounts/field-text.ts'

/** The same name in a generated mix of cases. */
const anySpelling = (name: string) => fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length })
  .map(upper => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''))

const owned = fc.constantFrom('authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'proxy-authorization', 'host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'content-type', 'content-encoding')
  .chain(anySpelling)

test('a header the credential or HTTP owns cannot be added, in any spelling; the answer\'s type cannot be stripped', () => {
  fc.assert(fc.property(owned, fc.string({ maxLength: 20 }).filter(v => !/[\r\n\0]/.test(v)), (name, value) => {
    assert.match(headerPolicyProblem({ addHeaders: { [name]: value } }) ?? '', new RegExp(`addHeaders: ${name} `))
  }))
  fc.assert(fc.property(fc.constantFrom('content-type', 'transfer-encoding', 'content-length', 'connection').chain(anySpelling), name => {
    assert.match(headerPolicyProblem({ stripResponseHeaders: [name] }) ?? '', /stripResponseHeaders/)
  }))
})

test('a value with CR, LF or NUL anywhere is refused (it would put a header of its own into the request)', () => {
  fc.assert(fc.property(fc.string({ maxLength: 10 }), fc.constantFrom('\r', '\n', '\0', '\r\n'), fc.string({ maxLength: 10 }), (a, bad, b) => {
    assert.match(headerPolicyProblem({ addHeaders: { 'x-chain': `${a}${bad}${b}` } }) ?? '', /must be one line/)
  }))
  assert.match(headerPolicyProblem({ addHeaders: { 'x-chain': 'x'.repeat(8193) } }) ?? '', /at most 8192/)
  for (const bad of ['', 'a b', 'a:b', 'é', 'a\nb']) assert.match(headerPolicyProblem({ stripHeaders: [bad] }) ?? '', /not a header name/, JSON.stringify(bad))
})

// Names the policy may add (those it may not are the first test's).
const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/).filter(n => headerPolicyProblem({ addHeaders: { [n]: '' } }) === undefined)

test('applied, a policy leaves one copy of each added header, none of the stripped, and every other header as sent', () => {
  fc.assert(fc.property(
    fc.dictionary(token, fc.string({ maxLength: 8 }), { maxKeys: 8 }),
    fc.array(token.chain(anySpelling), { maxLength: 4 }),
    fc.dictionary(token.chain(anySpelling), fc.stringMatching(/^[ -~]{0,12}$/), { maxKeys: 4 }),
    (client, strip, add) => {
      const policy = { stripHeaders: [...new Set(strip)], addHeaders: add }
      assert.equal(headerPolicyProblem(policy), undefined)
      const out = strippedRequestHeaders(client, policy)
      addPolicyHeaders(out, policy)
      const lowerStrip = new Set(strip.map(s => s.toLowerCase()))
      const lowerAdd = new Map(Object.entries(add).map(([k, v]) => [k.toLowerCase(), v]))
      const names = Object.keys(out).map(k => k.toLowerCase())
      assert.equal(new Set(names).size, names.length, 'one copy of each name')
      for (const [k, v] of Object.entries(out)) {
        if (lowerAdd.has(k.toLowerCase())) assert.equal(v, [...Object.entries(add)].reverse().find(([n]) => n.toLowerCase() === k.toLowerCase())![1])
        else {
          assert.ok(!lowerStrip.has(k), `${k} was stripped`)
          assert.equal(v, client[k])
        }
      }
      for (const k of Object.keys(client)) if (!lowerStrip.has(k) && !lowerAdd.has(k)) assert.ok(k in out, `${k} kept`)
      for (const k of lowerAdd.keys()) assert.ok(names.includes(k), `${k} added`)
    }))
})

test('the answer loses exactly the named headers, in any spelling', () => {
  const headers: Record<string, string | string[]> = { 'content-type': 'application/json', 'x-upstream-relay': 'crs', 'request-id': 'r1', 'set-x': ['a', 'b'] }
  stripResponseHeaders(headers, { stripResponseHeaders: ['X-Upstream-Relay', 'SET-X'] })
  assert.deepEqual(headers, { 'content-type': 'application/json', 'request-id': 'r1' })
})

test('a map typed as text: `Name: value` lines (values may hold colons) or a JSON object; a list from commas', () => {
  assert.deepEqual(fieldFromText({ type: 'object' }, 'X-Chain-Token: a:b:c\n\n  X-Hop : 2 \r\n'), { 'X-Chain-Token': 'a:b:c', 'X-Hop': '2' })
  assert.deepEqual(fieldFromText({ type: 'object' }, '{"x-a":"1"}'), { 'x-a': '1' })
  assert.deepEqual(fieldFromText({ type: 'array' }, 'a, b,,c'), ['a', 'b', 'c'])
  assert.equal(fieldFromText({ type: 'string' }, '12345'), '12345')
  assert.equal(fieldFromText(undefined, '12'), 12)
})
