// Gemini's event stream as Chat Completions chunks: generated answers cut anywhere assemble back
// to their text (thoughts left out), their function calls, the finish reason and the last usage;
// a stream without a finish reason ends without [DONE].
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { geminiStreamToChat } from '../../../plugins/bridges/gemini-stream-to-chat.ts'
import { geminiChatUsage } from '../../../plugins/bridges/chat-to-gemini.ts'
import { EVENT_LIMIT } from '../../../core/plugin-api.ts'

type P = { text: string, thought?: boolean } | { functionCall: { name: string, args: Record<string, number> } }

function sse (events: P[][], finish: string | undefined, usage: { promptTokenCount: number, candidatesTokenCount: number }): string {
  return events.map((parts, i) => {
    const last = i === events.length - 1
    const data = { responseId: 'resp1', modelVersion: 'gemini-2.5-pro', candidates: [{ content: { role: 'model', parts }, ...(last && finish ? { finishReason: finish } : {}) }], usageMetadata: { ...usage, candidatesTokenCount: last ? usage.candidatesTokenCount : 1 } }
    return `data: ${JSON.stringify(data)}\r\n\r\n`
  }).join('')
}

const part: fc.Arbitrary<P> = fc.oneof(
  fc.string({ minLength: 1, maxLength: 10 }).map(text => ({ text })),
  fc.string({ minLength: 1, maxLength: 10 }).map(text => ({ text, thought: true })),
  fc.record({ name: fc.constantFrom('look', 'read'), args: fc.dictionary(fc.stringMatching(/^[a-z]{1,3}$/), fc.integer()) }).map(functionCall => ({ functionCall })),
)

test('any answer, cut anywhere, assembles back', () => {
  fc.assert(fc.property(fc.array(fc.array(part, { maxLength: 3 }), { minLength: 1, maxLength: 5 }), fc.constantFrom('STOP', 'MAX_TOKENS', 'SAFETY'), fc.boolean(),
    fc.record({ promptTokenCount: fc.nat(100000), candidatesTokenCount: fc.nat(100000) }), fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 40 }),
    (events, finish, includeUsage, usage, cuts) => {
      const bytes = Buffer.from(sse(events, finish, usage))
      const f = geminiStreamToChat({ model: 'gemini-2.5-pro', includeUsage })
      let text = ''
      let at = 0
      for (const n of cuts) { if (at >= bytes.length) break; text += f.write(bytes.subarray(at, at + n)).toString(); at += n }
      text += f.write(bytes.subarray(at)).toString() + f.end().toString()
      const lines = text.split('\n\n').filter(Boolean)
      assert.equal(lines.at(-1), 'data: [DONE]')
      const chunks = lines.slice(0, -1).map(l => JSON.parse(l.slice(6)) as { choices: { delta: Record<string, any>, finish_reason: string | null }[], usage?: unknown })
      const deltas = chunks.flatMap(c => c.choices.map(ch => ch.delta))
      const all = events.flat()
      assert.equal(deltas.map(d => d.content ?? '').join(''), all.filter(p => 'text' in p && !p.thought).map(p => (p as { text: string }).text).join(''))
      const calls = deltas.flatMap(d => d.tool_calls ?? []).map((c: { function: { name: string, arguments: string } }) => [c.function.name, JSON.parse(c.function.arguments)])
      assert.deepEqual(calls, all.filter(p => 'functionCall' in p).map(p => { const c = (p as { functionCall: { name: string, args: object } }).functionCall; return [c.name, JSON.parse(JSON.stringify(c.args))] }))
      const finishes = chunks.flatMap(c => c.choices.map(ch => ch.finish_reason)).filter(Boolean)
      assert.deepEqual(finishes, [calls.length > 0 ? 'tool_calls' : finish === 'MAX_TOKENS' ? 'length' : finish === 'SAFETY' ? 'content_filter' : 'stop'])
      const usages = chunks.filter(c => c.usage !== undefined).map(c => c.usage)
      assert.deepEqual(usages, includeUsage ? [geminiChatUsage(usage)] : [])
    }), { numRuns: 300 })
})

test('a stream that never said it finished ends without [DONE]', () => {
  const f = geminiStreamToChat({ model: 'm', includeUsage: true })
  const out = f.write(Buffer.from(sse([[{ text: 'partial' }]], undefined, { promptTokenCount: 1, candidatesTokenCount: 1 }))).toString() + f.end().toString()
  assert.ok(out.includes('"content":"partial"'))
  assert.ok(!out.includes('[DONE]'))
})

test('an event past the kit\'s limit ends the translation with the relay\'s error, never a silent gap', () => {
  const f = geminiStreamToChat({ model: 'gemini-2.5-pro', includeUsage: true })
  const huge = Buffer.from(`data: {"candidates":[{"content":{"parts":[{"text":"${'x'.repeat(EVENT_LIMIT)}`)
  assert.throws(() => f.write(huge), (err: Error & { code?: string }) => err.code === 'RELAY_ERR_UPSTREAM_TOO_LARGE')
})
