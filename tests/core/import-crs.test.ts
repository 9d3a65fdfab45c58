// Switching from claude-relay-service, on the Redis the real incumbent (1.1.314) wrote
// (tests/fixtures/crs: recorded by driving it through its own admin API and sending usage
// through it). The import is checked with real requests through the relay: each bound account
// serves its provider, groups serve their keys, restricted clients are refused, the history is
// there with its split and its provider, the total spend counts toward the total budget; a
// lossy import writes nothing without --allow-lossy; a rerun changes nothing.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { createCipheriv, createHash, randomBytes, scryptSync } from 'node:crypto'
import { join } from 'node:path'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { request } from 'undici'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { startOpenAIMock } from '../mocks/openai-mock.ts'
import { startGeminiMock } from '../mocks/gemini-mock.ts'
import { startBedrockMock } from '../mocks/bedrock-mock.ts'
import { startFactoryMock } from '../mocks/factory-mock.ts'
import { startRelay, tempDir, testConfig, type Relay } from '../helpers/relay-harness.ts'
import { runCliAsync } from '../helpers/processes.ts'
import { startRedis } from '../helpers/redis.ts'
import { loadRedis, readFixture } from '../fixtures/crs/load.ts'
import { mapKey } from '../../core/manage/crs/crs-keys.ts'
import { mapAccount } from '../../core/manage/crs/crs-accounts.ts'
import { ACCOUNT_KINDS } from '../../core/manage/crs/crs-read.ts'
import { updateAccount } from '../../core/manage/accounts.ts'
import { hashKey } from '../../core/keys/api-key.ts'
import { policySchema } from '../../core/limits/policy-schema.ts'
import { createValidator } from '../../core/config/validator.ts'

const fixture = readFixture()
const CRS_KEY = fixture.encryptionKey
const CLAUDE_CODE = { 'user-agent': 'claude-cli/2.5.3 (external, cli)', 'x-app': 'cli' }

/** The incumbent's Redis as recorded, its accounts pointed at this test's mocks (as they would point at the providers). */
async function incumbent (t: TestContext) {
  const server = await startRedis(t)
  if (!server) return undefined
  const [anthropic, openai, gemini] = await Promise.all([startAnthropicMock(), startOpenAIMock(), startGeminiMock()])
  t.after(() => Promise.all([anthropic.close(), openai.close(), gemini.close()]))
  const redis = new Redis(server.url)
  t.after(() => redis.disconnect())
  await loadRedis(redis, fixture.redis)
  for (const name of Object.keys(fixture.redis)) {
    if (/^claude_console_account:[0-9a-f-]{36}$/.test(name)) await redis.hset(name, 'apiUrl', anthropic.url)
    if (/^openai_responses_account:[0-9a-f-]{36}$/.test(name)) await redis.hset(name, 'baseApi', openai.url)
    if (/^gemini_api_account:[0-9a-f-]{36}$/.test(name)) await redis.hset(name, 'baseUrl', gemini.url)
  }
  const dir = tempDir()
  const cfg = testConfig(undefined, {
    store: { kind: 'sqlite', path: join(dir, 'relay.db') }, keys: [], secrets: { keyFile: join(dir, 'secret.key'), crsEncryptionKey: CRS_KEY },
    plugins: [{ use: 'claude', mount: '/claude', aliases: ['/api'] }, { use: 'openai', mount: '/openai' }, { use: 'gemini', mount: '/gemini' }],
  })
  const config = join(dir, 'relay.yaml')
  writeFileSync(config, JSON.stringify(cfg))
  const run = (...flags: string[]) => runCliAsync(['import', 'crs', '--redis', server.url, '--encryption-key-env', 'CRS_KEY', '--config', config, ...flags], { env: { CRS_KEY } })
  return { redis, anthropic, openai, gemini, cfg, run }
}

const send = (relay: Relay, path: string, key: string, body: unknown, headers: Record<string, string> = {}) =>
  request(`${relay.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, authorization: `Bearer ${key}`, 'x-goog-api-key': key, 'anthropic-version': '2023-06-01', ...headers }, body: JSON.stringify(body) })
const claude = (relay: Relay, key: string, headers: Record<string, string> = CLAUDE_CODE) => send(relay, '/api/v1/messages', key, { model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, headers)
const responses = (relay: Relay, key: string, headers: Record<string, string> = {}) => send(relay, '/openai/v1/responses', key, { model: 'gpt-5.4', input: 'hi' }, headers)
const generate = (relay: Relay, key: string) => send(relay, '/gemini/v1beta/models/gemini-2.5-flash:generateContent', key, { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] })

async function status (res: Promise<import('undici').Dispatcher.ResponseData>): Promise<number> {
  const r = await res
  await r.body.dump()
  return r.statusCode
}

test('the real incumbent\'s Redis: lossy without --allow-lossy writes nothing; with it, every binding, group, restriction, limit and the history carry over; a rerun changes nothing', { timeout: 120_000 }, async t => {
  const crs = await incumbent(t)
  if (!crs) return

  // What cannot be carried is named per record, and nothing is written.
  const refused = await crs.run()
  assert.equal(refused.status, 1, refused.stderr)
  // The console account's model mapping carries over (as its model map): it is not named as lost.
  assert.doesNotMatch(refused.stdout, /supportedModels: a model mapping/)
  assert.match(refused.stdout, /key traffic: create\n {4}lost {5}serviceRates: per-key price multipliers/)
  assert.match(refused.stdout, /Nothing written: .*--allow-lossy/)
  assert.ok(!/sk-ant-fixture|sk-proj-fixture|AIza-fixture|proxy-pass/.test(refused.stdout), 'no credential printed')
  const dry = await crs.run('--dry-run', '--allow-lossy')
  assert.equal(dry.status, 0, dry.stderr)
  assert.match(dry.stdout, /Dry run, nothing written\. keys: 11 new, 0 changed, 0 unchanged, 0 not imported; accounts: 7 new, 0 changed, 0 unchanged, 0 not imported; history rows: 5\./)

  const done = await crs.run('--allow-lossy')
  assert.equal(done.status, 0, done.stderr)
  assert.match(done.stdout, /Imported\. keys: 11 new/)
  const relay = await startRelay(t, { ...crs.cfg, listen: { host: '127.0.0.1', port: 0 } })
  const keys = new Map((await relay.rt.store.listKeys()).map(k => [k.name, k]))
  const accounts = new Map((await relay.rt.store.listAccounts()).map(a => [a.name, a]))
  const K = fixture.keys

  // Per-provider bindings, prefixed ids and groups: each provider served by its own account.
  assert.deepEqual(keys.get('bound-everywhere')!.bindings, { claude: { account: 'console-b' }, gemini: { account: 'gemini-a' }, openai: { account: 'responses-a' } })
  assert.equal(await status(claude(relay, K['bound-everywhere']!)), 200)
  assert.equal(crs.anthropic.requests.at(-1)!.headers['x-api-key'], 'sk-ant-fixture-console-b')
  assert.equal(await status(responses(relay, K['bound-everywhere']!)), 200)
  assert.equal(crs.openai.requests.at(-1)!.headers.authorization, 'Bearer sk-proj-fixture-responses-a')
  assert.equal(await status(generate(relay, K['bound-everywhere']!)), 200)
  assert.equal(crs.gemini.requests.at(-1)!.headers['x-goog-api-key'], 'AIza-fixture-gemini-a')
  assert.deepEqual(keys.get('bound-groups')!.bindings, { claude: { group: 'team-claude' }, openai: { group: 'team-openai' } })
  assert.equal(await status(claude(relay, K['bound-groups']!)), 200)
  assert.equal(crs.anthropic.requests.at(-1)!.headers['x-api-key'], 'sk-ant-fixture-console-team')
  assert.equal(await status(responses(relay, K['bound-groups']!)), 200)
  assert.equal(crs.openai.requests.at(-1)!.headers.authorization, 'Bearer sk-proj-fixture-responses-team')
  // The dedicated account and the group's stay out of the shared pool, as there.
  assert.deepEqual([accounts.get('console-b')!.shared, accounts.get('console-team')!.groups, accounts.get('responses-team')!.groups], [false, ['team-claude'], ['team-openai']])
  // A shared account stays in the shared pool there when a key is bound to it: here too.
  assert.equal(accounts.get('responses-a')!.shared, true)
  for (let i = 0; i < 4; i++) assert.equal(await status(claude(relay, K.traffic!)), 200)
  assert.ok(crs.anthropic.requests.slice(-4).every(r => ['sk-ant-fixture-console-a', 'sk-ant-fixture-console-mapped'].includes(String(r.headers['x-api-key']))))

  // Client restrictions: curl is refused where the incumbent refused it; its clients are served.
  assert.deepEqual(keys.get('cli-only')!.policy.clients, ['claude-code', 'codex-cli'])
  assert.equal(await status(claude(relay, K['cli-only']!, { 'user-agent': 'curl/8.5.0' })), 403)
  assert.equal(await status(claude(relay, K['cli-only']!)), 200)
  assert.equal(await status(responses(relay, K['cli-only']!, { 'user-agent': 'codex_exec/0.171.0', originator: 'codex_exec' })), 200)
  assert.equal(await status(responses(relay, K['cli-only']!, { 'user-agent': 'OpenAI/JS 6.1.0' })), 403)
  assert.deepEqual(keys.get('every-client')!.policy.clients, ['claude-code', 'gemini-cli', 'codex-cli', 'droid-cli'])
  assert.equal(await status(claude(relay, K['every-client']!, { 'user-agent': 'factory-cli/0.30.0' })), 200)

  // Limits, expiry, activation, state.
  const full = keys.get('full-limits')!
  assert.deepEqual(full.policy, {
    concurrency: 2, rateLimits: [{ window: '60m', requests: 100, costUsd: 5 }], budgets: { dailyUsd: 10, totalUsd: 100, models: [{ models: 'claude-opus-*', period: 'week', usd: 20 }] },
    providers: ['claude', 'openai'], models: { deny: ['claude-opus-4-1'] }, tags: ['team-a', 'full'],
  })
  assert.equal(full.expiresAt, Date.parse('2027-06-30T00:00:00.000Z'))
  assert.deepEqual([keys.get('activation')!.policy.validFor, keys.get('activation-hours')!.policy.validFor], ['30d', '12h'])
  assert.deepEqual([keys.get('disabled')!.disabled, keys.has('deleted'), keys.has('team-name')], [true, false, true])
  assert.deepEqual([accounts.get('console-a')!.maxConcurrency, accounts.get('console-a')!.priority, accounts.get('console-mapped')!.sealedProxy !== null], [3, 10, true])
  assert.deepEqual([accounts.get('console-mapped')!.models, accounts.get('console-mapped')!.modelMap], [['claude-sonnet-4-5'], { 'claude-sonnet-4-5': 'claude-sonnet-4-5-20250929' }])

  // The history: per model, with the 1-hour cache writes, request counts and the provider.
  const traffic = keys.get('traffic')!
  const byModel = await relay.rt.store.queryUsage({ since: 0, until: Date.now() + 86_400_000, groupBy: 'model', keyId: traffic.id })
  const row = (m: string) => byModel.find(u => u.group === m)!
  assert.deepEqual([row('claude-sonnet-4-5').requests >= 3, row('claude-opus-4-1').requests, row('gpt-5').requests], [true, 1, 2])
  const imported = (await relay.rt.store.queryRequests({ keyId: traffic.id, limit: 50 })).filter(r => r.path === '/import/claude-relay-service')
  const sonnet = imported.find(r => r.model === 'claude-sonnet-4-5')!
  assert.deepEqual([sonnet.usage.input, sonnet.usage.output, sonnet.usage.cacheWrite5m, sonnet.usage.cacheWrite1h, sonnet.usage.cacheRead, sonnet.costPico], [3600, 900, 3000, 12000, 60000, 188_325_000_000n])
  assert.equal(imported.find(r => r.model === 'gpt-5')!.provider, 'openai')
  const gem = (await relay.rt.store.queryRequests({ keyId: keys.get('traffic-2')!.id, limit: 50 })).find(r => r.model === 'gemini-2.5-flash')!
  assert.equal(gem.provider, 'gemini')
  // The incumbent's total ($0.502956 with its rates) counts toward the total budget ($50).
  const shown = await runCliAsync(['keys', 'show', 'traffic', '--json', '--config', relay.file])
  const totalBudget = (JSON.parse(shown.stdout) as { limits: { limit: string, used: string }[] }).limits.find(l => l.limit === 'budget total')!
  assert.match(totalBudget.used, /^\$0\.50/)

  // A rerun: nothing changes, nothing is added.
  const before = JSON.stringify([await relay.rt.store.listKeys(), await relay.rt.store.listAccounts(), await relay.rt.store.queryUsage({ since: 0, until: Date.now() + 86_400_000, groupBy: 'key' })], (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))
  const again = await crs.run('--allow-lossy')
  assert.equal(again.status, 0, again.stderr)
  assert.match(again.stdout, /keys: 0 new, 0 changed, 11 unchanged, 0 not imported; accounts: 0 new, 0 changed, 7 unchanged, 0 not imported; history rows: 0\./)
  const after = JSON.stringify([await relay.rt.store.listKeys(), await relay.rt.store.listAccounts(), await relay.rt.store.queryUsage({ since: 0, until: Date.now() + 86_400_000, groupBy: 'key' })], (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))
  assert.equal(after, before)

  // A change there: the dry run says what would change; the run applies it and nothing else.
  const fullId = Object.entries(fixture.redis).find(([n, v]) => n.startsWith('apikey:') && v.type === 'hash' && v.value.name === 'full-limits')![0]
  await crs.redis.hset(fullId, { concurrencyLimit: '5', claudeConsoleAccountId: fixture.ids.consoleA! })
  const preview = await crs.run('--dry-run', '--allow-lossy')
  assert.match(preview.stdout, /key full-limits: update\n {4}change {3}policy\.concurrency: 2 → 5\n/)
  assert.match(preview.stdout, / {4}change {3}bindings: \{\} → \{"claude":\{"account":"console-a"\}\}/)
  assert.match(preview.stdout, /keys: 0 new, 1 changed, 10 unchanged/)
  assert.equal((await crs.run('--allow-lossy')).status, 0)
  const updated = (await relay.rt.store.listKeys()).find(k => k.name === 'full-limits')!
  assert.deepEqual([updated.policy.concurrency, updated.bindings, updated.id], [5, { claude: { account: 'console-a' } }, full.id])
})

test('hostile values in the incumbent\'s Redis are skipped with a warning, never a crash; a restriction that cannot be carried refuses the key', { timeout: 60_000 }, async t => {
  const server = await startRedis(t)
  if (!server) return
  const redis = new Redis(server.url)
  t.after(() => redis.disconnect())
  await redis.hset('apikey:00000000-0000-4000-8000-000000000001', {
    id: '00000000-0000-4000-8000-000000000001', name: 'evil\u0000name\n', apiKey: 'a'.repeat(64), concurrencyLimit: 'NaN', rateLimitWindow: '-5', rateLimitRequests: '1e400',
    dailyCostLimit: '1e300', tags: JSON.stringify(Array.from({ length: 5000 }, (_, i) => `t${i}`)), permissions: '{"claude":true}', expiresAt: 'tomorrow',
    enableModelRestriction: 'true', restrictedModels: JSON.stringify([1, null, 'claude-opus-4-1', 'x'.repeat(1000)]), createdAt: '2026-01-01T00:00:00.000Z',
  })
  await redis.hset('apikey:00000000-0000-4000-8000-000000000002', { id: '2', name: 'kiosk', apiKey: 'b'.repeat(64), enableClientRestriction: 'true', allowedClients: '["claude_code","cursor_ide"]' })
  // Another record with the first one's hash, and one created in the future.
  await redis.hset('apikey:00000000-0000-4000-8000-000000000003', { id: '3', name: 'twin', apiKey: 'a'.repeat(64), createdAt: '2999-01-01T00:00:00.000Z' })
  await redis.hset('apikey:00000000-0000-4000-8000-000000000004', { id: '4', name: 'later', apiKey: 'd'.repeat(64), createdAt: '2999-01-01T00:00:00.000Z' })
  await redis.hset('usage:00000000-0000-4000-8000-000000000001', { totalInputTokens: '1e400', totalOutputTokens: '5', totalRequests: '-3' })
  await redis.set('usage:cost:total:00000000-0000-4000-8000-000000000001', '1e21')
  await redis.hset('claude_console_account:00000000-0000-4000-8000-0000000000c1', { id: 'c1', name: 'c', apiKey: 'not-encrypted-key', apiUrl: 'https://api.example.com/v1/messages', priority: '1e9', proxy: '{"type":"http","host":"evil/../x","port":99999}', maxConcurrentTasks: 'lots' })
  const dir = tempDir()
  const cfg = testConfig(undefined, { store: { kind: 'sqlite', path: join(dir, 'relay.db') }, keys: [], secrets: { keyFile: join(dir, 'secret.key') } })
  const config = join(dir, 'relay.yaml')
  writeFileSync(config, JSON.stringify(cfg))
  const run = (...flags: string[]) => runCliAsync(['import', 'crs', '--redis', server.url, '--encryption-key', 'k', '--config', config, ...flags])
  const r = await run()
  assert.equal(r.status, 1, r.stderr)
  assert.match(r.stdout, /key kiosk: refused: its client restriction \(cursor_ide\) cannot be carried/)
  assert.match(r.stdout, /key twin: not imported: its hash is another key's/)
  for (const w of [/skipped {2}concurrencyLimit: "NaN" is not a number/, /skipped {2}tags: 5000 entries\n/, /skipped {2}expiresAt: "tomorrow" is not a time/, /skipped {2}priority: 1e9 is outside 1…100/, /skipped {2}proxy: not a host and port/, /skipped {2}usage:cost:total/]) assert.match(r.stdout, w)
  const lossy = await run('--allow-lossy')
  assert.equal(lossy.status, 0, lossy.stderr)
  const relay = await startRelay(t, { ...cfg, listen: { host: '127.0.0.1', port: 0 } })
  const keys = await relay.rt.store.listKeys()
  const evil = keys.find(k => k.origin === 'crs:apikey:00000000-0000-4000-8000-000000000001')!
  assert.equal(evil.name, 'evil-name')
  assert.ok(keys.find(k => k.name === 'later')!.createdAt <= Date.now(), 'no history in the future')
  assert.deepEqual(evil.policy, { models: { deny: ['claude-opus-4-1'] } })
  // Imported with --allow-lossy, a key keeps what maps of its restriction.
  assert.deepEqual(keys.find(k => k.name === 'kiosk')!.policy.clients, ['claude-code'])
  const account = (await relay.rt.store.listAccounts())[0]!
  assert.deepEqual([account.priority, account.fields.baseUrl, account.sealedProxy, account.maxConcurrency], [50, 'https://api.example.com', null, null])
})

const validatePolicy = createValidator(policySchema)

test('any hash the incumbent could hold maps to a key whose policy the policy schema takes, or to a reason; never a throw', () => {
  const value = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('0', '1', '-1', '1e21', 'NaN', 'true', 'false', '[]', '["claude"]', '[1,2]', '{}', 'all', '60', 'activation', 'hours'), fc.integer().map(String), fc.double().map(String))
  const fields = ['name', 'apiKey', 'concurrencyLimit', 'rateLimitWindow', 'rateLimitRequests', 'rateLimitCost', 'rateLimitTokens', 'dailyCostLimit', 'totalCostLimit', 'weeklyOpusCostLimit', 'permissions', 'enableModelRestriction', 'restrictedModels', 'enableClientRestriction', 'allowedClients', 'expirationMode', 'activationDays', 'activationUnit', 'isActivated', 'expiresAt', 'tags', 'isActive', 'isDeleted', 'claudeAccountId', 'openaiAccountId', 'geminiAccountId', 'serviceRates', 'createdAt']
  const targets = { account: (origin: string) => (origin.endsWith('x') ? 'acc-x' : undefined), group: (id: string) => (id === 'g' ? { id: 'g', name: 'Team G', platform: 'claude', members: [] } : undefined) }
  fc.assert(fc.property(fc.dictionary(fc.constantFrom(...fields), value), fc.boolean(), (h, validHash) => {
    if (validHash) h.apiKey = 'c'.repeat(64)
    const m = mapKey({ id: 'k', h, usage: { totals: {}, costTotal: undefined, models: new Map() } }, targets, 0)
    if (m === undefined || 'skip' in m) return
    assert.ok(validatePolicy(m.policy), JSON.stringify(validatePolicy.errors))
    assert.ok(m.expiresAt === null || Number.isFinite(m.expiresAt))
  }), { numRuns: 400 })
  const accountFields = ['name', 'apiKey', 'apiUrl', 'priority', 'proxy', 'maxConcurrentTasks', 'supportedModels', 'accountType', 'isActive', 'schedulable', 'dailyQuota']
  fc.assert(fc.property(fc.dictionary(fc.constantFrom(...accountFields), value), h => {
    const m = mapAccount({ id: 'a', h, kind: ACCOUNT_KINDS[1]! }, 'key', [])
    if ('skip' in m) return
    assert.ok(m.priority >= 1 && m.priority <= 100 && Number.isInteger(m.priority))
    assert.ok(m.maxConcurrency === null || (Number.isInteger(m.maxConcurrency) && m.maxConcurrency >= 1))
    assert.ok(m.proxy === null || /^(https?|socks5):\/\/[^\s/]+$/.test(m.proxy), m.proxy ?? '')
  }), { numRuns: 400 })
})

test('an Azure OpenAI account of the incumbent (as its service writes one) imports with its key decrypted, and serves its bound key at /azure', { timeout: 60_000 }, async t => {
  const server = await startRedis(t)
  if (!server) return
  const azure = await startOpenAIMock({ azure: { apiKey: 'azure-fixture-key', deployments: { 'team-gpt4o': 'gpt-4o' } } })
  t.after(() => azure.close())
  const redis = new Redis(server.url)
  t.after(() => redis.disconnect())
  // Its scheme: AES-256-CBC under scrypt(ENCRYPTION_KEY, its salt), `ivhex:cipherhex`.
  const encrypt = (text: string) => {
    const iv = randomBytes(16)
    const cipher = createCipheriv('aes-256-cbc', scryptSync(CRS_KEY, 'azure-openai-account-default-salt', 32), iv)
    return `${iv.toString('hex')}:${Buffer.concat([cipher.update(text), cipher.final()]).toString('hex')}`
  }
  const id = '00000000-0000-4000-8000-0000000000a1'
  await redis.hset(`azure_openai:account:${id}`, {
    id, name: 'azure-east', azureEndpoint: `${azure.url}/`, apiKey: encrypt('azure-fixture-key'), deploymentName: 'team-gpt4o', apiVersion: '2024-02-01',
    supportedModels: '["gpt-4o","gpt-4o-mini"]', priority: '10', isActive: 'true', schedulable: 'true', accountType: 'dedicated',
  })
  const relayKey = 'cr_azure-bound-key-0123456789'
  await redis.hset('apikey:00000000-0000-4000-8000-0000000000b1', { id: 'b1', name: 'azure-user', apiKey: hashKey(relayKey, 'crs-sha256', CRS_KEY), isActive: 'true', azureOpenaiAccountId: id, createdAt: '2026-01-01T00:00:00.000Z' })
  const dir = tempDir()
  const cfg = testConfig(undefined, {
    store: { kind: 'sqlite', path: join(dir, 'relay.db') }, keys: [], secrets: { keyFile: join(dir, 'secret.key'), crsEncryptionKey: CRS_KEY },
    plugins: [{ use: 'openai', mount: '/openai', aliases: ['/azure'] }],
  })
  const config = join(dir, 'relay.yaml')
  writeFileSync(config, JSON.stringify(cfg))
  const done = await runCliAsync(['import', 'crs', '--redis', server.url, '--encryption-key-env', 'CRS_KEY', '--config', config, '--allow-lossy'], { env: { CRS_KEY } })
  assert.equal(done.status, 0, done.stderr + done.stdout)
  assert.match(done.stdout, /account azure-east: create[\s\S]*dropped {2}apiVersion/)
  assert.ok(!done.stdout.includes('azure-fixture-key'), 'no credential printed')
  const relay = await startRelay(t, { ...cfg, listen: { host: '127.0.0.1', port: 0 } })
  const account = (await relay.rt.store.listAccounts()).find(a => a.name === 'azure-east')!
  assert.deepEqual([account.type, account.fields.endpoint, account.fields.deployments, account.models, account.shared], ['azure-openai', azure.url, { '*': 'team-gpt4o' }, ['gpt-4o', 'gpt-4o-mini'], false])
  assert.deepEqual((await relay.rt.store.listKeys()).find(k => k.name === 'azure-user')!.bindings, { openai: { account: 'azure-east' } })
  const res = await send(relay, '/azure/chat/completions', relayKey, { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
  assert.equal(res.statusCode, 200, await res.body.text())
  const seen = azure.requests.at(-1)!
  assert.deepEqual([seen.url, seen.headers['api-key'], JSON.parse(seen.body.toString()).model], ['/openai/v1/chat/completions', 'azure-fixture-key', 'team-gpt4o'])
})

test('a Bedrock account of the incumbent (a JSON string there, its credentials under sha256 of the key) imports, and serves its bound key signed with its access key', { timeout: 60_000 }, async t => {
  const server = await startRedis(t)
  if (!server) return
  const creds = { accessKeyId: 'AKIAFIXTUREFIXTURE01', secretAccessKey: 'fixture/secret/access/key', sessionToken: 'fixture-session' }
  const bedrock = await startBedrockMock({ region: 'us-east-1', credentials: creds })
  t.after(() => bedrock.close())
  const redis = new Redis(server.url)
  t.after(() => redis.disconnect())
  const seal = (value: unknown) => {
    const iv = randomBytes(16)
    const cipher = createCipheriv('aes-256-cbc', createHash('sha256').update(CRS_KEY).digest(), iv)
    return { encrypted: cipher.update(JSON.stringify(value), 'utf8', 'hex') + cipher.final('hex'), iv: iv.toString('hex') }
  }
  const id = '00000000-0000-4000-8000-0000000000d1'
  await redis.set(`bedrock_account:${id}`, JSON.stringify({
    id, name: 'aws-east', region: 'us-east-1', defaultModel: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', isActive: true, accountType: 'shared', priority: 20, schedulable: true,
    credentialType: 'access_key', awsCredentials: seal(creds), type: 'bedrock', createdAt: '2026-01-01T00:00:00.000Z',
  }))
  const relayKey = 'cr_bedrock-bound-key-0123456789'
  await redis.hset('apikey:00000000-0000-4000-8000-0000000000b2', { id: 'b2', name: 'aws-user', apiKey: hashKey(relayKey, 'crs-sha256', CRS_KEY), isActive: 'true', bedrockAccountId: id, permissions: '["bedrock"]', createdAt: '2026-01-01T00:00:00.000Z' })
  const dir = tempDir()
  const cfg = testConfig(undefined, { store: { kind: 'sqlite', path: join(dir, 'relay.db') }, keys: [], secrets: { keyFile: join(dir, 'secret.key'), crsEncryptionKey: CRS_KEY } })
  const config = join(dir, 'relay.yaml')
  writeFileSync(config, JSON.stringify(cfg))
  const done = await runCliAsync(['import', 'crs', '--redis', server.url, '--encryption-key-env', 'CRS_KEY', '--config', config, '--allow-lossy'], { env: { CRS_KEY } })
  assert.equal(done.status, 0, done.stderr + done.stdout)
  assert.ok(!done.stdout.includes(creds.secretAccessKey), 'no credential printed')
  // Pointed at the mock as an operator would point it at a VPC endpoint.
  const relay = await startRelay(t, { ...cfg, listen: { host: '127.0.0.1', port: 0 } }, rt => updateAccount(rt, 'aws-east', { fields: { baseUrl: bedrock.url } }).then(() => {}))
  const account = (await relay.rt.store.listAccounts()).find(a => a.name === 'aws-east')!
  assert.deepEqual([account.type, account.fields.region, account.modelMap, account.priority], ['bedrock', 'us-east-1', { '*': 'us.anthropic.claude-sonnet-4-5-20250929-v1:0' }, 20])
  const key = (await relay.rt.store.listKeys()).find(k => k.name === 'aws-user')!
  assert.deepEqual([key.bindings, key.policy.providers], [{ claude: { account: 'aws-east' } }, ['claude']])
  const res = await send(relay, '/claude/v1/messages', relayKey, { model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })
  assert.equal(res.statusCode, 200, await res.body.text())
  assert.equal(bedrock.requests.at(-1)!.url, '/model/us.anthropic.claude-sonnet-4-5-20250929-v1:0/invoke', 'its defaultModel, as there')
})

test('Droid accounts of the incumbent (API-key lists and logins) import with their credentials, and serve their bound key at /droid', { timeout: 60_000 }, async t => {
  const server = await startRedis(t)
  if (!server) return
  const factory = await startFactoryMock({ apiKeys: ['fk-first-key'] })
  t.after(() => factory.close())
  const redis = new Redis(server.url)
  t.after(() => redis.disconnect())
  const seal = (text: string) => {
    const iv = randomBytes(16)
    const cipher = createCipheriv('aes-256-cbc', scryptSync(CRS_KEY, 'droid-account-salt', 32), iv)
    return `${iv.toString('hex')}:${cipher.update(text, 'utf8', 'hex')}${cipher.final('hex')}`
  }
  const keyed = '00000000-0000-4000-8000-0000000000e1'
  const login = '00000000-0000-4000-8000-0000000000e2'
  await redis.hset(`droid:account:${keyed}`, {
    id: keyed, name: 'factory-keys', platform: 'droid', endpointType: 'anthropic', authenticationMethod: 'api_key', isActive: 'true', schedulable: 'true', priority: '10', accountType: 'shared',
    apiKeys: JSON.stringify([{ id: 'k1', hash: 'h1', encryptedKey: seal('fk-first-key'), status: 'active' }, { id: 'k2', hash: 'h2', encryptedKey: seal('fk-second-key'), status: 'active' }]),
  })
  await redis.hset(`droid:account:${login}`, {
    id: login, name: 'factory-login', platform: 'droid', endpointType: 'comm', isActive: 'true', schedulable: 'true', accountType: 'shared', organizationId: 'org_01X', ownerEmail: 'dev@example.com',
    accessToken: seal('workos-access'), refreshToken: seal('workos-refresh'), expiresAt: '2026-12-31T00:00:00.000Z',
  })
  const relayKey = 'cr_droid-bound-key-0123456789'
  await redis.hset('apikey:00000000-0000-4000-8000-0000000000b3', { id: 'b3', name: 'droid-user', apiKey: hashKey(relayKey, 'crs-sha256', CRS_KEY), isActive: 'true', droidAccountId: keyed, permissions: '["droid"]', createdAt: '2026-01-01T00:00:00.000Z' })
  const dir = tempDir()
  const cfg = testConfig(undefined, {
    store: { kind: 'sqlite', path: join(dir, 'relay.db') }, keys: [], secrets: { keyFile: join(dir, 'secret.key'), crsEncryptionKey: CRS_KEY },
    plugins: [{ use: 'claude', mount: '/claude' }, { use: 'droid', mount: '/droid' }],
  })
  const config = join(dir, 'relay.yaml')
  writeFileSync(config, JSON.stringify(cfg))
  const done = await runCliAsync(['import', 'crs', '--redis', server.url, '--encryption-key-env', 'CRS_KEY', '--config', config, '--allow-lossy'], { env: { CRS_KEY } })
  assert.equal(done.status, 0, done.stderr + done.stdout)
  assert.match(done.stdout, /lost {5}apiKeys: 1 more Factory key\(s\)/)
  assert.ok(!/fk-first-key|fk-second-key|workos-access|workos-refresh/.test(done.stdout), 'no credential printed')
  const relay = await startRelay(t, { ...cfg, listen: { host: '127.0.0.1', port: 0 } }, rt => updateAccount(rt, 'factory-keys', { fields: { baseUrl: factory.llmBase } }).then(() => {}))
  const accounts = new Map((await relay.rt.store.listAccounts()).map(a => [a.name, a]))
  const sealed = (name: string) => JSON.parse(relay.rt.secretBox.open(accounts.get(name)!.sealedSecrets!)) as Record<string, unknown>
  assert.deepEqual(sealed('factory-keys'), { apiKey: 'fk-first-key' })
  assert.deepEqual([sealed('factory-login'), accounts.get('factory-login')!.fields.organizationId, accounts.get('factory-login')!.fields.expiresAt], [{ accessToken: 'workos-access', refreshToken: 'workos-refresh' }, 'org_01X', Date.parse('2026-12-31T00:00:00.000Z')])
  const key = (await relay.rt.store.listKeys()).find(k => k.name === 'droid-user')!
  assert.deepEqual([key.bindings, key.policy.providers], [{ droid: { account: 'factory-keys' } }, ['droid']])
  const res = await send(relay, '/droid/claude/v1/messages', relayKey, { model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, { 'user-agent': 'factory-cli/0.225.2' })
  assert.equal(res.statusCode, 200, await res.body.text())
  assert.equal(factory.requests.at(-1)!.headers.authorization, 'Bearer fk-first-key')
})

test('a CCR account (a Claude-compatible relay there) becomes a claude-api-key account with its base URL, its non-Anthropic key sent as a bearer', () => {
  const kind = ACCOUNT_KINDS.find(k => k.prefix === 'ccr_account:')!
  const iv = randomBytes(16)
  const cipher = createCipheriv('aes-256-cbc', scryptSync(CRS_KEY, 'ccr-account-salt', 32), iv)
  const sealed = `${iv.toString('hex')}:${cipher.update('cr_upstream_relay_key', 'utf8', 'hex')}${cipher.final('hex')}`
  const mapped = mapAccount({ id: 'c1', kind, h: { id: 'c1', name: 'team-b', apiUrl: 'https://relay.team-b.example.com/api/v1/messages', apiKey: sealed, supportedModels: '{"claude-haiku-4-5":"claude-sonnet-4-5"}' } }, CRS_KEY, [])
  assert.ok(!('skip' in mapped))
  assert.deepEqual([mapped.kind.type, mapped.fields, mapped.modelMap], ['claude-api-key', { apiKey: 'cr_upstream_relay_key', baseUrl: 'https://relay.team-b.example.com/api', authStyle: 'bearer' }, { 'claude-haiku-4-5': 'claude-sonnet-4-5' }])
})

test('the incumbent\'s Google logins: an Antigravity one becomes an antigravity-oauth account, a Gemini CLI one gemini-oauth; tokens decrypted, the project kept, a bare binding followed', () => {
  const kind = ACCOUNT_KINDS.find(k => k.prefix === 'gemini_account:')!
  const seal = (text: string) => {
    const iv = randomBytes(16)
    const cipher = createCipheriv('aes-256-cbc', scryptSync(CRS_KEY, 'gemini-account-salt', 32), iv)
    return `${iv.toString('hex')}:${cipher.update(text, 'utf8', 'hex')}${cipher.final('hex')}`
  }
  const base = { accessToken: seal('ya29.live'), refreshToken: seal('1//refresh'), expiresAt: '2026-12-31T00:00:00.000Z', projectId: 'my-proj-1' }
  const ag = mapAccount({ id: 'g1', kind, h: { id: 'g1', name: 'ag', oauthProvider: 'antigravity', ...base } }, CRS_KEY, [])
  const cli = mapAccount({ id: 'g2', kind, h: { id: 'g2', name: 'cli', oauthProvider: 'gemini-cli', ...base, projectId: '', tempProjectId: 'temp-proj-2' } }, CRS_KEY, [])
  assert.ok(!('skip' in ag) && !('skip' in cli))
  assert.deepEqual([ag.kind.type, ag.fields], ['antigravity-oauth', { accessToken: 'ya29.live', refreshToken: '1//refresh', expiresAt: Date.parse('2026-12-31T00:00:00.000Z'), projectId: 'my-proj-1' }])
  assert.deepEqual([cli.kind.type, cli.fields.projectId], ['gemini-oauth', 'temp-proj-2'])
  // Only a refresh token: a placeholder known to be expired, refreshed before the first use.
  const stale = mapAccount({ id: 'g3', kind, h: { id: 'g3', name: 'stale', refreshToken: seal('1//r') } }, CRS_KEY, [])
  assert.ok(!('skip' in stale))
  assert.deepEqual([stale.fields.accessToken, stale.fields.expiresAt], ['expired', 0])
  // A key bound there to the login by its bare id is bound here to the imported account.
  const key = mapKey({ id: 'k', h: { id: 'k', name: 'k', apiKey: 'e'.repeat(64), geminiAccountId: 'g1' }, usage: { totals: {}, costTotal: undefined, models: new Map() } }, { account: origin => (origin === 'crs:gemini_account:g1' ? 'ag' : undefined), group: () => undefined }, Date.now())
  assert.ok(key && !('skip' in key))
  assert.deepEqual(key.bindings, { gemini: { account: 'ag' } })
})
