// Anthropic Messages → Gemini (Claude Code on Gemini accounts): a Claude Code-like turn, and
// generated conversations (text, images, tool use and results, thinking sent back) whose
// translation Gemini accepts; answers back as Anthropic messages whose usage adds up.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Ajv } from 'ajv'
import { geminiToMessages, messagesToGemini } from '../../../plugins/bridges/messages-to-gemini.ts'
import { generateContent } from '../../fixtures/bridges/schemas.ts'

const ajv = new Ajv({ strict: false, allErrors: true })
const valid = ajv.compile(generateContent)
const anthropicMessage = ajv.compile({
  type: 'object', required: ['id', 'type', 'role', 'model', 'content', 'stop_reason', 'usage'],
  properties: {
    type: { const: 'message' }, role: { const: 'assistant' }, stop_reason: { enum: ['end_turn', 'max_tokens', 'tool_use', 'refusal', 'stop_sequence'] },
    content: { type: 'array', items: { oneOf: [
      { type: 'object', required: ['type', 'text'], properties: { type: { const: 'text' }, text: { type: 'string', minLength: 1 } } },
      { type: 'object', required: ['type', 'thinking', 'signature'], properties: { type: { const: 'thinking' } } },
      { type: 'object', required: ['type', 'id', 'name', 'input'], properties: { type: { const: 'tool_use' }, id: { type: 'string', pattern: '^toolu_' }, input: { type: 'object' } } },
    ] } },
    usage: { type: 'object', required: ['input_tokens', 'output_tokens'], properties: { input_tokens: { type: 'integer', minimum: 0 }, output_tokens: { type: 'integer', minimum: 0 } } },
  },
})

test('a Claude Code turn: system blocks, tools with full JSON Schemas, a tool round trip, thinking', () => {
  const r = messagesToGemini({
    model: 'gemini-2.5-pro', max_tokens: 32000, system: [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }],
    tools: [{ name: 'Read', description: 'Read a file', input_schema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'], additionalProperties: false } }],
    thinking: { type: 'enabled', budget_tokens: 4000 },
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'Read README.md' }] },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'I should read it', signature: 'sig' }, { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: 'README.md' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '# Hello' }] }] },
    ],
  })
  assert.ok(r.ok, !r.ok ? r.message : '')
  assert.ok(valid(r.request), JSON.stringify(valid.errors))
  assert.deepEqual(r.request.contents.map(c => [c.role, c.parts.map(p => Object.keys(p)[0])]), [['user', ['text']], ['model', ['functionCall']], ['user', ['functionResponse']]])
  assert.deepEqual(r.request.contents[2]!.parts[0], { functionResponse: { name: 'Read', response: { result: '# Hello' } } })
  assert.deepEqual(r.request.generationConfig?.thinkingConfig, { thinkingBudget: 4000, includeThoughts: true })
  assert.equal(r.request.tools![0]!.functionDeclarations[0]!.parametersJsonSchema!.$schema, 'http://json-schema.org/draft-07/schema#', 'the schema as Claude Code wrote it')
})

test('a system message inside the conversation (Claude Code 2.1 sends its environment so) joins the system instruction', () => {
  const r = messagesToGemini({
    model: 'gemini-2.5-pro', max_tokens: 100, system: [{ type: 'text', text: 'You are Claude Code.' }],
    messages: [{ role: 'user', content: 'hi' }, { role: 'system', content: [{ type: 'text', text: '# Environment' }] }],
  })
  assert.ok(r.ok, !r.ok ? r.message : '')
  assert.deepEqual(r.request.systemInstruction, { parts: [{ text: 'You are Claude Code.' }, { text: '# Environment' }] })
  assert.deepEqual(r.request.contents, [{ role: 'user', parts: [{ text: 'hi' }] }])
})

test('refusals say what to change', () => {
  const m = (body: Record<string, unknown>) => { const r = messagesToGemini(body); return r.ok ? '' : r.message }
  assert.match(m({ max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'file:///etc/passwd' } }] }] }), /an https URL/)
  assert.match(m({ max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'x', content: 'r' }] }] }), /no earlier tool_use has the id "x"/)
  assert.match(m({ messages: [{ role: 'user', content: 'hi' }] }), /max_tokens: required/)
  assert.match(m({ max_tokens: 10, tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [{ role: 'user', content: 'hi' }] }), /only custom tools/)
})

const text = fc.string({ minLength: 1, maxLength: 20 })
const userTurn = fc.oneof(text.map(t => ({ role: 'user', content: t })), text.map(t => ({ role: 'user', content: [{ type: 'text', text: t }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }] })))
const toolTurn = fc.tuple(fc.array(fc.constantFrom('Read', 'Bash'), { minLength: 1, maxLength: 3 }), fc.uniqueArray(fc.stringMatching(/^toolu_[a-z0-9]{1,6}$/), { minLength: 3, maxLength: 3 }), fc.boolean(), fc.boolean())
  .map(([names, ids, thinking, error]) => [
    { role: 'assistant', content: [...(thinking ? [{ type: 'thinking', thinking: 'hmm', signature: 's' }] : []), ...names.map((n, i) => ({ type: 'tool_use', id: ids[i]!, name: n, input: { i } }))] },
    { role: 'user', content: names.map((_, i) => ({ type: 'tool_result', tool_use_id: ids[i]!, content: 'done', ...(error ? { is_error: true } : {}) })) },
  ])
// Claude Code puts its environment in a system message inside the conversation.
const systemTurn = text.map(t => [{ role: 'system', content: [{ type: 'text', text: t }] }])
const turn = fc.oneof(userTurn.map(m => [m]), text.map(t => [{ role: 'assistant', content: t }]), toolTurn, systemTurn)

test('generated conversations translate to requests Gemini accepts, results answering the turn before', () => {
  fc.assert(fc.property(userTurn, fc.array(turn, { maxLength: 6 }), fc.record({
    max_tokens: fc.integer({ min: 1, max: 64000 }),
    temperature: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
    top_k: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
    thinking: fc.option(fc.oneof(fc.integer({ min: 1024, max: 30000 }).map(b => ({ type: 'enabled', budget_tokens: b })), fc.constant({ type: 'disabled' })), { nil: undefined }),
    tool_choice: fc.option(fc.constantFrom({ type: 'auto' }, { type: 'any' }, { type: 'none' }, { type: 'tool', name: 'Read' }), { nil: undefined }),
  }), (first, turns, opts) => {
    const r = messagesToGemini({ model: 'gemini-2.5-pro', messages: [first, ...turns.flat()], tools: [{ name: 'Read', input_schema: { type: 'object' } }, { name: 'Bash', input_schema: { type: 'object' } }], ...opts })
    assert.ok(r.ok, !r.ok ? r.message : '')
    assert.ok(valid(r.request), JSON.stringify(valid.errors))
    const c = r.request.contents
    assert.equal(c[0]!.role, 'user')
    c.forEach((t, i) => {
      if (i > 0) assert.notEqual(t.role, c[i - 1]!.role)
      for (const p of t.parts) {
        if ('functionResponse' in p) assert.ok(c[i - 1]!.parts.some(q => 'functionCall' in q && q.functionCall.name === p.functionResponse.name))
      }
    })
  }), { numRuns: 300 })
})

test('answers come back as Anthropic messages; usage adds up whatever numbers arrive', () => {
  const n = fc.oneof(fc.integer({ min: 0, max: 2_000_000 }), fc.constantFrom(-3, 0.5, Number.NaN, null, undefined))
  fc.assert(fc.property(fc.array(fc.oneof(text.map(t => ({ text: t })), text.map(t => ({ text: t, thought: true })), fc.record({ functionCall: fc.record({ name: fc.constantFrom('Read'), args: fc.dictionary(fc.string(), fc.integer()) }) })), { maxLength: 5 }),
    fc.constantFrom('STOP', 'MAX_TOKENS', 'SAFETY', undefined), n, n, n, n, (parts, reason, prompt, out, cached, thoughts) => {
      const m = geminiToMessages({ responseId: 'r', candidates: [{ content: { parts }, finishReason: reason }], usageMetadata: { promptTokenCount: prompt as number, candidatesTokenCount: out as number, cachedContentTokenCount: cached as number, thoughtsTokenCount: thoughts as number } }, 'gemini-2.5-pro')
      assert.ok(anthropicMessage(m), JSON.stringify(anthropicMessage.errors))
      const p = typeof prompt === 'number' && Number.isSafeInteger(prompt) && prompt >= 0 ? prompt : 0
      assert.equal(m.usage.input_tokens + m.usage.cache_read_input_tokens, p)
      if (parts.some(x => 'functionCall' in x)) assert.equal(m.stop_reason, 'tool_use')
    }), { numRuns: 300 })
})

test('an image by URL (Anthropic\'s url source) goes as fileData for Google to fetch', () => {
  const r = messagesToGemini({ max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://x.example/y.webp' } }, { type: 'text', text: 'describe' }] }] })
  assert.ok(r.ok, !r.ok ? r.message : '')
  assert.ok(valid(r.request), JSON.stringify(valid.errors))
  assert.deepEqual(r.request.contents[0]!.parts[0], { fileData: { mimeType: 'image/webp', fileUri: 'https://x.example/y.webp' } })
})
