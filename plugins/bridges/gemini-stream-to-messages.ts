// Gemini's `streamGenerateContent?alt=sse` answer → Anthropic's Messages event stream, in the
// order Anthropic's reference gives (Claude Code reads it so): message_start, then each content
// block as content_block_start, its deltas and content_block_stop (thinking, text, tool_use;
// a new block whenever the kind changes), then message_delta with the stop reason and usage, and
// message_stop. Gemini sends a function call whole: its input goes as one input_json_delta.
// Gemini has no closing event: the message ends once an event carried a finish reason; a
// stream cut before one ends without message_delta and message_stop (Claude Code sees a cut).
import { createEventRewriter, type ResponseFilter } from '../../core/plugin-api.ts'
import type { GeminiAnswer } from './chat-to-gemini.ts'
import { anthropicStopReason, anthropicUsageOf } from './messages-to-gemini.ts'

const ev = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`

export function geminiStreamToMessages (opts: { model: string, now?: number }): ResponseFilter {
  return createEventRewriter(emit => {
    let started = false
    let open: 'text' | 'thinking' | undefined
    let index = -1
    let calls = 0
    let finish: string | undefined
    let usage: GeminiAnswer['usageMetadata']
    let id = `msg_${(opts.now ?? Date.now()).toString(36)}`

    const close = () => {
      if (open === undefined) return
      if (open === 'thinking') emit(ev('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: '' } }))
      emit(ev('content_block_stop', { type: 'content_block_stop', index }))
      open = undefined
    }
    const openBlock = (kind: 'text' | 'thinking') => {
      if (open === kind) return
      close()
      index++
      open = kind
      emit(ev('content_block_start', { type: 'content_block_start', index, content_block: kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '' } }))
    }

    const event = (text: string) => {
      let a: GeminiAnswer
      try {
        a = JSON.parse(text) as GeminiAnswer
      } catch {
        return
      }
      if (!started) {
        started = true
        if (typeof a.responseId === 'string') id = `msg_${a.responseId}`
        const u = anthropicUsageOf(a.usageMetadata)
        emit(ev('message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model: opts.model, content: [], stop_reason: null, stop_sequence: null, usage: { ...u, output_tokens: 0 } } }))
      }
      if (a.usageMetadata) usage = a.usageMetadata
      const candidate = Array.isArray(a.candidates) ? a.candidates[0] : undefined
      for (const p of Array.isArray(candidate?.content?.parts) ? candidate.content.parts : []) {
        if (typeof p.text === 'string' && p.text !== '') {
          const kind = p.thought === true ? 'thinking' : 'text'
          openBlock(kind)
          emit(ev('content_block_delta', { type: 'content_block_delta', index, delta: kind === 'text' ? { type: 'text_delta', text: p.text } : { type: 'thinking_delta', thinking: p.text } }))
        }
        const call = p.functionCall as { name?: unknown, args?: unknown } | undefined
        if (call && typeof call.name === 'string') {
          close()
          index++
          emit(ev('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: `toolu_${String(calls++).padStart(2, '0')}_${id.slice(4)}`, name: call.name, input: {} } }))
          emit(ev('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(typeof call.args === 'object' && call.args !== null ? call.args : {}) } }))
          emit(ev('content_block_stop', { type: 'content_block_stop', index }))
        }
      }
      if (typeof candidate?.finishReason === 'string') finish = candidate.finishReason
    }
    const end = () => {
      if (!started || finish === undefined) return
      close()
      emit(ev('message_delta', { type: 'message_delta', delta: { stop_reason: anthropicStopReason(finish, calls), stop_sequence: null }, usage: anthropicUsageOf(usage) }))
      emit(ev('message_stop', { type: 'message_stop' }))
    }
    return { event, end }
  })
}
