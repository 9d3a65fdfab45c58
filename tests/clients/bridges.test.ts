// OpenAI-format clients on Claude and Gemini accounts through the bridges, and Claude Code on a
// Gemini account, each the real client pinned in tests/clients/package.json, in a loopback-only
// network namespace, against the relay's example-config paths (/openai/v1 shared by model,
// /gemini-cli/api). Each asserts exit 0, the answer, the usage the client saw, and the exact
// usage and cost recorded.
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_USAGE, startAnthropicMock } from '../mocks/anthropic-mock.ts'
import { CODE_ASSIST_PROJECT, DEFAULT_GEMINI_USAGE, GEMINI_TEXT, startGeminiMock, type GeminiMock } from '../mocks/gemini-mock.ts'
import { startOpenAIMock } from '../mocks/openai-mock.ts'
import { ALICE_KEY, claudeAccount, startRelay, testConfig, type Relay } from '../helpers/relay-harness.ts'
import { CLIENTS, clientEnv, requireClientSandbox, runClient } from './harness.ts'

const CLAUDE_TEXT = 'Hello from the mock Anthropic upstream.'
const PLUGINS = [
  { use: 'claude', mount: '/claude', aliases: ['/api'] },
  { use: 'openai', mount: '/openai', aliases: ['/api'] },
  { use: 'gemini', mount: '/gemini' },
  { use: 'chat-claude', mount: '/openai/claude', aliases: ['/openai', '/api'] },
  { use: 'chat-gemini', mount: '/openai/gemini', aliases: ['/openai', '/api'] },
  { use: 'messages-gemini', mount: '/gemini-cli/api' },
]

async function setup (t: TestContext) {
  const [anthropic, gemini, openai] = await Promise.all([startAnthropicMock(), startGeminiMock(), startOpenAIMock()])
  t.after(() => Promise.all([anthropic.close(), gemini.close(), openai.close()]))
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: PLUGINS,
    accounts: [
      claudeAccount(anthropic.url),
      { name: 'g', provider: 'gemini', type: 'gemini-api-key', apiKey: 'AIza-upstream-0001', baseUrl: gemini.url },
      { name: 'o', provider: 'openai', type: 'openai-api-key', apiKey: 'sk-upstream-0001', baseUrl: `${openai.url}/v1` },
    ],
  }))
  return { anthropic, gemini, openai, relay }
}

/** Every row of the key: its cost must be the table's price of what the mock answered, per model. */
async function rowsOf (relay: Relay) {
  await relay.settled()
  return (await relay.rt.store.recentRequests(200)).reverse()
}

const priceOf = (relay: Relay, model: string) => relay.rt.pricing.lookup(model)!.price
const claudeCost = (relay: Relay, model: string) => BigInt(DEFAULT_USAGE.input_tokens) * BigInt(priceOf(relay, model).input) + BigInt(DEFAULT_USAGE.output_tokens) * BigInt(priceOf(relay, model).output)
const g = DEFAULT_GEMINI_USAGE
const geminiCost = (relay: Relay, model: string) => {
  const p = priceOf(relay, model)
  return BigInt(g.prompt - g.cached) * BigInt(p.input) + BigInt(g.cached) * BigInt(p.cacheRead!) + BigInt(g.candidates + g.thoughts) * BigInt(p.output)
}

test('the openai SDK and the Vercel AI SDK on a Claude and a Gemini model at /openai/v1: answers, tool round trips, an image, usage and cost', async t => {
  if (!requireClientSandbox(t)) return
  const { anthropic, gemini, openai, relay } = await setup(t)
  // The third call of each model (the first of the tool round trip) and the AI SDK's tool loop get a tool call.
  const claudeTool = { kind: 'ok' as const, toolUses: [{ name: 'get_weather', input: { city: 'Paris' } }] }
  const geminiTool = { kind: 'ok' as const, calls: [{ name: 'get_weather', args: { city: 'Paris' } }] }
  const ok = { kind: 'ok' as const }
  anthropic.enqueue(ok, ok, claudeTool, ok, ok, ok, ok, ok, claudeTool)
  gemini.enqueue(ok, ok, geminiTool, ok, ok, ok, ok, ok, geminiTool)
  const run = await runClient(CLIENTS.node22, [fileURLToPath(new URL('bridge-calls.mjs', import.meta.url))], clientEnv({
    OPENAI_BASE: `${relay.url}/openai/v1`, RELAY_KEY: ALICE_KEY, MODELS: 'claude-sonnet-4-5,gemini-2.5-pro',
  }), fileURLToPath(new URL('.', import.meta.url)))
  assert.equal(run.code, 0, run.stderr + run.stdout)
  const got = JSON.parse(run.stdout) as Record<string, Record<string, unknown>>
  const claudeUsage = { prompt_tokens: 25, completion_tokens: 12, total_tokens: 37 }
  const geminiUsage = { prompt_tokens: 150, completion_tokens: 60, total_tokens: 210, prompt_tokens_details: { cached_tokens: 100 }, completion_tokens_details: { reasoning_tokens: 40 } }
  for (const [model, text, usage, ai] of [
    ['claude-sonnet-4-5', CLAUDE_TEXT, claudeUsage, { input: 25, output: 12 }],
    ['gemini-2.5-pro', GEMINI_TEXT, geminiUsage, { input: 150, output: 60 }],
  ] as const) {
    const m = got[model]!
    assert.deepEqual([m.plain, m.stream, m.afterTool, m.image, m.imageUrl, m.aiText, m.aiStream], [text, text, text, text, text, text, text], model)
    assert.deepEqual(m.plainUsage, { ...m.plainUsage as object, ...usage }, `${model}: the whole answer's usage`)
    assert.deepEqual(m.streamUsage, { ...m.streamUsage as object, ...usage }, `${model}: the stream's usage chunk`)
    assert.deepEqual(m.toolCall, { name: 'get_weather', arguments: { city: 'Paris' }, finish: 'tool_calls' })
    assert.deepEqual([m.aiUsage, m.aiStreamUsage], [ai, ai])
    assert.deepEqual(m.aiToolSteps, ['get_weather({"city":"Paris"})', text])
  }
  // What reached the providers: Anthropic's and Gemini's own requests, the image inline, the tool result matched to its call.
  const toClaude = anthropic.requests.map(r => JSON.parse(r.body.toString()))
  assert.deepEqual(toClaude[3].messages.at(-1).content[0], { type: 'tool_result', tool_use_id: 'toolu_01Mock0000', content: '{"temperature": 21}' })
  assert.equal(toClaude[4].messages[0].content[1].source.type, 'base64')
  assert.deepEqual(toClaude[5].messages[0].content[1].source, { type: 'url', url: 'https://images.example.com/cat.png' })
  const toGemini = gemini.requests.map(r => JSON.parse(r.body.toString()))
  assert.deepEqual(toGemini[3].contents.at(-1).parts, [{ functionResponse: { name: 'get_weather', response: { temperature: 21 } } }])
  assert.equal(toGemini[4].contents[0].parts[1].inlineData.mimeType, 'image/png')
  assert.deepEqual(toGemini[5].contents[0].parts[1], { fileData: { mimeType: 'image/png', fileUri: 'https://images.example.com/cat.png' } })
  assert.equal(openai.requests.length, 0, 'nothing went to the OpenAI account')

  const rows = await rowsOf(relay)
  assert.equal(rows.length, 20)
  for (const r of rows) {
    const claude = r.model === 'claude-sonnet-4-5'
    assert.deepEqual([r.status, r.provider, r.bridge, r.clientKind, r.flags], [200, claude ? 'claude' : 'gemini', claude ? 'chat-claude' : 'chat-gemini', 'sdk', null], `${r.model} ${r.path} ${r.userAgent}`)
    assert.equal(r.costPico, claude ? claudeCost(relay, r.model!) : geminiCost(relay, r.model!))
  }
})

/** opencode's config: the relay as an OpenAI-compatible provider offering a Claude and a Gemini model. */
function opencodeConfig (relay: Relay) {
  return JSON.stringify({
    $schema: 'https://opencode.ai/config.json',
    autoupdate: false,
    share: 'disabled',
    provider: {
      relay: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Team relay',
        options: { baseURL: `${relay.url}/openai/v1`, apiKey: ALICE_KEY },
        models: { 'claude-sonnet-4-5': { name: 'Claude Sonnet 4.5', tool_call: true }, 'gemini-2.5-pro': { name: 'Gemini 2.5 Pro', tool_call: true } },
      },
    },
  })
}

const SECRET = 'RELAY-CODE-7341'

/**
 * The agent's turns, decided by what each request holds (opencode's title call runs beside the
 * first turn, so a queue cannot know the order): with the tools and no result yet, call `read`
 * on the note; with the note's text in a tool result, answer with it; anything else (the title)
 * is the plain answer.
 */
function agentTurns (note: string) {
  const has = (body: unknown, what: string) => JSON.stringify(body).includes(what)
  return {
    claude: (body: Record<string, unknown>) => {
      if (!Array.isArray(body.tools) || body.tools.length === 0) return undefined
      if (has(body.messages, SECRET)) return { kind: 'ok' as const, text: `The note says ${SECRET}.` }
      return has(body.messages, 'tool_result') ? undefined : { kind: 'ok' as const, text: 'Reading it.', toolUses: [{ name: 'read', input: { filePath: note } }] }
    },
    gemini: (request: Record<string, unknown>) => {
      if (!Array.isArray(request.tools)) return undefined
      if (has(request.contents, SECRET)) return { kind: 'ok' as const, text: `The note says ${SECRET}.` }
      return has(request.contents, 'functionResponse') ? undefined : { kind: 'ok' as const, text: '', calls: [{ name: 'read', args: { filePath: note } }] }
    },
  }
}

test('opencode with the relay as an OpenAI-compatible provider: a task that reads a file, on a Claude model and on a Gemini model', async t => {
  if (!requireClientSandbox(t)) return
  const { anthropic, gemini, openai, relay } = await setup(t)
  const env = clientEnv({
    OPENCODE_CONFIG_CONTENT: opencodeConfig(relay),
    OPENCODE_DISABLE_MODELS_FETCH: 'true', OPENCODE_DISABLE_AUTOUPDATE: 'true', OPENCODE_DISABLE_DEFAULT_PLUGINS: 'true', OPENCODE_DISABLE_LSP_DOWNLOAD: 'true',
  })
  const note = join(env.HOME!, 'work', 'note.txt')
  writeFileSync(note, `The code is ${SECRET}.\n`)
  const turns = agentTurns(note)
  anthropic.decide = turns.claude
  gemini.decide = turns.gemini
  for (const model of ['claude-sonnet-4-5', 'gemini-2.5-pro']) {
    const run = await runClient(CLIENTS.opencode, ['run', '--model', `relay/${model}`, 'What does note.txt say?'], env)
    assert.equal(run.code, 0, run.stderr + run.stdout)
    assert.match(run.stdout, new RegExp(`The note says ${SECRET}`), `${model}: ${run.stdout}`)
  }
  assert.equal(openai.requests.length, 0)
  // Each provider saw the tool's result: the file was read by the agent between two calls.
  assert.ok(anthropic.requests.some(r => r.body.toString().includes(SECRET)))
  assert.ok(gemini.requests.some(r => r.body.toString().includes(SECRET)))
  const rows = await rowsOf(relay)
  assert.equal(rows.length, anthropic.requests.length + gemini.requests.length)
  for (const r of rows) {
    const claude = r.model!.startsWith('claude-')
    assert.deepEqual([r.status, r.provider, r.bridge, r.flags], [200, claude ? 'claude' : 'gemini', claude ? 'chat-claude' : 'chat-gemini', null], `${r.model} ${r.userAgent}`)
    assert.equal(r.costPico, claude ? claudeCost(relay, r.model!) : geminiCost(relay, r.model!))
  }
})

/** Claude Code asked what note.txt says, on Gemini's side: Gemini asks for Claude Code's Read, then answers with what it read. */
async function claudeCodeReadsTheNote (gemini: GeminiMock, env: NodeJS.ProcessEnv): Promise<void> {
  const note = join(env.HOME!, 'work', 'note.txt')
  writeFileSync(note, `The code is ${SECRET}.\n`)
  gemini.decide = request => {
    if (!Array.isArray(request.tools)) return undefined
    const text = JSON.stringify(request.contents)
    if (text.includes(SECRET)) return { kind: 'ok', text: `The note says ${SECRET}.` }
    return text.includes('functionResponse') ? undefined : { kind: 'ok', text: '', calls: [{ name: 'Read', args: { file_path: note } }] }
  }
  const run = await runClient(CLIENTS.claude, ['-p', 'What does note.txt say?'], env)
  assert.equal(run.code, 0, run.stderr + run.stdout)
  assert.match(run.stdout, new RegExp(`The note says ${SECRET}`))
}

test('Claude Code on a Gemini account at /gemini-cli/api: a task that reads a file, with usage and cost', async t => {
  if (!requireClientSandbox(t)) return
  const { anthropic, gemini, relay } = await setup(t)
  const env = clientEnv({
    ANTHROPIC_BASE_URL: `${relay.url}/gemini-cli/api`, ANTHROPIC_API_KEY: ALICE_KEY,
    ANTHROPIC_MODEL: 'gemini-2.5-pro', ANTHROPIC_DEFAULT_HAIKU_MODEL: 'gemini-2.5-flash', ANTHROPIC_SMALL_FAST_MODEL: 'gemini-2.5-flash',
  })
  await claudeCodeReadsTheNote(gemini, env)
  assert.equal(anthropic.requests.length, 0, 'nothing went to a Claude account')
  assert.ok(gemini.requests.some(r => r.body.toString().includes(SECRET)), 'Gemini saw the file Claude Code read')
  const rows = await rowsOf(relay)
  assert.ok(rows.length >= 2)
  for (const r of rows) {
    assert.deepEqual([r.status, r.provider, r.bridge, r.clientKind, r.flags], [200, 'gemini', 'messages-gemini', 'claude-code', null], `${r.model} ${r.path}`)
    assert.equal(r.costPico, geminiCost(relay, r.model!))
  }
})

test('Claude Code at /antigravity/api on an Antigravity account: its own Claude models, a task that reads a file, with usage and cost', async t => {
  if (!requireClientSandbox(t)) return
  const gemini = await startGeminiMock()
  gemini.antigravity = true
  t.after(() => gemini.close())
  const relay = await startRelay(t, testConfig(undefined, {
    plugins: [{ use: 'claude', mount: '/claude' }, { use: 'gemini', mount: '/gemini' }, { use: 'messages-gemini', mount: '/gemini-cli/api', aliases: ['/antigravity/api'] }],
    accounts: [{ name: 'ag', provider: 'gemini', type: 'antigravity-oauth', accessToken: 'ya29.antigravity', expiresAt: Date.now() + 3_600_000, projectId: CODE_ASSIST_PROJECT, baseUrl: gemini.url, models: ['claude-*'] }],
  }))
  // No model configured: Claude Code asks for its own Claude models, which Antigravity serves.
  const env = clientEnv({ ANTHROPIC_BASE_URL: `${relay.url}/antigravity/api`, ANTHROPIC_API_KEY: ALICE_KEY })
  await claudeCodeReadsTheNote(gemini, env)
  const calls = gemini.requests.filter(r => r.url.startsWith('/v1internal:') && !r.url.includes('countTokens'))
  assert.ok(calls.every(r => JSON.parse(r.body.toString()).userAgent === 'antigravity' && /^claude-/.test(JSON.parse(r.body.toString()).model)))
  const rows = await rowsOf(relay)
  assert.ok(rows.length >= 2)
  for (const r of rows.filter(r => r.path.endsWith('/messages'))) {
    assert.deepEqual([r.status, r.provider, r.bridge, r.clientKind, r.flags], [200, 'gemini', 'messages-gemini', 'claude-code', null], `${r.model} ${r.path}`)
    assert.equal(r.costPico, geminiCost(relay, r.model!), `${r.model} priced as the Claude model it is`)
  }
})
