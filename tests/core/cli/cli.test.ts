// The operator CLI as a user runs it, against a sidecar process sharing the same store.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { request } from 'undici'
import { startAnthropicMock } from '../../mocks/anthropic-mock.ts'
import { tempDir } from '../../helpers/relay-harness.ts'
import { freePort, runCli, spawnRelay } from '../../helpers/processes.ts'

const UPSTREAM_SECRET = 'sk-ant-cli-upstream-secret-7777'

test('keys and accounts made with the CLI work in a running sidecar within a second; usage adds up', async t => {
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const dir = tempDir()
  const port = await freePort()
  const config = join(dir, 'relay.yaml')
  writeFileSync(config, `
listen: { host: 127.0.0.1, port: ${port} }
store: { path: ./data/relay.db }
plugins: [{ use: claude, mount: /claude }]
keys: [{ name: declared, key: "ars_declared-key-0123456789abcdef" }]
usage: { flush: sync }
`)
  await spawnRelay(t, config)
  const cli = (args: string[], opts: { env?: NodeJS.ProcessEnv, input?: string } = {}) => runCli([...args, '--config', config], opts)
  const call = (key: string) => request(`http://127.0.0.1:${port}/claude/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
  })

  const created = cli(['keys', 'create', '--name', 'carol', '--json'])
  assert.equal(created.status, 0, created.stderr)
  const { key, id } = JSON.parse(created.stdout) as { key: string, id: string }
  assert.match(key, /^ars_/)

  // Once the sidecar sees the key, it gets past authentication to an empty pool: 503.
  let res
  const start = Date.now()
  for (;;) {
    res = await call(key)
    await res.body.dump()
    if (res.statusCode === 503) break
    assert.ok(Date.now() - start < 1500, `key not picked up within a second (status ${res.statusCode})`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }

  // The credential comes from stdin, never from argv.
  const refused = cli(['accounts', 'add', '--name', 'main', '--provider', 'claude', '--type', 'claude-console', '--set', `apiKey=${UPSTREAM_SECRET}`])
  assert.equal(refused.status, 2)
  assert.match(refused.stderr, /credential/)
  const added = cli(['accounts', 'add', '--name', 'main', '--provider', 'claude', '--type', 'claude-console', '--set', `baseUrl=${mock.url}`, '--priority', '10'], { input: `${UPSTREAM_SECRET}\n` })
  assert.equal(added.status, 0, added.stderr)
  assert.match(added.stdout, /claude-api-key/)
  const viaEnv = cli(['accounts', 'add', '--name', 'spare', '--provider', 'claude', '--type', 'claude-api-key', '--secret-env', 'apiKey=SPARE_KEY', '--set', `baseUrl=${mock.url}`, '--priority', '90', '--model-map', 'claude-haiku-*=claude-sonnet-4-5'], { env: { SPARE_KEY: 'sk-ant-spare-1' } })
  assert.equal(viaEnv.status, 0, viaEnv.stderr)
  const badMap = cli(['accounts', 'add', '--name', 'spare2', '--provider', 'claude', '--type', 'claude-api-key', '--secret-env', 'apiKey=SPARE_KEY', '--model-map', 'x=../admin'], { env: { SPARE_KEY: 'sk-ant-spare-2' } })
  assert.notEqual(badMap.status, 0)
  assert.match(badMap.stderr, /modelMap\["x"\]/)
  // A header policy: a list from commas, the added headers (a credential) from an env var's lines.
  const chained = cli(['accounts', 'add', '--name', 'chained', '--provider', 'claude', '--type', 'claude-api-key', '--secret-env', 'apiKey=SPARE_KEY', '--secret-env', 'addHeaders=CHAIN_HEADERS', '--set', 'stripHeaders=X-Claude-Code-Session-Id, x-app', '--set', `baseUrl=${mock.url}`, '--priority', '95'],
    { env: { SPARE_KEY: 'sk-ant-spare-3', CHAIN_HEADERS: 'X-Chain-Token: chain-secret-value\nX-Chain-Hop: 2' } })
  assert.equal(chained.status, 0, chained.stderr)
  const credentialHeader = cli(['accounts', 'add', '--name', 'chained2', '--provider', 'claude', '--type', 'claude-api-key', '--secret-env', 'apiKey=SPARE_KEY', '--secret-env', 'addHeaders=CHAIN_HEADERS'],
    { env: { SPARE_KEY: 'sk-ant-spare-4', CHAIN_HEADERS: 'AUTHORIZATION: Bearer other' } })
  assert.notEqual(credentialHeader.status, 0)
  assert.match(credentialHeader.stderr, /AUTHORIZATION is set from the account's credential/)

  // Stored encrypted: the database file holds no credential in clear text.
  const wal = join(dir, 'data', 'relay.db-wal')
  const dbBytes = readFileSync(join(dir, 'data', 'relay.db')).toString('latin1') + (existsSync(wal) ? readFileSync(wal).toString('latin1') : '')
  assert.ok(!dbBytes.includes(UPSTREAM_SECRET))
  assert.ok(!dbBytes.includes('chain-secret-value'), 'added headers are sealed like any credential')
  const db = new Database(join(dir, 'data', 'relay.db'), { readonly: true })
  const sealed = db.prepare('SELECT sealed_secrets FROM accounts WHERE name = ?').get('main') as { sealed_secrets: string }
  assert.deepEqual(JSON.parse((db.prepare('SELECT model_map FROM accounts WHERE name = ?').get('spare') as { model_map: string }).model_map), { 'claude-haiku-*': 'claude-sonnet-4-5' })
  assert.deepEqual(JSON.parse((db.prepare('SELECT fields FROM accounts WHERE name = ?').get('chained') as { fields: string }).fields).stripHeaders, ['X-Claude-Code-Session-Id', 'x-app'])
  db.close()
  assert.match(sealed.sealed_secrets, /^v1:/)

  const waitStart = Date.now()
  for (;;) {
    res = await call(key)
    if (res.statusCode === 200) break
    await res.body.dump()
    assert.ok(Date.now() - waitStart < 1500, 'account not picked up within a second')
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  await res.body.dump()
  assert.equal(mock.requests.at(-1)!.headers['x-api-key'], UPSTREAM_SECRET, 'lower priority number wins')
  res = await call('ars_declared-key-0123456789abcdef')
  await res.body.dump()

  const list = cli(['keys', 'list', '--json'])
  const keys = JSON.parse(list.stdout) as { name: string, source: string, lastUsedAt: string | null, hint: string }[]
  assert.deepEqual(keys.map(k => [k.name, k.source]), [['declared', 'config'], ['carol', 'store']])
  assert.ok(keys.every(k => k.lastUsedAt !== null))
  assert.ok(!list.stdout.includes(key), 'list never shows the secret')
  const accounts = cli(['accounts', 'list'])
  assert.match(accounts.stdout, /main\s+claude\s+claude-api-key\s+10\s+active\s.*store/)
  assert.ok(!accounts.stdout.includes(UPSTREAM_SECRET))

  const usage = cli(['usage', '--json', '--by', 'key'])
  assert.equal(usage.status, 0, usage.stderr)
  const rows = (JSON.parse(usage.stdout) as { rows: { key: string, requests: number, inputTokens: number, outputTokens: number, costPicoUsd: string }[] }).rows
  const carol = rows.find(r => r.key === 'carol')!
  // Mock default usage: 25 in, 12 out on Sonnet 4.5 ($3 / $15 per MTok) = 255 µUSD.
  assert.deepEqual([carol.requests, carol.inputTokens, carol.outputTokens, carol.costPicoUsd], [1, 25, 12, '255000000'])
  assert.ok(rows.some(r => r.key === 'declared'))
  const byModel = cli(['usage', '--by', 'model'])
  assert.match(byModel.stdout, /claude-sonnet-4-5\s+2\s+50\s+24\s+0\s+0\s+0\s+\$0\.000510/)

  // Disable: the running sidecar refuses the key within a second; config keys are read-only.
  assert.equal(cli(['keys', 'disable', 'carol']).status, 0)
  const disableStart = Date.now()
  for (;;) {
    res = await call(key)
    await res.body.dump()
    if (res.statusCode === 401) break
    assert.ok(Date.now() - disableStart < 1500)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  const ro = cli(['keys', 'disable', 'declared'])
  assert.equal(ro.status, 1)
  assert.match(ro.stderr, /RELAY_ERR_READ_ONLY/)
  const dup = cli(['keys', 'create', '--name', 'declared'])
  assert.match(dup.stderr, /RELAY_ERR_NAME_TAKEN/)
  assert.equal(cli(['accounts', 'disable', 'main']).status, 0)
  assert.match(cli(['accounts', 'list']).stdout, /main\s+claude\s+claude-api-key\s+10\s+disabled/)
  assert.ok(id.startsWith('key_'))
})
