// The widgets module as browsers and caches fetch it: compressed by what the browser accepts
// (br, else gzip), an ETag per form and 304 on a match, revalidated on each use, HEAD answered;
// and the custom-elements manifest that documents the widgets.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import zlib from 'node:zlib'
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../helpers/processes.ts'
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

test('custom-elements.json: current with the sources, every widget with its attributes, properties, events, parts and custom properties; served', { timeout: 60_000 }, async t => {
  const committed = readFileSync(join(ROOT, 'admin-webcomponents', 'custom-elements.json'), 'utf8')
  // The analyzer again, into a scratch directory: the committed file is what it writes now.
  const out = join('test-artifacts', `cem-${process.pid}`)
  const run = spawnSync(process.execPath, [join(ROOT, 'node_modules', '@custom-elements-manifest', 'analyzer', 'cem.js'), 'analyze', '--config', 'admin-webcomponents/custom-elements-manifest.config.mjs', '--outdir', out], { cwd: ROOT, encoding: 'utf8' })
  assert.equal(run.status, 0, run.stderr)
  t.after(() => rmSync(join(ROOT, out), { recursive: true, force: true }))
  assert.equal(readFileSync(join(ROOT, out, 'custom-elements.json'), 'utf8'), committed, 'run `npm run manifest` and commit admin-webcomponents/custom-elements.json')
  assert.equal((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { customElements: string }).customElements, 'admin-webcomponents/custom-elements.json', 'package.json names the committed manifest (and the run did not rewrite it)')

  type Decl = { tagName?: string, attributes?: { name: string }[], members?: { name: string, kind: string }[], events?: { name: string }[], cssParts?: { name: string }[], cssProperties?: { name: string }[] }
  const manifest = JSON.parse(committed) as { modules: { declarations?: Decl[] }[] }
  const widgets = new Map(manifest.modules.flatMap(m => m.declarations ?? []).filter(d => d.tagName).map(d => [d.tagName!, d]))
  assert.deepEqual([...widgets.keys()].sort(), ['relay-accounts', 'relay-admin', 'relay-admin-users', 'relay-key-detail', 'relay-key-usage', 'relay-keys', 'relay-overview', 'relay-prices', 'relay-request-log', 'relay-settings', 'relay-usage'])
  for (const [tag, d] of widgets) {
    const names = (list: { name: string }[] | undefined) => (list ?? []).map(x => x.name)
    assert.ok(names(d.attributes).includes('base-url'), tag)
    assert.ok(names(d.members).includes('token'), `${tag}: token`)
    assert.ok(names(d.events).includes('relay-error'), `${tag}: events`)
    assert.ok(names(d.cssParts).includes('panel') || tag === 'relay-admin', `${tag}: parts`)
    assert.ok(names(d.cssProperties).includes('--relay-accent'), `${tag}: custom properties`)
  }
  // Internal state is not the element's API.
  assert.ok(!widgets.get('relay-keys')!.members!.some(m => ['keys', 'secret', 'page', 'loading', 'error'].includes(m.name)))
  assert.deepEqual(widgets.get('relay-keys')!.events!.map(e => e.name).sort(), ['relay-error', 'relay-key-changed', 'relay-key-created'])

  const relay = await adminRelay(t)
  const res = await request(`${relay.url}/_relay/admin/custom-elements.json`)
  assert.match(String(res.headers['content-type']), /^application\/json/)
  assert.equal(await res.body.text(), committed)
})
