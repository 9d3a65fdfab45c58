// A fast Anthropic-shaped upstream for benchmarks, in its own process so the load generator,
// the sidecar and the upstream do not share an event loop. Messages answers of a realistic
// size: JSON of about 1.5 KB, or a stream of `--events` events (default 50: message_start …
// message_stop, one delta a word, usage in message_start and message_delta) with `--delay-ms`
// between events. Prints its URL on stdout.
//
//   node --import tsx bench/mock-server.ts [--delay-ms 0] [--events 50]
import { createServer } from 'node:http'
import { parseArgs } from 'node:util'
import { DEFAULT_USAGE, messageEvents, messageJson } from '../tests/mocks/anthropic-mock.ts'

const { values } = parseArgs({ options: { 'delay-ms': { type: 'string', default: '0' }, events: { type: 'string', default: '50' } } })
const delayMs = Number(values['delay-ms'])
// A word a delta: with the 6 framing events, `events` events a stream.
const words = (n: number) => Array.from({ length: n }, (_, i) => ['relay', 'token', 'stream', 'answer'][i % 4] + String(i)).join(' ')
const STREAM_TEXT = words(Math.max(1, Number(values.events) - 6))
const JSON_TEXT = words(200).slice(0, 1200)
const usage = { ...DEFAULT_USAGE, input_tokens: 1200, output_tokens: 300, cache_read_input_tokens: 4000 }
const HEADERS = { 'request-id': 'req_bench', 'anthropic-ratelimit-requests-remaining': '4000' }

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    let body: { model?: string, stream?: boolean }
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"type":"error","error":{"type":"invalid_request_error","message":"bad json"}}')
      return
    }
    const model = body.model ?? 'claude-sonnet-4-5'
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json', ...HEADERS }).end(messageJson(model, usage, JSON_TEXT))
      return
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...HEADERS })
    const events = messageEvents(model, usage, STREAM_TEXT)
    if (delayMs === 0) {
      for (const e of events) res.write(e)
      res.end()
      return
    }
    let i = 0
    const next = () => {
      if (res.destroyed) return
      res.write(events[i++])
      if (i === events.length) res.end()
      else setTimeout(next, delayMs)
    }
    next()
  })
})
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number }
  process.stdout.write(`http://127.0.0.1:${port}\n`)
})
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)) })
