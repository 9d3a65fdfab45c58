// Gemini's event stream as Anthropic's: for generated answers cut anywhere, the events come in
// Anthropic's order (every block started before its deltas and stopped before the next, indexes
// counting up, message_delta then message_stop last) and assemble back to the text, thinking,
// tool calls, stop reason and usage.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { geminiStreamToMessages } from '../../../plugins/bridges/gemini-stream-to-messages.ts'
import { anthropicUsageOf } from '../../../plugins/bridges/messages-to-gemini.ts'

type P = { text: string, thought?: boolean } | { functionCall: { name: string, args: Record<string, number> } }
const part: fc.Arbitrary<P> = fc.oneof(
  fc.string({ minLength: 1, maxLength: 8 }).map(text => ({ text })),
  fc.string({ minLength: 1, maxLength: 8 }).map(text => ({ text, thought: true })),
  fc.record({ name: fc.constantFrom('Read', 'Bash'), args: fc.dictionary(fc.stringMatching(/^[a-z]{1,3}$/), fc.integer()) }).map(functionCall => ({ functionCall })),
)

test('any answer, cut anywhere, comes out in Anthropic\'s order and assembles back', () => {
  fc.assert(fc.property(fc.array(fc.array(part, { maxLength: 3 }), { minLength: 1, maxLength: 5 }), fc.constantFrom('STOP', 'MAX_TOKENS'),
    fc.record({ promptTokenCount: fc.nat(100000), candidatesTokenCount: fc.nat(100000), cachedContentTokenCount: fc.nat(1000) }), fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 40 }),
    (events, finish, usage, cuts) => {
      const sse = events.map((parts, i) => `data: ${JSON.stringify({ responseId: 'r1', candidates: [{ content: { parts }, ...(i === events.length - 1 ? { finishReason: finish } : {}) }], usageMetadata: usage })}\n\n`).join('')
      const bytes = Buffer.from(sse)
      const f = geminiStreamToMessages({ model: 'gemini-2.5-pro' })
      let text = ''
      let at = 0
      for (const n of cuts) { if (at >= bytes.length) break; text += f.write(bytes.subarray(at, at + n)).toString(); at += n }
      text += f.write(bytes.subarray(at)).toString() + f.end().toString()
      const evs = text.split('\n\n').filter(Boolean).map(block => {
        const [name, data] = block.split('\n') as [string, string]
        const body = JSON.parse(data.slice(6)) as Record<string, any>
        assert.equal(name, `event: ${body.type}`)
        return body
      })
      assert.equal(evs[0]!.type, 'message_start')
      assert.deepEqual(evs.slice(-2).map(e => e.type), ['message_delta', 'message_stop'])
      // Blocks: started, deltas, stopped, in index order, none overlapping.
      let current = -1
      let isOpen = false
      const blocks: { type: string, text: string, name?: string, input?: string }[] = []
      for (const e of evs.slice(1, -2)) {
        if (e.type === 'content_block_start') { assert.ok(!isOpen); assert.equal(e.index, current + 1); current = e.index; isOpen = true; blocks.push({ type: e.content_block.type, text: '', name: e.content_block.name, input: '' }) }
        else if (e.type === 'content_block_delta') { assert.ok(isOpen); assert.equal(e.index, current); const b = blocks.at(-1)!; b.text += e.delta.text ?? e.delta.thinking ?? ''; b.input += e.delta.partial_json ?? '' }
        else if (e.type === 'content_block_stop') { assert.ok(isOpen); assert.equal(e.index, current); isOpen = false }
        else assert.fail(`unexpected ${e.type}`)
      }
      assert.ok(!isOpen)
      const all = events.flat()
      const visible = (kind: 'text' | 'thinking') => blocks.filter(b => b.type === kind).map(b => b.text).join('')
      assert.equal(visible('text'), all.filter(p => 'text' in p && !p.thought).map(p => (p as { text: string }).text).join(''))
      assert.equal(visible('thinking'), all.filter(p => 'text' in p && p.thought).map(p => (p as { text: string }).text).join(''))
      const calls = all.filter(p => 'functionCall' in p).map(p => (p as { functionCall: { name: string, args: object } }).functionCall)
      assert.deepEqual(blocks.filter(b => b.type === 'tool_use').map(b => [b.name, JSON.parse(b.input!)]), calls.map(c => [c.name, JSON.parse(JSON.stringify(c.args))]))
      const last = evs.at(-2)!
      assert.equal(last.delta.stop_reason, calls.length > 0 ? 'tool_use' : finish === 'MAX_TOKENS' ? 'max_tokens' : 'end_turn')
      assert.deepEqual(last.usage, anthropicUsageOf(usage))
    }), { numRuns: 300 })
})

test('a stream cut before Gemini said it finished ends without message_stop', () => {
  const f = geminiStreamToMessages({ model: 'm' })
  const out = f.write(Buffer.from(`data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text: 'half' }] } }] })}\n\n`)).toString() + f.end().toString()
  assert.ok(out.includes('"text":"half"'))
  assert.ok(!out.includes('message_stop'))
})
