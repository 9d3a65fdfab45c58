// The OpenAI plugin's pure parts: usage normalisation, meters under any chunking, the filter
// that hides the usage chunk the relay asked for, error classification and rate-limit headers.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import plugin from '../../../plugins/openai/index.ts'
import { readUsage } from '../../../plugins/openai/usage.ts'
import { createChatSseMeter, createJsonMeter, createResponsesSseMeter } from '../../../plugins/openai/meter.ts'
import { createUsageChunkFilter } from '../../../plugins/openai/usage-filter.ts'
import { classifyError, parseDuration } from '../../../plugins/openai/classify-error.ts'
import { readRateLimits } from '../../../plugins/openai/rate-limits.ts'
import { isRefusal, type IncomingRequest, type Meter, type ParsedRequest } from '../../../core/plugin-api.ts'
import { chatChunks, chatUsage, responsesEvents, responsesUsage, type OpenAIUsage } from '../../mocks/openai-mock.ts'

const count = fc.nat({ max: 2_000_000 })
const usageArb = fc.record({ input: count, cached: count, output: count, reasoning: count })
  .map(u => ({ ...u, cached: Math.min(u.cached, u.input), reasoning: Math.min(u.reasoning, u.output) }))

test('usage: both shapes map to disjoint buckets (input excludes cached; reasoning stays in output)', () => {
  fc.assert(fc.property(usageArb, fc.boolean(), (u: OpenAIUsage, chat) => {
    const invalid: string[] = []
    const got = readUsage(chat ? chatUsage(u) : responsesUsage(u), invalid)
    assert.deepEqual(invalid, [])
    assert.deepEqual(got, { input: u.input - u.cached, cacheRead: u.cached, output: u.output, reasoning: u.reasoning })
  }), { numRuns: 500 })
  const invalid: string[] = []
  readUsage({ input_tokens: 10, input_tokens_details: { cached_tokens: 11 }, output_tokens: 1.5 }, invalid)
  assert.deepEqual(invalid, ['output_tokens=1.5', 'cached_tokens=11 > input=10'])
})

function feed (meter: Meter, text: string, size: number) {
  const bytes = Buffer.from(text)
  for (let i = 0; i < bytes.length; i += size) meter.push(bytes.subarray(i, i + size))
  return meter.end()
}

test('meters: Responses and Chat streams and bodies give the same usage under any chunking; a cut stream is partial', () => {
  fc.assert(fc.property(usageArb, fc.integer({ min: 1, max: 200 }), (u, size) => {
    const want = { input: u.input - u.cached, cacheRead: u.cached, output: u.output, reasoning: u.reasoning }
    const sse = responsesEvents('gpt-5.4', u, 'some words here').join('')
    assert.deepEqual(feed(createResponsesSseMeter(), sse, size), { usage: want, model: 'gpt-5.4', complete: true })
    const chat = chatChunks('gpt-5.4', u, 'some words here', true).join('')
    assert.deepEqual(feed(createChatSseMeter(), chat, size), { usage: want, model: 'gpt-5.4', complete: true })
    const body = JSON.stringify({ object: 'response', model: 'gpt-5.4', usage: responsesUsage(u) })
    assert.deepEqual(feed(createJsonMeter(), body, size), { usage: want, model: 'gpt-5.4', complete: true })
  }), { numRuns: 200 })
  const events = responsesEvents('gpt-5.4', { input: 5, cached: 0, output: 5, reasoning: 0 }, 'cut here')
  assert.deepEqual(feed(createResponsesSseMeter(), events.slice(0, -1).join(''), 7), { usage: {}, model: 'gpt-5.4', complete: false })
})

test('the usage-chunk filter removes exactly that chunk, byte-identical otherwise, however the stream is split', () => {
  fc.assert(fc.property(usageArb, fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 40 }), fc.boolean(), (u, cuts, crlf) => {
    let chunks = chatChunks('gpt-5.4', u, 'héllo wörld ✓ and more', true)
    if (crlf) chunks = chunks.map(c => c.replace(/\n/g, '\r\n'))
    const usageIndex = chunks.findIndex(c => c.includes('"choices":[]'))
    const expected = Buffer.from(chunks.filter((_, i) => i !== usageIndex).join(''))
    const input = Buffer.from(chunks.join(''))
    const filter = createUsageChunkFilter()
    const out: Buffer[] = []
    let at = 0
    for (const n of cuts) {
      out.push(filter.write(input.subarray(at, at + n)))
      at += n
    }
    out.push(filter.write(input.subarray(at)), filter.end())
    assert.deepEqual(Buffer.concat(out), expected)
  }), { numRuns: 300 })
})

test('errors: 429 rests until retry-after, resets_in_seconds or the longest reset duration; quota and client errors', () => {
  const now = 1_000_000
  const body = (o: unknown) => Buffer.from(JSON.stringify(o))
  assert.deepEqual(classifyError(429, { 'retry-after': '20' }, Buffer.alloc(0), now), { kind: 'rate_limited', retryable: true, until: now + 20_000 })
  assert.equal(classifyError(429, {}, body({ error: { type: 'usage_limit_reached', resets_in_seconds: 3600 } }), now).until, now + 3_600_000)
  assert.equal(classifyError(429, { 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '6m0s' }, Buffer.alloc(0), now).until, now + 360_000)
  assert.equal(classifyError(429, {}, body({ error: { code: 'insufficient_quota' } }), now).kind, 'forbidden')
  assert.equal(classifyError(400, {}, Buffer.alloc(0), now).kind, 'client_error')
  assert.equal(classifyError(401, {}, Buffer.alloc(0), now).kind, 'auth_failed')
  assert.equal(classifyError(503, {}, Buffer.alloc(0), now).kind, 'overloaded')
  fc.assert(fc.property(fc.nat({ max: 99 }), fc.nat({ max: 59 }), fc.nat({ max: 59 }), fc.nat({ max: 999 }), (h, m, s, ms) => {
    assert.equal(parseDuration(`${h}h${m}m${s}s`), ((h * 60 + m) * 60 + s) * 1000)
    assert.equal(parseDuration(`${ms}ms`), ms)
  }))
  for (const bad of ['', '1x', '-1s', 'NaNs', '1e9s', 's']) assert.equal(parseDuration(bad), undefined, bad)
})

test('rate limits: API-key windows, and ChatGPT windows from x-codex-* headers; a full window is rejected until its reset', () => {
  const snap = readRateLimits({
    'x-ratelimit-limit-requests': '500', 'x-ratelimit-remaining-requests': '499', 'x-ratelimit-reset-requests': '120ms',
    'x-codex-primary-used-percent': '100', 'x-codex-primary-window-minutes': '300', 'x-codex-primary-reset-after-seconds': '600',
    'x-codex-secondary-used-percent': '42.5', 'x-codex-secondary-window-minutes': '10080', 'x-codex-secondary-reset-at': '1800000',
  }, 1000)!
  assert.deepEqual(snap.windows, [
    { name: 'requests', utilisation: 0.0020000000000000018, resetsAt: 1120 },
    { name: '5h', utilisation: 1, resetsAt: 601_000, status: 'rejected' },
    { name: '7d', utilisation: 0.425, resetsAt: 1_800_000_000 },
  ])
})

test('parse: model, stream, the conversation from session headers or prompt_cache_key, the client; usage asked for chat streams only', () => {
  const route = (path: string) => plugin.routes.find(r => r.path === path && r.method === 'POST')!
  const parse = (path: string, body: unknown, headers: Record<string, string> = {}): ParsedRequest => {
    const req: IncomingRequest = { method: 'POST', path, upstreamPath: path, query: '', headers, body: Buffer.from(JSON.stringify(body)) }
    const r = plugin.parseRequest(route(path), req)
    assert.ok(!isRefusal(r), JSON.stringify(r))
    return r
  }
  const codex = { originator: 'codex_exec', 'user-agent': 'codex_exec/0.171.0 (Debian 12; x86_64)' }
  assert.deepEqual(parse('/v1/responses', { model: 'gpt-5.4', stream: true, prompt_cache_key: 'conv-1' }, codex), { model: 'gpt-5.4', stream: true, sessionKey: 'conv-1', clientKind: 'codex-cli' })
  for (const h of ['session-id', 'session_id', 'x-session-id']) assert.equal(parse('/responses', { model: 'm', prompt_cache_key: 'body' }, { [h]: 'hdr' }).sessionKey, 'hdr')
  assert.equal(parse('/v1/chat/completions', { model: 'm' }, { 'user-agent': 'OpenAI/JS 6.1.0' }).clientKind, 'sdk')
  assert.deepEqual(parse('/v1/chat/completions', { model: 'm', stream: true }).notes, { injectUsage: true })
  assert.equal(parse('/v1/chat/completions', { model: 'm', stream: true, stream_options: { include_usage: true } }).notes, undefined)
  assert.equal(parse('/v1/responses', { model: 'm', stream: true }).notes, undefined)
  const bad = plugin.parseRequest(route('/v1/responses'), { method: 'POST', path: '/v1/responses', upstreamPath: '/responses', query: '', headers: {}, body: Buffer.from('{"stream":true}') })
  assert.ok(isRefusal(bad) && bad.error.code === 'RELAY_ERR_BODY_INVALID')
})
