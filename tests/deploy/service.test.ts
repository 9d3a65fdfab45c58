// The systemd unit and environment file of deploy/: the unit verifies, it waits longer than the
// relay's drain grace before SIGKILL, and the relay started the way the unit starts it (the
// example config, the environment file's variables) keeps its data in RELAY_DATA_DIR and stops
// cleanly on SIGTERM.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { request } from 'undici'
import { parse } from 'yaml'
import { tempDir } from '../helpers/relay-harness.ts'
import { CLI_BUILT, freePort, ROOT, spawnChild, requireBinary } from '../helpers/processes.ts'
import { NODE_FLAGS } from '../../bin/node-flags.js'

const unit = readFileSync(join(ROOT, 'deploy', 'ai-relay.service'), 'utf8')
const directive = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(unit)?.[1]

test('the unit: verified by systemd, run as its own user from the environment file, stop timeout above the drain grace', t => {
  const analyze = requireBinary(t, 'systemd-analyze')
  if (analyze) {
    const r = spawnSync(analyze, ['verify', join(ROOT, 'deploy', 'ai-relay.service')], { encoding: 'utf8' })
    assert.equal(r.status, 0, r.stderr)
  }
  assert.equal(directive('User'), 'ai-relay')
  assert.equal(directive('EnvironmentFile'), '/etc/ai-relay/ai-relay.env')
  assert.equal(directive('Restart'), 'on-failure')
  assert.match(directive('ExecStart')!, /bin\/ai-relay\.js start$/)
  assert.equal(directive('ExecStart'), `/usr/bin/node ${NODE_FLAGS.join(' ')} /opt/ai-relay-sidecar/bin/ai-relay.js start`, 'the unit runs with bin/node-flags.js')
  const grace = (parse(readFileSync(join(ROOT, 'relay.example.yaml'), 'utf8')) as { relay: { shutdownGraceMs: number } }).relay.shutdownGraceMs
  assert.ok(Number(directive('TimeoutStopSec')) * 1000 >= grace + 10_000, 'systemd waits for the drain and the last flush')
  const env = readFileSync(join(ROOT, 'deploy', 'ai-relay.env.example'), 'utf8')
  for (const name of ['RELAY_CONFIG', 'RELAY_DATA_DIR', 'RELAY_SECRET_KEY']) assert.match(env, new RegExp(`^${name}=`, 'm'))
})

test('started as the unit starts it: the data in RELAY_DATA_DIR, a clean exit on SIGTERM', async t => {
  const dir = tempDir()
  const data = join(dir, 'var-lib-ai-relay')
  // The example config as shipped, on a free port (8787 may be taken by a relay on this machine).
  const port = await freePort()
  const config = join(dir, 'relay.yaml')
  writeFileSync(config, readFileSync(join(ROOT, 'relay.example.yaml'), 'utf8').replace('port: 8787', `port: ${port}`))
  const env = { RELAY_CONFIG: config, RELAY_DATA_DIR: data, RELAY_SECRET_KEY: 'ab'.repeat(32), NODE_ENV: 'production' }
  const relay = spawnChild(t, process.execPath, [...NODE_FLAGS, CLI_BUILT, 'start'], { env })
  const end = Date.now() + 15_000
  for (;;) {
    const up = await request(`http://127.0.0.1:${port}/_relay/health`).then(async r => { await r.body.dump(); return r.statusCode === 200 }, () => false)
    if (up) break
    if (relay.proc.exitCode !== null || Date.now() > end) throw new Error(`the relay did not start: ${relay.stderr.join('')}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  assert.ok(existsSync(join(data, 'relay.db')), 'the database is in RELAY_DATA_DIR')
  assert.ok(!existsSync(join(data, 'secret.key')), 'RELAY_SECRET_KEY given: no key file is generated')
  assert.equal(statSync(data).mode & 0o077, 0, 'the data directory is private')
  relay.proc.kill('SIGTERM')
  assert.equal(await relay.exited, 0)
})

test('npm start passes the same V8 flags as the unit (bin/node-flags.js)', () => {
  const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start
  assert.equal(start, `node ${NODE_FLAGS.join(' ')} bin/ai-relay.js start`)
})

test('the nginx and Caddy kits route every mount and alias of the example config to the sidecar', () => {
  const config = parse(readFileSync(join(ROOT, 'relay.example.yaml'), 'utf8')) as { plugins: { mount: string, aliases?: string[] }[] }
  const firstSegments = new Set(config.plugins.flatMap(p => [p.mount, ...(p.aliases ?? [])]).map(m => m.split('/')[1]!))
  const nginx = /location ~ \^\/\(([^)]+)\)\//.exec(readFileSync(join(ROOT, 'nginx', 'relay-locations.conf'), 'utf8'))![1]!.split('|')
  const caddy = [.../@ai_relay_mounts path ([^\n]+)/.exec(readFileSync(join(ROOT, 'caddy', 'ai-relay.caddy'), 'utf8'))![1]!.matchAll(/\/([^/\s]+)\/\*/g)].map(m => m[1]!)
  for (const segment of firstSegments) {
    assert.ok(nginx.includes(segment), `nginx relay-locations.conf routes /${segment}/`)
    assert.ok(caddy.includes(segment), `Caddy ai-relay.caddy routes /${segment}/*`)
  }
})
