// What an anonymous caller or a misbehaving key holder can cost the relay (issue 7.7): no body
// is read before the key is checked, a cut upload is a 499 at info level, one client hammering
// a limit writes one refusal row per second with a repeat count, and the data files are private.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { ALICE_KEY, startRelay, testConfig, until } from '../helpers/relay-harness.ts'

const levels = (logs: string[]) => logs.map(l => (JSON.parse(l) as { level: number }).level)

test('a request without a valid key is refused before its body is uploaded, and its connection closed', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(mock.url))
  const port = Number(new URL(relay.url).port)
  for (const keyHeader of ['', 'x-api-key: ars_not-a-key-0000000000000000000000\r\n']) {
    // 60 MB announced, none sent: an answer can only come from the headers.
    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect(port, '127.0.0.1')
      let text = ''
      s.on('data', c => { text += c.toString() })
      s.on('close', () => resolve(text))
      s.on('error', reject)
      s.write(`POST /claude/v1/messages HTTP/1.1\r\nHost: h\r\n${keyHeader}content-type: application/json\r\ncontent-length: 60000000\r\n\r\n{"model":`)
    })
    assert.match(answer, /^HTTP\/1\.1 401/)
    assert.match(answer, /connection: close/i)
    assert.match(answer, /authentication_error/)
  }
  assert.equal(mock.requests.length, 0)
  assert.ok(!levels(relay.logs).some(l => l >= 50), 'nothing at error level')
})

test('an upload cut by the client is a 499 row at info level, not an internal error', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(mock.url))
  const port = Number(new URL(relay.url).port)
  for (let i = 0; i < 20; i++) {
    await new Promise<void>(resolve => {
      const s = connect(port, '127.0.0.1', () => {
        s.write(`POST /claude/v1/messages HTTP/1.1\r\nHost: h\r\nx-api-key: ${ALICE_KEY}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{"model":"claude`)
        setTimeout(() => { s.destroy(); resolve() }, 20)
      })
    })
  }
  await until(() => relay.logs.filter(l => l.includes('client closed the request')).length === 20)
  await relay.settled()
  assert.ok(!levels(relay.logs).some(l => l >= 50), `error lines: ${relay.logs.filter(l => (JSON.parse(l) as { level: number }).level >= 50).join('')}`)
  const rows = await relay.rt.store.recentRequests(100)
  assert.equal(rows.length, 20)
  assert.ok(rows.every(r => r.status === 499))
  assert.equal(mock.requests.length, 0)
})

test('a client retrying at its limit writes one refusal row per second with a repeat count', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const config = testConfig(mock.url)
  ;(config.keys as Record<string, unknown>[])[0] = { name: 'alice', key: ALICE_KEY, rateLimits: [{ window: '1d', requests: 1 }] }
  const relay = await startRelay(t, config)
  const statuses: number[] = []
  const started = Date.now()
  for (let i = 0; i < 200; i++) {
    const res = await request(`${relay.url}/claude/v1/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    })
    await res.body.dump()
    statuses.push(res.statusCode)
  }
  const seconds = Math.ceil((Date.now() - started) / 1000)
  await relay.settled()
  const rows = await relay.rt.store.recentRequests(1000)
  const refusals = rows.filter(r => r.status === 429)
  assert.equal(statuses.filter(s => s === 429).length, 199)
  assert.ok(refusals.length >= 1 && refusals.length <= seconds + 1, `${refusals.length} refusal rows in ${seconds} s`)
  assert.equal(refusals.reduce((n, r) => n + 1 + r.repeats, 0), 199, 'every refusal is counted')
})

test('the database, its WAL files and the data dir are private', async t => {
  const relay = await startRelay(t, { ...testConfig(undefined), store: { kind: 'sqlite', path: './data/relay.db' } })
  await relay.rt.store.writeUsage({ records: [], keysUsed: new Map([['k', 1]]) })
  const data = join(relay.dir, 'data')
  assert.equal(statSync(data).mode & 0o777, 0o700)
  const files = readdirSync(data).filter(f => f.startsWith('relay.db'))
  assert.ok(files.includes('relay.db-wal'), files.join(','))
  for (const f of files) assert.equal(statSync(join(data, f)).mode & 0o777, 0o600, f)
})
