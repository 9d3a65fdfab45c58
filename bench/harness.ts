// The processes a benchmark runs and how it measures them: the mock upstream, the sidecar (the
// build, as production runs it, or the sources), the latency client, and /proc readings.
// Shared by bench/run.ts (the table) and bench/profile.ts (where the time goes).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../tests/helpers/processes.ts'
import { NODE_FLAGS } from '../bin/node-flags.js'

export const ROOT = fileURLToPath(new URL('../', import.meta.url))
export const KEY = 'ars_bench-key-0123456789abcdefghijklmnop'
export const HEADERS = { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' }
export const PATH = '/claude/v1/messages'
export const body = (stream: boolean) => JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 1024, stream, messages: [{ role: 'user', content: 'Summarise the relay benchmark in one paragraph, please.' }] })

const cleanups: (() => unknown)[] = []
/** Registers work for runCleanups (stop a process, remove a directory). */
export const onCleanup = (fn: () => unknown) => { cleanups.push(fn) }
/** Runs the registered cleanups, last first. */
export async function runCleanups (): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) await fn()
}
// The test helpers take a test context for their cleanups; the bench collects them itself.
export const scope = { after: onCleanup, skip: (reason: string) => console.error(reason) } as never

/** Starts `node args…` in the project root and resolves once its output matches `ready`. */
export function start (args: string[], ready: RegExp, stream: 'stdout' | 'stderr'): Promise<{ proc: ChildProcess, output: string }> {
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  cleanups.push(() => new Promise(resolve => { if (proc.exitCode !== null) return resolve(undefined); proc.once('exit', resolve); proc.kill('SIGTERM') }))
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

export function rssMiB (pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Math.round(Number(m[1]) / 1024) : NaN
}

/** CPU seconds the process has used (user + system), from /proc. */
export function cpuSeconds (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

export async function startMock (delayMs = 0, events = 50): Promise<string> {
  const mock = await start(['--import', 'tsx', 'bench/mock-server.ts', '--delay-ms', String(delayMs), '--events', String(events)], /http:\/\/\S+\n/, 'stdout')
  return mock.output.trim()
}

/** bench/bare-proxy.ts in front of `mockUrl`: the least a Node hop costs, for scale. */
export async function startBareHop (mockUrl: string): Promise<{ url: string, pid: number }> {
  const bare = await start(['--import', 'tsx', 'bench/bare-proxy.ts', '--upstream', mockUrl], /http:\/\/\S+\n/, 'stdout')
  return { url: `${bare.output.trim()}/v1/messages`, pid: bare.proc.pid! }
}

export interface SidecarOptions {
  store?: Record<string, unknown>
  /** Node flags besides bin/node-flags.js's. */
  nodeArgs?: string[]
  keyPolicy?: Record<string, unknown>
  /** bin/ai-relay.js (the build, as production) unless given bin/ai-relay-dev.js (the sources). */
  entry?: string
  /** The config's plugins (default: claude at /claude). */
  plugins?: Record<string, unknown>[]
}

export interface Sidecar { url: string, pid: number, output: string, proc: ChildProcess }

/** A sidecar with one Claude key and one account on `mockUrl`, in a directory of its own. */
export async function startSidecar (mockUrl: string, { store = {}, nodeArgs = [], keyPolicy = {}, entry = 'bin/ai-relay.js', plugins = [{ use: 'claude', mount: '/claude' }] }: SidecarOptions = {}): Promise<Sidecar> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-bench-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const port = await freePort()
  writeFileSync(join(dir, 'relay.yaml'), JSON.stringify({
    listen: { host: '127.0.0.1', port },
    store: { path: './relay.db', ...store },
    secrets: { keyFile: './secret.key' },
    plugins,
    keys: [{ name: 'bench', key: KEY, ...keyPolicy }],
    accounts: [{ name: 'mock', provider: 'claude', type: 'claude-api-key', apiKey: 'sk-ant-bench', baseUrl: mockUrl }],
  }))
  // Not just /listening on/: with --inspect, Node's "Debugger listening on" comes first.
  const relay = await start([...NODE_FLAGS, ...nodeArgs, entry, 'start', '--config', join(dir, 'relay.yaml')], /ai-relay listening on/, 'stderr')
  return { url: `http://127.0.0.1:${port}`, pid: relay.proc.pid!, output: relay.output, proc: relay.proc }
}

export interface Latency {
  requests: number, errors: number, rps: number, p50: number, p99: number, p999: number, max: number
  /** The slowest of the uncounted first requests, one per connection, sent at once (0 with --requests). */
  burstMax: number
}

/** A closed-loop run of bench/latency-client.ts: for `seconds`, or until `requests` are answered. */
export async function latency (url: string, connections: number, stream: boolean, opts: { seconds: number } | { requests: number }): Promise<Latency> {
  const args = ['--import', 'tsx', 'bench/latency-client.ts', '--url', url, '--connections', String(connections), '--body', body(stream),
    ...Object.entries(HEADERS).flatMap(([k, v]) => ['--header', `${k}:${v}`]),
    ...('requests' in opts ? ['--requests', String(opts.requests)] : ['--seconds', String(opts.seconds)]),
    ...(process.env.BENCH_REPORT_SLOW_MS ? ['--report-slow', process.env.BENCH_REPORT_SLOW_MS] : [])]
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s })
  await new Promise(resolve => child.once('exit', resolve))
  return JSON.parse(out) as Latency
}

/** The inspector URL a process started with `--inspect=127.0.0.1:0` printed. */
export const inspectorUrl = (output: string) => /ws:\/\/\S+/.exec(output)![0]

/** A Chrome DevTools protocol session with a process's inspector: one call at a time. */
export async function inspectorSession (url: string): Promise<{ call: (method: string, params?: Record<string, unknown>) => Promise<Record<string, any>>, close: () => void }> {
  const { WebSocket } = await import('ws')
  const ws = new WebSocket(url, { maxPayload: 1 << 30 })
  await new Promise((resolve, reject) => { ws.once('open', resolve).once('error', reject) })
  let next = 0
  const call = (method: string, params: Record<string, unknown> = {}) => new Promise<Record<string, any>>((resolve, reject) => {
    const id = ++next
    const onMessage = (data: Buffer) => {
      const m = JSON.parse(String(data)) as { id?: number, result?: Record<string, any>, error?: { message: string } }
      if (m.id !== id) return
      ws.off('message', onMessage)
      if (m.error) reject(new Error(m.error.message))
      else resolve(m.result ?? {})
    }
    ws.on('message', onMessage)
    ws.send(JSON.stringify({ id, method, params }))
  })
  return { call, close: () => ws.close() }
}
