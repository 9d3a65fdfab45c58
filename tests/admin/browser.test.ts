// The admin widgets in headless Chromium (Debian's, driven by playwright-core) against a live
// sidecar with a mock upstream: on the default page and embedded in a page of another origin —
// log in, create a key (its secret shown once), bind it to an account for one provider, use it, see it in the usage chart and the
// request log, disable it and see the next request refused, switch to Chinese; the
// self-service page shows a key's own use. Screenshots go to test-artifacts/.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { chromium, type Browser, type Page } from 'playwright-core'
import { ALICE_KEY, type Relay } from '../helpers/relay-harness.ts'
import { requireBinary, ROOT } from '../helpers/processes.ts'
import { ADMIN_TOKEN, adminRelay, PASSWORD } from '../helpers/admin.ts'
import { webhookReceiver } from '../helpers/webhook.ts'
import { startFactoryMock, USER_CODE } from '../mocks/factory-mock.ts'

const ARTIFACTS = join(ROOT, 'test-artifacts')

async function browser (t: TestContext): Promise<Browser | undefined> {
  const executablePath = requireBinary(t, 'chromium')
  if (!executablePath) return undefined
  const b = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu', '--disable-dev-shm-usage'],
  })
  t.after(() => b.close())
  return b
}

/** Serves the embed example from another origin, pointed at the sidecar (known once it runs). */
async function foreignOrigin (t: TestContext, sidecar: () => string): Promise<string> {
  const example = readFileSync(join(ROOT, 'admin-webcomponents', 'examples', 'embed.html'), 'utf8')
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(example.replaceAll('https://ai.example.com', sidecar()))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const message = (relay: Relay, key: string) => request(`${relay.url}/claude/v1/messages`, {
  method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' },
  body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
})

async function shot (page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true })
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
}

/** A new page on the relay's admin page, logged in as root. */
async function loggedIn (b: Browser, relay: Relay): Promise<Page> {
  const page = await b.newPage({ viewport: { width: 1200, height: 900 } })
  await page.goto(`${relay.url}/_relay/admin`)
  await page.getByLabel('User').fill('root')
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Log in' }).click()
  return page
}

/** The admin journey, on whatever page holds <relay-admin>. */
async function journey (page: Page, relay: Relay, label: string): Promise<void> {
  const errors: string[] = []
  page.on('pageerror', e => errors.push(e.message))
  // The admin page's CSP has no 'unsafe-inline': a style attribute anywhere would be refused.
  page.on('console', m => { if (/Content Security Policy/i.test(m.text())) errors.push(m.text()) })
  await page.getByLabel('User').fill('root')
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.locator('relay-overview .card').first().waitFor()
  await shot(page, `${label}-0-overview`)
  await page.getByRole('tab', { name: 'API keys' }).click()
  await shot(page, `${label}-1-keys`)

  const keyName = `${label}-key`
  await page.locator('relay-keys input[name=name]').fill(keyName)
  await page.getByRole('button', { name: 'Create key' }).click()
  const secret = (await page.locator('[data-secret]').textContent())!.trim()
  assert.match(secret, /^ars_/)
  await shot(page, `${label}-2-secret-once`)
  await page.getByRole('button', { name: 'Done' }).click()
  assert.equal(await page.locator('[data-secret]').count(), 0, 'the secret is gone once acknowledged')

  // Bind it, for Claude, to the one account, with the bindings form found by its labels.
  const keys = page.locator('relay-keys')
  await keys.locator(`tr[data-key="${keyName}"]`).getByRole('button', { name: 'Edit' }).click()
  await keys.getByLabel(/^Provider\b/).selectOption('claude')
  await keys.getByLabel(/^Use/).selectOption({ label: 'account mock (claude)' })
  await keys.getByRole('button', { name: 'Bind' }).click()
  await page.locator(`relay-keys tr[data-key="${keyName}"]`, { hasText: 'claude: account mock' }).waitFor()
  await keys.getByRole('button', { name: 'Cancel' }).click()

  const used = await message(relay, secret)
  assert.equal(used.statusCode, 200)
  await used.body.dump()
  await relay.settled()
  const keyId = relay.server.keys.list().find(k => k.name === keyName)!.id
  assert.deepEqual(relay.server.keys.list().find(k => k.name === keyName)!.bindings, { claude: { account: 'mock' } })

  await page.getByRole('tab', { name: 'Usage' }).click()
  const usageRow = page.locator(`relay-usage tr[data-group="${keyId}"]`)
  await usageRow.waitFor()
  assert.match(await usageRow.textContent() ?? '', new RegExp(`^${keyName}1\\d+`), 'the key by name, one request with its tokens')
  await page.locator('relay-usage .chart canvas').first().waitFor()
  await shot(page, `${label}-3-usage`)
  // By provider, then the series as CSV.
  await page.locator('relay-usage').getByLabel('Group by').selectOption('provider')
  await page.locator('relay-usage tr[data-group="claude"]').waitFor()
  const csvDownload = page.waitForEvent('download')
  await page.locator('relay-usage').getByRole('button', { name: 'Export CSV' }).click()
  const csv = readFileSync(await (await csvDownload).path(), 'utf8').trim().split('\n')
  assert.equal(csv[0], 'bucket,provider,requests,input,output,cache_write_5m,cache_write_1h,cache_read,cost_usd')
  assert.match(csv[1]!, /^\d{4}-\d\d-\d\dT[^,]+,claude,1,\d+,\d+,0,0,0,0\.\d+$/)

  await page.getByRole('tab', { name: 'Requests' }).click()
  // Found by the key's name, which the rows show.
  await page.locator('relay-request-log').getByLabel('Key (name)').fill(keyName)
  await page.locator('relay-request-log').getByRole('button', { name: 'Filter' }).click()
  const logRow = page.locator('relay-request-log tbody tr', { hasText: keyName })
  await logRow.first().waitFor()
  assert.match(await logRow.first().textContent() ?? '', /claude-sonnet-4-5\s*200/)
  // A row opens in full: the accounts tried and its cost by kind.
  await logRow.first().getByRole('button', { name: /^Open the request of/ }).click()
  const opened = page.locator('relay-request-log [part~=detail]')
  await opened.waitFor()
  assert.match(await opened.textContent() ?? '', /Accounts tried\s*mock/)
  assert.match(await opened.textContent() ?? '', /Total\s*\$0\.\d+/)
  await shot(page, `${label}-4-requests`)
  await opened.getByRole('button', { name: 'Close' }).click()

  await page.getByRole('tab', { name: 'API keys' }).click()
  // The key's row says what it spent today; its page charts its models and lists its requests.
  await page.locator(`relay-keys tr[data-key="${keyName}"]`, { hasText: /1 · \$0\.\d+/ }).waitFor()
  await page.locator(`relay-keys tr[data-key="${keyName}"]`).getByRole('button', { name: keyName }).click()
  const detail = page.locator('relay-key-detail')
  await detail.locator('relay-usage tr[data-group="claude-sonnet-4-5"]').waitFor()
  await detail.locator('relay-request-log tbody tr', { hasText: 'claude-sonnet-4-5' }).first().waitFor()
  await shot(page, `${label}-4b-key-page`)
  await page.getByRole('button', { name: 'Back to the keys' }).click()
  // Asked first: dismissing the question changes nothing, accepting it disables.
  page.once('dialog', d => { void d.dismiss() })
  await page.locator(`relay-keys tr[data-key="${keyName}"]`).getByRole('button', { name: 'Disable' }).click()
  await page.waitForTimeout(300)
  assert.equal(relay.server.keys.list().find(k => k.name === keyName)!.disabled, false)
  page.once('dialog', d => { assert.match(d.message(), /Disable key .*refused until it is enabled/); void d.accept() })
  await page.locator(`relay-keys tr[data-key="${keyName}"]`).getByRole('button', { name: 'Disable' }).click()
  await page.locator(`relay-keys tr[data-key="${keyName}"]`, { hasText: 'disabled' }).waitFor()
  const refused = await message(relay, secret)
  assert.equal(refused.statusCode, 401)
  await refused.body.dump()

  await page.getByRole('button', { name: '中文' }).click()
  await page.getByRole('tab', { name: 'API 密钥' }).waitFor()
  assert.equal(await page.getByRole('button', { name: '创建密钥' }).count(), 1)
  await shot(page, `${label}-5-chinese`)
  assert.deepEqual(errors, [], 'no script error or CSP violation on the page')
}

test('the default admin page: log in, create a key, use it, see it charted and logged, disable it, read it in Chinese', { timeout: 120_000 }, async t => {
  const b = await browser(t)
  if (!b) return
  const relay = await adminRelay(t)
  const page = await b.newPage({ viewport: { width: 1200, height: 900 } })
  const res = await page.goto(`${relay.url}/_relay/admin`)
  assert.match(String(res!.headers()['content-security-policy']), /frame-ancestors 'self'/)
  await journey(page, relay, 'admin-page')
})

test('the widgets embedded in a page of another origin (CORS allowlist, the session cookie)', { timeout: 120_000 }, async t => {
  const b = await browser(t)
  if (!b) return
  // The portal's origin is known only once it listens: the relay starts after it.
  let relay: Relay | undefined
  const portal = await foreignOrigin(t, () => relay!.url)
  relay = await adminRelay(t, { corsOrigins: [portal] })
  const page = await b.newPage({ viewport: { width: 1200, height: 900 } })
  const consoleLines: string[] = []
  page.on('console', m => consoleLines.push(m.text()))
  page.on('requestfailed', r => consoleLines.push(`failed ${r.url()} ${r.failure()?.errorText}`))
  t.after(() => { if (consoleLines.length > 0) console.log(consoleLines.join('\n')) })
  await page.goto(`${portal}/`)
  await page.getByRole('heading', { name: 'Team portal' }).waitFor()
  await journey(page, relay, 'embedded')

  // An origin the relay does not list gets no CORS grant.
  const stranger = await request(`${relay.url}/_relay/admin/api/session`, { headers: { origin: 'http://evil.example' } })
  assert.equal(stranger.headers['access-control-allow-origin'], undefined)
  await stranger.body.dump()
})

test('the self-service page shows a key its own limits, usage and requests', { timeout: 60_000 }, async t => {
  const b = await browser(t)
  if (!b) return
  const relay = await adminRelay(t, {}, { keys: [{ name: 'alice', key: ALICE_KEY, rateLimits: [{ window: '1h', requests: 100 }] }] })
  for (let i = 0; i < 3; i++) await (await message(relay, ALICE_KEY)).body.dump()
  await relay.settled()
  const page = await b.newPage({ viewport: { width: 1100, height: 900 } })
  await page.goto(`${relay.url}/_relay/me`)
  await page.getByLabel('Your relay key').fill(ALICE_KEY)
  await page.getByRole('button', { name: 'Show my usage' }).click()
  await page.getByRole('heading', { name: 'Your API key: alice' }).waitFor()
  assert.match(await page.locator('relay-key-usage table').first().textContent() ?? '', /rate 1h requests\s*3\s*100/)
  await page.locator('relay-usage tr[data-group="claude-sonnet-4-5"]').waitFor()
  // The request log loads on its own fetch after the usage table: wait for its rows
  // rather than counting whatever has rendered so far.
  const rows = page.locator('relay-request-log tbody tr')
  await rows.nth(2).waitFor()
  assert.equal(await rows.count(), 3)
  await shot(page, 'self-service')
})

test('embedded: a token given in the page before or after the widgets upgrade is used; a login the browser cannot keep across sites is explained', { timeout: 120_000 }, async t => {
  const b = await browser(t)
  if (!b) return
  let relay: Relay | undefined
  // Another site than the relay's (localhost, not 127.0.0.1): its session cookie stays behind.
  const server = createServer((_req, res) => {
    const r = relay!.url
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Portal</title>
<script type="module" src="${r}/_relay/admin/widgets.js"></script></head><body>
<relay-keys id="before" base-url="${r}"></relay-keys>
<relay-keys id="after" base-url="${r}"></relay-keys>
<relay-admin id="login" base-url="${r}"></relay-admin>
<script>document.getElementById('before').token = ${JSON.stringify(ADMIN_TOKEN)}</script>
</body></html>`)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  const portal = `http://localhost:${(server.address() as AddressInfo).port}`
  relay = await adminRelay(t, { corsOrigins: [portal] })
  const page = await b.newPage({ viewport: { width: 1200, height: 900 } })
  const errors: string[] = []
  page.on('pageerror', e => errors.push(e.message))
  await page.goto(`${portal}/`)
  // Set before the module ran: used by the first load.
  await page.locator('#before tr[data-key="alice"]').waitFor()
  // Without a token the other one says so; given one later, it loads again.
  await page.locator('#after [role=alert]').waitFor()
  await page.evaluate(token => { (document.getElementById('after') as HTMLElement & { token: string }).token = token }, ADMIN_TOKEN)
  await page.locator('#after tr[data-key="alice"]').waitFor()
  assert.equal(await page.locator('#after [role=alert]').count(), 0)

  await page.getByLabel('User').fill('root')
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Log in' }).click()
  const alert = page.locator('#login [role=alert]')
  await alert.waitFor()
  assert.match(await alert.textContent() ?? '', /different sites.*token property/)
  await shot(page, 'embedded-cross-site-login')
  assert.deepEqual(errors, [])
})

test('accounts tab: refreshes by itself, says when a cooldown ends and what failed, clears it; a boolean is a checkbox; every field is edited; a setup token is pasted; a Codex login asks for the address', { timeout: 120_000 }, async t => {
  const b = await browser(t)
  if (!b) return
  const relay = await adminRelay(t, {}, { plugins: [{ use: 'claude', mount: '/claude' }, { use: 'openai', mount: '/openai' }] })
  const page = await loggedIn(b, relay)
  await page.getByRole('tab', { name: 'Upstream accounts' }).click()
  const accounts = page.locator('relay-accounts')
  const row = accounts.locator('tr[data-account="mock"]')
  await row.waitFor()
  await page.evaluate(() => { (document.querySelector('relay-admin') as HTMLElement & { refresh: number }).refresh = 1 })
  // The relay cools the account down; the tab shows it without a click, in words, with what failed.
  const account = relay.rt.declaredAccounts[0]!
  const now = Date.now()
  await relay.rt.store.saveAccountState({
    accountId: account.id, status: 'active', reason: null, cooldownUntil: now + 3 * 60_000 + 5_000, consecutiveFailures: 1, lastError: 'HTTP 429: rate limited', lastErrorAt: now,
    // The 7-day window reset since the provider last said it was at 90 %: shown as reset, not "resets 11 days ago".
    rateLimits: { at: now, windows: [{ name: '5h', utilisation: 0.42, resetsAt: now + 2 * 3_600_000 + 60_000 }, { name: '7d', utilisation: 0.9, resetsAt: now - 11 * 86_400_000 }] }, updatedAt: now, refreshFailures: 0,
    recentErrors: [{ at: now, message: 'HTTP 429: rate limited' }, { at: now - 600_000, message: 'HTTP 529: overloaded' }],
  })
  await accounts.locator('tr[data-account="mock"]', { hasText: 'cooling down, ends in 3 minutes' }).waitFor({ timeout: 10_000 })
  assert.match(await row.textContent() ?? '', /5h:\s*42%\s*resets in 2 hours/)
  assert.match(await row.textContent() ?? '', /7d:\s*reset since the last request/)
  assert.doesNotMatch(await row.textContent() ?? '', /90%|days ago/)
  await row.locator('summary', { hasText: 'HTTP 429: rate limited' }).click()
  await row.locator('li', { hasText: 'HTTP 529: overloaded' }).waitFor()
  await shot(page, 'admin-accounts-state')
  await row.getByRole('button', { name: 'Clear cooldown' }).click()
  await accounts.locator('tr[data-account="mock"]', { hasText: 'active' }).waitFor()
  assert.equal((await relay.rt.store.listAccountStates()).find(st => st.accountId === account.id)!.cooldownUntil, null)

  await accounts.locator('select').first().selectOption({ label: 'openai · openai-api-key' })
  const websocket = accounts.getByRole('checkbox', { name: 'WebSocket upstream' })
  assert.equal(await websocket.isChecked(), false)
  await websocket.check()
  await accounts.locator('form[part="form"] input[name="name"]').fill('oa-ws')
  await accounts.getByLabel(/^API key/).fill('sk-test-0123456789')
  await page.getByRole('button', { name: 'Add account' }).click()
  await accounts.locator('tr[data-account="oa-ws"]').waitFor()
  assert.equal((await relay.rt.store.listAccounts()).find(a => a.name === 'oa-ws')!.fields.websocket, true)

  // Every field and the placement edited; the key, left empty, stays as it was.
  await accounts.locator('tr[data-account="oa-ws"]').getByRole('button', { name: 'Edit' }).click()
  const edit = accounts.getByRole('form', { name: 'Edit account oa-ws' })
  await edit.getByLabel('Priority').fill('70')
  await edit.getByLabel(/^Groups/).fill('team-a')
  await edit.getByLabel(/^Organization/).fill('org-1')
  await edit.getByRole('checkbox', { name: 'WebSocket upstream' }).uncheck()
  await edit.getByLabel(/^In the shared pool/).selectOption('false')
  await edit.getByLabel(/^Send models upstream as/).fill('gpt-5.4 = team-deployment\ngpt-6* = gpt-5.4')
  await edit.getByRole('button', { name: 'Save' }).click()
  await edit.waitFor({ state: 'detached' })
  const stored = (await relay.rt.store.listAccounts()).find(a => a.name === 'oa-ws')!
  assert.deepEqual([stored.priority, stored.groups, stored.fields.organization, stored.fields.websocket, stored.shared], [70, ['team-a'], 'org-1', false, false])
  assert.deepEqual(stored.modelMap, { 'gpt-5.4': 'team-deployment', 'gpt-6*': 'gpt-5.4' })
  assert.deepEqual(JSON.parse(relay.rt.secretBox.open(stored.sealedSecrets!)), { apiKey: 'sk-test-0123456789' })

  // A relay in a chain: its header policy from the form, the added headers sealed as a credential.
  await accounts.locator('select').first().selectOption({ label: 'claude · claude-api-key' })
  await accounts.locator('form[part="form"] input[name="name"]').fill('chain')
  await accounts.getByLabel(/^API key/).fill('cr_upstream-relay')
  await accounts.getByLabel(/^Headers not passed on/).fill('x-claude-code-session-id, x-app')
  await accounts.getByLabel(/^Headers added/).fill('X-Chain-Token: chain-secret\nX-Hop: 2')
  await page.getByRole('button', { name: 'Add account' }).click()
  await accounts.locator('tr[data-account="chain"]').waitFor()
  const chain = () => relay.rt.store.listAccounts().then(list => list.find(a => a.name === 'chain')!)
  assert.deepEqual((await chain()).fields.stripHeaders, ['x-claude-code-session-id', 'x-app'])
  assert.deepEqual(JSON.parse(relay.rt.secretBox.open((await chain()).sealedSecrets!)).addHeaders, { 'X-Chain-Token': 'chain-secret', 'X-Hop': '2' })
  // Edited: the added headers are not shown and, left empty, stay; `-` removes them.
  await accounts.locator('tr[data-account="chain"]').getByRole('button', { name: 'Edit' }).click()
  const chainEdit = accounts.getByRole('form', { name: 'Edit account chain' })
  assert.equal(await chainEdit.getByLabel(/^Headers added/).inputValue(), '')
  await chainEdit.getByLabel(/^Answer headers not passed on/).fill('x-upstream-relay')
  await chainEdit.getByRole('button', { name: 'Save' }).click()
  await chainEdit.waitFor({ state: 'detached' })
  assert.deepEqual([(await chain()).fields.stripResponseHeaders, JSON.parse(relay.rt.secretBox.open((await chain()).sealedSecrets!)).addHeaders], [['x-upstream-relay'], { 'X-Chain-Token': 'chain-secret', 'X-Hop': '2' }])
  await accounts.locator('tr[data-account="chain"]').getByRole('button', { name: 'Edit' }).click()
  await chainEdit.getByLabel(/^Headers added/).fill('-')
  await chainEdit.getByRole('button', { name: 'Save' }).click()
  await chainEdit.waitFor({ state: 'detached' })
  assert.equal(JSON.parse(relay.rt.secretBox.open((await chain()).sealedSecrets!)).addHeaders, undefined)

  // A subscription added with a pasted token (`claude setup-token`), no login.
  await accounts.locator('select').first().selectOption({ label: 'claude · claude-oauth (paste a token)' })
  await accounts.locator('form[part="form"] input[name="name"]').fill('setup')
  await accounts.getByLabel(/^Access token/).fill('sk-ant-oat01-pasted-setup-token')
  await page.getByRole('button', { name: 'Add account' }).click()
  await accounts.locator('tr[data-account="setup"]').waitFor()
  assert.equal((await relay.rt.store.listAccounts()).find(a => a.name === 'setup')!.type, 'claude-oauth')

  await accounts.locator('form[part="login-form"] select').selectOption({ label: 'openai · codex-oauth' })
  await accounts.locator('form[part="login-form"] input[name="name"]').fill('chatgpt')
  await page.getByRole('button', { name: 'Log in a subscription' }).click()
  const form = accounts.locator('form[part="login-form"]')
  await form.getByText(/starts with http:\/\/localhost/).waitFor()
  assert.equal(await form.getByLabel('Address').count(), 1)
  await shot(page, 'admin-accounts-login-address')
})

test('prices tab: the table in force with each price\'s origin, searchable; unpriced models seen; update on demand', { timeout: 120_000 }, async t => {
  const b = await browser(t)
  if (!b) return
  const relay = await adminRelay(t)
  // A model no table prices, served to a key without a cost limit.
  const res = await request(`${relay.url}/claude/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-made-up-9', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
  })
  assert.equal(res.statusCode, 200)
  await res.body.dump()
  await relay.settled()
  const page = await loggedIn(b, relay)
  await page.getByRole('tab', { name: 'Prices' }).click()
  const prices = page.locator('relay-prices')
  await prices.getByLabel('Find a model').fill('claude-sonnet-4-5')
  const row = prices.locator('tr[data-model="claude-sonnet-4-5"]')
  await row.waitFor()
  assert.match(await row.textContent() ?? '', /in \$3\.00 · out \$15\.00.*plugin claude$/)
  assert.equal(await prices.locator('tr[part="row"]').count(), 1, 'the search keeps the one model')
  assert.match(await prices.locator('tr[data-unpriced="claude-made-up-9"]').textContent() ?? '', /claude-made-up-9claude1/)
  await prices.getByRole('button', { name: 'Update prices now' }).click()
  await prices.getByText(/0 added, 0 changed, 0 removed/).waitFor()
  await shot(page, 'admin-prices')
})

test('keys tab: every limit is set from a form; the server\'s refusal shows at its field; the key is then held to it', { timeout: 120_000 }, async t => {
  const b = await browser(t)
  if (!b) return
  const relay = await adminRelay(t)
  const created = await request(`${relay.url}/_relay/admin/api/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'carol' }) })
  const { key } = await created.body.json() as { key: string }
  const page = await loggedIn(b, relay)
  await page.getByRole('tab', { name: 'API keys' }).click()
  const keys = page.locator('relay-keys')
  await keys.locator('tr[data-key="carol"]').getByRole('button', { name: 'Edit' }).click()
  const form = keys.getByRole('form', { name: 'Limits of carol' })
  await form.getByLabel('Requests in flight at once').fill('2')
  await form.getByLabel('Window (1m, 5h, 1d)').fill('5x')
  await form.getByLabel('Requests', { exact: true }).fill('30')
  await form.getByLabel('Per day').fill('12.5')
  await form.getByLabel(/^Models denied/).fill('claude-opus-*')
  await form.getByRole('checkbox', { name: 'claude-code' }).check()
  await form.getByLabel('Tags (comma separated)').fill('team-a, nightly')
  await form.getByRole('button', { name: 'Save limits' }).click()
  // Refused by the server's own schema, shown at the window field, which takes the focus.
  const window = form.getByLabel(/^Window \(1m, 5h, 1d\)/)
  await form.locator('[role=alert]', { hasText: 'is not in the expected form' }).waitFor()
  assert.equal(await window.getAttribute('aria-invalid'), 'true')
  assert.equal(await window.evaluate(el => (el.getRootNode() as ShadowRoot).activeElement === el), true)
  await window.fill('1m')
  await form.getByRole('button', { name: 'Save limits' }).click()
  await form.waitFor({ state: 'detached' })
  const stored = (await relay.rt.store.listKeys()).find(k => k.name === 'carol')!
  assert.deepEqual(stored.policy, { concurrency: 2, rateLimits: [{ window: '1m', requests: 30 }], budgets: { dailyUsd: 12.5 }, models: { deny: ['claude-opus-*'] }, clients: ['claude-code'], tags: ['team-a', 'nightly'] })
  // Held to it at once: curl is not Claude Code.
  const refused = await request(`${relay.url}/claude/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01', 'user-agent': 'curl/8' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
  })
  assert.equal(refused.statusCode, 403)
  await refused.body.dump()
  // Opened again, the form shows what is set.
  await keys.locator('tr[data-key="carol"]').getByRole('button', { name: 'Edit' }).click()
  assert.equal(await form.getByLabel('Per day').inputValue(), '12.5')
  await shot(page, 'admin-key-limits')
  // In Chinese, the server's refusal is said in Chinese, from its code and params.
  await page.getByRole('button', { name: '中文' }).click()
  await keys.locator('input[name=name]').fill('carol')
  await keys.getByRole('button', { name: '创建密钥' }).click()
  await keys.locator('[role=alert]', { hasText: '已存在名为"carol"的密钥' }).waitFor()
})

test('keys tab: many keys created at once (their secrets downloaded once), searched, paged, selected, tagged and disabled', { timeout: 120_000 }, async t => {
  const b = await browser(t)
  if (!b) return
  const relay = await adminRelay(t)
  const page = await loggedIn(b, relay)
  await page.getByRole('tab', { name: 'API keys' }).click()
  const keys = page.locator('relay-keys')
  await keys.getByLabel('Names start with').fill('team')
  await keys.getByLabel('How many').fill('30')
  await keys.getByRole('button', { name: 'Create several' }).click()
  const download = page.waitForEvent('download')
  await keys.getByRole('button', { name: 'Download secrets (CSV)' }).click()
  const csv = readFileSync(await (await download).path(), 'utf8').trim().split('\n')
  assert.equal(csv[0], 'name,key')
  assert.equal(csv.length, 31)
  assert.match(csv[1]!, /^team-001,ars_[\w-]+$/)
  assert.equal(await keys.getByRole('button', { name: 'Download secrets (CSV)' }).count(), 0, 'the secrets are gone once downloaded')
  // The first key of the file works.
  const used = await message(relay, csv[1]!.split(',')[1]!)
  assert.equal(used.statusCode, 200)
  await used.body.dump()
  // These 30 and the config's: two pages of 25.
  const total = relay.rt.declaredKeys.length + (await relay.rt.store.listKeys()).length
  assert.ok(total > 30 && total <= 50)
  await keys.locator('.pager', { hasText: `1–25 of ${total}` }).waitFor()
  await keys.getByRole('button', { name: 'Next' }).click()
  await keys.locator('.pager', { hasText: `26–${total} of ${total}` }).waitFor()
  await keys.getByLabel('Search (name, key, tag)').fill('team-01')
  await keys.locator('tbody tr').nth(9).waitFor()
  assert.equal(await keys.locator('tbody tr').count(), 10, 'team-010 to team-019, from the first page again')
  for (const name of ['team-011', 'team-012']) await keys.getByRole('checkbox', { name: `Select ${name}` }).check()
  const bulk = keys.getByRole('form', { name: 'Selected keys' })
  await bulk.getByRole('status', { name: '' }).filter({ hasText: '2 selected' }).waitFor()
  await bulk.getByLabel('Tag').fill('spring')
  await bulk.getByRole('button', { name: 'Add tag' }).click()
  await keys.locator('tr[data-key="team-011"]', { hasText: 'spring' }).waitFor()
  page.once('dialog', d => { assert.match(d.message(), /Disable 2 keys/); void d.accept() })
  await bulk.getByRole('button', { name: 'Disable' }).click()
  await keys.locator('tr[data-key="team-012"]', { hasText: 'disabled' }).waitFor()
  const stored = (await relay.rt.store.listKeys()).filter(k => k.policy.tags?.includes('spring'))
  assert.deepEqual(stored.map(k => [k.name, k.disabled]).sort(), [['team-011', true], ['team-012', true]])
  await keys.getByLabel('Search (name, key, tag)').fill('')
  await keys.getByLabel('Sort by').selectOption({ label: 'Requests today' })
  await keys.locator('tbody tr').first().filter({ hasText: 'team-001' }).waitFor()
  await shot(page, 'admin-keys-many')
})

test('overview tab: the day\'s numbers, each a link to its view (a key near its limit opens its page); settings: the config without secrets, a test notification', { timeout: 120_000 }, async t => {
  const b = await browser(t)
  if (!b) return
  const hook = await webhookReceiver(t)
  const relay = await adminRelay(t, {}, { notifications: { targets: [{ type: 'webhook', url: hook.url, secret: 'hook-signing-secret' }] } })
  const created = await request(`${relay.url}/_relay/admin/api/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'dana', policy: { budgets: { dailyUsd: 0.0001 } } }) })
  const { key } = await created.body.json() as { key: string }
  for (let i = 0; i < 2; i++) await (await message(relay, key)).body.dump()
  await relay.settled()
  const page = await loggedIn(b, relay)
  const overview = page.locator('relay-overview')
  // Today's requests (the second of dana's was refused: over its daily budget), and dana past that budget.
  const today = (await (await request(`${relay.url}/_relay/admin/api/overview`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).body.json() as { periods: { today: { requests: number } } }).periods.today.requests
  assert.equal(today, 1)
  await overview.locator('.card', { hasText: 'Today' }).getByRole('button', { name: '1', exact: true }).first().waitFor()
  const near = overview.locator('tr', { hasText: 'dana' }).first()
  assert.match(await near.textContent() ?? '', /budget per day\s*\d{3,}%/)
  await shot(page, 'admin-overview')
  await near.getByRole('button', { name: 'dana' }).click()
  assert.equal(await page.getByRole('tab', { name: 'API keys' }).getAttribute('aria-selected'), 'true')
  await page.locator('relay-key-detail h2', { hasText: 'Key dana' }).waitFor()
  // The top model opens the request log filtered to it.
  await page.getByRole('tab', { name: 'Overview' }).click()
  await overview.locator('.card', { hasText: 'Top models' }).getByRole('button', { name: 'claude-sonnet-4-5' }).click()
  await page.locator('relay-request-log tbody tr', { hasText: 'claude-sonnet-4-5' }).first().waitFor()
  assert.equal(await page.locator('relay-request-log').getByLabel(/^Model/).inputValue(), 'claude-sonnet-4-5')

  await page.getByRole('tab', { name: 'Settings' }).click()
  const settings = page.locator('relay-settings')
  const config = settings.locator('pre')
  await config.waitFor()
  const yaml = await config.textContent() ?? ''
  assert.match(yaml, /notifications:/)
  for (const secret of [ADMIN_TOKEN, 'hook-signing-secret', ALICE_KEY]) assert.ok(!yaml.includes(secret), 'no secret in the config view')
  await settings.getByRole('button', { name: 'Send a test notification' }).click()
  await settings.getByRole('status').filter({ hasText: 'webhook: delivered' }).waitFor()
  assert.match(JSON.parse(hook.told.at(-1)!).text, /test notification, sent by root/)
  await shot(page, 'admin-settings')
})

test('admin users tab: add one, set a new password (its sessions end), sign out everywhere, delete', { timeout: 120_000 }, async t => {
  const b = await browser(t)
  if (!b) return
  const relay = await adminRelay(t)
  const page = await loggedIn(b, relay)
  await page.getByRole('tab', { name: 'Admin users' }).click()
  const users = page.locator('relay-admin-users')
  const put = async (name: string, password: string) => {
    await users.getByLabel('Name').fill(name)
    await users.getByLabel(/^Password/).fill(password)
    await users.getByRole('button', { name: 'Add, or set a new password' }).click()
  }
  await put('ops2', 'a long enough password 1')
  await users.getByText('Added ops2.').waitFor()
  await users.locator('tr[data-user="ops2"]').waitFor()
  // ops2 logs in elsewhere; a new password ends that session.
  const asOps2 = async (password: string) => {
    const res = await request(`${relay.url}/_relay/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'ops2', password }) })
    await res.body.dump()
    return String(res.headers['set-cookie'] ?? '').split(';')[0]!
  }
  const session = async (cookie: string) => {
    const res = await request(`${relay.url}/_relay/admin/api/session`, { headers: { cookie } })
    await res.body.dump()
    return res.statusCode
  }
  const cookie = await asOps2('a long enough password 1')
  assert.equal(await session(cookie), 200)
  await put('ops2', 'another long password 2')
  await users.getByText('New password for ops2; its sessions were ended.').waitFor()
  assert.equal(await session(cookie), 401)
  const again = await asOps2('another long password 2')
  assert.equal(await session(again), 200)
  page.once('dialog', d => { void d.accept() })
  await users.locator('tr[data-user="ops2"]').getByRole('button', { name: 'Sign out everywhere' }).click()
  await users.getByText('ops2 is signed out everywhere.').waitFor()
  assert.equal(await session(again), 401)
  page.once('dialog', d => { void d.accept() })
  await users.locator('tr[data-user="ops2"]').getByRole('button', { name: 'Delete' }).click()
  await users.locator('tr[data-user="ops2"]').waitFor({ state: 'detached' })
  assert.deepEqual((await relay.rt.store.listAdminUsers()).map(u => u.name), ['root'])
})

test('accounts tab, in Chinese on a phone: a Factory device login shows the code to confirm and saves the account when it is entered; a Bedrock account\'s fields are found by their Chinese labels', { timeout: 120_000 }, async t => {
  const b = await browser(t)
  if (!b) return
  const factory = await startFactoryMock()
  t.after(() => factory.close())
  const relay = await adminRelay(t, {}, {
    plugins: [{ use: 'claude', mount: '/claude' }, { use: 'droid', mount: '/droid', options: { oauth: { deviceUrl: `${factory.url}/user_management/authorize/device`, tokenUrl: `${factory.url}/user_management/authenticate`, orgUrl: `${factory.url}/api/cli/org` } } }],
  })
  const page = await b.newPage({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' })
  await page.goto(`${relay.url}/_relay/admin`)
  await page.getByLabel('User').fill('root')
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.getByRole('button', { name: '中文' }).click()
  await page.getByRole('tab', { name: '上游账号' }).click()
  const accounts = page.locator('relay-accounts')
  const login = accounts.locator('form[part="login-form"]')
  await login.getByLabel('订阅账号').selectOption({ label: 'droid · droid' })
  await login.getByLabel('名称').fill('factory-sub')
  await login.getByRole('button', { name: '登录订阅账号' }).click()
  await login.getByText(`确认代码 ${USER_CODE}`).waitFor()
  await shot(page, 'admin-accounts-device-login-zh-phone')
  await login.getByLabel('代码').fill(USER_CODE.toLowerCase())
  await login.getByRole('button', { name: '完成登录' }).click()
  await accounts.locator('tr[data-account="factory-sub"]').waitFor()
  const saved = (await relay.rt.store.listAccounts()).find(a => a.name === 'factory-sub')!
  assert.deepEqual([saved.provider, saved.type, saved.fields.organizationId], ['droid', 'droid', 'org_01FACTORY'])

  await accounts.locator('select').first().selectOption({ label: 'claude · bedrock' })
  const form = accounts.locator('form[part="form"]')
  await form.getByLabel(/^区域/).fill('eu-central-1')
  await form.getByLabel(/^访问密钥 ID/).fill('AKIAEXAMPLEEXAMPLE01')
  assert.equal(await form.getByLabel(/^私有访问密钥/).getAttribute('type'), 'password', 'a credential is a password box')
  await form.getByLabel(/^私有访问密钥/).fill('secret/example')
  // Bedrock's own API key and endpoint say what they are, not the common fields' words.
  assert.equal(await form.getByLabel(/^Bedrock API 密钥/).count(), 1)
  assert.equal(await form.getByLabel(/^端点/).count(), 1)
  await form.locator('input[name="name"]').fill('aws-eu')
  await shot(page, 'admin-accounts-bedrock-zh-phone')
  await page.getByRole('button', { name: '添加账号' }).click()
  await accounts.locator('tr[data-account="aws-eu"]').waitFor()
  const aws = (await relay.rt.store.listAccounts()).find(a => a.name === 'aws-eu')!
  assert.deepEqual([aws.type, aws.fields.region, aws.fields.accessKeyId], ['bedrock', 'eu-central-1', 'AKIAEXAMPLEEXAMPLE01'])
  assert.deepEqual(JSON.parse(relay.rt.secretBox.open(aws.sealedSecrets!)), { secretAccessKey: 'secret/example' })
  const width = await page.evaluate(() => document.documentElement.scrollWidth)
  assert.ok(width <= 390, `no sideways scrolling on a phone (${width} px)`)
})
