// Issue 22, item 2: an upstream whose bodies claim gigabytes cannot take the relay down. Error
// bodies are decoded up to a bound, the meter decodes a compressed stream up to a bound, an
// event without its end is held up to a bound; past them the bytes pass or are cut, the row is
// incomplete, the client gets a native answer, and the relay's RSS stays where it was. Oversized
// upstream headers are a native 502 with a gateway code. Run against the relay as production
// runs it (a child process), whose RSS is read from /proc.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import zlib from 'node:zlib'
import { request } from 'undici'
import { DEFAULT_USAGE, messageEvents as mockEvents } from '../mocks/anthropic-mock.ts'

const messageEvents = (model: string) => mockEvents(model, DEFAULT_USAGE, 'Hello')
import { ALICE_KEY, tempDir, testConfig } from '../helpers/relay-harness.ts'
import { freePort, spawnRelay } from '../helpers/processes.ts'
import { openSqliteStore } from '../../core/store/sqlite-store.ts'

const MiB = 1024 * 1024

/** `size` bytes of `fill`, brotli-compressed (quality 1: ~100 KB for 512 MiB of zeros). */
async function brotliOf (prefix: string, fill: number, size: number): Promise<Buffer> {
  const z = zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } })
  const out: Buffer[] = []
  z.on('data', (c: Buffer) => out.push(c))
  const done = new Promise(resolve => z.on('end', resolve))
  z.write(prefix)
  const block = Buffer.alloc(MiB, fill)
  for (let i = 0; i < size / MiB; i++) if (!z.write(block)) await new Promise(resolve => z.once('drain', resolve))
  z.end()
  await done
  return Buffer.concat(out)
}

type Behaviour = (res: import('node:http').ServerResponse) => void | Promise<void>

async function hostileUpstream (): Promise<{ url: string, next: (b: Behaviour) => void, close: () => Promise<void> }> {
  const queue: Behaviour[] = []
  const server: Server = createServer((req, res) => {
    req.resume()
    req.on('end', () => { void Promise.resolve(queue.shift()?.(res)).catch(() => res.destroy()) })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    next: b => { queue.push(b) },
    close: () => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }),
  }
}

function rssMiB (pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find(l => l.startsWith('VmRSS:'))!
  return Number(/(\d+)/.exec(line)![1]) / 1024
}

/** Writes `total` bytes of `chunk` to the response, honouring backpressure. */
async function writeMany (res: import('node:http').ServerResponse, chunk: Buffer, total: number): Promise<void> {
  for (let sent = 0; sent < total && !res.destroyed; sent += chunk.length) {
    if (res.write(chunk)) continue
    await new Promise<void>(resolve => {
      const go = () => { res.off('drain', go); res.off('close', go); resolve() }
      res.on('drain', go)
      res.on('close', go)
    })
  }
}

test('bodies that claim gigabytes and oversized headers: bounded, native answers, incomplete rows, RSS flat', async t => {
  const upstream = await hostileUpstream()
  t.after(() => upstream.close())
  const dir = tempDir()
  const port = await freePort()
  const file = join(dir, 'relay.yaml')
  writeFileSync(file, JSON.stringify(testConfig(upstream.url, { listen: { host: '127.0.0.1', port }, upstream: { bodyTimeoutMs: 20_000 } })))
  const relay = await spawnRelay(t, file)
  const base = `http://127.0.0.1:${port}`
  const call = async (stream: boolean) => {
    const res = await request(`${base}/claude/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, stream, messages: [{ role: 'user', content: 'hi' }] }),
    })
    // Read as bytes: the client must not be the one decoding the bomb here.
    let size = 0
    let head = ''
    try {
      for await (const c of res.body) {
        if (head.length < 2048) head += (c as Buffer).toString('latin1')
        size += (c as Buffer).length
      }
    } catch {}
    return { status: res.statusCode, headers: res.headers, head, size }
  }
  // Warm up as a relay in service is: ordinary answers, and long legitimate ones (an 8 MiB event,
  // compressed and not), so "before" is the heap of a working relay, not of one just started.
  const ordinary = messageEvents('claude-sonnet-4-5').join('')
  const longEvent = messageEvents('claude-sonnet-4-5')[0] + `event: content_block_delta\ndata: {"x":"${'a'.repeat(8 * MiB)}"}\n\n` + messageEvents('claude-sonnet-4-5').slice(1).join('')
  const longCompressed = zlib.brotliCompressSync(longEvent, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } })
  for (let i = 0; i < 100; i++) {
    upstream.next(res => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.end(ordinary)
    })
    assert.equal((await call(true)).status, 200)
  }
  for (let i = 0; i < 3; i++) {
    upstream.next(res => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.end(longEvent)
    })
    assert.equal((await call(true)).status, 200)
    upstream.next(res => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'br' })
      res.end(longCompressed)
    })
    assert.equal((await call(true)).status, 200)
  }
  await new Promise(resolve => setTimeout(resolve, 1000))
  const before = rssMiB(relay.proc.pid!)

  // 1. A 429 whose brotli body decodes to 512 MiB: classified (the account rests) as a 429 in
  // Anthropic's shape, without decoding it all.
  const errorBomb = await brotliOf('{"type":"error","error":{"type":"rate_limit_error","message":"', 0x61, 512 * MiB)
  upstream.next(res => {
    res.writeHead(429, { 'content-type': 'application/json', 'content-encoding': 'br', 'retry-after': '1' })
    res.end(errorBomb)
  })
  const limited = await call(false)
  assert.equal(limited.status, 429)
  assert.equal((JSON.parse(limited.head) as { type: string }).type, 'error')
  await new Promise(resolve => setTimeout(resolve, 1100))

  await new Promise(resolve => setTimeout(resolve, 1000))
  // 2. A compressed event stream that decodes to 512 MiB of one line: the client gets every
  // byte it was sent; the meter stops at its bound.
  const streamBomb = await brotliOf(messageEvents('claude-sonnet-4-5')[0] + 'event: content_block_delta\ndata: {"x":"', 0x61, 512 * MiB)
  upstream.next(res => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'br' })
    res.end(streamBomb)
  })
  const bombed = await call(true)
  assert.equal(bombed.status, 200)
  assert.equal(bombed.size, streamBomb.length, 'the compressed stream reached the client whole')

  await new Promise(resolve => setTimeout(resolve, 1000))
  // 3. A plain event stream whose second event is a 256 MiB line without its end: passed on, and
  // the meter lets go of it.
  upstream.next(async res => {
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    res.write(messageEvents('claude-sonnet-4-5')[0] + 'event: content_block_delta\ndata: ')
    await writeMany(res, Buffer.alloc(MiB, 0x61), 256 * MiB)
    res.end('\n\n')
  })
  const long = await call(true)
  assert.equal(long.status, 200)
  assert.ok(long.size > 256 * MiB, `${long.size} bytes reached the client`)

  await new Promise(resolve => setTimeout(resolve, 1000))
  // 4. 50 KB of response headers: a native 502, not an internal error.
  upstream.next(res => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-padding': 'a'.repeat(50_000) })
    res.end('{}')
  })
  const headers = await call(false)
  assert.deepEqual([headers.status, headers.headers['x-relay-error-code']], [502, 'RELAY_ERR_UPSTREAM_BAD_RESPONSE'])
  const answer = JSON.parse(headers.head) as { type: string, error: { type: string, message: string } }
  assert.equal(answer.type, 'error')
  assert.doesNotMatch(answer.error.message, /Internal relay error/)

  const health = await request(`${base}/_relay/health`)
  assert.ok(health.statusCode === 200 || health.statusCode === 503)
  await health.body.text()
  // The garbage of those bodies (the 16 MiB event let go, the chunks passed on) is V8's and
  // malloc's to give back: RSS is read until it is within 100 MiB of where it was, for at most
  // 30 s. Measured over warmed-up relays: +23 to +73 MiB on Node 20 and 22, +42 to +73 on Node 24,
  // which keeps more of what it grew (three hostile passes in a row: +42, +41, +73: no
  // accumulation). Without the bounds: +1.5 GiB, and it stays.
  const peak = rssMiB(relay.proc.pid!)
  let after = peak
  for (const end = Date.now() + 30_000; after - before >= 100 && Date.now() < end;) {
    await new Promise(resolve => setTimeout(resolve, 1000))
    after = rssMiB(relay.proc.pid!)
  }
  console.log(`relay RSS ${before.toFixed(0)} MiB before the hostile bodies, ${peak.toFixed(0)} right after, ${after.toFixed(0)} once quiet`)
  assert.ok(after - before < 100, `RSS grew from ${before.toFixed(0)} to ${after.toFixed(0)} MiB`)
  assert.doesNotMatch(relay.stderr.join(''), /relay failure/)

  relay.proc.kill('SIGTERM')
  await relay.exited
  const store = openSqliteStore(join(dir, 'relay.db'))
  t.after(() => store.close())
  const rows = (await store.recentRequests(4)).reverse()
  assert.deepEqual(rows.map(r => [r.status, r.partial]), [[429, false], [200, true], [200, true], [502, false]])
})
