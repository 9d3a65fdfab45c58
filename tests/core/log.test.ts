// Logs: one JSON line per relayed request, and no secret ever in them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { ALICE_KEY, UPSTREAM_KEY, startRelay, testConfig } from '../helpers/relay-harness.ts'
import fc from 'fast-check'
import { censorSecrets, createLogger, redactUrl } from '../../core/log.ts'

test('no relay key or account key reaches the log, whatever the request did; one line per request', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(mock.url))
  mock.enqueue({ kind: 'ok' }, { kind: 'status', status: 401 }, { kind: 'status', status: 500 }, { kind: 'ok' })
  const wrong = 'ars_wrong-key-that-is-secret-too-0000'
  const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })
  const calls: [string, Record<string, string>][] = [
    ['/claude/v1/messages', { 'x-api-key': ALICE_KEY }],
    ['/claude/v1/messages', { authorization: `Bearer ${ALICE_KEY}` }],
    [`/claude/v1/messages?key=${ALICE_KEY}&beta=true`, {}],
    ['/claude/v1/messages', { 'x-api-key': wrong }],
    ['/claude/v1/messages', { 'api-key': ALICE_KEY, 'content-type': 'text/plain' }],
    [`/claude/v1/nope?key=${ALICE_KEY}`, {}],
  ]
  const ids: string[] = []
  for (const [path, headers] of calls) {
    const res = await request(`${relay.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
    ids.push(String(res.headers['x-relay-request-id']))
    await res.body.dump()
  }
  await relay.settled()
  const out = relay.logs.join('')
  for (const secret of [ALICE_KEY, UPSTREAM_KEY, wrong]) assert.ok(!out.includes(secret), `a secret leaked into the log:\n${out}`)
  const lines = relay.logs.flatMap(s => s.split('\n')).filter(Boolean).map(l => JSON.parse(l) as { reqId?: string, msg: string, keyName?: string })
  assert.ok(lines.some(l => l.keyName === 'alice'), 'the key is named in the log by its name')
  for (const id of ids) {
    const mine = lines.filter(l => l.reqId === id)
    assert.equal(mine.length, 1, `request ${id}: ${JSON.stringify(mine)}`)
  }
})

test('redaction paths and URL scrubbing are the second line of defence', () => {
  const lines: string[] = []
  const log = createLogger('info', { write: (s: string) => { lines.push(s) } })
  log.info({ req: { headers: { authorization: 'Bearer ars_aaa', 'x-api-key': 'ars_bbb' } }, account: { apiKey: 'sk-ant-ccc', refreshToken: 'rt-ddd' }, url: '/x?beta=true&key=ars_eee' }, 'm')
  const out = lines.join('')
  for (const s of ['ars_aaa', 'ars_bbb', 'sk-ant-ccc', 'rt-ddd', 'ars_eee']) assert.ok(!out.includes(s), s)
  assert.match(out, /beta=true/)
  assert.equal(redactUrl('/a?key=1&b=2&KEY=3'), '/a?key=[REDACTED]&b=2&KEY=[REDACTED]')
})

test('a secret field at the top of a logged object or one level down never reaches the line, and the caller\'s object is left as it was', () => {
  const secretName = fc.constantFrom('apiKey', 'accessToken', 'refreshToken', 'key', 'secret', 'proxy')
  // Names of Object.prototype (valueOf, …) are left out: pino itself cannot log an object whose
  // own valueOf is a string, and the relay never logs one.
  const plainName = fc.string({ minLength: 1, maxLength: 8 }).filter(k => !['apiKey', 'accessToken', 'refreshToken', 'key', 'secret', 'proxy'].includes(k) && !(k in Object.prototype))
  const plain = fc.oneof(fc.integer(), fc.boolean(), fc.constantFrom('ok', 'relay', '/claude/v1/messages'))
  const level = fc.dictionary(plainName, plain, { maxKeys: 5 })
  fc.assert(fc.property(level, fc.dictionary(plainName, level, { maxKeys: 3 }), secretName, fc.option(plainName, { nil: undefined }), fc.integer({ min: 0, max: 1e9 }),
    (top, nested, name, under, n) => {
      const secret = `sk-secret-${n}-value`
      const obj: Record<string, unknown> = { ...top, ...nested }
      if (under === undefined) obj[name] = secret
      else obj[under] = { ...(typeof obj[under] === 'object' ? obj[under] as object : {}), [name]: secret }
      const before = JSON.stringify(obj)
      const lines: string[] = []
      createLogger('info', { write: (s: string) => { lines.push(s) } }).info(obj, 'm')
      assert.ok(!lines.join('').includes(secret), `${before} -> ${lines.join('')}`)
      assert.equal(JSON.stringify(obj), before, 'the caller\'s object is untouched')
      // Everything that is not a secret is kept.
      const logged = censorSecrets(obj)
      for (const [k, v] of Object.entries(obj)) {
        if (k === name && under === undefined) continue
        if (typeof v !== 'object') assert.deepEqual(logged[k], v)
      }
    }), { numRuns: 300 })
  // Nothing to censor: the very same object, no copy.
  const clean = { path: '/x', tokens: { in: 1, out: 2 } }
  assert.equal(censorSecrets(clean), clean)
})
