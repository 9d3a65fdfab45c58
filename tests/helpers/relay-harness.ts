// Starts a sidecar in this process against a mock upstream, with a temporary config and store,
// and captures its log lines. Each test owns its relay and closes it in t.after.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { TestContext } from 'node:test'
import type { EventSourceMessage } from 'eventsource-parser'
import { EventSourceParserStream } from 'eventsource-parser/stream'
import { openRuntime, type Runtime } from '../../core/runtime.ts'
import { createRelayServer, type RelayServer } from '../../core/server.ts'

export const ALICE_KEY = 'ars_test-alice-0123456789abcdefghijklmnop'
export const BOB_KEY = 'ars_test-bob-0123456789abcdefghijklmnopqrs'
export const UPSTREAM_KEY = 'sk-ant-upstream-secret-0001'

export interface Relay {
  url: string
  server: RelayServer
  rt: Runtime
  logs: string[]
  dir: string
  file: string
  /** Resolves once every request in flight has settled and its usage is written. */
  settled (): Promise<void>
}

const created: string[] = []
// Every temp dir goes when the test file's process ends, whatever the tests did with it.
process.once('exit', () => { for (const d of created) rmSync(d, { recursive: true, force: true }) })

export function tempDir (prefix = 'relay-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  created.push(dir)
  return dir
}

export function claudeAccount (baseUrl: string, extra: Record<string, unknown> = {}) {
  return { name: 'mock', provider: 'claude', type: 'claude-api-key', apiKey: UPSTREAM_KEY, baseUrl, ...extra }
}

export function testConfig (upstreamUrl: string | undefined, extra: Record<string, unknown> = {}) {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    store: { kind: 'sqlite', path: './relay.db' },
    secrets: { keyFile: './secret.key' },
    plugins: [{ use: 'claude', mount: '/claude', aliases: ['/api'] }],
    keys: [{ name: 'alice', key: ALICE_KEY }, { name: 'bob', key: BOB_KEY }],
    accounts: upstreamUrl ? [claudeAccount(upstreamUrl)] : [],
    usage: { flush: 'sync' },
    ...extra,
  }
}

export async function startRelay (t: TestContext, config: Record<string, unknown>, before?: (rt: Runtime) => Promise<void>, env: NodeJS.ProcessEnv = {}, opts: { now?: () => number } = {}): Promise<Relay> {
  const dir = tempDir()
  const file = join(dir, 'relay.yaml')
  // JSON is valid YAML 1.2.
  writeFileSync(file, JSON.stringify(config, null, 2))
  const rt = (await openRuntime(file, { env }))!
  await before?.(rt)
  const logs: string[] = []
  const server = await createRelayServer(rt, { logDestination: { write: (s: string) => { logs.push(s) } }, now: opts.now })
  const address = await server.listen()
  t.after(() => server.close())
  return {
    url: address,
    server,
    rt,
    logs,
    dir,
    file,
    async settled () {
      await until(() => server.inflight.size === 0)
      await server.recorder.flush()
    },
  }
}

/** `n` mock upstreams from `start`, each closed when the test ends. */
export async function startMocks<M extends { close (): Promise<void> }> (t: TestContext, n: number, start: () => Promise<M>): Promise<M[]> {
  const mocks: M[] = []
  for (let i = 0; i < n; i++) {
    const m = await start()
    t.after(() => m.close())
    mocks.push(m)
  }
  return mocks
}

export async function until (cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

/** An SSE response body as parsed events (eventsource-parser's stream). */
export function sseEvents (body: Readable | ReadableStream<Uint8Array>): AsyncIterable<EventSourceMessage> {
  const web = body instanceof Readable ? Readable.toWeb(body) as ReadableStream<Uint8Array> : body
  return web.pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>).pipeThrough(new EventSourceParserStream()) as unknown as AsyncIterable<EventSourceMessage>
}
