// The request log says who sent each request and the provider's id of its answer: the user
// agent, the client's address from X-Forwarded-For only through a trusted gateway (the chain
// read from the right), and `request-id`; `ai-relay logs` finds them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { request } from 'undici'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { ALICE_KEY, startRelay, testConfig } from '../helpers/relay-harness.ts'
import { runCliAsync } from '../helpers/processes.ts'
import { clientInfo, trustedProxies } from '../../core/relay/client-info.ts'

const trusted = trustedProxies(['127.0.0.1/32', '10.0.0.0/8'])

test('the client address: the peer unless it is a trusted gateway; then the rightmost untrusted hop of X-Forwarded-For', () => {
  assert.equal(clientInfo({ 'x-forwarded-for': '203.0.113.9' }, '198.51.100.1', trusted).ip, '198.51.100.1', 'an untrusted peer cannot name an address')
  assert.equal(clientInfo({ 'x-forwarded-for': '1.2.3.4, 203.0.113.9' }, '127.0.0.1', trusted).ip, '203.0.113.9', 'a client-written hop on the left is ignored')
  assert.equal(clientInfo({ 'x-forwarded-for': '203.0.113.9, 10.1.1.1' }, '::ffff:127.0.0.1', trusted).ip, '203.0.113.9', 'trusted hops are skipped')
  assert.equal(clientInfo({ 'x-forwarded-for': 'garbage, 203.0.113.9' }, '127.0.0.1', trusted).ip, '203.0.113.9')
  assert.equal(clientInfo({ 'x-forwarded-for': '203.0.113.9, <script>' }, '127.0.0.1', trusted).ip, '127.0.0.1', 'garbage ends the trust')
  assert.equal(clientInfo({ 'user-agent': 'x'.repeat(1000) }, '127.0.0.1', trusted).userAgent!.length, 256)
  const ip = fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('127.0.0.1', '10.2.3.4', 'unknown', '', ' '), fc.string({ maxLength: 20 }))
  fc.assert(fc.property(fc.array(ip, { maxLength: 6 }), fc.oneof(fc.ipV4(), fc.constant('127.0.0.1'), fc.constant('10.9.9.9')), (chain, peer) => {
    const got = clientInfo({ 'x-forwarded-for': chain.join(', ') }, peer, trusted).ip
    // The answer is always the peer or an address from the chain, never anything else.
    assert.ok(got === peer || chain.map(c => c.trim().replace(/^::ffff:/i, '')).includes(got!), `${got} from ${peer} / ${chain.join(',')}`)
    if (!trusted.check(peer, 'ipv4')) assert.equal(got, peer)
  }), { numRuns: 1000 })
})

test('a relayed request records its user agent, client address and upstream request id; ai-relay logs finds it', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(mock.url))
  const res = await request(`${relay.url}/claude/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, 'anthropic-version': '2023-06-01', 'user-agent': 'claude-cli/2.1.332 (external, cli)', 'x-forwarded-for': '203.0.113.77' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
  })
  await res.body.dump()
  await relay.settled()
  const [row] = await relay.rt.store.recentRequests(1)
  assert.deepEqual([row!.userAgent, row!.clientIp, row!.upstreamRequestId], ['claude-cli/2.1.332 (external, cli)', '203.0.113.77', 'req_mock_0001'])
  await relay.server.close()
  const logs = await runCliAsync(['logs', '--key', 'alice', '--ip', '203.0.113.77', '--json', '--config', relay.file])
  assert.equal(logs.status, 0, logs.stderr)
  const [listed] = JSON.parse(logs.stdout) as Record<string, unknown>[]
  assert.deepEqual([listed!.key, listed!.clientIp, listed!.upstreamRequestId, listed!.status], ['alice', '203.0.113.77', 'req_mock_0001', 200])
  const none = await runCliAsync(['logs', '--key', 'alice', '--status', '500', '--config', relay.file])
  assert.equal(none.stdout.split('\n').filter(Boolean).length, 1, 'only the header line')
})
