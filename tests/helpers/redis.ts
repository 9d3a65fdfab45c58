// A real redis-server on a free loopback port, with its own directory and no persistence,
// stopped when the test ends. A missing binary skips loudly here and fails under CI=true.
import type { TestContext } from 'node:test'
import { createConnection } from 'node:net'
import { tempDir } from './relay-harness.ts'
import { freePort, requireBinary, spawnChild } from './processes.ts'

export async function startRedis (t: TestContext): Promise<{ url: string, port: number } | undefined> {
  const bin = requireBinary(t, 'redis-server')
  if (!bin) return undefined
  const port = await freePort()
  const dir = tempDir('relay-redis-')
  const child = spawnChild(t, bin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'])
  const end = Date.now() + 10_000
  for (;;) {
    const up = await new Promise<boolean>(resolve => {
      const s = createConnection(port, '127.0.0.1')
      s.once('connect', () => { s.end('PING\r\n'); resolve(true) })
      s.once('error', () => resolve(false))
    })
    if (up) break
    if (child.proc.exitCode !== null || Date.now() > end) throw new Error(`redis-server did not start: ${child.stderr.join('')}${child.stdout.join('')}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return { url: `redis://127.0.0.1:${port}`, port }
}
