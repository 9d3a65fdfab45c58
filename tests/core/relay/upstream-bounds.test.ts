// The bounds on what the relay holds of an upstream body (issue 22, item 2), piece by piece:
// the event reader, the meter tee, the filters that rewrite answers, and side calls' bodies.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import zlib from 'node:zlib'
import fc from 'fast-check'
import { createEventReader, createEventStreamMeter } from '../../../core/plugin-kit.ts'
import { createMeterTee } from '../../../core/relay/meter-tee.ts'
import { readText, request } from '../../../core/http-client.ts'
import { createUsageChunkFilter } from '../../../plugins/openai/usage-filter.ts'
import { createWrapFilter } from '../../../plugins/gemini/answer-filters.ts'

test('the event reader gives every event of a stream under its limit, however it is cut, and lets go past it', () => {
  fc.assert(fc.property(fc.array(fc.string({ maxLength: 40 }).map(s => s.replace(/[\r\n]/g, ' ')), { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 50 })), (datas, cuts) => {
    const text = Buffer.from(datas.map(d => `data: ${d}\n\n`).join(''))
    const seen: string[] = []
    const reader = createEventReader(ev => seen.push(ev.data), 64)
    let at = 0
    for (const n of [...cuts, text.length]) {
      assert.equal(reader.push(text.subarray(at, at + n)), true)
      at += n
      if (at >= text.length) break
    }
    reader.end()
    assert.deepEqual(seen, datas)
  }), { numRuns: 200 })

  const seen: string[] = []
  const reader = createEventReader(ev => seen.push(ev.data), 1000)
  assert.equal(reader.push(Buffer.from('data: one\n\ndata: ')), true)
  let ok = true
  for (let i = 0; i < 20 && ok; i++) ok = reader.push(Buffer.alloc(100, 0x61))
  assert.equal(ok, false)
  assert.equal(reader.overflowed, true)
  assert.equal(reader.push(Buffer.from('\n\ndata: two\n\n')), false, 'nothing is read after the limit')
  assert.deepEqual(seen, ['one'])
})

test('a meter past the event limit records what it read as incomplete', () => {
  const meter = createEventStreamMeter((ev, s) => { if (ev.data === 'end') s.complete = true })
  meter.push(Buffer.from('data: '))
  for (let i = 0; i < 17; i++) meter.push(Buffer.alloc(1024 * 1024, 0x61))
  meter.push(Buffer.from('\n\ndata: end\n\n'))
  assert.equal(meter.end().complete, false)
})

test('the meter tee stops decoding at its limit; the meter sees only what came before it', async () => {
  const plain = Buffer.alloc(4 * 1024 * 1024, 0x61)
  let fed = 0
  const tee = createMeterTee('gzip', { push: c => { fed += c.length }, end: () => ({ usage: {}, complete: false }) }, 1024 * 1024)
  tee.write(zlib.gzipSync(plain))
  await tee.finish()
  assert.ok(fed <= 1024 * 1024, `${fed} bytes decoded into the meter`)
  assert.ok(fed > 0)
})

test('the meter tee stops decoding once the meter reads no more', async () => {
  let calls = 0
  const tee = createMeterTee('gzip', { push: () => { calls++; return false }, end: () => ({ usage: {}, complete: false }) })
  tee.write(zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024, 0x61)))
  await tee.finish()
  assert.equal(calls, 1, 'one decoded chunk, then the decoder was stopped')
})

test('the chat usage filter holds no more than its bound of an event without an end, and passes every byte', () => {
  const filter = createUsageChunkFilter()
  let out = 0
  for (let i = 0; i < 64; i++) out += filter.write(Buffer.alloc(16 * 1024, 0x61)).length
  assert.ok(out >= 64 * 16 * 1024 - 64 * 1024, `${out} bytes passed while the line had no end`)
  out += filter.end().length
  assert.equal(out, 64 * 16 * 1024)
})

test('an answer filter past its limit fails with the gateway code, not an internal error', () => {
  const wrap = createWrapFilter(true)
  wrap.write(Buffer.from('data: '))
  assert.throws(() => { for (let i = 0; i < 17; i++) wrap.write(Buffer.alloc(1024 * 1024, 0x61)) }, { code: 'RELAY_ERR_UPSTREAM_TOO_LARGE', statusCode: 502 })
  const whole = createWrapFilter(false)
  assert.throws(() => { for (let i = 0; i < 17; i++) whole.write(Buffer.alloc(1024 * 1024, 0x20)) }, { code: 'RELAY_ERR_UPSTREAM_TOO_LARGE' })
})

test('a side call reads at most its bound of an answer', async t => {
  const server = createServer((_req, res) => {
    res.writeHead(200)
    const big = Buffer.alloc(64 * 1024, 0x61)
    let n = 0
    const more = () => { while (n++ < 64 && res.write(big)); if (n < 64) res.once('drain', more); else res.end() }
    more()
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.after(() => { server.closeAllConnections(); server.close() })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  await assert.rejects(readText((await request(url)).body, 1024 * 1024), { code: 'RELAY_ERR_UPSTREAM_TOO_LARGE' })
  assert.equal((await readText((await request(url)).body, 8 * 1024 * 1024)).length, 64 * 64 * 1024)
})
