// Gemini's `streamGenerateContent?alt=sse` answer → Chat Completions chunks, as a response
// filter. Each Gemini event is a partial answer: its text parts (thoughts left out) become
// `delta.content`, a function call (which Gemini sends whole) a `delta.tool_calls` entry with a
// made-up id. Gemini has no closing event: the answer is finished once an event carried a
// finish reason, and only then, when the stream ends, come the finish chunk, the usage chunk
// (`stream_options.include_usage`; Gemini's usage is cumulative, the last one counts) and
// `[DONE]`. A stream cut before a finish reason ends without them.
import { createEventRewriter, type ResponseFilter } from '../../core/plugin-api.ts'
import { chatCallId, chatFinishReason, geminiChatUsage, type GeminiAnswer } from './chat-to-gemini.ts'

export function geminiStreamToChat (opts: { model: string, includeUsage: boolean, now?: number }): ResponseFilter {
  return createEventRewriter(emit => {
    const created = Math.floor((opts.now ?? Date.now()) / 1000)
    let id = `chatcmpl-${created.toString(36)}`
    let responseId: string | undefined
    let model = opts.model
    let usage: GeminiAnswer['usageMetadata']
    let finish: string | undefined
    let calls = 0
    let started = false
    const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => {
      emit(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] })}\n\n`)
    }
    const event = (text: string) => {
      let a: GeminiAnswer
      try {
        a = JSON.parse(text) as GeminiAnswer
      } catch {
        return
      }
      if (typeof a.responseId === 'string' && !started) {
        id = `chatcmpl-${a.responseId}`
        responseId = a.responseId
      }
      if (typeof a.modelVersion === 'string') model = a.modelVersion
      if (!started) {
        started = true
        chunk({ role: 'assistant', content: '' })
      }
      if (a.usageMetadata) usage = a.usageMetadata
      const candidate = Array.isArray(a.candidates) ? a.candidates[0] : undefined
      for (const p of Array.isArray(candidate?.content?.parts) ? candidate.content.parts : []) {
        if (typeof p.text === 'string' && p.thought !== true && p.text !== '') chunk({ content: p.text })
        const call = p.functionCall as { name?: unknown, args?: unknown, id?: unknown } | undefined
        if (call && typeof call.name === 'string') {
          chunk({ tool_calls: [{ index: calls, id: typeof call.id === 'string' ? call.id : chatCallId(responseId, calls, created * 1000), type: 'function', function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) } }] })
          calls++
        }
      }
      if (typeof candidate?.finishReason === 'string') finish = candidate.finishReason
    }
    const end = () => {
      if (finish === undefined) return
      chunk({}, chatFinishReason(finish, calls))
      if (opts.includeUsage) emit(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: geminiChatUsage(usage) })}\n\n`)
      emit('data: [DONE]\n\n')
    }
    return { event, end }
  })
}
