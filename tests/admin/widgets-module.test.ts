// The widgets module as browsers and caches fetch it: compressed by what the browser accepts
// (br, else gzip), an ETag per form and 304 on a match, revalidated on each use, HEAD answered.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import zlib from 'node:zlib'
import { request } from 'undici'
import { adminRelay } from '../helpers/admin.ts'

test('widgets.js: br or gzip as accepted, the same module either way; ETag per form, 304, no-cache; HEAD', { timeout: 60_000 }, async t => {
  const relay = await adminRelay(t)
  const get = async (headers: Record<string, string>, method: 'GET' | 'HEAD' = 'GET') => {
    const res = await request(`${relay.url}/_relay/admin/widgets.js`, { method, headers })
    return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) }
  }
  const plain = await get({})
  assert.equal(plain.status, 200)
  assert.equal(plain.headers['content-encoding'], undefined)
  assert.match(String(plain.headers['content-type']), /^text\/javascript/)
  assert.match(plain.body.toString(), /customElements\.define\(/)
  const br = await get({ 'accept-encoding': 'gzip, deflate, br, zstd' })
  assert.deepEqual([br.headers['content-encoding'], br.headers.vary, br.headers['cache-control']], ['br', 'accept-encoding', 'no-cache'])
  assert.ok(zlib.brotliDecompressSync(br.body).equals(plain.body), 'the same module')
  assert.ok(br.body.length < plain.body.length * 0.4, `br ${br.body.length} of ${plain.body.length} bytes`)
  const gz = await get({ 'accept-encoding': 'gzip;q=1, br;q=0' })
  assert.equal(gz.headers['content-encoding'], 'gzip')
  assert.ok(zlib.gunzipSync(gz.body).equals(plain.body))
  assert.equal((await get({ 'accept-encoding': 'identity' })).headers['content-encoding'], undefined)

  const tags = [plain.headers.etag, br.headers.etag, gz.headers.etag]
  assert.equal(new Set(tags).size, 3, 'one ETag per form')
  assert.equal((await get({ 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) })).status, 304)
  assert.equal((await get({ 'accept-encoding': 'br', 'if-none-match': `"x", W/${String(br.headers.etag)}` })).status, 304)
  assert.equal((await get({ 'accept-encoding': 'br', 'if-none-match': String(gz.headers.etag) })).status, 200, 'another form\'s tag is not a match')

  const head = await get({ 'accept-encoding': 'br' }, 'HEAD')
  assert.deepEqual([head.status, head.body.length, head.headers.etag, Number(head.headers['content-length'])], [200, 0, br.headers.etag, br.body.length])
})
