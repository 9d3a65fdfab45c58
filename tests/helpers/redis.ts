// A real redis-server on a free loopback port, with its own directory and no persistence,
// stopped when the test ends. A missing binary skips loudly here and fails under CI=true.
import type { TestContext } from 'node:test'
import { createConnection } from 'node:net'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
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

async function cli (bin: string, args: string[]): Promise<string> {
  const c = spawnChild(undefined, bin, args)
  await c.exited
  return c.stdout.join('').trim()
}

/** Waits until `ok()`, asking every `everyMs`; throws naming `what` after `ms`. */
async function until (what: string, ok: () => Promise<boolean>, ms = 20_000, everyMs = 100): Promise<void> {
  for (const end = Date.now() + ms; !await ok();) {
    if (Date.now() > end) throw new Error(`redis: ${what} did not happen within ${ms} ms`)
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}

/** Three redis-server nodes made one Redis Cluster (no replicas), on free loopback ports. */
export async function startRedisCluster (t: TestContext): Promise<{ host: string, port: number }[] | undefined> {
  const bin = requireBinary(t, 'redis-server')
  const redisCli = requireBinary(t, 'redis-cli')
  if (!bin || !redisCli) return undefined
  const nodes: { host: string, port: number }[] = []
  for (let i = 0; i < 3; i++) {
    const port = await freePort()
    const dir = tempDir('relay-redis-cluster-')
    spawnChild(t, bin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--cluster-enabled', 'yes', '--cluster-config-file', `${dir}/nodes.conf`, '--cluster-node-timeout', '5000'])
    nodes.push({ host: '127.0.0.1', port })
  }
  for (const n of nodes) await until(`cluster node ${n.port} listening`, () => listening(n.port), 10_000, 50)
  const create = spawnChild(t, redisCli, ['--cluster', 'create', ...nodes.map(n => `${n.host}:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'])
  const code = await create.exited
  if (code !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout.join('')}${create.stderr.join('')}`)
  // The slots are assigned; wait until every node agrees the cluster is up.
  await until('the cluster up', async () => /cluster_state:ok/.test(await cli(redisCli, ['-p', String(nodes[0]!.port), 'cluster', 'info'])), 15_000, 200)
  return nodes
}

export interface RedisSentinelSetup {
  sentinels: { host: string, port: number }[]
  name: string
  /** The port of the node that is master now, as the sentinel reports it. */
  masterPort (): Promise<number>
  /** Resolves once the replica has every write the master has. */
  replicated (): Promise<void>
  /** Asks the sentinel to fail over, and resolves once the other node is the master. */
  failover (): Promise<number>
}

/** A master, its replica and one Sentinel watching them (quorum 1), on free loopback ports. */
export async function startRedisSentinel (t: TestContext): Promise<RedisSentinelSetup | undefined> {
  const bin = requireBinary(t, 'redis-server')
  const redisCli = requireBinary(t, 'redis-cli')
  if (!bin || !redisCli) return undefined
  const [master, replica, sentinel] = [await freePort(), await freePort(), await freePort()]
  const node = (port: number, extra: string[]) => spawnChild(t, bin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', tempDir('relay-redis-sentinel-'), '--save', '', '--appendonly', 'no', ...extra])
  node(master, [])
  node(replica, ['--replicaof', '127.0.0.1', String(master)])
  const dir = tempDir('relay-sentinel-')
  // A Sentinel rewrites its config file, so it gets one of its own.
  writeFileSync(join(dir, 'sentinel.conf'), [
    `port ${sentinel}`, 'bind 127.0.0.1', `dir ${dir}`,
    `sentinel monitor relay 127.0.0.1 ${master} 1`,
    'sentinel down-after-milliseconds relay 2000',
    'sentinel failover-timeout relay 10000',
  ].join('\n') + '\n')
  spawnChild(t, bin, [join(dir, 'sentinel.conf'), '--sentinel'])
  const masterPort = async () => Number((await cli(redisCli, ['-p', String(sentinel), 'sentinel', 'get-master-addr-by-name', 'relay'])).split('\n')[1])
  await until('the replica in sync', async () => /master_link_status:up/.test(await cli(redisCli, ['-p', String(replica), 'info', 'replication'])))
  await until('the sentinel seeing the replica', async () => /\b1\b/.test(await cli(redisCli, ['-p', String(sentinel), 'sentinel', 'master', 'relay']).then(s => s.split('\n').slice(s.split('\n').indexOf('num-slaves') + 1)[0] ?? '')))
  return {
    sentinels: [{ host: '127.0.0.1', port: sentinel }],
    name: 'relay',
    masterPort,
    async replicated () {
      await until('replication', async () => {
        const info = await cli(redisCli, ['-p', String(await masterPort()), 'info', 'replication'])
        const offset = /master_repl_offset:(\d+)/.exec(info)?.[1]
        return offset !== undefined && new RegExp(`slave0:.*offset=${offset},`).test(info)
      })
    },
    async failover () {
      const before = await masterPort()
      const out = await cli(redisCli, ['-p', String(sentinel), 'sentinel', 'failover', 'relay'])
      if (out !== 'OK') throw new Error(`SENTINEL FAILOVER: ${out}`)
      let now = before
      await until('the failover', async () => {
        now = await masterPort()
        if (now === before) return false
        return /role:master/.test(await cli(redisCli, ['-p', String(now), 'info', 'replication']))
      })
      // Done when the old master has been turned into the new one's replica, too.
      await until('the old master demoted', async () => /role:slave/.test(await cli(redisCli, ['-p', String(before), 'info', 'replication'])))
      return now
    },
  }
}
