// Compressed request bodies (issue 8): decoded once in core for every plugin, bounded by the
// body limit whatever the compression ratio, refused in the provider's shape when unknown or
// corrupt, and sent upstream plain.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import zlib from 'node:zlib'
import fc from 'fast-check'
import { request } from 'undici'
import { decodeRequestBody } from '../../core/relay/request-body.ts'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { ALICE_KEY, startRelay, testConfig } from '../helpers/relay-harness.ts'

const fixture = (name: string) => readFileSync(new URL(`../fixtures/bodies/${name}`, import.meta.url))

/** A valid zstd frame of raw (stored) blocks: real zstd framing without a compressor. */
function zstdRaw (data: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58])] // magic; no checksum, no size, window 1 MB
  const MAX = 128 * 1024
  for (let i = 0; i === 0 || i < data.length; i += MAX) {
    const block = data.subarray(i, i + MAX)
    const last = i + MAX >= data.length ? 1 : 0
    const header = (block.length << 3) | (0 << 1) | last
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), block)
  }
  return Buffer.concat(parts)
}

const ENCODERS: Record<string, (b: Buffer) => Buffer> = {
  gzip: b => zlib.gzipSync(b),
  deflate: b => zlib.deflateSync(b),
  br: b => zlib.brotliCompressSync(b),
  zstd: zstdRaw,
}

test('any body through any chain of encodings decodes to itself', async () => {
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 300_000 }), fc.array(fc.constantFrom('gzip', 'deflate', 'br', 'zstd'), { maxLength: 3 }), async (bytes, chain) => {
    let body: Buffer = Buffer.from(bytes)
    for (const enc of chain) body = ENCODERS[enc]!(body)
    const decoded = await decodeRequestBody(chain.join(', '), body, 1_000_000)
    assert.deepEqual(decoded, Buffer.from(bytes))
  }), { numRuns: 200, includeErrorInReport: true })
  // Raw deflate (no zlib wrapper) is accepted too, and a real zstd compressor's output.
  assert.equal((await decodeRequestBody('deflate', zlib.deflateRawSync('hi'), 10)).toString(), 'hi')
  assert.deepEqual(await decodeRequestBody('zstd', fixture('messages.json.zst'), 10_000), fixture('messages.json'))
})

test('bombs stop at the limit; garbage and unknown encodings are refused with codes', async () => {
  const zeros = Buffer.alloc(50_000_000)
  for (const [enc, body] of [['gzip', zlib.gzipSync(zeros)], ['br', zlib.brotliCompressSync(zeros)], ['deflate', zlib.deflateSync(zeros)], ['zstd', fixture('zeros-50mb.zst')]] as const) {
    assert.ok(body.length < 100_000, `${enc} bomb is small`)
    await assert.rejects(decodeRequestBody(enc, body, 1_000_000), { code: 'RELAY_ERR_BODY_TOO_LARGE' }, enc)
  }
  await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2000 }), fc.constantFrom('gzip', 'br', 'zstd', 'deflate'), async (bytes, enc) => {
    try {
      await decodeRequestBody(enc, Buffer.from(bytes), 1_000_000)
    } catch (err) {
      assert.ok(['RELAY_ERR_BODY_INVALID', 'RELAY_ERR_BODY_TOO_LARGE'].includes((err as { code: string }).code), String(err))
    }
  }), { numRuns: 300, includeErrorInReport: true })
  await assert.rejects(decodeRequestBody('compress', Buffer.from('x'), 10), { code: 'RELAY_ERR_BODY_ENCODING', statusCode: 415 })
})

test('through the relay: a gzip or zstd body is parsed and forwarded plain; a bomb is a 413 in Anthropic shape', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(mock.url, { relay: { bodyLimitBytes: 1_000_000 } }))
  const post = (encoding: string, body: Buffer) => request(`${relay.url}/claude/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding, 'x-api-key': ALICE_KEY }, body,
  })
  const plain = fixture('messages.json')
  for (const [enc, body] of [['gzip', zlib.gzipSync(plain)], ['zstd', fixture('messages.json.zst')]] as const) {
    const res = await post(enc, body)
    assert.equal(res.statusCode, 200, await res.body.text())
    const seen = mock.requests.at(-1)!
    assert.deepEqual(seen.body, plain)
    assert.equal(seen.headers['content-encoding'], undefined)
  }
  const bomb = await post('zstd', fixture('zeros-50mb.zst'))
  assert.equal(bomb.statusCode, 413)
  assert.equal((await bomb.body.json() as { error: { type: string } }).error.type, 'request_too_large')
  const odd = await post('compress', Buffer.from('x'))
  assert.equal(odd.statusCode, 415)
  assert.equal((await odd.body.json() as { type: string }).type, 'error')
  assert.equal(mock.requests.length, 2)
})

test('a body that names model or stream twice is refused in the provider shape and never forwarded', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(mock.url))
  const bodies = [
    '{"model":"claude-haiku-4-5","model":"claude-opus-4-1","max_tokens":5,"messages":[]}',
    '{"model":"claude-haiku-4-5","mod\\u0065l":"claude-opus-4-1","max_tokens":5,"messages":[]}',
    '{"model":"claude-haiku-4-5","stream":false,"max_tokens":5,"messages":[],"stream":true}',
  ]
  for (const body of bodies) {
    const res = await request(`${relay.url}/claude/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY }, body })
    assert.equal(res.statusCode, 400, body)
    const answer = await res.body.json() as { type: string, error: { type: string, message: string } }
    assert.deepEqual([answer.type, answer.error.type], ['error', 'invalid_request_error'])
    assert.match(answer.error.message, /more than once/)
  }
  // The same name inside a nested object is no duplicate.
  const nested = await request(`${relay.url}/claude/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY },
    body: '{"model":"claude-haiku-4-5","max_tokens":5,"metadata":{"model":"x"},"messages":[{"role":"user","content":"hi"}]}',
  })
  assert.equal(nested.statusCode, 200)
  await nested.body.text()
  assert.equal(mock.requests.length, 1)
})
