// Debian's Caddy with the project's shipped kit (caddy/), in front of a sidecar on a free
// loopback port: the example Caddyfile with its domain replaced by a loopback address, no admin
// endpoint, no automatic HTTPS, and its own data and config dirs so parallel instances never meet.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { request } from 'undici'
import { tempDir } from './relay-harness.ts'
import { freePort, ROOT, spawnChild } from './processes.ts'

export interface CaddyOptions {
  /** The port of the example site's protected tool (`/internal/*`). */
  toolPort?: number
  /** Rewrites a kit file before use (a deliberately broken setup). */
  edit?: (file: string, text: string) => string
}

export async function startCaddy (t: TestContext, caddyBin: string, sidecarPort: number, opts: CaddyOptions = {}): Promise<string> {
  const dir = tempDir('relay-caddy-')
  const port = await freePort()
  const src = (f: string) => {
    const text = readFileSync(join(ROOT, 'caddy', f), 'utf8')
    return opts.edit ? opts.edit(f, text) : text
  }
  writeFileSync(join(dir, 'ai-relay.caddy'), src('ai-relay.caddy').replaceAll('127.0.0.1:8787', `127.0.0.1:${sidecarPort}`))
  const site = src('Caddyfile.example')
    .replace('import /etc/caddy/ai-relay.caddy', `{\n\tadmin off\n\tauto_https off\n\tstorage file_system ${dir}/data\n}\n\nimport ${dir}/ai-relay.caddy`)
    .replace('ai.example.com {', `http://127.0.0.1:${port} {`)
    .replace('reverse_proxy 127.0.0.1:9000', `reverse_proxy 127.0.0.1:${opts.toolPort ?? 9}`)
  writeFileSync(join(dir, 'Caddyfile'), site)
  const env = { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') }
  const caddy = spawnChild(t, caddyBin, ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { env })
  const url = `http://127.0.0.1:${port}`
  const end = Date.now() + 15_000
  for (;;) {
    try {
      const res = await request(`${url}/_relay/health`)
      await res.body.dump()
      if (res.statusCode === 200) break
    } catch {}
    if (caddy.proc.exitCode !== null || Date.now() > end) throw new Error(`caddy did not start: ${caddy.stderr.join('')}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return url
}
