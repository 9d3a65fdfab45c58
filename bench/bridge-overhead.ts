// What a bridge costs over the native path, in the same run on the same sidecar (these machines
// are shared and noisy, so only ratios mean anything): an OpenAI-format request translated by
// chat-claude (/openai/claude/v1/chat/completions) against the same conversation sent natively
// (/claude/v1/messages), both answered by the benchmark's Anthropic mock, whole and streamed;
// the mock reached directly is the floor. Throughput and latency from autocannon.
//
//   npm run bench:bridges                 (BENCH_SECONDS=10 for longer runs)
//   npm run bench:bridges -- --quick      a tiny run (what a smoke check needs)
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { HEADERS, KEY, PATH, ROOT, body, runCleanups, startMock, startSidecar } from './harness.ts'

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } } })
const SECONDS = args.quick ? 1 : Number(process.env.BENCH_SECONDS ?? 5)
const CONNECTIONS = 16

/** The native body's conversation as Chat Completions. */
const chatBody = (stream: boolean) => JSON.stringify({
  model: 'claude-sonnet-4-5', max_tokens: 1024, stream, ...(stream ? { stream_options: { include_usage: true } } : {}),
  messages: [{ role: 'user', content: 'Summarise the relay benchmark in one paragraph, please.' }],
})

interface Run { rps: number, p50: number, p99: number, errors: number, non2xx: number }

async function load (url: string, headers: Record<string, string>, payload: string): Promise<Run> {
  const r = await autocannon({ url, method: 'POST', connections: CONNECTIONS, duration: SECONDS, headers: { 'content-type': 'application/json', ...headers }, body: payload })
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx }
}

const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '-')
try {
  const mockUrl = await startMock()
  const sidecar = await startSidecar(mockUrl, { plugins: [{ use: 'claude', mount: '/claude' }, { use: 'chat-claude', mount: '/openai/claude' }] })
  const native = `${sidecar.url}${PATH}`
  const bridged = `${sidecar.url}/openai/claude/v1/chat/completions`
  // Warm-up: JIT, keep-alive pools, SQLite pages.
  await load(native, HEADERS, body(false))
  await load(bridged, { authorization: `Bearer ${KEY}` }, chatBody(false))
  const results: Record<string, unknown> = { node: process.version, seconds: SECONDS, connections: CONNECTIONS, at: new Date().toISOString() }
  const lines: string[] = []
  for (const stream of [false, true]) {
    const kind = stream ? 'stream' : 'json'
    const floor = await load(`${mockUrl}/v1/messages`, HEADERS, body(stream))
    const n = await load(native, HEADERS, body(stream))
    const b = await load(bridged, { authorization: `Bearer ${KEY}` }, chatBody(stream))
    for (const [name, r] of [['native', n], ['bridged', b]] as const) {
      if (r.errors > 0 || r.non2xx > 0) throw new Error(`${kind} ${name}: ${r.errors} errors, ${r.non2xx} non-2xx answers`)
    }
    results[kind] = { floor, native: n, bridged: b, bridgedOverNative: { rps: b.rps / n.rps, p50: b.p50 / n.p50, p99: b.p99 / n.p99 } }
    lines.push(`${kind} c=${CONNECTIONS}: floor ${f(floor.rps, 0)} req/s; native ${f(n.rps, 0)} req/s p50 ${f(n.p50)} ms p99 ${f(n.p99)} ms; bridged ${f(b.rps, 0)} req/s p50 ${f(b.p50)} ms p99 ${f(b.p99)} ms; bridged/native: ${f(b.rps / n.rps)}× req/s, ${f(b.p50 / n.p50)}× p50`)
  }
  console.log(lines.join('\n'))
  const out = args.out ?? join(ROOT, 'bench', 'results', `bridges-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  mkdirSync(join(out, '..'), { recursive: true })
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n')
  console.log(`written ${out}`)
} finally {
  await runCleanups()
}
