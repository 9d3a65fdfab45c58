// Anthropic's event stream as Chat Completions chunks: for generated answers (text, thinking and
// tool calls in any order) cut into any chunks, the chunks a client assembles give back the
// text, each tool call's name and JSON input, the finish reason and (when asked) the usage, and
// the stream ends with [DONE].
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { anthropicStreamToChat } from '../../../plugins/bridges/anthropic-stream-to-chat.ts'
import { chatUsage } from '../../../plugins/bridges/anthropic-to-chat.ts'

type Part = { kind: 'text', text: string } | { kind: 'thinking', text: string } | { kind: 'tool', id: string, name: string, input: Record<string, number> }

const ev = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`

/** The events Anthropic's reference describes for an answer made of these blocks. */
function events (parts: Part[], stop: string, usage: { input: number, output: number, read: number }): string {
  const out = [ev('message_start', { type: 'message_start', message: { id: 'msg_abc', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: usage.input, output_tokens: 1, cache_read_input_tokens: usage.read, cache_creation_input_tokens: 0 } } })]
  parts.forEach((p, index) => {
    if (p.kind === 'tool') {
      out.push(ev('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: p.id, name: p.name, input: {} } }))
      const json = JSON.stringify(p.input)
      for (let i = 0; i < json.length; i += 5) out.push(ev('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json.slice(i, i + 5) } }))
    } else {
      out.push(ev('content_block_start', { type: 'content_block_start', index, content_block: p.kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '' } }))
      for (const piece of p.text.match(/.{1,3}/gs) ?? []) out.push(ev('content_block_delta', { type: 'content_block_delta', index, delta: p.kind === 'text' ? { type: 'text_delta', text: piece } : { type: 'thinking_delta', thinking: piece } }))
    }
    out.push(ev('content_block_stop', { type: 'content_block_stop', index }))
    if (index === 0) out.push(ev('ping', { type: 'ping' }))
  })
  out.push(ev('message_delta', { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage.output } }))
  out.push(ev('message_stop', { type: 'message_stop' }))
  return out.join('')
}

const part: fc.Arbitrary<Part> = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }).map(text => ({ kind: 'text' as const, text })),
  fc.string({ minLength: 1, maxLength: 12 }).map(text => ({ kind: 'thinking' as const, text })),
  fc.record({ id: fc.stringMatching(/^toolu_[a-z0-9]{4}$/), name: fc.constantFrom('look', 'read'), input: fc.dictionary(fc.stringMatching(/^[a-z]{1,4}$/), fc.integer()) }).map(t => ({ kind: 'tool' as const, ...t })),
)

test('any answer, cut anywhere, assembles back to its text, tool calls, finish reason and usage', () => {
  fc.assert(fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), fc.constantFrom('end_turn', 'tool_use', 'max_tokens'), fc.boolean(),
    fc.record({ input: fc.nat(100000), output: fc.nat(100000), read: fc.nat(100000) }), fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 50 }),
    (parts, stop, includeUsage, usage, cuts) => {
      const bytes = Buffer.from(events(parts, stop, usage))
      const filter = anthropicStreamToChat({ model: 'claude-sonnet-4-5', includeUsage })
      let text = ''
      let at = 0
      for (const n of cuts) {
        if (at >= bytes.length) break
        text += filter.write(bytes.subarray(at, at + n)).toString()
        at += n
      }
      text += filter.write(bytes.subarray(at)).toString() + filter.end().toString()
      const lines = text.split('\n\n').filter(Boolean)
      assert.equal(lines.at(-1), 'data: [DONE]')
      const chunks = lines.slice(0, -1).map(l => JSON.parse(l.replace(/^data: /, '')) as { id: string, object: string, choices: { delta: Record<string, any>, finish_reason: string | null }[], usage?: unknown })
      assert.ok(chunks.every(c => c.object === 'chat.completion.chunk' && c.id === 'chatcmpl-abc'))
      const deltas = chunks.flatMap(c => c.choices.map(ch => ch.delta))
      assert.equal(deltas.map(d => d.content ?? '').join(''), parts.filter(p => p.kind === 'text').map(p => (p as { text: string }).text).join(''))
      const tools = parts.filter((p): p is Extract<Part, { kind: 'tool' }> => p.kind === 'tool')
      const calls = new Map<number, { id?: string, name?: string, args: string }>()
      for (const d of deltas) {
        for (const c of d.tool_calls ?? []) {
          const call = calls.get(c.index) ?? { args: '' }
          if (c.id) call.id = c.id
          if (c.function?.name) call.name = c.function.name
          call.args += c.function?.arguments ?? ''
          calls.set(c.index, call)
        }
      }
      assert.deepEqual([...calls.values()].map(c => [c.id, c.name, JSON.parse(c.args)]), tools.map(t => [t.id, t.name, JSON.parse(JSON.stringify(t.input))]))
      const finishes = chunks.flatMap(c => c.choices.map(ch => ch.finish_reason)).filter(Boolean)
      assert.deepEqual(finishes, [stop === 'tool_use' ? 'tool_calls' : stop === 'max_tokens' ? 'length' : 'stop'])
      const usageChunks = chunks.filter(c => c.usage !== undefined)
      if (includeUsage) {
        assert.equal(usageChunks.length, 1)
        assert.deepEqual(usageChunks[0]!.usage, chatUsage({ input_tokens: usage.input, output_tokens: usage.output, cache_read_input_tokens: usage.read, cache_creation_input_tokens: 0 }))
        assert.deepEqual(usageChunks[0]!.choices, [])
      } else {
        assert.equal(usageChunks.length, 0)
      }
    }), { numRuns: 300 })
})

test('a stream cut before message_stop ends without [DONE] (the client sees a cut, not a finished answer)', () => {
  const full = events([{ kind: 'text', text: 'hello there' }], 'end_turn', { input: 1, output: 2, read: 0 })
  const cut = full.slice(0, full.indexOf('event: message_delta'))
  const f = anthropicStreamToChat({ model: 'm', includeUsage: true })
  const out = f.write(Buffer.from(cut)).toString() + f.end().toString()
  assert.ok(!out.includes('[DONE]'))
  assert.ok(out.includes('"content":"hel"'))
})
