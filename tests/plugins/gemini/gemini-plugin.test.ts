// The Gemini plugin's pure parts: usage normalisation (thinking and cached tokens kept), meters
// over SSE and JSON-array streams under any chunking, errors with RetryInfo and daily quotas.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { readUsageMetadata } from '../../../plugins/gemini/usage.ts'
import { createJsonMeter, createSseMeter } from '../../../plugins/gemini/meter.ts'
import { classifyError, nextPacificMidnight } from '../../../plugins/gemini/classify-error.ts'
import { modelAndAction } from '../../../plugins/gemini/parse-request.ts'
import { geminiChunks, googleError, usageMetadata, type GeminiUsage } from '../../mocks/gemini-mock.ts'
import type { Meter } from '../../../core/plugin-api.ts'

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
