// The Chat Completions → Gemini bridge: worked examples from both API references; generated
// conversations whose translation must be a request Gemini accepts (a JSON Schema of
// generateContent, and its rule that function results answer the calls of the turn before);
// answers back as valid Chat Completions whose usage adds up whatever numbers arrive.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { Ajv } from 'ajv'
import { chatToGemini, geminiToChat, type GeminiRequest } from '../../../plugins/bridges/chat-to-gemini.ts'
import { chatGemini } from '../../../plugins/bridges/chat-gemini.ts'
import { generateContent } from '../../fixtures/bridges/schemas.ts'

const ajv = new Ajv({ strict: false, allErrors: true })
const valid = ajv.compile(generateContent)

test('a conversation with a system prompt, an inline image, parallel calls and their results by name', () => {
  const r = chatToGemini({
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'What is here?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'look', arguments: '{"x":1}' } }, { id: 'call_2', type: 'function', function: { name: 'read', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_2', content: '{"page":"text"}' },
      { role: 'tool', tool_call_id: 'call_1', content: 'a cat' },
    ],
    tools: [{ type: 'function', function: { name: 'look', parameters: { type: 'object' } } }, { type: 'function', function: { name: 'read' } }],
    tool_choice: { type: 'function', function: { name: 'look' } }, response_format: { type: 'json_schema', json_schema: { name: 'a', schema: { type: 'object' } } }, reasoning_effort: 'low', max_tokens: 50,
  })
  assert.ok(r.ok, !r.ok ? r.message : '')
  assert.ok(valid(r.request), JSON.stringify(valid.errors))
  assert.deepEqual(r.request.contents.map(c => [c.role, c.parts.map(p => Object.keys(p)[0])]), [['user', ['text', 'inlineData']], ['model', ['functionCall', 'functionCall']], ['user', ['functionResponse', 'functionResponse']]])
  assert.deepEqual(r.request.contents[2]!.parts, [{ functionResponse: { name: 'read', response: { page: 'text' } } }, { functionResponse: { name: 'look', response: { result: 'a cat' } } }])
  assert.deepEqual(r.request.toolConfig, { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['look'] } })
  assert.deepEqual(r.request.generationConfig, { maxOutputTokens: 50, responseMimeType: 'application/json', responseJsonSchema: { type: 'object' }, thinkingConfig: { thinkingBudget: 1024 } })
})

test('refusals say what to change: an image by URL, a result for a call never made', () => {
  const m = (body: Record<string, unknown>) => { const r = chatToGemini(body); return r.ok ? '' : r.message }
  assert.match(m({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://example.com/a.png' } }] }] }), /an https URL/)
  assert.match(m({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://user:pw@example.com/a.png' } }] }] }), /without user or password/)
  assert.match(m({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/image?id=4' } }] }] }), /must end in \.png/)
  assert.match(m({ messages: [{ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'nope', content: 'r' }] }), /no earlier assistant message made the call "nope"/)
})

const text = fc.string({ minLength: 1, maxLength: 20 })
const userMsg = fc.oneof(text.map(t => ({ role: 'user', content: t })), text.map(t => ({ role: 'user', content: [{ type: 'text', text: t }, { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } }] })))
const toolTurn = fc.tuple(fc.array(fc.record({ name: fc.constantFrom('a', 'b'), x: fc.integer() }), { minLength: 1, maxLength: 3 }), fc.uniqueArray(fc.stringMatching(/^call_[a-z0-9]{1,6}$/), { minLength: 3, maxLength: 3 }), fc.boolean())
  .map(([calls, ids, reversed]) => {
    const results = calls.map((_, i) => ({ role: 'tool', tool_call_id: ids[i]!, content: 'ok' }))
    return [{ role: 'assistant', content: null, tool_calls: calls.map((c, i) => ({ id: ids[i]!, type: 'function', function: { name: c.name, arguments: JSON.stringify({ x: c.x }) } })) }, ...(reversed ? results.reverse() : results)]
  })
const turn = fc.oneof(userMsg.map(m => [m]), text.map(t => [{ role: 'assistant', content: t }]), toolTurn, text.map(t => [{ role: 'system', content: t }]))

test('generated conversations translate to requests Gemini accepts, each result answering a call of the turn before', () => {
  fc.assert(fc.property(userMsg, fc.array(turn, { maxLength: 6 }), fc.record({
    temperature: fc.option(fc.double({ min: 0, max: 2, noNaN: true }), { nil: undefined }),
    max_tokens: fc.option(fc.integer({ min: 1, max: 65_536 }), { nil: undefined }),
    reasoning_effort: fc.option(fc.constantFrom('minimal', 'low', 'medium', 'high'), { nil: undefined }),
    tool_choice: fc.option(fc.constantFrom('auto', 'none', 'required'), { nil: undefined }),
    stop: fc.option(fc.array(text, { maxLength: 5 }), { nil: undefined }),
  }), (first, turns, opts) => {
    const r = chatToGemini({ messages: [first, ...turns.flat()], tools: [{ type: 'function', function: { name: 'a' } }, { type: 'function', function: { name: 'b' } }], ...opts })
    assert.ok(r.ok, !r.ok ? r.message : '')
    assert.ok(valid(r.request), JSON.stringify(valid.errors))
    const c = r.request.contents
    assert.equal(c[0]!.role, 'user')
    c.forEach((turn, i) => {
      if (i > 0) assert.notEqual(turn.role, c[i - 1]!.role)
      const answered = turn.parts.filter(p => 'functionResponse' in p).map(p => (p as { functionResponse: { name: string } }).functionResponse.name).sort()
      if (answered.length > 0) {
        const called = c[i - 1]!.parts.filter(p => 'functionCall' in p).map(p => (p as { functionCall: { name: string } }).functionCall.name).sort()
        for (const name of answered) assert.ok(called.includes(name), `${name} answers a call of the turn before`)
      }
    })
  }), { numRuns: 300 })
})

test('answers come back as Chat Completions; usage adds up whatever numbers arrive; thoughts stay out of the text', () => {
  const n = fc.oneof(fc.integer({ min: 0, max: 2_000_000 }), fc.constantFrom(-5, 2.5, Number.NaN, Number.POSITIVE_INFINITY, null, undefined))
  fc.assert(fc.property(fc.array(fc.oneof(text.map(t => ({ text: t })), text.map(t => ({ text: t, thought: true })), fc.record({ functionCall: fc.record({ name: fc.constantFrom('a', 'b'), args: fc.dictionary(fc.string(), fc.integer()) }) })), { maxLength: 5 }),
    fc.constantFrom('STOP', 'MAX_TOKENS', 'SAFETY', undefined), n, n, n, n, (parts, reason, prompt, out, cached, thoughts) => {
      const c = geminiToChat({ responseId: 'r1', candidates: [{ content: { parts }, finishReason: reason }], usageMetadata: { promptTokenCount: prompt as number, candidatesTokenCount: out as number, cachedContentTokenCount: cached as number, thoughtsTokenCount: thoughts as number } }, 'gemini-2.5-pro')
      const u = c.usage
      assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens)
      assert.ok(u.prompt_tokens_details.cached_tokens <= u.prompt_tokens)
      assert.ok(u.completion_tokens_details.reasoning_tokens <= u.completion_tokens)
      for (const v of [u.prompt_tokens, u.completion_tokens, u.total_tokens]) assert.ok(Number.isSafeInteger(v) && v >= 0)
      const visible = parts.filter(p => 'text' in p && !('thought' in p)).map(p => (p as { text: string }).text).join('')
      const calls = parts.filter(p => 'functionCall' in p).length
      assert.equal(c.choices[0]!.message.content, visible === '' && calls > 0 ? null : visible)
      assert.equal(c.choices[0]!.message.tool_calls?.length ?? 0, calls)
      if (calls > 0) assert.equal(c.choices[0]!.finish_reason, 'tool_calls')
    }), { numRuns: 300 })
})

test('through the bridge, each replayed model turn with calls has its first call signed for Gemini 3, and the request stays valid', () => {
  fc.assert(fc.property(userMsg, fc.array(turn, { maxLength: 6 }), fc.constantFrom('gemini-3-pro-preview', 'gemini-3.5-flash', 'gemini-2.5-pro'), (first, turns, model) => {
    const parsed = { model, stream: false, clientKind: 'sdk' as const }
    const tr = chatGemini.translate({ model, messages: [first, ...turns.flat()], tools: [{ type: 'function', function: { name: 'a' } }, { type: 'function', function: { name: 'b' } }] }, parsed, chatGemini.routes[0]!)
    assert.ok(!('error' in tr), 'error' in tr ? tr.error : '')
    assert.ok(valid(tr.body), JSON.stringify(valid.errors))
    assert.equal(tr.upstreamPath, `/v1beta/models/${model}:generateContent`)
    for (const c of (tr.body as unknown as GeminiRequest).contents) {
      const calls = c.parts.filter(p => 'functionCall' in p) as { thoughtSignature?: string }[]
      const signed = calls.map(p => p.thoughtSignature !== undefined)
      if (model.startsWith('gemini-2')) assert.ok(signed.every(s => !s))
      else if (calls.length > 0) assert.deepEqual(signed, calls.map((_, i) => i === 0), 'the first call of the turn only, as Gemini signs parallel calls')
    }
  }), { numRuns: 200 })
})

test('a model id that would escape the Gemini path is refused before any account is chosen', () => {
  fc.assert(fc.property(fc.oneof(fc.constantFrom('../models/x', 'gemini-2.5-pro:streamGenerateContent', 'a/b', 'gemini pro', '%2e%2e', ''), fc.string()), model => {
    const tr = chatGemini.translate({ model, messages: [{ role: 'user', content: 'hi' }] }, { model, stream: false, clientKind: 'sdk' }, chatGemini.routes[0]!)
    if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(model)) assert.ok(!('error' in tr))
    else assert.ok('error' in tr, `${JSON.stringify(model)} is refused`)
  }), { numRuns: 300 })
})

test('an image by https URL goes as fileData for Google to fetch (the relay fetches nothing), its type from the extension', () => {
  const r = chatToGemini({ messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: 'https://cdn.example.com/cat.JPG?sig=abc' } }] }] })
  assert.ok(r.ok, !r.ok ? r.message : '')
  assert.ok(valid(r.request), JSON.stringify(valid.errors))
  assert.deepEqual(r.request.contents[0]!.parts[1], { fileData: { mimeType: 'image/jpeg', fileUri: 'https://cdn.example.com/cat.JPG?sig=abc' } })
})

test('call ids are unique per answer (Gemini names calls by function only) and keep to safe characters whatever the upstream sends', () => {
  fc.assert(fc.property(fc.option(fc.string({ maxLength: 200 }), { nil: undefined }), fc.integer({ min: 1, max: 4 }), (responseId, n) => {
    const c = geminiToChat({ responseId, candidates: [{ content: { parts: Array.from({ length: n }, (_, i) => ({ functionCall: { name: 'f', args: { i } } })) }, finishReason: 'STOP' }] }, 'gemini-2.5-pro', 1_795_000_000_000)
    const ids = c.choices[0]!.message.tool_calls!.map(t => t.id)
    assert.equal(new Set(ids).size, n)
    for (const id of ids) assert.match(id, /^call_[A-Za-z0-9_-]{1,40}_\d+$/)
  }))
  const a = geminiToChat({ responseId: 'turn-a', candidates: [{ content: { parts: [{ functionCall: { name: 'f', args: {} } }] } }] }, 'm')
  const b = geminiToChat({ responseId: 'turn-b', candidates: [{ content: { parts: [{ functionCall: { name: 'f', args: {} } }] } }] }, 'm')
  assert.notEqual(a.choices[0]!.message.tool_calls![0]!.id, b.choices[0]!.message.tool_calls![0]!.id)
})
