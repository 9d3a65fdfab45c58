// `ai-relay doctor` against real nginx and Caddy in front of one sidecar: the shipped kits are
// reported clean, and each deliberately broken copy of them is found for exactly what is broken.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { ALICE_KEY, tempDir, testConfig } from '../helpers/relay-harness.ts'
import { freePort, requireBinary, runCliAsync, spawnRelay } from '../helpers/processes.ts'
import { startNginx, type NginxOptions } from '../helpers/nginx.ts'
import { startCaddy, type CaddyOptions } from '../helpers/caddy.ts'
import { transportFinding, type Finding } from '../../core/cli/doctor-command.ts'

async function sidecar (t: TestContext): Promise<number> {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const dir = tempDir()
  const port = await freePort()
  const config = join(dir, 'relay.yaml')
  writeFileSync(config, JSON.stringify(testConfig(mock.url, { listen: { host: '127.0.0.1', port } })))
  await spawnRelay(t, config)
  return port
}

/** The checks the doctor finds failing at `base`. */
async function problems (base: string): Promise<string[]> {
  const r = await runCliAsync(['doctor', '--url', base, '--key', ALICE_KEY, '--gap-seconds', '4', '--body-mb', '8', '--json'])
  const findings = JSON.parse(r.stdout) as Finding[]
  assert.equal(r.status, findings.every(f => f.ok) ? 0 : 1)
  for (const f of findings) if (!f.ok) assert.ok(f.fix, `${f.check} names its fix`)
  return findings.filter(f => !f.ok).map(f => f.check).sort()
}

const edit = (from: string | RegExp, to: string) => (_file: string, text: string) => {
  const out = text.replace(from, to)
  assert.notEqual(out, text, `the kit still has ${String(from)}`)
  return out
}

test('doctor: the nginx kit is clean; each broken copy is found for what is broken', { timeout: 120_000 }, async t => {
  const nginx = requireBinary(t, 'nginx')
  if (!nginx) return
  const port = await sidecar(t)
  const cases: [string, NginxOptions, string[]][] = [
    ['the kit', {}, []],
    ['underscores off', { underscoresInHeaders: false }, ['underscores']],
    ['identity headers kept', { edit: (f, s) => (f === 'relay-proxy.conf' ? edit(/include \S+relay-identity\.conf;\n/, '')(f, s) : s) }, ['spoofing']],
    ['underscore spellings kept', { edit: (f, s) => (f === 'relay-identity.conf' ? edit(/proxy_set_header X_Relay_Key_Name "";\n/, '')(f, s) : s) }, ['spoofing']],
    ['1 MB bodies', { edit: (f, s) => (f === 'relay-proxy.conf' ? edit('client_max_body_size 64m;', 'client_max_body_size 1m;')(f, s) : s) }, ['body']],
    // nginx 1.22 passes small chunks on even with proxy_buffering on, until it also compresses
    // them (a site-wide `gzip on` that lists event streams): then they wait for the buffer.
    ['buffered and compressed', { edit: (f, s) => (f === 'relay-proxy.conf' ? edit('proxy_buffering off;', 'proxy_buffering on;')(f, edit('gzip off;', 'gzip on;\ngzip_types text/event-stream;')(f, s)) : s) }, ['buffering']],
    ['2 s read timeout', { edit: (f, s) => (f === 'relay-proxy.conf' ? edit('proxy_read_timeout 3600s;', 'proxy_read_timeout 2s;')(f, s) : s) }, ['timeout']],
    ['no upgrade', { edit: (f, s) => (f === 'relay-proxy.conf' ? edit(/proxy_set_header Upgrade \$http_upgrade;\nproxy_set_header Connection \$connection_upgrade;/, 'proxy_set_header Connection "";')(f, s) : s) }, ['websocket']],
  ]
  const found = await Promise.all(cases.map(async ([, opts]) => problems(await startNginx(t, nginx, port, opts))))
  cases.forEach(([name, , want], i) => assert.deepEqual(found[i], want, name))
})

test('doctor: the Caddy kit is clean; each broken copy is found for what is broken', { timeout: 120_000 }, async t => {
  const caddy = requireBinary(t, 'caddy')
  if (!caddy) return
  const port = await sidecar(t)
  const kit = (from: string | RegExp, to: string): CaddyOptions => ({ edit: (f, s) => (f === 'ai-relay.caddy' ? edit(from, to)(f, s) : s) })
  const cases: [string, CaddyOptions, string[]][] = [
    ['the kit', {}, []],
    ['underscore headers deleted', kit('request_header -X-Relay*', 'request_header -X-Relay*\n\trequest_header -*_*'), ['underscores']],
    ['identity headers kept', kit(/\n\timport ai_relay_client_headers\n/, '\n'), ['spoofing']],
    ['underscore spellings kept', kit(/\n\trequest_header -X_Relay\*\n/, '\n'), ['spoofing']],
    ['1 MB bodies', kit('max_size 64MB', 'max_size 1MB'), ['body']],
    ['2 s read timeout', kit('flush_interval -1', 'flush_interval -1\n\t\t\ttransport http {\n\t\t\t\tread_timeout 2s\n\t\t\t}'), ['timeout']],
  ]
  const found = await Promise.all(cases.map(async ([, opts]) => problems(await startCaddy(t, caddy, port, opts))))
  cases.forEach(([name, , want], i) => assert.deepEqual(found[i], want, name))
})

test('doctor: plain HTTP is a problem except to this machine or a private network', () => {
  assert.equal(transportFinding(new URL('http://ai.example.com')).ok, false)
  assert.match(transportFinding(new URL('http://ai.example.com')).fix!, /HTTPS/)
  for (const ok of ['https://ai.example.com', 'http://127.0.0.1:8080', 'http://localhost', 'http://[::1]:80', 'http://10.1.2.3', 'http://192.168.0.7']) assert.equal(transportFinding(new URL(ok)).ok, true, ok)
  for (const bad of ['http://8.8.8.8', 'http://172.32.0.1', 'http://localhost.evil.example']) assert.equal(transportFinding(new URL(bad)).ok, false, bad)
})
