// What the sidecar adds to a request: the same mock upstream measured directly (baseline) and
// through the sidecar, in the same run, reported as ratios because these machines are shared
// and noisy. Scenarios: non-streaming and streaming Messages calls at 1 and 16 connections.
//
//   npm run bench                 (BENCH_SECONDS=10 for longer runs)
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const KEY = 'ars_bench-key-0123456789abcdefghijklmnop'

function start (args: string[], ready: RegExp, stream: 'stdout' | 'stderr'): Promise<{ proc: ChildProcess, output: string }> {
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let out = ''
    proc[stream]!.setEncoding('utf8').on('data', (s: string) => {
      out += s
      if (ready.test(out)) resolve({ proc, output: out })
    })
    // Drain the other stream so a chatty child never blocks on a full pipe.
    proc[stream === 'stdout' ? 'stderr' : 'stdout']!.resume()
    proc.once('exit', code => reject(new Error(`${args.join(' ')} exited ${code}: ${out}`)))
  })
}

function freePort (): Promise<number> {
  return import('node:net').then(({ createServer }) => new Promise(resolve => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  }))
}

function rssMiB (pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Math.round(Number(m[1]) / 1024) : NaN
}

interface Result { rps: number, p50: number, p99: number, errors: number }

async function load (url: string, connections: number, stream: boolean): Promise<Result> {
  const r = await autocannon({
    url,
    method: 'POST',
    connections,
    duration: SECONDS,
    headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, stream, messages: [{ role: 'user', content: 'hello' }] }),
  })
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx }
}

const mock = await start(['--import', 'tsx', 'bench/mock-server.ts'], /http:\/\/\S+\n/, 'stdout')
const mockUrl = mock.output.trim()
const dir = mkdtempSync(join(tmpdir(), 'relay-bench-'))
const port = await freePort()
writeFileSync(join(dir, 'relay.yaml'), JSON.stringify({
  listen: { host: '127.0.0.1', port },
  store: { path: './relay.db' },
  secrets: { keyFile: './secret.key' },
  plugins: [{ use: 'claude', mount: '/claude' }],
  keys: [{ name: 'bench', key: KEY }],
  accounts: [{ name: 'mock', provider: 'claude', type: 'claude-api-key', apiKey: 'sk-ant-bench', baseUrl: mockUrl }],
}))
const relay = await start(['bin/ai-relay.js', 'start', '--config', join(dir, 'relay.yaml')], /listening on/, 'stderr')
const relayUrl = `http://127.0.0.1:${port}/claude`

try {
  // Warm-up: JIT, keep-alive pools, SQLite pages.
  await load(`${relayUrl}/v1/messages`, 4, false)
  const rssBefore = rssMiB(relay.proc.pid!)
  const rows: string[] = []
  for (const stream of [false, true]) {
    for (const connections of [1, 16]) {
      const base = await load(`${mockUrl}/v1/messages`, connections, stream)
      const via = await load(`${relayUrl}/v1/messages`, connections, stream)
      rows.push([
        `${stream ? 'stream' : 'json  '} c=${String(connections).padEnd(2)}`,
        `baseline ${base.rps.toFixed(0).padStart(6)} req/s p50 ${base.p50} ms p99 ${base.p99} ms`,
        `relay ${via.rps.toFixed(0).padStart(6)} req/s p50 ${via.p50} ms p99 ${via.p99} ms`,
        `throughput ratio ${(via.rps / base.rps).toFixed(2)}`,
        `added p50 ${(via.p50 - base.p50).toFixed(1)} ms`,
        via.errors + base.errors > 0 ? `ERRORS ${base.errors}/${via.errors}` : '',
      ].join(' | '))
    }
  }
  console.log(`relay overhead, ${SECONDS}s per run, same mock upstream (node ${process.version})`)
  for (const r of rows) console.log(r)
  console.log(`sidecar RSS: ${rssBefore} MiB after warm-up, ${rssMiB(relay.proc.pid!)} MiB after the runs`)
} finally {
  relay.proc.kill('SIGTERM')
  mock.proc.kill('SIGTERM')
  await new Promise(resolve => relay.proc.once('exit', resolve))
  rmSync(dir, { recursive: true, force: true })
}
