// Google-login Gemini accounts, logged in as Gemini CLI logs in: `accounts login gemini` with the
// code Google's page shows, the Code Assist project found (onboarding a new account), refresh
// with the client secret, and an account imported without a project given one before it serves.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { GOOD_CODE, GOOGLE_CLIENT_SECRET, startOAuthMock, type OAuthMock } from '../../mocks/oauth-mock.ts'
import { CODE_ASSIST_PROJECT, startGeminiMock } from '../../mocks/gemini-mock.ts'
import { ALICE_KEY, startRelay, tempDir, testConfig } from '../../helpers/relay-harness.ts'
import { loginWithCli, runCli } from '../../helpers/processes.ts'
import { randomId } from '../../../core/ids.ts'

const plugins = (oauth: OAuthMock) => [{ use: 'gemini', mount: '/gemini', options: { oauth: { tokenUrl: oauth.tokenUrl, authorizeUrl: `${oauth.url}/o/oauth2/v2/auth` } } }]
const GEMINI_CLI = { 'user-agent': 'GeminiCLI/0.61.0/gemini-2.5-pro (linux; x64)' }

test('accounts login gemini: the code alone is pasted; a new Google account is onboarded and its Code Assist project stored', async t => {
  const oauth = await startOAuthMock({ google: true })
  t.after(() => oauth.close())
  const upstream = await startGeminiMock()
  t.after(() => upstream.close())
  upstream.onboarded = false
  upstream.bearer = () => oauth.access()
  const dir = tempDir()
  const config = join(dir, 'relay.yaml')
  writeFileSync(config, JSON.stringify({ plugins: plugins(oauth), store: { path: './relay.db' }, secrets: { keyFile: './secret.key' } }))
  const r = await loginWithCli(['gemini', '--name', 'google', '--set', `baseUrl=${upstream.url}`, '--config', config], url => {
    assert.equal(url.pathname, '/o/oauth2/v2/auth')
    assert.equal(url.searchParams.get('client_id'), '681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com')
    assert.equal(url.searchParams.get('redirect_uri'), 'https://codeassist.google.com/authcode')
    assert.deepEqual([url.searchParams.get('access_type'), url.searchParams.get('prompt'), url.searchParams.get('code_challenge_method')], ['offline', 'consent', 'S256'])
    assert.match(url.searchParams.get('scope')!, /auth\/cloud-platform/)
    return GOOD_CODE
  })
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /Logged in: gemini account "google" \(acc_\w+, gemini-oauth for dev@example\.com\)/)
  const sent = oauth.calls.at(-1)!
  assert.deepEqual([sent.grant_type, sent.client_secret, sent.redirect_uri, typeof sent.code_verifier], ['authorization_code', GOOGLE_CLIENT_SECRET, 'https://codeassist.google.com/authcode', 'string'])
  assert.deepEqual(upstream.requests.map(q => `${q.method} ${q.url}`), ['POST /v1internal:loadCodeAssist', 'POST /v1internal:onboardUser', 'GET /v1internal/operations/onboard-mock-1'])
  assert.equal((JSON.parse(upstream.requests[1]!.body.toString()) as { tierId: string }).tierId, 'free-tier')
  const [listed] = JSON.parse(runCli(['accounts', 'list', '--json', '--config', config]).stdout) as { fields: Record<string, unknown>, login: { identity: string, refresh: string } }[]
  assert.deepEqual([listed!.fields.projectId, listed!.fields.tier, listed!.login.identity, listed!.login.refresh], [CODE_ASSIST_PROJECT, 'free-tier', 'dev@example.com', 'ok'])
  assert.ok(!JSON.stringify(listed).includes('ya29'), 'no token is printed')

  // A pasted address from another login attempt is refused before any token call.
  const calls = oauth.calls.length
  const wrong = await loginWithCli(['gemini', '--name', 'google2', '--set', `baseUrl=${upstream.url}`, '--config', config], () => `https://codeassist.google.com/authcode?code=${GOOD_CODE}&state=not-this-one`)
  assert.equal(wrong.status, 1)
  assert.match(wrong.stderr, /state mismatch/)
  assert.equal(oauth.calls.length, calls)
})

test('a Google account whose tier needs a Cloud project: the login says how to give one, and uses it when given', async t => {
  const oauth = await startOAuthMock({ google: true })
  t.after(() => oauth.close())
  const upstream = await startGeminiMock()
  t.after(() => upstream.close())
  const dir = tempDir()
  const config = join(dir, 'relay.yaml')
  writeFileSync(config, JSON.stringify({ plugins: plugins(oauth), store: { path: './relay.db' }, secrets: { keyFile: './secret.key' } }))
  // loadCodeAssist names a tier but no project (Code Assist Standard without GOOGLE_CLOUD_PROJECT).
  upstream.project = ''
  const refused = await loginWithCli(['gemini', '--name', 'work', '--set', `baseUrl=${upstream.url}`, '--config', config], () => GOOD_CODE)
  assert.equal(refused.status, 1)
  assert.match(refused.stderr, /no Code Assist project: log in again with --set projectId=<your Google Cloud project>/)
  const given = await loginWithCli(['gemini', '--name', 'work', '--set', `baseUrl=${upstream.url}`, '--set', 'projectId=team-project-7', '--config', config], () => GOOD_CODE)
  assert.equal(given.status, 0, given.stderr)
  assert.equal((JSON.parse(upstream.requests.at(-1)!.body.toString()) as { cloudaicompanionProject: string }).cloudaicompanionProject, 'team-project-7')
  const [listed] = JSON.parse(runCli(['accounts', 'list', '--json', '--config', config]).stdout) as { fields: Record<string, unknown> }[]
  assert.equal(listed!.fields.projectId, 'team-project-7')
})

test('an account imported without a project is refreshed and given one before its first request; an expiring token is refreshed with the client secret', async t => {
  const oauth = await startOAuthMock({ google: true })
  t.after(() => oauth.close())
  const upstream = await startGeminiMock()
  t.after(() => upstream.close())
  upstream.bearer = () => oauth.access()
  const relay = await startRelay(t, testConfig(undefined, { plugins: plugins(oauth) }), async rt => {
    await rt.store.insertAccount({
      id: randomId('acc'), name: 'google', provider: 'gemini', type: 'gemini-oauth', priority: 10, disabled: false,
      fields: { baseUrl: upstream.url, allowOtherClients: false },
      sealedSecrets: rt.secretBox.seal(JSON.stringify({ accessToken: 'ya29.old', refreshToken: '1//mock-refresh' })),
      createdAt: Date.now(), source: 'store', groups: [], maxConcurrency: null, models: null, sealedProxy: null,
    })
  })
  const envelope = { model: 'gemini-2.5-pro', project: 'ai-relay-virtual-project', user_prompt_id: 'p-1', request: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] } }
  const res = await request(`${relay.url}/gemini/v1internal:generateContent`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE_KEY}`, ...GEMINI_CLI }, body: JSON.stringify(envelope) })
  assert.equal(res.statusCode, 200, await res.body.text())
  assert.deepEqual([oauth.refreshes, oauth.calls.at(-1)!.client_secret], [1, GOOGLE_CLIENT_SECRET])
  const account = relay.server.pool.byName('google')!
  assert.deepEqual([account.fields.projectId, account.fields.refreshToken, account.fields.accessToken], [CODE_ASSIST_PROJECT, '1//mock-refresh', oauth.access()])
  const sent = upstream.requests.at(-1)!
  assert.equal(sent.url, '/v1internal:generateContent')
  assert.equal((JSON.parse(sent.body.toString()) as { project: string }).project, CODE_ASSIST_PROJECT)
  assert.ok(Math.abs(Number(account.fields.expiresAt) - (Date.now() + 3_599_000)) < 60_000)
  const stored = (await relay.rt.store.listAccounts()).find(a => a.name === 'google')!
  assert.equal(stored.fields.projectId, CODE_ASSIST_PROJECT, 'the project is stored, found once')
  // The next request finds a fresh token and a project: no refresh, no discovery.
  const calls = upstream.requests.length
  const again = await request(`${relay.url}/gemini/v1internal:generateContent`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE_KEY}`, ...GEMINI_CLI }, body: JSON.stringify(envelope) })
  assert.equal(again.statusCode, 200)
  await again.body.dump()
  assert.equal(oauth.refreshes, 1)
  assert.deepEqual(upstream.requests.slice(calls).map(q => q.url), ['/v1internal:generateContent'])
})
