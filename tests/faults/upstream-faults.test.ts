// Broken upstreams (issue 7.6): one that never sends headers does not hold a streaming client
// for minutes, one that goes silent mid-stream or ends without its terminal event leaves the
// client with Anthropic's error event and the usage seen recorded as partial.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { messageEvents, startAnthropicMock, type AnthropicMock } from '../mocks/anthropic-mock.ts'
import { ALICE_KEY, claudeAccount, sseEvents, startRelay, testConfig, type Relay } from '../helpers/relay-harness.ts'

async function two (t: import('node:test').TestContext, extra: Record<string, unknown>): Promise<{ hung: AnthropicMock, good: AnthropicMock, relay: Relay }> {
  const hung = await startAnthropicMock()
  const good = await startAnthropicMock()
  t.after(() => hung.close())
  t.after(() => good.close())
  const accounts = [claudeAccount(hung.url, { name: 'hung', priority: 1 }), claudeAccount(good.url, { name: 'good', priority: 2, apiKey: 'sk-ant-good' })]
  const relay = await startRelay(t, testConfig(undefined, { accounts, ...extra }))
  return { hung, good, relay }
}

const call = (relay: Relay, stream: boolean, content = 'hi') => request(`${relay.url}/claude/v1/messages`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY },
  body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, stream, messages: [{ role: 'user', content }] }),
})

test('a stream whose upstream sends no headers within the stream limit fails over; a non-streaming call may wait longer', async t => {
  const { hung, good, relay } = await two(t, { upstream: { streamHeadersTimeoutMs: 300, headersTimeoutMs: 5000 } })
  hung.enqueue({ kind: 'hang' })
  const res = await call(relay, true)
  assert.equal(res.statusCode, 200)
  const events = []
  for await (const ev of sseEvents(res.body)) events.push(ev.event)
  assert.equal(events.at(-1), 'message_stop')
  assert.equal(good.requests.length, 1)
  await relay.settled()
  const [row] = await relay.rt.store.recentRequests(1)
  assert.equal(row!.attempts, 2)
  assert.equal(row!.accountId, relay.server.pool.byName('good')!.id)

  // Thinking for longer than the stream limit is fine when the client asked for a whole answer.
  // (Another conversation: the first one is now bound to the account that answered it.)
  hung.enqueue({ kind: 'ok', delayFirstByteMs: 800 })
  const whole = await call(relay, false, 'another conversation')
  assert.equal(whole.statusCode, 200)
  await whole.body.dump()
  assert.equal(good.requests.length, 1, 'not failed over')
})

test('a stream that ends cleanly without message_stop ends with an error event; the usage seen is recorded as partial', async t => {
  const { hung, relay } = await two(t, {})
  const events = messageEvents('claude-sonnet-4-5', { input_tokens: 40, output_tokens: 9 }, 'cut short here')
  hung.enqueue({ kind: 'status', status: 200, headers: { 'content-type': 'text/event-stream' }, body: events.filter(e => !e.startsWith('event: message_stop')).join('') })
  const res = await call(relay, true)
  const seen = []
  for await (const ev of sseEvents(res.body)) seen.push(ev)
  assert.equal(seen.at(-1)!.event, 'error')
  assert.equal((JSON.parse(seen.at(-1)!.data) as { error: { type: string } }).error.type, 'api_error')
  await relay.settled()
  const [row] = await relay.rt.store.recentRequests(1)
  assert.deepEqual([row!.partial, row!.usage.input, row!.usage.output], [true, 40, 9])
  assert.ok(row!.costPico! > 0n, 'billed for what was seen')
})

test('silence mid-stream past the body timeout ends with an error event and partial usage', async t => {
  const { hung, relay } = await two(t, { upstream: { bodyTimeoutMs: 300 } })
  hung.enqueue({ kind: 'stepped', usage: { input_tokens: 30, output_tokens: 5 } })
  const res = await call(relay, true)
  const seen = []
  for await (const ev of sseEvents(res.body)) seen.push(ev.event)
  assert.deepEqual([seen[0], seen.at(-1)], ['message_start', 'error'])
  await relay.settled()
  const [row] = await relay.rt.store.recentRequests(1)
  assert.deepEqual([row!.partial, row!.usage.input], [true, 30])
})
