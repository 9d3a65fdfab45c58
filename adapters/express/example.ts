// An Express gateway in front of the relay sidecar: the relay's mounts proxied (gated by forward
// auth), and an internal tool protected with relay keys. Run it with
//   SIDECAR=http://127.0.0.1:8787 TOOL=http://127.0.0.1:9000 PORT=8080 npx tsx adapters/express/example.ts
import { createServer, type Server } from 'node:http'
import express from 'express'
import { createProxyMiddleware } from 'http-proxy-middleware'
import { relayGateway, type RelayGateway } from './index.ts'

export function createExampleGateway (opts: { sidecar: string, tool: string }): { server: Server, gateway: RelayGateway } {
  const app = express()
  const gateway = relayGateway({ sidecar: opts.sidecar })
  // First, before any body parser: the relay's requests pass untouched.
  app.use(gateway.relay)
  // Any other route protected with relay keys; the tool gets X-Relay-Key-Id and X-Relay-Key-Name.
  app.use('/internal', gateway.protect)
  app.use(createProxyMiddleware({ target: opts.tool, pathFilter: '/internal' }))
  // ...the rest of your app (body parsers, routes) goes here.
  const server = createServer(app)
  server.on('upgrade', gateway.upgrade)
  server.on('close', () => void gateway.close())
  return { server, gateway }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { server } = createExampleGateway({ sidecar: process.env.SIDECAR ?? 'http://127.0.0.1:8787', tool: process.env.TOOL ?? 'http://127.0.0.1:9000' })
  server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => console.log(`gateway on ${JSON.stringify(server.address())}`))
}
