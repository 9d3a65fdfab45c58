// The Gemini plugin's pure parts: usage normalisation (thinking and cached tokens kept), meters
// over SSE and JSON-array streams under any chunking, errors with RetryInfo and daily quotas,
// Code Assist answers wrapped and unwrapped, Code Assist quota resets.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { readUsageMetadata } from '../../../plugins/gemini/usage.ts'
import { createJsonMeter, createSseMeter } from '../../../plugins/gemini/meter.ts'
import { classifyError, nextPacificMidnight, parseDuration } from '../../../plugins/gemini/classify-error.ts'
import { cleanSchema } from '../../../plugins/gemini/antigravity.ts'
import { createUnwrapFilter, createWrapFilter } from '../../../plugins/gemini/answer-filters.ts'
import { modelAndAction } from '../../../plugins/gemini/parse-request.ts'
import { geminiChunks, googleError, usageMetadata, type GeminiUsage } from '../../mocks/gemini-mock.ts'
import type { Meter, ResponseFilter } from '../../../core/plugin-api.ts'

const n = fc.nat({ max: 2_000_000 })
const usageArb = fc.record({ prompt: n, cached: n, candidates: n, thoughts: n }).map(u => ({ ...u, cached: Math.min(u.cached, u.prompt) }))
const want = (u: GeminiUsage) => ({ input: u.prompt - u.cached, cacheRead: u.cached, output: u.candidates + u.thoughts, reasoning: u.thoughts })

test('usage: cached tokens leave the input, thinking joins the output, tool-use prompt counts as input', () => {
  fc.assert(fc.property(usageArb, u => {
    const invalid: string[] = []
    assert.deepEqual(readUsageMetadata(usageMetadata(u), invalid), want(u))
    assert.deepEqual(invalid, [])
  }), { numRuns: 500 })
  assert.deepEqual(readUsageMetadata({ promptTokenCount: 10, toolUsePromptTokenCount: 5, candidatesTokenCount: 1 }, []), { input: 15, output: 1 })
  const invalid: string[] = []
  readUsageMetadata({ promptTokenCount: 10, cachedContentTokenCount: 11, thoughtsTokenCount: -1 }, invalid)
  assert.deepEqual(invalid, ['thoughtsTokenCount=-1', 'cachedContentTokenCount=11 > promptTokenCount=10'])
})

function feed (meter: Meter, text: string, size: number) {
  const b = Buffer.from(text)
  for (let i = 0; i < b.length; i += size) meter.push(b.subarray(i, i + size))
  return meter.end()
}

test('meters: SSE and JSON-array streams and bodies give the same usage under any chunking; a cut stream is partial', () => {
  fc.assert(fc.property(usageArb, fc.integer({ min: 1, max: 150 }), (u, size) => {
    const chunks = geminiChunks('gemini-2.5-pro', u, 'a few words of text')
    const sse = chunks.map(c => `data: ${JSON.stringify(c)}\r\n\r\n`).join('')
    assert.deepEqual(feed(createSseMeter(), sse, size), { usage: want(u), model: 'gemini-2.5-pro', complete: true })
    const array = `[${chunks.map(c => JSON.stringify(c)).join(',\r\n')}]`
    assert.deepEqual(feed(createJsonMeter(), array, size), { usage: want(u), model: 'gemini-2.5-pro', complete: true })
  }), { numRuns: 200 })
  const chunks = geminiChunks('gemini-2.5-pro', { prompt: 9, cached: 0, candidates: 1, thoughts: 0 }, 'cut short here')
  const cut = feed(createSseMeter(), chunks.slice(0, -1).map(c => `data: ${JSON.stringify(c)}\n\n`).join(''), 5)
  assert.deepEqual([cut.complete, cut.usage.input], [false, 9])
})

test('paths name the model and the action; errors rest accounts for RetryInfo or until the daily reset', () => {
  assert.deepEqual(modelAndAction('/v1beta/models/gemini-2.5-pro:streamGenerateContent'), { model: 'gemini-2.5-pro', action: 'streamGenerateContent' })
  const now = Date.parse('2026-11-28T12:00:00Z')
  const retry = Buffer.from(googleError(429, 'quota', [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' }]))
  assert.deepEqual(classifyError(429, {}, retry, now), { kind: 'rate_limited', retryable: true, until: now + 37_000 })
  const daily = Buffer.from(googleError(429, 'quota', [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' }] }]))
  assert.equal(classifyError(429, {}, daily, now).until, Date.parse('2026-11-29T08:00:00Z'), 'midnight in Los Angeles (PST)')
  assert.equal(nextPacificMidnight(Date.parse('2026-07-01T06:59:59Z')), Date.parse('2026-07-01T07:00:00Z'), 'PDT')
  assert.equal(classifyError(400, {}, Buffer.alloc(0), now).kind, 'client_error')
  assert.equal(classifyError(503, {}, Buffer.alloc(0), now).kind, 'overloaded')
})

function through (filter: ResponseFilter, text: string, size: number): string {
  const b = Buffer.from(text)
  const out: Buffer[] = []
  for (let i = 0; i < b.length; i += size) out.push(filter.write(b.subarray(i, i + size)))
  out.push(filter.end())
  return Buffer.concat(out).toString()
}

test('answer filters: Code Assist answers unwrapped (to SSE or a JSON array) and Gemini API answers wrapped, the same under any chunking and any text', () => {
  const text = fc.string({ unit: 'grapheme', maxLength: 40 })
  fc.assert(fc.property(usageArb, text, fc.integer({ min: 1, max: 97 }), (u, words, size) => {
    const chunks = geminiChunks('gemini-2.5-pro', u, `${words} end`)
    const wrapped = chunks.map(c => `data: ${JSON.stringify({ response: c, traceId: 't' })}\r\n\r\n`).join('')
    const asSse = through(createUnwrapFilter(true, true), wrapped, size)
    assert.deepEqual(asSse.split('\r\n\r\n').filter(Boolean).map(e => JSON.parse(e.replace(/^data: /, ''))), chunks)
    const array = createUnwrapFilter(true, false)
    assert.equal(array.contentType, 'application/json; charset=UTF-8')
    assert.deepEqual(JSON.parse(through(array, wrapped, size)), chunks)
    const plain = chunks.map(c => `data: ${JSON.stringify(c)}\n\n`).join('')
    const rewrapped = through(createWrapFilter(true), plain, size)
    assert.deepEqual(rewrapped.split('\r\n\r\n').filter(Boolean).map(e => JSON.parse(e.replace(/^data: /, ''))), chunks.map(response => ({ response })))
    assert.deepEqual(JSON.parse(through(createUnwrapFilter(false, false), JSON.stringify({ response: chunks[0] }), size)), chunks[0])
  }), { numRuns: 200 })
  assert.equal(through(createUnwrapFilter(true, false), '', 1), '[]', 'an empty stream is an empty array')
  const error = '{"error":{"code":500,"message":"x","status":"INTERNAL"}}'
  assert.equal(through(createUnwrapFilter(true, true), `data: ${error}\n\n`, 3), `data: ${error}\r\n\r\n`, 'an error event passes as it came')
  assert.equal(through(createUnwrapFilter(false, false), 'not json', 2), 'not json')
})

test('Code Assist quota errors rest until the reset they name; hostile or missing times fall back to the next Pacific midnight', () => {
  const now = Date.parse('2026-11-28T12:00:00Z')
  const midnight = Date.parse('2026-11-29T08:00:00Z')
  const quota = (metadata: Record<string, unknown>, retryDelay?: unknown) => Buffer.from(googleError(429, 'Individual quota reached.', [
    { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'QUOTA_EXHAUSTED', domain: 'cloudcode-pa.googleapis.com', metadata },
    ...(retryDelay === undefined ? [] : [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay }]),
  ]))
  assert.equal(classifyError(429, {}, quota({ quotaResetTimeStamp: '2026-11-28T21:03:14Z' }), now).until, Date.parse('2026-11-28T21:03:14Z'))
  assert.equal(classifyError(429, {}, quota({ quotaResetDelay: '18h41m22.3s' }), now).until, now + ((18 * 60 + 41) * 60 + 22.3) * 1000)
  assert.equal(classifyError(429, {}, quota({}, '33740.910400305s'), now).until, now + 33_740_910)
  assert.equal(classifyError(429, {}, quota({}), now).until, midnight, 'a quota that names no reset is daily')
  // Hostile values: in the past, years ahead, not a time at all.
  fc.assert(fc.property(fc.oneof(fc.constant('1970-01-01T00:00:00Z'), fc.constant('9999-01-01T00:00:00Z'), fc.string(), fc.integer(), fc.constant(null)), fc.oneof(fc.string(), fc.constant('999999999s'), fc.constant('-5s'), fc.constant('1e9s')), (stamp, delay) => {
    const v = classifyError(429, {}, quota({ quotaResetTimeStamp: stamp, quotaResetDelay: delay }, delay), now)
    assert.equal(v.kind, 'rate_limited')
    assert.ok(v.until! > now && v.until! <= now + 8 * 86_400_000, String(v.until))
  }), { numRuns: 300 })
  const capacity = Buffer.from(googleError(429, 'No capacity available for model gemini-2.5-pro on the server', [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'MODEL_CAPACITY_EXHAUSTED', domain: 'cloudcode-pa.googleapis.com' }]))
  assert.equal(classifyError(429, {}, capacity, now).kind, 'overloaded', 'Google out of capacity is not the account\'s quota')
  fc.assert(fc.property(fc.nat({ max: 99 }), fc.nat({ max: 59 }), fc.nat({ max: 59_999 }), (h, m, ms) => {
    assert.equal(parseDuration(`${h}h${m}m${ms / 1000}s`), ((h * 60 + m) * 60) * 1000 + ms)
  }))
  // Antigravity names short waits as Go durations too: `373ms`, `0.84s`.
  assert.deepEqual(['373ms', '0.84s', '1s500ms'].map(parseDuration), [373, 840, 1500])
  for (const bad of ['', 's', 'ms', '1.5', '-1s', 'h', '1e3s', ' 5s', '5msx', '5 ms']) assert.equal(parseDuration(bad), undefined, bad)
  // An Antigravity quota: the account rests exactly as long as Google says.
  const short = Buffer.from(googleError(429, 'You have exhausted your capacity on this model.', [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'QUOTA_EXHAUSTED', domain: 'cloudcode-pa.googleapis.com', metadata: { quotaResetDelay: '373ms', model: 'claude-sonnet-4-5' } }]))
  assert.equal(classifyError(429, {}, short, now).until, now + 373)
})

test('Antigravity: any tool schema, however hostile, is cut to the OpenAPI subset the backend takes, required only what is there', () => {
  const ALLOWED = new Set(['type', 'format', 'description', 'nullable', 'enum', 'items', 'properties', 'required', 'minItems', 'maxItems', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'anyOf', 'title'])
  const walk = (s: Record<string, unknown>, depth: number) => {
    assert.ok(depth < 40)
    for (const k of Object.keys(s)) assert.ok(ALLOWED.has(k), k)
    const props = s.properties as Record<string, Record<string, unknown>> | undefined
    if (Array.isArray(s.required)) for (const r of s.required as string[]) assert.ok(props && Object.hasOwn(props, r), `required ${r}`)
    for (const sub of Object.values(props ?? {})) walk(sub, depth + 1)
    if (s.items) walk(s.items as Record<string, unknown>, depth + 1)
    for (const sub of (s.anyOf as Record<string, unknown>[] | undefined) ?? []) walk(sub, depth + 1)
  }
  const { schema } = fc.letrec(tie => ({
    schema: fc.dictionary(fc.constantFrom('type', '$schema', 'additionalProperties', 'const', 'properties', 'items', 'required', 'anyOf', 'oneOf', 'description', 'default', 'enum', '$ref', 'format'), fc.oneof(fc.jsonValue({ maxDepth: 2 }), tie('schema'), fc.dictionary(fc.string({ maxLength: 5 }), tie('schema'), { maxKeys: 3 }), fc.array(tie('schema'), { maxLength: 3 })), { maxKeys: 6 }),
  }))
  fc.assert(fc.property(fc.oneof(schema, fc.jsonValue()), s => walk(cleanSchema(s), 0)), { numRuns: 300 })
  // Deep nesting is cut, not followed.
  let deep: Record<string, unknown> = { type: 'string' }
  for (let i = 0; i < 1000; i++) deep = { type: 'object', properties: { x: deep } }
  walk(cleanSchema(deep), 0)
})
