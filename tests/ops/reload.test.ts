// Reloading the config without a restart: during 20 open streams a key's policy changes for new
// requests and every stream still completes on what it started with; a file that does not
// validate changes nothing and says why; settings only a restart can apply are named.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { ALICE_KEY, BOB_KEY, sseEvents, startRelay, tempDir, testConfig } from '../helpers/relay-harness.ts'
import { freePort, runCliAsync, spawnRelay } from '../helpers/processes.ts'
import { openSqliteStore } from '../../core/store/sqlite-store.ts'
import { ADMIN_TOKEN } from '../helpers/admin.ts'

const body = (stream: boolean) => JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, stream, messages: [{ role: 'user', content: 'hi' }] })
const headers = (key: string) => ({ 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' })

test('SIGHUP (ai-relay reload) during 20 open streams: the new policy refuses new requests, every open stream completes', { timeout: 60_000 }, async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const dir = tempDir()
  const config = join(dir, 'relay.yaml')
  const port = await freePort()
  const base = testConfig(mock.url, { listen: { host: '127.0.0.1', port }, usage: { flush: 'sync' } })
  writeFileSync(config, JSON.stringify(base))
  await spawnRelay(t, config)
  const url = `http://127.0.0.1:${port}`
  mock.enqueue(...Array.from({ length: 20 }, () => ({ kind: 'stepped' as const })))
  const streams = await Promise.all(Array.from({ length: 20 }, async () => {
    const res = await request(`${url}/claude/v1/messages`, { method: 'POST', headers: headers(ALICE_KEY), body: body(true) })
    assert.equal(res.statusCode, 200)
    const events = sseEvents(res.body)[Symbol.asyncIterator]()
    assert.equal((await events.next()).value!.event, 'message_start')
    return events
  }))

  // Alice may now use only OpenAI.
  writeFileSync(config, JSON.stringify({ ...base, keys: [{ name: 'alice', key: ALICE_KEY, providers: ['openai'] }, { name: 'bob', key: BOB_KEY }] }))
  const reload = await runCliAsync(['reload', '--config', config])
  assert.equal(reload.status, 0, reload.stderr)
  let status = 0
  for (const end = Date.now() + 5000; Date.now() < end;) {
    const res = await request(`${url}/claude/v1/messages`, { method: 'POST', headers: headers(ALICE_KEY), body: body(false) })
    await res.body.dump()
    status = res.statusCode
    if (status === 403) break
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  assert.equal(status, 403, 'the new policy applies to new requests')

  // The open streams run to their end on the policy they started with.
  const ends = streams.map(async events => {
    let last = ''
    for (let ev = await events.next(); !ev.done; ev = await events.next()) last = ev.value.event ?? ''
    return last
  })
  let done = false
  void Promise.all(ends).then(() => { done = true })
  for (let i = 0; i < 2000 && !done; i++) {
    mock.step()
    await new Promise(resolve => setTimeout(resolve, 2))
  }
  assert.deepEqual(new Set(await Promise.all(ends)), new Set(['message_stop']))
  const store = openSqliteStore(join(dir, 'relay.db'))
  t.after(() => store.close())
  const rows = (await store.recentRequests(100)).filter(r => r.stream)
  assert.equal(rows.length, 20)
  assert.ok(rows.every(r => r.status === 200 && !r.partial && r.costPico !== null), 'each stream recorded whole and priced')
})

test('a file that does not validate changes nothing and says why; restart-only settings are named, the rest applied', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const cfg = testConfig(mock.url, { admin: { tokens: [{ name: 'ops', token: ADMIN_TOKEN }] } })
  const relay = await startRelay(t, cfg)
  const reload = async () => {
    const res = await request(`${relay.url}/_relay/admin/api/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    return { status: res.statusCode, json: await res.body.json() as { ok: boolean, problems: string[], restartNeeded: string[] } }
  }
  const original = readFileSync(relay.file, 'utf8')
  writeFileSync(relay.file, JSON.stringify({ ...cfg, keys: [{ name: 'alice' }] }))
  const refused = await reload()
  assert.equal(refused.status, 422)
  assert.match(refused.json.problems.join('\n'), /\/keys\/0/)
  const still = await request(`${relay.url}/claude/v1/messages`, { method: 'POST', headers: headers(ALICE_KEY), body: body(false) })
  assert.equal(still.statusCode, 200, 'the running settings are kept')
  await still.body.dump()
  writeFileSync(relay.file, original)

  const carol = 'ars_test-carol-0123456789abcdefghijklmno'
  writeFileSync(relay.file, JSON.stringify({
    ...cfg, listen: { host: '127.0.0.1', port: 1 }, log: { level: 'warn' },
    keys: [...(cfg.keys as object[]), { name: 'carol', key: carol }],
    pricing: { models: { 'claude-sonnet-4-5': { input: 1_000_000, output: 1_000_000 } } },
  }))
  const applied = await reload()
  assert.deepEqual([applied.status, applied.json.ok, applied.json.restartNeeded], [200, true, ['listen']])
  const res = await request(`${relay.url}/claude/v1/messages`, { method: 'POST', headers: headers(carol), body: body(false) })
  assert.equal(res.statusCode, 200, 'a key added to the file works at once')
  await res.body.dump()
  await relay.settled()
  const [row] = await relay.rt.store.recentRequests(1)
  assert.equal(row!.costPico, 37n * 1_000_000n, 'priced with the reloaded table (25 in + 12 out at $1/MTok)')
  assert.equal(relay.server.log.level, 'warn')
})
