// A pool of mock accounts behind one relay: failover before the first byte, cooldowns, and
// sticky conversations, seen through real clients.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import Anthropic from '@anthropic-ai/sdk'
import { request } from 'undici'
import { startAnthropicMock, type AnthropicMock } from '../../mocks/anthropic-mock.ts'
import { ALICE_KEY, claudeAccount, startRelay, testConfig, until, type Relay } from '../../helpers/relay-harness.ts'
import { runCli } from '../../helpers/processes.ts'
import { join } from 'node:path'
import { openSqliteStore } from '../../../core/store/sqlite-store.ts'

async function pool (t: import('node:test').TestContext, n: number, extra: Record<string, unknown> = {}, priorities?: number[]) {
  const mocks: AnthropicMock[] = []
  for (let i = 0; i < n; i++) {
    const m = await startAnthropicMock()
    t.after(() => m.close())
    mocks.push(m)
  }
  const accounts = mocks.map((m, i) => claudeAccount(m.url, { name: `acct${i}`, apiKey: `sk-ant-acct${i}`, priority: priorities?.[i] ?? 50 }))
  const relay = await startRelay(t, testConfig(undefined, { accounts, ...extra }))
  return { mocks, relay }
}

async function rows (relay: Relay) {
  await relay.settled()
  return (await relay.rt.store.recentRequests(1000)).reverse()
}

test('one account 429s, one 529s, one works: every request succeeds, attempts and accounts are recorded, the SDK sees no error', async t => {
  const { mocks: [limited, overloaded, ok], relay } = await pool(t, 3, {}, [10, 20, 30])
  limited!.setDefault({ kind: 'status', status: 429, headers: { 'retry-after': '30' } })
  overloaded!.setDefault({ kind: 'status', status: 529 })
  const client = new Anthropic({ apiKey: ALICE_KEY, baseURL: `${relay.url}/claude`, maxRetries: 0 })
  for (let i = 0; i < 6; i++) {
    const params = { model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user' as const, content: `q${i}` }] }
    if (i % 2 === 0) {
      const msg = await client.messages.create(params)
      assert.equal(msg.type, 'message')
    } else {
      const final = await client.messages.stream(params).finalMessage()
      assert.equal(final.usage.output_tokens, 12)
    }
  }
  const r = await rows(relay)
  assert.ok(r.every(x => x.status === 200))
  const id = (name: string) => relay.server.pool.byName(name)!.id
  // First request: tried in priority order. The 429 account then rests for its retry-after, so
  // the next ones skip it; the 529 account is benched after three failures in a row.
  assert.deepEqual(r[0]!.accountsTried, [id('acct0'), id('acct1'), id('acct2')])
  assert.equal(r[0]!.attempts, 3)
  const line = relay.logs.map(l => JSON.parse(l) as { reqId?: string, tried?: string[] }).find(l => l.reqId === r[0]!.requestId)!
  assert.deepEqual(line.tried, ['acct0', 'acct1', 'acct2'])
  assert.deepEqual(r[1]!.accountsTried, [id('acct1'), id('acct2')])
  assert.deepEqual(r[2]!.accountsTried, [id('acct1'), id('acct2')])
  assert.deepEqual(r.slice(3).map(x => x.accountsTried), [[id('acct2')], [id('acct2')], [id('acct2')]])
  assert.equal(limited!.requests.length, 1)
  assert.equal(overloaded!.requests.length, 3)
  assert.equal(ok!.requests.length, 6)
  // Only the working account's bill: each row is one successful call.
  assert.ok(r.every(x => x.accountId === id('acct2')))
  const st = relay.server.health.state(id('acct0'))
  assert.ok(st.cooldownUntil! > Date.now() + 25_000)
  assert.match(st.lastError!, /HTTP 429/)

  // The operator sees it from the CLI (another process, same store).
  const listed = runCli(['accounts', 'list', '--config', relay.file])
  assert.equal(listed.status, 0, listed.stderr)
  assert.match(listed.stdout, /acct0 .*cooling until \S+ .*HTTP 429: mock 429/)
  assert.match(listed.stdout, /acct2 .*active .*requests 0%/)
  const enabled = runCli(['accounts', 'enable', 'acct0', '--config', relay.file])
  assert.equal(enabled.status, 0, enabled.stderr)
  await until(() => relay.server.health.state(id('acct0')).cooldownUntil === null, 3000)
})

test('client errors are not failed over and do not bench the account', async t => {
  const { mocks: [a, b], relay } = await pool(t, 2, {}, [1, 2])
  a!.setDefault({ kind: 'status', status: 400, body: JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long' } }) })
  for (let i = 0; i < 5; i++) {
    const res = await request(`${relay.url}/claude/v1/messages`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [] }),
    })
    assert.equal(res.statusCode, 400)
    await res.body.dump()
  }
  assert.equal(b!.requests.length, 0)
  const r = await rows(relay)
  assert.ok(r.every(x => x.attempts === 1))
  assert.equal(relay.server.health.state(relay.server.pool.byName('acct0')!.id).cooldownUntil, null)
})

test('every account failing: the client gets the last error; no account at all usable: 503 with the earliest comeback', async t => {
  const { mocks, relay } = await pool(t, 2, { scheduler: { maxAttempts: 5 } })
  for (const m of mocks) m.setDefault({ kind: 'status', status: 429, headers: { 'retry-after': '40' } })
  const call = () => request(`${relay.url}/claude/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY },
    body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [] }),
  })
  const first = await call()
  assert.equal(first.statusCode, 429)
  assert.equal((await first.body.json() as { error: { type: string } }).error.type, 'rate_limit_error')
  const second = await call()
  assert.equal(second.statusCode, 503)
  assert.equal((await second.body.json() as { error: { type: string } }).error.type, 'overloaded_error')
  const wait = Number(second.headers['retry-after'])
  assert.ok(wait >= 38 && wait <= 40, String(wait))
  const r = await rows(relay)
  assert.equal(r[0]!.attempts, 2, 'each account once, not maxAttempts times')
})

test('a Claude Code conversation stays on one account for 50 turns and re-binds once when its account fails', async t => {
  const { mocks, relay } = await pool(t, 3)
  const turn = async (session: string, n: number) => {
    const res = await request(`${relay.url}/claude/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, 'x-claude-code-session-id': session, 'user-agent': 'claude-cli/2.1.332 (external, cli)' },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: `turn ${n}` }] }),
    })
    assert.equal(res.statusCode, 200)
    await res.body.dump()
    await relay.settled()
    return (await relay.rt.store.recentRequests(1))[0]!.accountId
  }
  const first = await turn('conv-1', 0)
  for (let n = 1; n < 50; n++) assert.equal(await turn('conv-1', n), first, `turn ${n}`)
  // Another conversation is spread elsewhere by least-recent use.
  assert.notEqual(await turn('conv-2', 0), first)

  const bound = mocks.find(m => m.requests.length >= 50)!
  bound.setDefault({ kind: 'status', status: 529 })
  const second = await turn('conv-1', 50)
  assert.notEqual(second, first)
  bound.setDefault({ kind: 'ok' })
  for (let n = 51; n < 60; n++) assert.equal(await turn('conv-1', n), second, 'no ping-pong back')
})

test('a stream that opens with an error event fails over before the client sees a byte', async t => {
  const { mocks: [flaky, good], relay } = await pool(t, 2, {}, [1, 2])
  flaky!.enqueue({ kind: 'stream-error', errorType: 'overloaded_error' }, { kind: 'stream-error', errorType: 'overloaded_error' })
  const client = new Anthropic({ apiKey: ALICE_KEY, baseURL: `${relay.url}/claude`, maxRetries: 0 })
  const final = await client.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).finalMessage()
  assert.equal(final.usage.output_tokens, 12)
  assert.equal(good!.requests.length, 1)
  const [row] = await rows(relay)
  assert.equal(row!.attempts, 2)
  assert.equal(relay.server.health.state(relay.server.pool.byName('acct0')!.id).consecutiveFailures, 1)

  // With nowhere else to go, the client gets the provider's own overloaded error.
  good!.setDefault({ kind: 'stream-error', errorType: 'overloaded_error' })
  const res = await request(`${relay.url}/claude/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY },
    body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'y' }] }),
  })
  assert.equal(res.statusCode, 529)
  assert.equal(res.headers['content-type'], 'application/json')
  assert.deepEqual(await res.body.json(), { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })
})

test('a dead pool is not an overload: the SDK gets one non-retryable 503 naming what the operator must do; cooling accounts keep the overload answer', async t => {
  const mocks = [await startAnthropicMock(), await startAnthropicMock()]
  for (const m of mocks) t.after(() => m.close())
  const dead = await startRelay(t, testConfig(undefined, {
    accounts: [claudeAccount(mocks[0]!.url, { name: 'off', disabled: true }), claudeAccount(mocks[1]!.url, { name: 'gone', apiKey: 'sk-ant-revoked' })],
  }))
  mocks[1]!.setAuth(() => false)
  // The revoked key is found out by a first request (a 502: the pooled credential was refused).
  const first = await request(`${dead.url}/claude/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY },
    body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [] }),
  })
  assert.equal(first.statusCode, 502)
  await first.body.dump()
  // The SDK retries 5xx twice by default: x-should-retry: false must stop it at once.
  const client = new Anthropic({ apiKey: ALICE_KEY, baseURL: `${dead.url}/claude` })
  const t0 = Date.now()
  await assert.rejects(client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }), (err: unknown) => {
    assert.ok(err instanceof Anthropic.InternalServerError)
    assert.equal(err.status, 503)
    assert.equal((err.error as { error: { type: string } }).error.type, 'api_error')
    assert.match(err.message, /No claude account of this relay is usable \(1 needs a new login, 1 is disabled\).*log in again/)
    return true
  })
  assert.ok(Date.now() - t0 < 2000, 'not retried with backoff')
  const r = await rows(dead)
  assert.equal(r.length, 2, 'one request each: the SDK did not retry')
  assert.equal(r[1]!.status, 503)
})

test('no account serves this client or this model: a lasting refusal naming why, not an overload', async t => {
  const m = await startAnthropicMock()
  t.after(() => m.close())
  const relay = await startRelay(t, testConfig(undefined, { accounts: [claudeAccount(m.url, { models: ['claude-haiku-*'] })] }))
  const call = (model: string) => request(`${relay.url}/claude/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY },
    body: JSON.stringify({ model, max_tokens: 5, messages: [] }),
  })
  const res = await call('claude-opus-4-5')
  assert.equal(res.statusCode, 404)
  assert.equal(res.headers['x-should-retry'], 'false')
  assert.deepEqual(await res.body.json(), { type: 'error', error: { type: 'not_found_error', message: 'No claude account of this relay serves the model claude-opus-4-5.' } })
  const ok = await call('claude-haiku-4-5')
  assert.equal(ok.statusCode, 200)
  await ok.body.dump()
})

test('the sidecar saves which accounts it used last, so rotation resumes after a restart', async t => {
  const { relay } = await pool(t, 2)
  const res = await request(`${relay.url}/claude/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY },
    body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
  })
  await res.body.dump()
  await relay.server.close()
  const store = openSqliteStore(join(relay.dir, 'relay.db'))
  t.after(() => store.close())
  assert.deepEqual([...(await store.accountsLastUsed()).keys()], [relay.server.pool.byName('acct0')!.id])
})
