// The sidecar process as an operator runs it: first start from the example config, and
// SIGTERM draining streams and flushing usage.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { ALICE_KEY, sseEvents, tempDir, testConfig } from '../helpers/relay-harness.ts'
import { freePort, ROOT, spawnRelay, waitForOutput } from '../helpers/processes.ts'
import { openSqliteStore } from '../../core/store/sqlite-store.ts'

test('first start with the example config: data under ./data, hints printed, health up, keyless call refused', async t => {
  const dir = tempDir()
  const port = await freePort()
  const config = join(dir, 'relay.yaml')
  writeFileSync(config, readFileSync(join(ROOT, 'relay.example.yaml'), 'utf8').replace('port: 8787', `port: ${port}`))
  const relay = await spawnRelay(t, config)
  await waitForOutput(relay, 'stderr', /point the client at it/)
  const banner = relay.stderr.join('')
  assert.match(banner, new RegExp(`data: +${join(dir, 'data', 'relay.db')}`))
  assert.match(banner, /keys create/)
  assert.match(banner, /accounts add/)
  assert.ok(existsSync(join(dir, 'data', 'relay.db')))

  const health = await request(`http://127.0.0.1:${port}/_relay/health`)
  assert.equal(health.statusCode, 200)
  assert.equal((await health.body.json() as { status: string }).status, 'ok')
  const res = await request(`http://127.0.0.1:${port}/claude/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  assert.equal(res.statusCode, 401)
  assert.deepEqual(await res.body.json(), { type: 'error', error: { type: 'authentication_error', message: 'No API key was provided' } })
})

async function startStreaming (t: import('node:test').TestContext, graceMs: number) {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const dir = tempDir()
  const port = await freePort()
  const config = join(dir, 'relay.yaml')
  // A flush interval far beyond the test: the record can only reach the store through shutdown.
  writeFileSync(config, JSON.stringify(testConfig(mock.url, {
    listen: { host: '127.0.0.1', port }, usage: { flushIntervalMs: 60_000 }, relay: { shutdownGraceMs: graceMs },
  })))
  const relay = await spawnRelay(t, config)
  mock.enqueue({ kind: 'stepped', usage: { input_tokens: 60, output_tokens: 70 } })
  const res = await request(`http://127.0.0.1:${port}/claude/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  })
  const events = sseEvents(res.body)[Symbol.asyncIterator]()
  assert.equal((await events.next()).value?.event, 'message_start')
  return { mock, relay, events, port, db: join(dir, 'relay.db') }
}

test('SIGTERM lets an in-flight stream finish, then flushes its usage and exits 0', async t => {
  const { mock, relay, events, port, db } = await startStreaming(t, 20_000)
  relay.proc.kill('SIGTERM')
  // New connections are no longer accepted while the stream goes on.
  await new Promise(resolve => setTimeout(resolve, 200))
  await assert.rejects(request(`http://127.0.0.1:${port}/_relay/health`, { reset: true }))
  const names: string[] = []
  mock.step()
  for (let ev = await events.next(); !ev.done; ev = await events.next()) {
    names.push(ev.value.event ?? '')
    mock.step()
  }
  assert.equal(names.at(-1), 'message_stop')
  assert.equal(await relay.exited, 0)
  const store = openSqliteStore(db)
  const rows = await store.recentRequests(5)
  await store.close()
  assert.equal(rows.length, 1)
  assert.deepEqual([rows[0]!.status, rows[0]!.partial, rows[0]!.usage.input, rows[0]!.usage.output], [200, false, 60, 70])
})

test('SIGTERM past the grace period cuts the stream with an error event and records partial usage', async t => {
  const { relay, events, db } = await startStreaming(t, 300)
  relay.proc.kill('SIGTERM')
  const rest = []
  for (let ev = await events.next(); !ev.done; ev = await events.next()) rest.push(ev.value)
  const last = rest.at(-1)!
  assert.equal(last.event, 'error')
  assert.equal(JSON.parse(last.data).error.type, 'api_error')
  assert.equal(await relay.exited, 0)
  const store = openSqliteStore(db)
  const [row] = await store.recentRequests(1)
  await store.close()
  assert.equal(row!.partial, true)
  assert.equal(row!.usage.input, 60)
  assert.ok(row!.costPico! > 0n)
})
