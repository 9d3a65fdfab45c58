// A local stand-in for a LiteLLM price file host (raw.githubusercontent.com and its mirrors):
// serves /prices.json with an ETag (answering If-None-Match with 304) and /prices.sha256 beside
// it, and can be told to misbehave: answer 500, hang before its headers, cut the file short,
// send more than any price file holds, or advertise a hash the file does not have.
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

export type PriceServerMode = 'ok' | 'error' | 'hang' | 'truncated' | 'huge' | 'wrong-hash'

export interface PriceServer {
  url: string
  fileUrl: string
  hashUrl: string
  /** The file served in `ok` mode (JSON text). */
  body: string
  mode: PriceServerMode
  requests: Array<{ path: string, headers: IncomingMessage['headers'] }>
  close (): Promise<void>
}

/** A LiteLLM-format file: `models` maps a name to [USD per input token, USD per output token]. */
export function litellmFile (models: Record<string, [number, number]>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    sample_spec: { input_cost_per_token: 0, output_cost_per_token: 0 },
    ...Object.fromEntries(Object.entries(models).map(([name, [input, output]]) => [name, { input_cost_per_token: input, output_cost_per_token: output, litellm_provider: 'openai', mode: 'chat' }])),
    ...extra,
  }, null, 2)
}

export async function startPriceServer (body: string): Promise<PriceServer> {
  const state: PriceServer = {
    url: '', fileUrl: '', hashUrl: '', body, mode: 'ok', requests: [],
    close: async () => {},
  }
  const etag = () => `"${createHash('sha256').update(state.body).digest('hex').slice(0, 16)}"`
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    state.requests.push({ path, headers: req.headers })
    if (state.mode === 'hang') return // never answers; the client's timeout must end it
    if (state.mode === 'error') return res.writeHead(500).end('upstream broke')
    if (path === '/prices.sha256') {
      const hash = state.mode === 'wrong-hash' ? 'f'.repeat(64) : createHash('sha256').update(state.body).digest('hex')
      return res.writeHead(200, { 'content-type': 'text/plain' }).end(`${hash}  model_prices_and_context_window.json\n`)
    }
    if (path !== '/prices.json') return res.writeHead(404).end()
    if (req.headers['if-none-match'] === etag()) return res.writeHead(304, { etag: etag() }).end()
    if (state.mode === 'truncated') return res.writeHead(200, { 'content-type': 'application/json' }).end(state.body.slice(0, Math.floor(state.body.length / 2)))
    if (state.mode === 'huge') {
      // More than any price file: 40 MiB of one JSON string, sent as fast as the reader takes it.
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"x": "')
      const chunk = Buffer.alloc(1024 * 1024, 'a')
      let left = 40
      const more = (): void => {
        while (left > 0) {
          left--
          if (!res.write(chunk)) return void res.once('drain', more)
        }
        res.end('"}')
      }
      res.on('error', () => {})
      return more()
    }
    res.writeHead(200, { 'content-type': 'application/json', etag: etag(), 'last-modified': 'Mon, 07 Dec 2026 00:00:00 GMT' }).end(state.body)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  state.url = `http://127.0.0.1:${port}`
  state.fileUrl = `${state.url}/prices.json`
  state.hashUrl = `${state.url}/prices.sha256`
  state.close = () => new Promise(resolve => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
  return state
}
