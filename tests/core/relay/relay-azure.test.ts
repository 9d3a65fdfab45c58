// Azure OpenAI accounts end to end in one process: a client of the OpenAI API (at /openai, and at
// the incumbent's /azure) → sidecar → a mock Azure resource that checks the key, the deployment
// URLs and the api-version as Azure does.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'undici'
import { azureError, DEFAULT_OPENAI_USAGE, startOpenAIMock, type AzureOptions, type OpenAIMock } from '../../mocks/openai-mock.ts'
import { ALICE_KEY, startRelay, testConfig, type Relay } from '../../helpers/relay-harness.ts'

const AZURE_KEY = 'azure-resource-key-0001'
const RESOURCE: AzureOptions = { apiKey: AZURE_KEY, bearer: 'entra-token-0001', deployments: { 'team-gpt54': 'gpt-5.4', 'gpt-4o': 'gpt-4o' } }

function azureAccount (mock: OpenAIMock, extra: Record<string, unknown> = {}) {
  return { name: 'az', provider: 'openai', type: 'azure-openai', endpoint: mock.url, apiKey: AZURE_KEY, deployments: { 'gpt-5.4': 'team-gpt54', 'gpt-4o*': 'gpt-4o' }, ...extra }
}

async function setup (t: import('node:test').TestContext, accounts: (mock: OpenAIMock) => Record<string, unknown>[]): Promise<{ mock: OpenAIMock, relay: Relay }> {
  const mock = await startOpenAIMock({ azure: RESOURCE })
  t.after(() => mock.close())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'claude', mount: '/claude' }, { use: 'openai', mount: '/openai', aliases: ['/azure'] }],
    accounts: accounts(mock),
  }))
  return { mock, relay }
}

function post (relay: Relay, path: string, body: unknown) {
  return request(`${relay.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE_KEY}` }, body: JSON.stringify(body) })
}

/** What the row of `usage` on gpt-5.4 must cost. */
function gpt54Cost (relay: Relay): bigint {
  const p = relay.rt.pricing.lookup('gpt-5.4')!.price
  const u = DEFAULT_OPENAI_USAGE
  return BigInt(u.input - u.cached) * BigInt(p.input) + BigInt(u.cached) * BigInt(p.cacheRead ?? p.input) + BigInt(u.output) * BigInt(p.output)
}

test('the v1 API: Responses and Chat, whole and streamed, go to /openai/v1 with the api-key and the deployment as the model; priced as the deployment\'s model', async t => {
  const { mock, relay } = await setup(t, m => [azureAccount(m)])
  const calls = [
    ['/openai/v1/responses', { model: 'gpt-5.4', input: 'hi' }, '/openai/v1/responses'],
    ['/openai/v1/responses', { model: 'gpt-5.4', input: 'hi', stream: true }, '/openai/v1/responses'],
    ['/azure/chat/completions', { model: 'gpt-5.4', messages: [{ role: 'user', content: 'hi' }] }, '/openai/v1/chat/completions'],
    // Azure's stream opens with its content-filter chunk; the usage chunk the relay asked for is hidden again.
    ['/azure/chat/completions', { model: 'gpt-5.4', messages: [{ role: 'user', content: 'hi' }], stream: true }, '/openai/v1/chat/completions'],
  ] as const
  for (const [path, body, upstream] of calls) {
    const res = await post(relay, `${path}?api-version=2099-01-01`, body)
    const text = await res.body.text()
    assert.equal(res.statusCode, 200, text)
    const seen = mock.requests.at(-1)!
    assert.equal(seen.url, upstream, 'the v1 API takes no api-version, and the client\'s query is not Azure\'s')
    assert.deepEqual([seen.headers['api-key'], seen.headers.authorization], [AZURE_KEY, undefined])
    assert.equal(JSON.parse(seen.body.toString()).model, 'team-gpt54')
    if ('stream' in body && path.includes('chat')) {
      const chunks = text.split('\n\n').filter(l => l.startsWith('data: {')).map(l => JSON.parse(l.slice(6)) as { usage?: unknown, prompt_filter_results?: unknown })
      assert.ok(chunks[0]!.prompt_filter_results, 'Azure\'s own chunk reaches the client')
      assert.ok(chunks.every(c => !c.usage), 'the usage chunk the client did not ask for is hidden')
    }
    await relay.settled()
    const [row] = await relay.rt.store.recentRequests(1)
    assert.deepEqual([row!.status, row!.model, row!.usage.input, row!.usage.output, row!.costPico], [200, 'gpt-5.4', DEFAULT_OPENAI_USAGE.input - DEFAULT_OPENAI_USAGE.cached, DEFAULT_OPENAI_USAGE.output, gpt54Cost(relay)], path)
  }
  // A glob names the deployment; a model no entry names goes to a deployment of its own name.
  const glob = await post(relay, '/openai/v1/chat/completions', { model: 'gpt-4o-2024-08-06', messages: [{ role: 'user', content: 'hi' }] })
  assert.equal(glob.statusCode, 200)
  await glob.body.dump()
  assert.equal(JSON.parse(mock.requests.at(-1)!.body.toString()).model, 'gpt-4o')
})

test('a dated API version: Chat goes to the deployment\'s path with ?api-version, Responses to /openai/responses; an Entra token goes as a bearer', async t => {
  const { mock, relay } = await setup(t, m => [azureAccount(m, { apiKey: undefined, bearerToken: 'entra-token-0001', apiVersion: '2024-10-21' })])
  const chat = await post(relay, '/openai/v1/chat/completions', { model: 'gpt-5.4', messages: [{ role: 'user', content: 'hi' }], stream: true })
  const text = await chat.body.text()
  assert.equal(chat.statusCode, 200, text)
  assert.equal(mock.requests.at(-1)!.url, '/openai/deployments/team-gpt54/chat/completions?api-version=2024-10-21')
  assert.deepEqual([mock.requests.at(-1)!.headers.authorization, mock.requests.at(-1)!.headers['api-key']], ['Bearer entra-token-0001', undefined])
  assert.ok(text.split('\n\n').filter(l => l.startsWith('data: {')).length > 3)
  const responses = await post(relay, '/azure/responses', { model: 'gpt-5.4', input: 'hi' })
  assert.equal(responses.statusCode, 200)
  await responses.body.dump()
  assert.equal(mock.requests.at(-1)!.url, '/openai/responses?api-version=2024-10-21')
  await relay.settled()
  const rows = await relay.rt.store.recentRequests(2)
  assert.ok(rows.every(r => r.status === 200 && r.costPico === gpt54Cost(relay)))
})

test('failover: a resource without the deployment passes the request on without being benched; a 429 rests it for the time Azure names', async t => {
  const { mock, relay } = await setup(t, m => [
    azureAccount(m, { name: 'no-deployment', deployments: { 'gpt-5.4': 'missing-deployment' }, priority: 1 }),
    azureAccount(m, { name: 'has-it', priority: 50 }),
  ])
  const res = await post(relay, '/openai/v1/responses', { model: 'gpt-5.4', input: 'hi' })
  assert.equal(res.statusCode, 200)
  await res.body.dump()
  assert.deepEqual(mock.requests.map(r => JSON.parse(r.body.toString()).model), ['missing-deployment', 'team-gpt54'])
  const pool = relay.server.pool
  assert.equal(relay.server.health.state(pool.byName('no-deployment')!.id).cooldownUntil, null, 'a missing deployment is not the account failing')
  await relay.settled()
  const [row] = await relay.rt.store.recentRequests(1)
  assert.equal(row!.attempts, 2)

  // Every account without it: the client reads Azure's reason with OpenAI's 404.
  mock.requests.length = 0
  const missing = await post(relay, '/openai/v1/responses', { model: 'gpt-9', input: 'hi' })
  assert.equal(missing.statusCode, 404)
  assert.match(await missing.body.text(), /deployment for this resource does not exist/)

  const before = Date.now()
  mock.enqueue(azureError(429, '429', 'Requests to the Responses Operation under Azure OpenAI API version v1 have exceeded token rate limit of your current pricing tier. Please retry after 2 seconds.'))
  const limited = await post(relay, '/openai/v1/responses', { model: 'gpt-5.4', input: 'hi' })
  // The one account with the deployment rests; the other cannot serve: the client waits.
  assert.equal(limited.statusCode, 429)
  await limited.body.dump()
  const until = relay.server.health.state(pool.byName('has-it')!.id).cooldownUntil!
  assert.ok(until >= before + 1500 && until < Date.now() + 1600, `rests for retry-after-ms (1.5 s), got ${until - before} ms`)
})

test('an azure-openai account is checked: a credential, a deployment name fit for a path, a known API version', async t => {
  for (const [fields, problem] of [
    [{ apiKey: undefined }, /needs apiKey .* or bearerToken/],
    [{ deployments: { 'gpt-5.4': '../admin' } }, /deployments/],
    [{ apiVersion: 'latest' }, /apiVersion/],
    [{ endpoint: 'ftp://x' }, /endpoint/],
  ] as const) {
    await assert.rejects(startRelay(t, testConfig(undefined, {
      plugins: [{ use: 'openai', mount: '/openai' }],
      accounts: [Object.assign({ name: 'az', provider: 'openai', type: 'azure-openai', endpoint: 'https://r.openai.azure.com', apiKey: 'k' }, fields)],
    })), problem)
  }
})
