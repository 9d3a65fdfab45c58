// What the mock upstreams share: an HTTP server on a free loopback port that reads each request's
// body whole, records the request for the tests to inspect, and hands it to the mock's handler.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RecordedHttpRequest { method: string, url: string, headers: IncomingHttpHeaders, body: Buffer }

export interface RecordingServer {
  url: string
  close (): Promise<void>
}

export async function startRecordingServer (requests: RecordedHttpRequest[], handle: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void): Promise<RecordingServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      handle(req, res, body)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>(resolve => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
