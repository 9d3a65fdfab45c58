// Notifications: every target's wire format against local receivers (signatures checked as the
// receivers check them), one message for a flapping account, retries with backoff, and the
// events a running relay raises for an account and a key.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Agent, RetryAgent } from 'undici'
import pino from 'pino'
import { SMTPServer } from 'smtp-server'
import { Notifier } from '../../core/ops/notify/notifier.ts'
import type { TargetConfig } from '../../core/ops/notify/targets.ts'
import { expiryWatcher, healthWatcher } from '../../core/ops/notify/watch.ts'
import { startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { ALICE_KEY, claudeAccount, startRelay, testConfig } from '../helpers/relay-harness.ts'
import { freePort } from '../helpers/processes.ts'
import { request } from 'undici'

interface Received { path: string, headers: IncomingHttpHeaders, body: any }

async function receiver (t: TestContext, answer: (path: string, n: number) => number = () => 200) {
  const got: Received[] = []
  const counts = new Map<string, number>()
  const server = createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8').on('data', (c: string) => { raw += c }).on('end', () => {
      const path = req.url ?? ''
      const n = (counts.get(path) ?? 0) + 1
      counts.set(path, n)
      const status = answer(path, n)
      if (status === 200) got.push({ path, headers: req.headers, body: JSON.parse(raw) })
      res.writeHead(status, { 'content-type': 'application/json' }).end(path.startsWith('/feishu') ? '{"code":0,"msg":"success"}' : '{"ok":true}')
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got, counts }
}

const quiet = pino({ level: 'silent' })
const fastRetries = () => new RetryAgent(new Agent(), { maxRetries: 3, minTimeout: 20, maxTimeout: 100, methods: ['POST'], statusCodes: [500, 502, 503, 504] })

test('each target speaks its own format; webhook, Feishu and DingTalk messages are signed as their receivers check', async t => {
  const r = await receiver(t)
  const mails: string[] = []
  const smtp = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS'], onData (stream, _session, cb) { let m = ''; stream.on('data', (c: Buffer) => { m += c.toString() }).on('end', () => { mails.push(m); cb() }) } })
  const smtpPort = await freePort()
  await new Promise<void>(resolve => smtp.listen(smtpPort, '127.0.0.1', resolve))
  t.after(() => new Promise<void>(resolve => smtp.close(() => resolve())))
  const targets: TargetConfig[] = [
    { type: 'webhook', url: `${r.url}/hook`, secret: 'whsec-1' },
    { type: 'slack', url: `${r.url}/slack` },
    { type: 'discord', url: `${r.url}/discord` },
    { type: 'telegram', botToken: 'T0K', chatId: '42', apiBase: r.url },
    { type: 'feishu', url: `${r.url}/feishu`, secret: 'fs-secret' },
    { type: 'dingtalk', url: `${r.url}/ding?access_token=x`, secret: 'dt-secret' },
    { type: 'wecom', url: `${r.url}/wecom` },
    { type: 'email', smtp: { host: '127.0.0.1', port: smtpPort, secure: false }, from: 'relay@example.com', to: ['ops@example.com'] },
  ]
  const n = new Notifier({ targets, debounceMs: 0, relayName: 'ai.example.com' }, quiet, fastRetries())
  n.notify({ type: 'account.unauthorized', account: 'max', provider: 'claude', reason: 'token refresh refused' })
  await new Promise(resolve => setTimeout(resolve, 20))
  await n.close()
  const by = (p: string) => r.got.find(g => g.path.startsWith(p))!
  const text = 'Account max (claude) was refused by the provider and needs attention: token refresh refused'
  const hook = by('/hook')
  assert.equal(hook.body.event, 'account.unauthorized')
  assert.equal(hook.body.details.account, 'max')
  const ts = String(hook.headers['x-relay-timestamp'])
  assert.equal(hook.headers['x-relay-signature'], `sha256=${createHmac('sha256', 'whsec-1').update(`${ts}.${JSON.stringify(hook.body)}`).digest('hex')}`)
  assert.equal(by('/slack').body.text, `[ai-relay ai.example.com] ${text}`)
  assert.match(by('/discord').body.content, /needs attention/)
  assert.deepEqual([by('/botT0K/sendMessage').body.chat_id, /needs attention/.test(by('/botT0K/sendMessage').body.text)], ['42', true])
  const fs = by('/feishu').body
  assert.equal(fs.msg_type, 'text')
  assert.equal(fs.sign, createHmac('sha256', `${fs.timestamp}\nfs-secret`).update('').digest('base64'))
  const ding = by('/ding')
  const q = new URL(ding.path, r.url).searchParams
  assert.equal(q.get('sign'), createHmac('sha256', 'dt-secret').update(`${q.get('timestamp')}\ndt-secret`).digest('base64'))
  assert.equal(ding.body.msgtype, 'text')
  assert.equal(by('/wecom').body.text.content.includes('needs attention'), true)
  assert.equal(mails.length, 1)
  assert.match(mails[0]!, /Subject: \[ai-relay ai.example.com\] Account max \(claude\)/)
})

test('a flapping account sends one message with the changes folded in; a failing receiver is retried; targets filter events', async t => {
  const r = await receiver(t, (path, n) => (path === '/flaky' && n <= 2 ? 503 : 200))
  const n = new Notifier({
    targets: [{ type: 'webhook', url: `${r.url}/hook` }, { type: 'webhook', url: `${r.url}/flaky` }, { type: 'slack', url: `${r.url}/keys-only`, events: ['key.expired'] } as TargetConfig],
    debounceMs: 100, relayName: 'r',
  }, quiet, fastRetries())
  for (let i = 0; i < 5; i++) {
    n.notify({ type: 'account.rate_limited', account: 'flappy', provider: 'claude', until: Date.now() + 60_000, reason: '429' })
    n.notify({ type: 'account.recovered', account: 'flappy', provider: 'claude' })
  }
  n.notify({ type: 'key.expired', key: 'old' })
  await new Promise(resolve => setTimeout(resolve, 250))
  await n.close()
  const hooks = r.got.filter(g => g.path === '/hook')
  assert.equal(hooks.filter(h => h.body.details.account === 'flappy').length, 1, 'one message for the flapping account')
  const flappy = hooks.find(h => h.body.details.account === 'flappy')!
  assert.deepEqual([flappy.body.event, flappy.body.folded], ['account.recovered', 9])
  assert.equal(r.counts.get('/flaky'), 4, 'two 503s, then delivered: 2 messages (the account and the key)')
  assert.deepEqual(r.got.filter(g => g.path === '/keys-only').map(g => g.body.text), ['[ai-relay r] Key old has expired'])
})

test('a running relay reports an account rate-limited with its reset time, then serving again, and a key near its budget', async t => {
  const r = await receiver(t)
  const mock = await startAnthropicMock()
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(undefined, {
    accounts: [claudeAccount(mock.url, { name: 'solo' })],
    keys: [{ name: 'alice', key: ALICE_KEY, budgets: { dailyUsd: 0.0003 } }],
    notifications: { debounceMs: 50, budgetFraction: 0.5, targets: [{ type: 'webhook', url: `${r.url}/hook` }] },
    scheduler: { rateLimitCooldownMs: 300 },
  }))
  const call = async () => {
    const res = await request(`${relay.url}/claude/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, 'anthropic-version': '2023-06-01' }, body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }) })
    await res.body.dump()
    return res.statusCode
  }
  mock.enqueue({ kind: 'status', status: 429, headers: { 'retry-after': '1' } })
  assert.equal(await call(), 429)
  await new Promise(resolve => setTimeout(resolve, 1100))
  assert.equal(await call(), 200)
  await relay.settled()
  await relay.server.notifier.flush()
  await new Promise(resolve => setTimeout(resolve, 100))
  await relay.server.notifier.flush()
  const events = r.got.map(g => g.body)
  const limited = events.find(e => e.event === 'account.rate_limited')
  assert.ok(limited, JSON.stringify(events))
  assert.equal(limited.details.account, 'solo')
  assert.ok(limited.details.until > Date.now() - 5000, 'with its reset time')
  assert.ok(events.some(e => e.event === 'account.recovered'), 'serving again')
  const budget = events.find(e => e.event === 'key.budget_high')
  assert.ok(budget, JSON.stringify(events))
  assert.equal(budget.details.key, 'alice')
  assert.ok(budget.details.fraction >= 0.5)
})

test('the watchers: a window past the share once per reset, a provider disabling an account, keys expiring after the start only', async () => {
  const sent: unknown[] = []
  const fake = { enabled: true, notify: (e: unknown) => sent.push(e) } as unknown as Notifier
  const pool = { byId: (id: string) => ({ name: id === 'acc_1' ? 'max' : id, provider: 'claude' }) } as never
  const watch = healthWatcher(fake, pool, { windowUtilisation: 0.9, now: () => 1000 })
  const snapshot = (u: number) => ({ at: 1, windows: [{ name: '5h', utilisation: u, resetsAt: 5000 }, { name: '7d', utilisation: 0.5 }] })
  watch.rateLimits('acc_1', snapshot(0.85))
  watch.rateLimits('acc_1', snapshot(0.93))
  watch.rateLimits('acc_1', snapshot(0.97))
  const base = { accountId: 'acc_1', status: 'active' as const, reason: null, cooldownUntil: null, consecutiveFailures: 0, lastError: null, lastErrorAt: null, rateLimits: null, updatedAt: 0, refreshFailures: 0 }
  watch.changed(base, { ...base, status: 'disabled', reason: 'organization disabled' })
  watch.succeeded('acc_1')
  assert.deepEqual(sent, [
    { type: 'account.window_high', account: 'max', provider: 'claude', window: '5h', utilisation: 0.93, resetsAt: 5000 },
    { type: 'account.disabled', account: 'max', provider: 'claude', reason: 'organization disabled' },
    { type: 'account.recovered', account: 'max', provider: 'claude' },
  ])
  sent.length = 0
  const check = expiryWatcher(fake)
  const key = (name: string, expiresAt: number | null) => ({ id: name, name, expiresAt, disabled: false }) as never
  check([key('long-gone', 100), key('later', 5000), key('never', null)], 1000)
  check([key('long-gone', 100), key('later', 5000), key('never', null)], 6000)
  check([key('long-gone', 100), key('later', 5000), key('never', null)], 7000)
  assert.deepEqual(sent, [{ type: 'key.expired', key: 'later' }])
})
