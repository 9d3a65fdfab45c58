// ChatGPT subscription accounts, logged in as Codex logs in: `accounts login codex` with the
// address the browser ends on, the account id from the id token, and refresh ahead of expiry.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { CODEX_ACCOUNT_ID, GOOD_CODE, startOAuthMock, type OAuthMock } from '../../mocks/oauth-mock.ts'
import { startOpenAIMock } from '../../mocks/openai-mock.ts'
import { ALICE_KEY, startRelay, tempDir, testConfig } from '../../helpers/relay-harness.ts'
import { loginWithCli, runCli } from '../../helpers/processes.ts'
import { randomId } from '../../../core/ids.ts'

const CODEX = { originator: 'codex_exec', 'user-agent': 'codex_exec/0.171.0 (Debian 12; x86_64) xterm' }
const plugins = (oauth: OAuthMock) => [{ use: 'openai', mount: '/openai', options: { oauth: { tokenUrl: oauth.tokenUrl, authorizeUrl: `${oauth.url}/oauth/authorize` } } }]

test('accounts login codex: the callback address is pasted; the ChatGPT account, user and plan come from the id token', async t => {
  const oauth = await startOAuthMock({ codex: true })
  t.after(() => oauth.close())
  const dir = tempDir()
  const config = join(dir, 'relay.yaml')
  writeFileSync(config, JSON.stringify({ plugins: plugins(oauth), store: { path: './relay.db' }, secrets: { keyFile: './secret.key' } }))
  const r = await loginWithCli(['codex', '--name', 'plus', '--config', config], url => {
    assert.equal(url.searchParams.get('client_id'), 'app_EMoamEEZ73f0CkXaXp7hrann')
    assert.equal(url.searchParams.get('redirect_uri'), 'http://localhost:1455/auth/callback')
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256')
    return `http://localhost:1455/auth/callback?code=${GOOD_CODE}&scope=openid&state=${url.searchParams.get('state')}`
  })
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /Logged in: openai account "plus" \(acc_\w+, codex-oauth for dev@example\.com\)/)
  const sent = oauth.calls.at(-1)!
  assert.deepEqual([sent.grant_type, sent.redirect_uri, typeof sent.code_verifier], ['authorization_code', 'http://localhost:1455/auth/callback', 'string'])
  const [listed] = JSON.parse(runCli(['accounts', 'list', '--json', '--config', config]).stdout) as { fields: Record<string, unknown>, login: { identity: string, refresh: string } }[]
  assert.deepEqual([listed!.fields.accountId, listed!.fields.plan, listed!.login.identity, listed!.login.refresh], [CODEX_ACCOUNT_ID, 'pro', 'dev@example.com', 'ok'])
})

test('a ChatGPT account near expiry is refreshed before the request; Codex is served with the new token and the account id', async t => {
  const oauth = await startOAuthMock({ codex: true })
  t.after(() => oauth.close())
  const upstream = await startOpenAIMock()
  t.after(() => upstream.close())
  upstream.setAuth(h => h.authorization === `Bearer ${oauth.access()}`)
  const relay = await startRelay(t, testConfig(undefined, { plugins: plugins(oauth) }), async rt => {
    await rt.store.insertAccount({
      id: randomId('acc'), name: 'plus', provider: 'openai', type: 'codex-oauth', priority: 10, disabled: false,
      fields: { accountId: CODEX_ACCOUNT_ID, expiresAt: Date.now() + 10_000, baseUrl: `${upstream.url}/backend-api/codex`, allowOtherClients: false },
      sealedSecrets: rt.secretBox.seal(JSON.stringify({ accessToken: 'old-token', refreshToken: 'rt-1' })),
      createdAt: Date.now(), source: 'store', groups: [], maxConcurrency: null, models: null, sealedProxy: null,
    })
  })
  const res = await request(`${relay.url}/openai/responses`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE_KEY}`, ...CODEX },
    body: JSON.stringify({ model: 'gpt-5.4', stream: true, input: 'hi' }),
  })
  assert.equal(res.statusCode, 200)
  await res.body.dump()
  assert.equal(oauth.refreshes, 1)
  assert.equal(oauth.calls.at(-1)!.grant_type, 'refresh_token')
  const seen = upstream.requests.at(-1)!
  assert.deepEqual([seen.headers.authorization, seen.headers['chatgpt-account-id']], [`Bearer ${oauth.access()}`, CODEX_ACCOUNT_ID])
  const account = relay.server.pool.byName('plus')!
  assert.equal(account.fields.expiresAt, (1_900_000_000 + 2) * 1000, 'expiry from the new access token')
  assert.equal(account.fields.accountId, CODEX_ACCOUNT_ID)
})
