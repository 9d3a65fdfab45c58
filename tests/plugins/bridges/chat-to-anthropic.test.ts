// The Chat Completions → Anthropic Messages bridge: worked examples from both API references,
// and generated conversations whose translation must be a request Anthropic accepts (checked
// against a JSON Schema of the Messages request) and whose answers come back as valid Chat
// Completions with usage that adds up, whatever numbers the upstream sends.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Ajv } from 'ajv'
import { chatToAnthropic, DEFAULT_MAX_TOKENS } from '../../../plugins/bridges/chat-to-anthropic.ts'
import { anthropicToChat, chatUsage } from '../../../plugins/bridges/anthropic-to-chat.ts'

const block = {
  oneOf: [
    { type: 'object', required: ['type', 'text'], properties: { type: { const: 'text' }, text: { type: 'string' } }, additionalProperties: false },
    { type: 'object', required: ['type', 'source'], properties: { type: { const: 'image' }, source: { oneOf: [
      { type: 'object', required: ['type', 'media_type', 'data'], properties: { type: { const: 'base64' }, media_type: { enum: ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] }, data: { type: 'string', pattern: '^[A-Za-z0-9+/=]+$' } }, additionalProperties: false },
      { type: 'object', required: ['type', 'url'], properties: { type: { const: 'url' }, url: { type: 'string', pattern: '^https://' } }, additionalProperties: false },
    ] } }, additionalProperties: false },
    { type: 'object', required: ['type', 'id', 'name', 'input'], properties: { type: { const: 'tool_use' }, id: { type: 'string' }, name: { type: 'string' }, input: { type: 'object' } }, additionalProperties: false },
    { type: 'object', required: ['type', 'tool_use_id', 'content'], properties: { type: { const: 'tool_result' }, tool_use_id: { type: 'string' }, content: { type: 'string' }, is_error: { type: 'boolean' } }, additionalProperties: false },
  ],
}
/** The Messages request as Anthropic's reference describes it (the fields the bridge writes). */
const messagesRequest = {
  type: 'object',
  required: ['model', 'max_tokens', 'messages'],
  additionalProperties: false,
  properties: {
    model: { type: 'string', minLength: 1 },
    max_tokens: { type: 'integer', minimum: 1 },
    messages: { type: 'array', minItems: 1, items: { type: 'object', required: ['role', 'content'], additionalProperties: false, properties: { role: { enum: ['user', 'assistant'] }, content: { type: 'array', minItems: 1, items: block } } } },
    system: { type: 'array', items: { type: 'object', required: ['type', 'text'], properties: { type: { const: 'text' }, text: { type: 'string', minLength: 1 } }, additionalProperties: false } },
    temperature: { type: 'number', minimum: 0, maximum: 1 },
    top_p: { type: 'number', minimum: 0, maximum: 1 },
    stop_sequences: { type: 'array', items: { type: 'string' } },
    stream: { type: 'boolean' },
    tools: { type: 'array', items: { type: 'object', required: ['name', 'input_schema'], properties: { name: { type: 'string' }, description: { type: 'string' }, input_schema: { type: 'object' } }, additionalProperties: false } },
    tool_choice: { type: 'object', required: ['type'], properties: { type: { enum: ['auto', 'any', 'tool', 'none'] }, name: { type: 'string' }, disable_parallel_tool_use: { type: 'boolean' } }, additionalProperties: false },
    thinking: { type: 'object', required: ['type', 'budget_tokens'], properties: { type: { const: 'enabled' }, budget_tokens: { type: 'integer', minimum: 1024 } }, additionalProperties: false },
    metadata: { type: 'object', properties: { user_id: { type: 'string', maxLength: 256 } }, additionalProperties: false },
  },
}
const chatCompletion = {
  type: 'object',
  required: ['id', 'object', 'created', 'model', 'choices', 'usage'],
  properties: {
    object: { const: 'chat.completion' },
    choices: { type: 'array', minItems: 1, items: { type: 'object', required: ['index', 'message', 'finish_reason'], properties: { finish_reason: { enum: ['stop', 'length', 'tool_calls', 'content_filter'] }, message: { type: 'object', required: ['role', 'content'], properties: { role: { const: 'assistant' }, content: { type: ['string', 'null'] }, tool_calls: { type: 'array', items: { type: 'object', required: ['id', 'type', 'function'], properties: { type: { const: 'function' }, function: { type: 'object', required: ['name', 'arguments'], properties: { arguments: { type: 'string' } } } } } } } } } } },
    usage: { type: 'object', required: ['prompt_tokens', 'completion_tokens', 'total_tokens'], properties: { prompt_tokens: { type: 'integer', minimum: 0 }, completion_tokens: { type: 'integer', minimum: 0 }, total_tokens: { type: 'integer', minimum: 0 } } },
  },
}
const ajv = new Ajv({ strict: false, allErrors: true })
const validRequest = ajv.compile(messagesRequest)
const validCompletion = ajv.compile(chatCompletion)

test('a conversation with a system prompt, an image, parallel tool calls and their results', () => {
  const r = chatToAnthropic({
    model: 'claude-sonnet-4-5',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'What is here?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'look', arguments: '{"x":1}' } }, { id: 'call_2', type: 'function', function: { name: 'look', arguments: '{"x":2}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'a cat' },
      { role: 'tool', tool_call_id: 'call_2', content: 'a dog' },
    ],
    tools: [{ type: 'function', function: { name: 'look', description: 'Look', parameters: { type: 'object', properties: { x: { type: 'number' } } } } }],
    tool_choice: 'auto', temperature: 1, stop: 'END', max_completion_tokens: 100, stream: true,
  }, 'claude-sonnet-4-5')
  assert.ok(r.ok, !r.ok ? r.message : '')
  assert.ok(validRequest(r.request), JSON.stringify(validRequest.errors))
  assert.deepEqual(r.request.system, [{ type: 'text', text: 'Be brief.' }])
  assert.deepEqual(r.request.messages.map(m => [m.role, m.content.map(b => b.type)]), [
    ['user', ['text', 'image']], ['assistant', ['tool_use', 'tool_use']], ['user', ['tool_result', 'tool_result']],
  ])
  assert.deepEqual([r.request.temperature, r.request.stop_sequences, r.request.max_tokens, r.request.stream, r.request.tool_choice], [0.5, ['END'], 100, true, { type: 'auto' }])
})

test('refusals say what to change: n > 1, a bad role, arguments that are not JSON, an image by plain http', () => {
  const base = { messages: [{ role: 'user', content: 'hi' }] }
  const message = (body: Record<string, unknown>) => { const r = chatToAnthropic(body, 'claude-x'); return r.ok ? '' : r.message }
  assert.match(message({ ...base, n: 2 }), /^n: /)
  assert.match(message({ messages: [{ role: 'robot', content: 'hi' }] }), /messages\[0\]\.role/)
  assert.match(message({ messages: [{ role: 'user', content: 'a' }, { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{' } }] }] }), /arguments: is not valid JSON/)
  assert.match(message({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://x/y.png' } }] }] }), /https URL or a data: URL/)
  assert.match(message({ ...base, reasoning_effort: 'extreme' }), /reasoning_effort/)
  assert.match(message({ ...base, temperature: 3 }), /temperature/)
})

test('reasoning effort becomes a thinking budget that fits within max_tokens, without sampling overrides', () => {
  const r = chatToAnthropic({ messages: [{ role: 'user', content: 'think' }], reasoning_effort: 'medium', max_tokens: 1000, temperature: 0.2 }, 'claude-x')
  assert.ok(r.ok)
  assert.deepEqual(r.request.thinking, { type: 'enabled', budget_tokens: 8192 })
  assert.ok(r.request.max_tokens > 8192)
  assert.equal(r.request.temperature, undefined)
  assert.equal(chatToAnthropic({ messages: [{ role: 'user', content: 'x' }] }, 'm').ok && (chatToAnthropic({ messages: [{ role: 'user', content: 'x' }] }, 'm') as { request: { max_tokens: number } }).request.max_tokens, DEFAULT_MAX_TOKENS)
})

const text = fc.string({ minLength: 1, maxLength: 20 })
const image = fc.oneof(fc.constant('data:image/jpeg;base64,/9j/4AAQ'), fc.constant('https://example.com/a.png'))
const userMsg = fc.oneof(
  text.map(t => ({ role: 'user', content: t })),
  fc.tuple(text, image).map(([t, u]) => ({ role: 'user', content: [{ type: 'text', text: t }, { type: 'image_url', image_url: { url: u } }] })),
)
const toolTurn = fc.tuple(fc.array(fc.record({ name: fc.constantFrom('a', 'b'), x: fc.integer() }), { minLength: 1, maxLength: 3 }), fc.uniqueArray(fc.stringMatching(/^call_[a-z0-9]{1,6}$/), { minLength: 3, maxLength: 3 }))
  .map(([calls, ids]) => [
    { role: 'assistant', content: null, tool_calls: calls.map((c, i) => ({ id: ids[i]!, type: 'function', function: { name: c.name, arguments: JSON.stringify({ x: c.x }) } })) },
    ...calls.map((_, i) => ({ role: 'tool', tool_call_id: ids[i]!, content: 'ok' })),
  ])
const turn = fc.oneof(userMsg.map(m => [m]), text.map(t => [{ role: 'assistant', content: t }]), toolTurn, text.map(t => [{ role: 'system', content: t }]))

test('generated conversations translate to requests Anthropic accepts', () => {
  fc.assert(fc.property(userMsg, fc.array(turn, { maxLength: 6 }), fc.record({
    temperature: fc.option(fc.double({ min: 0, max: 2, noNaN: true }), { nil: undefined }),
    top_p: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
    max_tokens: fc.option(fc.integer({ min: 1, max: 200_000 }), { nil: undefined }),
    reasoning_effort: fc.option(fc.constantFrom('minimal', 'low', 'medium', 'high'), { nil: undefined }),
    tool_choice: fc.option(fc.constantFrom('auto', 'none', 'required'), { nil: undefined }),
    parallel_tool_calls: fc.option(fc.boolean(), { nil: undefined }),
    response_format: fc.option(fc.constantFrom({ type: 'json_object' }, { type: 'json_schema', json_schema: { name: 's', schema: { type: 'object' } } }), { nil: undefined }),
  }), (first, turns, opts) => {
    const body = { messages: [first, ...turns.flat()], tools: [{ type: 'function', function: { name: 'a', parameters: { type: 'object' } } }], ...opts }
    const r = chatToAnthropic(body, 'claude-sonnet-4-5')
    assert.ok(r.ok, !r.ok ? r.message : '')
    assert.ok(validRequest(r.request), JSON.stringify(validRequest.errors))
    // Anthropic's own rules beyond the schema: starts with the user, alternates, thinking fits.
    assert.equal(r.request.messages[0]!.role, 'user')
    r.request.messages.forEach((m, i) => { if (i > 0) assert.notEqual(m.role, r.request.messages[i - 1]!.role) })
    if (r.request.thinking) assert.ok(r.request.max_tokens > r.request.thinking.budget_tokens)
  }), { numRuns: 300 })
})

test('answers come back as valid Chat Completions; usage adds up whatever numbers the upstream sends', () => {
  const n = fc.oneof(fc.integer({ min: 0, max: 2_000_000 }), fc.constantFrom(-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2, null, undefined))
  fc.assert(fc.property(
    fc.array(fc.oneof(text.map(t => ({ type: 'text', text: t })), fc.record({ type: fc.constant('tool_use'), id: fc.string({ minLength: 1 }), name: fc.string({ minLength: 1 }), input: fc.dictionary(fc.string(), fc.integer()) }), fc.constant({ type: 'thinking' })), { maxLength: 5 }),
    fc.constantFrom('end_turn', 'max_tokens', 'tool_use', 'stop_sequence', 'refusal', null),
    n, n, n, n,
    (content, stop, input, output, written, read) => {
      const c = anthropicToChat({ id: 'msg_1', model: 'claude-sonnet-4-5', content, stop_reason: stop, usage: { input_tokens: input as number, output_tokens: output as number, cache_creation_input_tokens: written as number, cache_read_input_tokens: read as number } }, 'claude-sonnet-4-5')
      assert.ok(validCompletion(c), JSON.stringify(validCompletion.errors))
      const u = c.usage
      assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens)
      assert.ok(u.prompt_tokens_details.cached_tokens <= u.prompt_tokens)
      for (const v of [u.prompt_tokens, u.completion_tokens, u.total_tokens]) assert.ok(Number.isSafeInteger(v) && v >= 0)
      if (content.some(b => b.type === 'tool_use')) assert.equal(c.choices[0]!.message.tool_calls!.length, content.filter(b => b.type === 'tool_use').length)
    }), { numRuns: 300 })
  assert.deepEqual(chatUsage({ input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000 }).prompt_tokens_details, { cached_tokens: 1000 })
  assert.equal(chatUsage({ input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000 }).prompt_tokens, 1110)
})
