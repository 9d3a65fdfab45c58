import { test } from 'node:test'
import assert from 'node:assert/strict'
import plugin from '../../../plugins/claude/index.ts'
import { isRefusal, type IncomingRequest, type ParsedRequest } from '../../../core/plugin-api.ts'
import { readRateLimits } from '../../../plugins/claude/rate-limits.ts'

const route = plugin.routes[0]!
const parse = (body: unknown, headers: Record<string, string> = {}): ParsedRequest => {
  const req: IncomingRequest = { method: 'POST', path: '/v1/messages', upstreamPath: '/v1/messages', query: '', headers, body: Buffer.from(JSON.stringify(body)) }
  const r = plugin.parseRequest(route, req)
  assert.ok(!isRefusal(r))
  return r
}
const base = { model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hello' }] }

test('session key: Claude Code header, then metadata.user_id in both formats', () => {
  assert.equal(parse(base, { 'x-claude-code-session-id': 'abc-123' }).sessionKey, 'abc-123')
  const json = JSON.stringify({ device_id: 'd', account_uuid: 'u', session_id: '5e0c0e6a-1111-2222-3333-444455556666' })
  assert.equal(parse({ ...base, metadata: { user_id: json } }).sessionKey, '5e0c0e6a-1111-2222-3333-444455556666')
  assert.equal(parse({ ...base, metadata: { user_id: 'user_0f0f_account_aaaa-bbbb_session_7d4c1a2b-0000-1111-2222-333344445555' } }).sessionKey, '7d4c1a2b-0000-1111-2222-333344445555')
})

test('session key fallback: cached system blocks + first user message, stable across turns', () => {
  const system = [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'today is Tuesday' }]
  const turn1 = parse({ ...base, system })
  const turn2 = parse({ ...base, system: [system[0], { type: 'text', text: 'today is Wednesday' }], messages: [...base.messages, { role: 'assistant', content: 'hi' }, { role: 'user', content: 'more' }] })
  assert.match(turn1.sessionKey!, /^h:[0-9a-f]{32}$/)
  assert.equal(turn2.sessionKey, turn1.sessionKey, 'uncached system parts and later turns do not change it')
  assert.notEqual(parse({ ...base, system, messages: [{ role: 'user', content: 'another task' }] }).sessionKey, turn1.sessionKey)
  assert.equal(parse({ model: 'm', max_tokens: 1 }).sessionKey, undefined)
})

test('client kind from user agent and headers', () => {
  assert.equal(parse(base, { 'user-agent': 'claude-cli/2.1.332 (external, cli)' }).clientKind, 'claude-code')
  assert.equal(parse(base, { 'user-agent': 'Anthropic/JS 1.14.0' }).clientKind, 'sdk')
  assert.equal(parse(base, { 'user-agent': 'curl/8' }).clientKind, 'other')
})

test('rate-limit headers: API-key windows and subscription windows', () => {
  const snap = readRateLimits({
    'anthropic-ratelimit-requests-limit': '4000', 'anthropic-ratelimit-requests-remaining': '1000', 'anthropic-ratelimit-requests-reset': '2026-11-26T12:00:30Z',
    'anthropic-ratelimit-unified-status': 'allowed_warning', 'anthropic-ratelimit-unified-reset': '1795730000',
    'anthropic-ratelimit-unified-5h-utilization': '0.82', 'anthropic-ratelimit-unified-5h-status': 'allowed_warning',
    'anthropic-ratelimit-unified-7d_opus-utilization': '0.4', 'anthropic-ratelimit-unified-7d_opus-reset': '1795900000',
  }, 42)!
  const w = Object.fromEntries(snap.windows.map(x => [x.name, x]))
  assert.equal(snap.at, 42)
  assert.deepEqual(w.requests, { name: 'requests', utilisation: 0.75, resetsAt: Date.parse('2026-11-26T12:00:30Z') })
  assert.deepEqual(w.unified, { name: 'unified', status: 'allowed_warning', resetsAt: 1795730000000 })
  assert.deepEqual(w['5h'], { name: '5h', utilisation: 0.82, status: 'allowed_warning' })
  assert.deepEqual(w['7d_opus'], { name: '7d_opus', models: '*opus*', utilisation: 0.4, resetsAt: 1795900000000 })
  assert.equal(readRateLimits({ 'content-type': 'x' }, 1), undefined)
})
