// A real redis-server on a free loopback port, with its own directory and no persistence,
// stopped when the test ends. A missing binary skips loudly here and fails under CI=true.
import type { TestContext } from 'node:test'
import { createConnection } from 'node:net'
import { tempDir } from './relay-harness.ts'
import { freePort, requireBinary, spawnChild } from './processes.ts'

export interface RedisServer {
  url: string
  port: number
  /** Stops the server (SIGTERM) and waits for it. */
  stop (): Promise<void>
  /** Starts it again on the same port and directory (with `persist`, its data is still there). */
  start (): Promise<void>
}

async function listening (port: number): Promise<boolean> {
  return new Promise<boolean>(resolve => {
    const s = createConnection(port, '127.0.0.1')
    s.once('connect', () => { s.end('PING\r\n'); resolve(true) })
    s.once('error', () => resolve(false))
  })
}

/** `persist`: an append-only file fsynced on every write, so a restart keeps the data. */
export async function startRedis (t: TestContext, opts: { persist?: boolean } = {}): Promise<RedisServer | undefined> {
  const bin = requireBinary(t, 'redis-server')
  if (!bin) return undefined
  const port = await freePort()
  const dir = tempDir('relay-redis-')
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--protected-mode', 'yes',
    ...(opts.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'])]
  let child: ReturnType<typeof spawnChild>
  const start = async () => {
    child = spawnChild(t, bin, args)
    const end = Date.now() + 10_000
    while (!await listening(port)) {
      if (child.proc.exitCode !== null || Date.now() > end) throw new Error(`redis-server did not start: ${child.stderr.join('')}${child.stdout.join('')}`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop () {
      child.proc.kill('SIGTERM')
      await child.exited
    },
    start,
  }
}

/** Three redis-server nodes made one Redis Cluster (no replicas), on free loopback ports. */
export async function startRedisCluster (t: TestContext): Promise<{ host: string, port: number }[] | undefined> {
  const bin = requireBinary(t, 'redis-server')
  const cli = requireBinary(t, 'redis-cli')
  if (!bin || !cli) return undefined
  const nodes: { host: string, port: number }[] = []
  for (let i = 0; i < 3; i++) {
    const port = await freePort()
    const dir = tempDir('relay-redis-cluster-')
    spawnChild(t, bin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--cluster-enabled', 'yes', '--cluster-config-file', `${dir}/nodes.conf`, '--cluster-node-timeout', '5000'])
    nodes.push({ host: '127.0.0.1', port })
  }
  for (const n of nodes) {
    for (const end = Date.now() + 10_000; ;) {
      const up = await new Promise<boolean>(resolve => {
        const s = createConnection(n.port, n.host)
        s.once('connect', () => { s.end(); resolve(true) })
        s.once('error', () => resolve(false))
      })
      if (up) break
      if (Date.now() > end) throw new Error(`redis cluster node ${n.port} did not start`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
  const create = spawnChild(t, cli, ['--cluster', 'create', ...nodes.map(n => `${n.host}:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'])
  const code = await create.exited
  if (code !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout.join('')}${create.stderr.join('')}`)
  // The slots are assigned; wait until every node agrees the cluster is up.
  for (const end = Date.now() + 15_000; ;) {
    const info = spawnChild(undefined, cli, ['-p', String(nodes[0]!.port), 'cluster', 'info'])
    await info.exited
    if (/cluster_state:ok/.test(info.stdout.join(''))) break
    if (Date.now() > end) throw new Error('the redis cluster did not come up')
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  return nodes
}
