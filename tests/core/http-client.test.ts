// core/http-client.ts loads undici's parts file by file and rebuilds what its index adds: the
// request API on every dispatcher and the URL form of `request`. Differential: whatever URL is
// asked for, the server sees the same request line from ours as from undici's own `request`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import * as undici from 'undici'
import { Agent, request } from '../../core/http-client.ts'

test('request(url) sends the request line and method undici\'s own request sends, for generated paths and queries', async t => {
  const seen: string[] = []
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    req.resume().on('end', () => res.end('ok'))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const dispatcher = new Agent()
  t.after(async () => { await dispatcher.close(); server.close() })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  await fc.assert(fc.asyncProperty(
    fc.webPath(), fc.option(fc.webQueryParameters(), { nil: undefined }), fc.option(fc.webFragments(), { nil: undefined }),
    fc.option(fc.constantFrom('GET', 'POST', 'DELETE') as fc.Arbitrary<'GET' | 'POST' | 'DELETE'>, { nil: undefined }), fc.boolean(),
    async (path, query, fragment, method, withBody) => {
      const url = `${base}${path.startsWith('/') ? '' : '/'}${path}${query === undefined ? '' : `?${query}`}${fragment === undefined ? '' : `#${fragment}`}`
      const opts = { dispatcher, ...(method ? { method } : {}), ...(withBody && method !== 'GET' ? { body: 'x' } : {}) }
      seen.length = 0
      const ours = await request(url, opts)
      assert.equal(await ours.body.text(), 'ok')
      const theirs = await undici.request(url, opts)
      assert.equal(await theirs.body.text(), 'ok')
      assert.equal(seen.length, 2)
      assert.equal(seen[0], seen[1], url)
    }), { numRuns: 150 })
})

test('every dispatcher made from the parts has the request API, and a URL object is taken as undici takes it', async t => {
  const server = createServer((req, res) => res.end(req.url))
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const agent = new Agent()
  t.after(async () => { await agent.close(); server.close() })
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  for (const name of ['request', 'stream', 'pipeline', 'connect', 'upgrade']) assert.equal(typeof (agent as unknown as Record<string, unknown>)[name], 'function', name)
  const res = await request(new URL('/a%20b/c?d=e&f', origin), { dispatcher: agent })
  assert.equal(await res.body.text(), '/a%20b/c?d=e&f')
})
