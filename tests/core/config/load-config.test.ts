import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, loadConfig, parseConfig, type ConfigIssue } from '../../../core/config/load-config.ts'
import { openRuntime } from '../../../core/runtime.ts'
import { AccountTypes } from '../../../core/accounts/account-types.ts'
import claude from '../../../plugins/claude/index.ts'
import openai from '../../../plugins/openai/index.ts'
import gemini from '../../../plugins/gemini/index.ts'
import droid from '../../../plugins/droid/index.ts'
import { ROOT, runCli } from '../../helpers/processes.ts'
import { tempDir } from '../../helpers/relay-harness.ts'

function issuesOf (fn: () => unknown): ConfigIssue[] {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err))
    assert.equal(err.code, 'RELAY_ERR_CONFIG_INVALID')
    return err.issues
  }
  assert.fail('expected a ConfigError')
}

test('the shipped example config is valid and needs no environment', () => {
  const { config, dir } = loadConfig(join(ROOT, 'relay.example.yaml'), {})
  assert.equal(dir, ROOT.replace(/\/$/, ''))
  assert.deepEqual(config.listen, { host: '127.0.0.1', port: 8787 })
  assert.deepEqual(config.store, { kind: 'sqlite', path: './data/relay.db' })
  assert.deepEqual(config.plugins, [
    { use: 'claude', mount: '/claude', aliases: ['/api'], options: {} },
    // /azure: the incumbent's Azure OpenAI paths, served by the OpenAI plugin's accounts.
    { use: 'openai', mount: '/openai', aliases: ['/api', '/azure'], options: {} },
    { use: 'gemini', mount: '/gemini', aliases: [], options: {} },
    { use: 'droid', mount: '/droid', aliases: [], options: {} },
    // The bridges: OpenAI-format clients on Claude and Gemini (by model at /openai and /api), Claude Code on Gemini.
    { use: 'chat-claude', mount: '/openai/claude', aliases: ['/openai', '/api'], options: {} },
    { use: 'chat-gemini', mount: '/openai/gemini', aliases: ['/openai', '/api'], options: {} },
    // /antigravity/api: the incumbent's path for Claude Code on Antigravity accounts (Gemini's pool).
    { use: 'messages-gemini', mount: '/gemini-cli/api', aliases: ['/antigravity/api'], options: {} },
  ])
  assert.equal(config.relay.bodyLimitBytes, 32 * 1024 * 1024)
  assert.deepEqual(config.keys, [])
})

test('every mistake is reported at once with file, JSON path and reason, and no secret value', () => {
  const secret = 'sk-ant-THIS-MUST-NOT-LEAK-42'
  const yaml = `
listen: { host: 127.0.0.1, port: "eighty" }
colour: blue
plugins:
  - { use: claude }
keys:
  - { name: alice }
  - { name: bob, key: short }
  - { name: "bad name!", key: "ars_0123456789abcdefghijklmnop" }
accounts:
  - { name: main, provider: claude, type: claude-api-key, apiKey: "${secret}", priority: 200 }
`
  const issues = issuesOf(() => parseConfig(yaml, '/etc/relay.yaml', {}))
  const paths = issues.map(i => i.path)
  for (const p of ['/listen/port', '', '/plugins/0', '/keys/0', '/keys/1/key', '/keys/2/name', '/accounts/0/priority']) {
    assert.ok(paths.includes(p), `missing ${p || '/'} in ${JSON.stringify(issues)}`)
  }
  assert.ok(issues.some(i => i.path === '' && i.message.includes('"colour"')))
  assert.ok(issues.some(i => i.path === '/plugins/0' && i.message.includes('"mount"')))
  const text = new ConfigError(issues).message
  assert.ok(text.split('\n').every(line => line.startsWith('/etc/relay.yaml: ')))
  assert.ok(!text.includes(secret))
  assert.ok(!text.includes('short'), 'not even a short wrong key is echoed')
})

test('${VAR} and ${VAR:-default} interpolate before validation; an unset variable is named', () => {
  const yaml = `
listen: { port: 9999 }
plugins: [{ use: claude, mount: "\${MOUNT:-/claude}" }]
keys: [{ name: alice, key: "\${ALICE_KEY}" }, { name: bob, key: "\${BOB_KEY}" }]
`
  const { config } = parseConfig(yaml, '/x.yaml', { ALICE_KEY: 'ars_from-env-0123456789abcdefghij', BOB_KEY: 'ars_bob-env-0123456789abcdefghijk' })
  assert.equal(config.plugins[0]!.mount, '/claude')
  assert.equal(config.keys[0]!.key, 'ars_from-env-0123456789abcdefghij')
  const issues = issuesOf(() => parseConfig(yaml, '/x.yaml', { ALICE_KEY: 'ars_from-env-0123456789abcdefghij' }))
  assert.deepEqual(issues.filter(i => i.message.includes('BOB_KEY')), [{ file: '/x.yaml', path: '/keys/1/key', message: 'environment variable BOB_KEY is not set' }])
})

test('YAML syntax errors give a line and column without quoting the source', () => {
  const issues = issuesOf(() => parseConfig('plugins:\n  - { use: claude, mount: /claude\nkeys: [{ key: "ars_secret-in-broken-line" }', '/y.yaml', {}))
  assert.ok(issues.length > 0)
  assert.match(issues[0]!.path, /^line \d+, column \d+$/)
  assert.ok(!issues.some(i => i.message.includes('ars_secret')))
})

test('duplicate names and mounts, and mounts under /_relay, are refused', () => {
  const issues = issuesOf(() => parseConfig(`
plugins:
  - { use: claude, mount: /claude, aliases: [/api, /claude] }
  - { use: other, mount: /_relay/x }
keys: [{ name: a, key: ars_0123456789abcdefghijkl }, { name: a, key: ars_0123456789abcdefghijkm }]
accounts: [{ name: m, provider: claude, type: claude-api-key, apiKey: k }, { name: m, provider: claude, type: claude-api-key, apiKey: k }]
`, '/d.yaml', {}))
  assert.deepEqual(issues.map(i => i.path).sort(), ['/accounts/1/name', '/keys/1/name', '/plugins/0/aliases/1', '/plugins/1/mount'])
})

test("account fields are validated against the plugin's schema; claude-console is an alias", async () => {
  const dir = tempDir()
  const file = join(dir, 'relay.yaml')
  writeFileSync(file, `
plugins: [{ use: claude, mount: /claude }]
accounts:
  - { name: a, provider: claude, type: claude-api-key }
  - { name: b, provider: claude, type: claude-api-key, apiKey: k, baseUrl: "not a url" }
  - { name: c, provider: claude, type: claude-oauth-nope, apiKey: k }
  - { name: d, provider: openai, type: openai-api-key, apiKey: k }
  - { name: e, provider: claude, type: claude-console, apiKey: k, color: red }
`)
  await assert.rejects(openRuntime(file, { env: {}, checkOnly: true }), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    const got = err.issues.map(i => `${i.path}: ${i.message}`)
    assert.ok(got.some(g => g.startsWith('/accounts/0: missing required property "apiKey"')), got.join('\n'))
    assert.ok(got.some(g => g.startsWith('/accounts/1/baseUrl')), got.join('\n'))
    assert.ok(got.some(g => g.startsWith('/accounts/2/type') && g.includes('claude-api-key')), got.join('\n'))
    assert.ok(got.some(g => g.startsWith('/accounts/3/provider')), got.join('\n'))
    assert.ok(got.some(g => g.startsWith('/accounts/4: unknown property "color"')), got.join('\n'))
    assert.equal(got.length, 5, got.join('\n'))
    return true
  })
})

test('a plugin that is not one, or of another contract version, is refused at load', async () => {
  const dir = tempDir()
  writeFileSync(join(dir, 'v2.mjs'), 'export default { specificationVersion: "v2", name: "x", routes: [], accountTypes: {} }')
  writeFileSync(join(dir, 'none.mjs'), 'export const x = 1')
  const file = join(dir, 'relay.yaml')
  writeFileSync(file, 'plugins: [{ use: ./v2.mjs, mount: /a }, { use: ./none.mjs, mount: /b }, { use: no-such-package-xyz, mount: /c }]')
  await assert.rejects(openRuntime(file, { env: {}, checkOnly: true }), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.deepEqual(err.issues.map(i => i.path), ['/plugins/0/use', '/plugins/1/use', '/plugins/2/use'])
    assert.match(err.issues[0]!.message, /specificationVersion/)
    return true
  })
})

test('ai-relay config check: exit 0 when valid, 1 with every problem listed when not', () => {
  const ok = runCli(['config', 'check', '--config', join(ROOT, 'relay.example.yaml')])
  assert.equal(ok.status, 0, ok.stderr)
  assert.match(ok.stdout, /OK/)
  const dir = tempDir()
  const file = join(dir, 'bad.yaml')
  writeFileSync(file, 'listen: { port: -1 }\nplugins: []\nkeys: [{ name: k, key: "${NOPE_NOT_SET}" }]\n')
  const bad = runCli(['config', 'check', '--config', file], { env: { NOPE_NOT_SET: '' } })
  assert.equal(bad.status, 1)
  assert.match(bad.stderr, /invalid configuration \(3 problems\)/)
  assert.match(bad.stderr, /bad\.yaml: \/listen\/port: /)
  assert.match(bad.stderr, /bad\.yaml: \/plugins: /)
  assert.match(bad.stderr, /bad\.yaml: \/keys\/0\/key: environment variable NOPE_NOT_SET is not set/)
})

test('names are unique across the file and the store', async () => {
  const dir = tempDir()
  const file = join(dir, 'relay.yaml')
  writeFileSync(file, 'plugins: [{ use: claude, mount: /claude }]\nstore: { path: ./relay.db }\nsecrets: { keyFile: ./secret.key }\n')
  const created = runCli(['keys', 'create', '--name', 'alice', '--config', file])
  assert.equal(created.status, 0, created.stderr)
  const added = runCli(['accounts', 'add', '--name', 'main', '--provider', 'claude', '--type', 'claude-api-key', '--config', file], { input: 'sk-ant-x\n' })
  assert.equal(added.status, 0, added.stderr)
  writeFileSync(file, `plugins: [{ use: claude, mount: /claude }]
store: { path: ./relay.db }
secrets: { keyFile: ./secret.key }
keys: [{ name: alice, key: ars_0123456789abcdefghijkl }]
accounts: [{ name: main, provider: claude, type: claude-api-key, apiKey: k }]
`)
  await assert.rejects(openRuntime(file, { env: {} }), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.deepEqual(err.issues.map(i => i.path), ['/keys/0/name', '/accounts/0/name'])
    return true
  })
  // A key bound to an account names one that exists, in the file or in the store.
  writeFileSync(file, `plugins: [{ use: claude, mount: /claude }]
store: { path: ./relay.db }
secrets: { keyFile: ./secret.key }
keys: [{ name: bob, key: ars_0123456789abcdefghijkl, account: main }, { name: eve, key: ars_0123456789abcdefghijkz, account: ghost }]
`)
  await assert.rejects(openRuntime(file, { env: {} }), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.deepEqual(err.issues.map(i => `${i.path}: ${i.message}`), ['/keys/1/account: no account is named "ghost"'])
    return true
  })
})

test("the README's key policy example is a valid config; a bad time zone is named", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const yaml = /## Key limits[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)![1]!
  const { config } = parseConfig(`plugins: [{ use: claude, mount: /claude }]\n${yaml}`, '/readme.yaml', { ALICE_KEY: 'ars_readme-example-0123456789abcdef' })
  const alice = config.keys[0]!
  assert.equal(alice.concurrency, 4)
  assert.deepEqual(alice.budgets?.models, [{ models: 'claude-opus-*', period: 'week', usd: 100 }])
  const issues = issuesOf(() => parseConfig('plugins: [{ use: claude, mount: /claude }]\nlimits: { timeZone: Mars/Olympus }', '/tz.yaml', {}))
  assert.deepEqual(issues.map(i => i.path), ['/limits/timeZone'])
})

test("every account in the README's examples is valid for its type (the per-kind sections are copy-paste examples)", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map(m => m[1]!).filter(b => /^accounts:/m.test(b))
  assert.ok(blocks.length >= 1, 'the README has account examples')
  const types = new AccountTypes([claude, openai, gemini, droid])
  for (const yaml of blocks) {
    // Each variable stands for a value of its kind: letters and digits (an AWS key ID takes no other).
    const env = Object.fromEntries([...yaml.matchAll(/\$\{(\w+)\}/g)].map(m => [m[1]!, `X${m[1]!.replace(/[^A-Za-z0-9]/g, '').toUpperCase().padEnd(16, '0')}`]))
    const { config } = parseConfig(`plugins: [{ use: claude, mount: /claude }]\n${yaml}`, '/readme.yaml', env)
    for (const a of config.accounts) {
      const type = types.resolve(a.provider, a.type)
      assert.notEqual(typeof type, 'string', `${a.name}: ${String(type)}`)
      const check = types.check(type as Exclude<typeof type, string>, a)
      assert.ok(check.ok, `${a.name}: ${JSON.stringify(!check.ok && check.problems)}`)
    }
  }
})
