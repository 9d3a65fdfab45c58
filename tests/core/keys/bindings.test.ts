// A key's bindings per provider: each provider its own account or group, the others the shared
// pool, `*` for every provider without its own (what a single binding of before means). Set from
// the config, the admin API and `keys update --bind`, and followed by real requests.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { request } from 'undici'
import { bindingFor, describeBindings, mergeBindings, parseBindSpec, type KeyBindings } from '../../../core/keys/bindings.ts'
import { startAnthropicMock } from '../../mocks/anthropic-mock.ts'
import { startOpenAIMock } from '../../mocks/openai-mock.ts'
import { ALICE_KEY, claudeAccount, startRelay, testConfig, type Relay } from '../../helpers/relay-harness.ts'
import { ADMIN_TOKEN } from '../../helpers/admin.ts'
import { runCliAsync } from '../../helpers/processes.ts'

test('--bind values: what parses is a provider and an account, a group or the pool; anything else is a reason, never a throw', () => {
  assert.deepEqual(parseBindSpec('openai=account:oa-1'), { provider: 'openai', binding: { account: 'oa-1' } })
  assert.deepEqual(parseBindSpec('*=group:team'), { provider: '*', binding: { group: 'team' } })
  assert.deepEqual(parseBindSpec('claude=pool'), { provider: 'claude', binding: null })
  for (const bad of ['openai', 'openai=', 'openai=account:', '=account:a', 'Open AI=account:a', 'openai=account:-a', 'openai=team:a', 'openai=account:a/b', '__proto__=group:x']) {
    assert.equal(typeof parseBindSpec(bad), 'string', bad)
  }
  fc.assert(fc.property(fc.string({ maxLength: 80 }), fc.constantFrom('', '=', '=account:', '=group:', '=pool'), fc.string({ maxLength: 80 }), (a, mid, b) => {
    const r = parseBindSpec(`${a}${mid}${b}`)
    if (typeof r === 'string') return
    assert.match(r.provider, /^(\*|[a-z][a-z0-9-]{0,31})$/)
    if (r.binding) assert.match('account' in r.binding ? r.binding.account : r.binding.group, /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/)
  }), { numRuns: 500 })
})

test('merging bindings: a binding replaces its provider\'s, null removes it, others stay; * covers the rest', () => {
  const start: KeyBindings = { claude: { account: 'a' }, '*': { group: 'g' } }
  const next = mergeBindings(start, { openai: { group: 't' }, claude: null })
  assert.deepEqual(next, { '*': { group: 'g' }, openai: { group: 't' } })
  assert.deepEqual([bindingFor(next, 'openai'), bindingFor(next, 'claude'), bindingFor({}, 'claude')], [{ group: 't' }, { group: 'g' }, undefined])
  assert.equal(describeBindings(next), 'openai: group t; other providers: group g')
  assert.equal(describeBindings({ '*': { account: 'a' } }), 'every provider: account a')
  assert.equal(describeBindings({}), 'shared pool')
  // Hostile provider names stay data.
  assert.equal(bindingFor(mergeBindings({}, { ['__proto__']: { group: 'x' } }), 'toString'), undefined)
})

async function world (t: import('node:test').TestContext): Promise<Relay> {
  const [ca, cb, oTeam, oShared] = await Promise.all([startAnthropicMock(), startAnthropicMock(), startOpenAIMock(), startOpenAIMock()])
  t.after(() => Promise.all([ca, cb, oTeam, oShared].map(m => m.close())))
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'claude', mount: '/claude' }, { use: 'openai', mount: '/openai' }],
    admin: { tokens: [{ name: 'ops', token: ADMIN_TOKEN }] },
    accounts: [
      claudeAccount(ca.url, { name: 'c-a' }), claudeAccount(cb.url, { name: 'c-b' }),
      { name: 'o-team', provider: 'openai', type: 'openai-api-key', apiKey: 'sk-team', baseUrl: `${oTeam.url}/v1`, groups: ['t'] },
      { name: 'o-shared', provider: 'openai', type: 'openai-api-key', apiKey: 'sk-shared', baseUrl: `${oShared.url}/v1` },
    ],
    keys: [
      { name: 'alice', key: ALICE_KEY },
      { name: 'carol', key: 'ars_test-carol-0123456789abcdefghijklmn', bindings: { claude: { account: 'c-b' }, openai: { group: 't' } } },
      // The single binding of before: every provider, so openai finds no account, as it did.
      { name: 'dave', key: 'ars_test-dave-0123456789abcdefghijklmno', account: 'c-b' },
    ],
  }))
  return relay
}

const claude = (relay: Relay, key: string) => request(`${relay.url}/claude/v1/messages`, {
  method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' },
  body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
})
const openai = (relay: Relay, key: string) => request(`${relay.url}/openai/v1/responses`, {
  method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ model: 'gpt-5.4', input: 'hi' }),
})

/** The account that served one request (null: refused), and its status. */
async function via (relay: Relay, send: Promise<import('undici').Dispatcher.ResponseData>): Promise<[number, string | null]> {
  const res = await send
  await res.body.dump()
  await relay.settled()
  const row = (await relay.rt.store.recentRequests(1))[0]!
  const named: { id: string, name: string }[] = [...relay.rt.declaredAccounts, ...await relay.rt.store.listAccounts()]
  const account = row.accountId === null ? null : named.find(a => a.id === row.accountId)?.name ?? row.accountId
  return [res.statusCode, account]
}

test('requests follow each provider\'s binding: config, admin API and --bind', async t => {
  const relay = await world(t)
  const CAROL = 'ars_test-carol-0123456789abcdefghijklmn'
  const DAVE = 'ars_test-dave-0123456789abcdefghijklmno'
  // Bound accounts and groups leave the shared pool: alice gets c-a and o-shared only.
  assert.deepEqual(await via(relay, claude(relay, ALICE_KEY)), [200, 'c-a'])
  assert.deepEqual(await via(relay, openai(relay, ALICE_KEY)), [200, 'o-shared'])
  assert.deepEqual(await via(relay, claude(relay, CAROL)), [200, 'c-b'])
  assert.deepEqual(await via(relay, openai(relay, CAROL)), [200, 'o-team'])
  assert.deepEqual(await via(relay, claude(relay, DAVE)), [200, 'c-b'])
  assert.equal((await via(relay, openai(relay, DAVE)))[0], 503)

  // The admin API: a key bound per provider, changed one provider at a time.
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await request(`${relay.url}/_relay/admin/api${path}`, { method: method as 'GET', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
    return { status: res.statusCode, json: await res.body.json() as any }
  }
  const created = await call('POST', '/keys', { name: 'erin', bindings: { claude: { account: 'c-b' }, openai: { account: 'o-team' } } })
  assert.equal(created.status, 201)
  assert.deepEqual([created.json.bindings, created.json.boundTo], [{ claude: { account: 'c-b' }, openai: { account: 'o-team' } }, 'claude: account c-b; openai: account o-team'])
  assert.deepEqual(await via(relay, openai(relay, created.json.key)), [200, 'o-team'])
  const patched = await call('PATCH', `/keys/${created.json.id}`, { bindings: { openai: null } })
  assert.deepEqual(patched.json.bindings, { claude: { account: 'c-b' } })
  assert.deepEqual(await via(relay, openai(relay, created.json.key)), [200, 'o-shared'])
  assert.deepEqual(await via(relay, claude(relay, created.json.key)), [200, 'c-b'])
  // Refused with the reason: an account of another provider, an account that does not exist, a made-up provider name.
  const wrong = await call('PATCH', `/keys/${created.json.id}`, { bindings: { openai: { account: 'c-a' } } })
  assert.deepEqual([wrong.status, wrong.json.error.message], [400, 'account c-a is a claude account: it cannot serve openai requests'])
  assert.equal((await call('PATCH', `/keys/${created.json.id}`, { bindings: { openai: { account: 'nope' } } })).status, 404)
  // An account the key has for every provider is still checked when named for one provider.
  const star = await call('POST', '/keys', { name: 'frank', account: 'c-b' })
  assert.deepEqual(star.json.bindings, { '*': { account: 'c-b' } })
  assert.equal((await call('PATCH', `/keys/${star.json.id}`, { bindings: { openai: { account: 'c-b' } } })).status, 400)
  assert.equal((await call('PATCH', `/keys/${created.json.id}`, { bindings: { 'Open AI': { group: 't' } } })).status, 400)
  assert.equal((await call('PATCH', `/keys/${created.json.id}`, { bindings: { openai: { account: 'o-team', group: 't' } } })).status, 400)

  // The CLI: --bind per provider, `pool` for the shared pool.
  const cli = await runCliAsync(['keys', 'update', 'erin', '--bind', 'openai=group:t', '--bind', 'claude=pool', '--config', relay.file])
  assert.equal(cli.status, 0, cli.stderr)
  const listed = await runCliAsync(['keys', 'list', '--json', '--config', relay.file])
  const erin = (JSON.parse(listed.stdout) as { name: string, bindings: unknown, boundTo: string }[]).find(k => k.name === 'erin')!
  assert.deepEqual([erin.bindings, erin.boundTo], [{ openai: { group: 't' } }, 'openai: group t'])
  const bad = await runCliAsync(['keys', 'update', 'erin', '--bind', 'openai=account', '--config', relay.file])
  assert.deepEqual([bad.status, /--bind: "openai=account" is not PROVIDER=account:NAME/.test(bad.stderr)], [2, true])
  // The running relay follows the CLI's write.
  await new Promise(resolve => setTimeout(resolve, 1_500))
  assert.deepEqual(await via(relay, openai(relay, created.json.key)), [200, 'o-team'])
  assert.deepEqual(await via(relay, claude(relay, created.json.key)), [200, 'c-a'])
})
