// The least a Node hop can cost: a plain http server that forwards each request to the mock
// through an undici Pool and copies the answer back, with no auth, metering or logging. The
// bench runs it beside the sidecar so "what the relay's own work costs" has a number.
//   node --import tsx bench/bare-proxy.ts --upstream http://127.0.0.1:PORT   (prints its URL)
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'

const { values } = parseArgs({ options: { upstream: { type: 'string' } } })
const pool = new Pool(values.upstream!, { connections: 256 })

const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
    pool.request({ method: 'POST', path: req.url!, headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) })
      .then(async up => {
        res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type']) })
        for await (const c of up.body) res.write(c)
        res.end()
      })
      .catch(() => { res.statusCode = 502; res.end() })
  })
})
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number }
  console.log(`http://127.0.0.1:${port}`)
})
