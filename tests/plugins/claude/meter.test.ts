import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createJsonMeter, createSseMeter } from '../../../plugins/claude/meter.ts'
import type { Meter } from '../../../core/plugin-api.ts'

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/claude/${name}`, import.meta.url))

/** Feeds `bytes` in pieces of `size` bytes, splitting lines, events and UTF-8 characters. */
function feed (meter: Meter, bytes: Buffer, size: number) {
  for (let i = 0; i < bytes.length; i += size) meter.push(bytes.subarray(i, i + size))
  return meter.end()
}

test('SSE: cache writes split by TTL, cumulative message_delta, thinking and tool use; any chunking gives the same result', () => {
  const bytes = fixture('thinking-tool-use.sse')
  for (const size of [1, 3, 7, 64, bytes.length]) {
    const r = feed(createSseMeter(), bytes, size)
    assert.deepEqual(r, {
      usage: { input: 472, output: 189, cacheWrite5m: 1210, cacheWrite1h: 2000, cacheRead: 18000 },
      model: 'claude-opus-4-5-20251101',
      complete: true,
    }, `chunk size ${size}`)
  }
})

test('SSE: a cache total without the TTL split counts as 5-minute writes', () => {
  const r = feed(createSseMeter(), fixture('legacy-cache-total.sse'), 5)
  assert.deepEqual(r.usage, { input: 12, output: 7, cacheWrite5m: 1500, cacheWrite1h: 0, cacheRead: 0 })
})

test('SSE: a stream cut before message_stop keeps what was seen and is incomplete', () => {
  const bytes = fixture('thinking-tool-use.sse')
  const cut = bytes.subarray(0, bytes.indexOf('event: message_delta'))
  const r = feed(createSseMeter(), cut, 100)
  assert.equal(r.complete, false)
  assert.deepEqual(r.usage, { input: 472, output: 3, cacheWrite5m: 1210, cacheWrite1h: 2000, cacheRead: 18000 })
})

test('SSE: nothing reported means undefined, never 0', () => {
  const r = feed(createSseMeter(), Buffer.from('event: ping\ndata: {"type":"ping"}\n\n'), 4)
  assert.deepEqual(r, { usage: {}, model: undefined, complete: false })
})

test('JSON: usage of a message body; an unparsable body leaves usage unknown', () => {
  const body = Buffer.from(JSON.stringify({
    id: 'msg_1', type: 'message', model: 'claude-haiku-4-5-20251001', content: [{ type: 'text', text: 'é'.repeat(10) }],
    usage: { input_tokens: 9, output_tokens: 8, cache_creation_input_tokens: 0, cache_read_input_tokens: 6, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 } },
  }))
  assert.deepEqual(feed(createJsonMeter(), body, 3), {
    usage: { input: 9, output: 8, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 6 }, model: 'claude-haiku-4-5-20251001', complete: true,
  })
  assert.deepEqual(feed(createJsonMeter(), Buffer.from('{"usage":'), 3), { usage: {}, complete: false })
})
