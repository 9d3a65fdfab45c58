// AWS's binary event stream is an upstream body: hostile until read. Whatever the split of the
// bytes, the same events come out; a corrupted frame, a length that cannot be, or a message past
// the limit stops the reading without a throw, and nothing after it is read.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { createBedrockStreamDecoder, sseEvent, type BedrockStreamItem } from '../../../plugins/claude/bedrock/event-stream.ts'
import { chunkMessage, exceptionMessage } from '../../mocks/bedrock-mock.ts'

const eventJson = fc.record({ type: fc.constantFrom('message_start', 'content_block_delta', 'message_stop', 'ping'), text: fc.string({ maxLength: 200 }), n: fc.integer() }).map(o => JSON.stringify(o))

/** Cuts `bytes` at the given points (sorted, deduplicated, within range). */
function split (bytes: Buffer, points: number[]): Buffer[] {
  const cuts = [...new Set(points.map(p => p % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Buffer[] = []
  let at = 0
  for (const c of [...cuts, bytes.length]) {
    out.push(bytes.subarray(at, c))
    at = c
  }
  return out
}

test('any split of a stream of messages decodes to the same events, in order', () => {
  fc.assert(fc.property(fc.array(eventJson, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 30 }), fc.boolean(), (events, points, endsWithException) => {
    const frames = events.map(e => Buffer.from(chunkMessage(e)))
    if (endsWithException) frames.push(Buffer.from(exceptionMessage('throttlingException', 'Too many requests')))
    const got: BedrockStreamItem[] = []
    const decoder = createBedrockStreamDecoder(item => got.push(item))
    for (const piece of split(Buffer.concat(frames), points)) assert.equal(decoder.push(piece), true)
    assert.deepEqual(got.filter(i => i.kind === 'event').map(i => (i as { json: string }).json), events)
    assert.equal(got.some(i => i.kind === 'exception' && i.type === 'throttlingException'), endsWithException)
  }))
})

test('a flipped byte, a length that cannot be, or a message past the limit stops the reading: no throw, nothing after it', () => {
  fc.assert(fc.property(fc.array(eventJson, { minLength: 2, maxLength: 6 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (events, at, xor) => {
    const bytes = Buffer.concat(events.map(e => Buffer.from(chunkMessage(e))))
    const corrupt = Buffer.from(bytes)
    const i = at % corrupt.length
    corrupt[i] = corrupt[i]! ^ xor
    const got: string[] = []
    const decoder = createBedrockStreamDecoder(item => { if (item.kind === 'event') got.push(item.json) })
    let ok = true
    for (const piece of split(corrupt, [i, i + 1])) ok = decoder.push(piece) && ok
    // Every event read is one that was sent, in its place: a corrupt frame is never read as another.
    assert.deepEqual(got, events.slice(0, got.length))
    if (!ok) assert.equal(decoder.broken, true)
  }))
  const small = createBedrockStreamDecoder(() => assert.fail('nothing is read past the limit'), 64)
  assert.equal(small.push(Buffer.from(chunkMessage(JSON.stringify({ type: 'ping', pad: 'x'.repeat(100) })))), false)
  for (const prefix of [0, 15, 0xffffffff]) {
    const d = createBedrockStreamDecoder(() => assert.fail('not a message'))
    const b = Buffer.alloc(32)
    b.writeUInt32BE(prefix, 0)
    assert.equal(d.push(b), false, `length ${prefix}`)
    assert.equal(d.push(Buffer.from(chunkMessage('{"type":"ping"}'))), false, 'nothing after a broken frame')
  }
})

test('an event becomes one SSE event whatever its JSON holds; a type that is not a name is not trusted', () => {
  fc.assert(fc.property(fc.jsonValue(), value => {
    const text = sseEvent(JSON.stringify(value))
    assert.match(text, /^event: [a-z_]{1,64}\ndata: [^\r\n]*\n\n$/)
  }))
  assert.equal(sseEvent('{"type":"evil\\nevent: x"}').split('\n')[0], 'event: message')
})
