// Anthropic's Messages event stream → OpenAI Chat Completions chunks, as a response filter:
// text deltas become `delta.content`, a tool_use block becomes a `delta.tool_calls` entry (its
// id and name first, then its input's JSON in pieces, as OpenAI streams arguments), thinking is
// dropped, message_delta's stop reason becomes the finish reason, and with
// `stream_options.include_usage` a last chunk carries the usage (choices empty), then `[DONE]`.
// The events are read with the plugin kit's bounded reader (an event past its limit ends the
// translation: the client sees the stream end without [DONE], as a cut).
import { createEventRewriter, type ResponseFilter } from '../../core/plugin-api.ts'
import { chatUsage, finishReason, type AnthropicUsage } from './anthropic-to-chat.ts'

interface Options {
  /** The model named in the chunks (the upstream's, once message_start says it). */
  model: string
  includeUsage: boolean
  now?: number
}

export function anthropicStreamToChat (opts: Options): ResponseFilter {
  return createEventRewriter(emit => {
    const created = Math.floor((opts.now ?? Date.now()) / 1000)
    let id = `chatcmpl-${created.toString(36)}`
    let model = opts.model
    const usage: AnthropicUsage = {}
    /** Content block index → the tool call's index among this answer's calls. */
    const toolIndex = new Map<number, number>()
    let finish: string | null = null
    let started = false
    let ended = false

    const chunk = (delta: Record<string, unknown>, finishReasonValue: string | null = null) => {
      emit(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReasonValue }] })}\n\n`)
    }
    const start = () => {
      if (started) return
      started = true
      chunk({ role: 'assistant', content: '' })
    }

    const event = (text: string) => {
      if (ended) return
      let data: Record<string, any>
      try {
        data = JSON.parse(text) as Record<string, any>
      } catch {
        return
      }
      switch (data.type) {
        case 'message_start': {
          const m = data.message as { id?: unknown, model?: unknown, usage?: AnthropicUsage } | undefined
          if (typeof m?.id === 'string') id = `chatcmpl-${m.id.replace(/^msg_/, '')}`
          if (typeof m?.model === 'string') model = m.model
          Object.assign(usage, m?.usage ?? {})
          start()
          return
        }
        case 'content_block_start': {
          start()
          const b = data.content_block as { type?: string, id?: string, name?: string } | undefined
          if (b?.type === 'tool_use' && typeof b.id === 'string' && typeof b.name === 'string') {
            const index = toolIndex.size
            toolIndex.set(Number(data.index), index)
            chunk({ tool_calls: [{ index, id: b.id, type: 'function', function: { name: b.name, arguments: '' } }] })
          }
          return
        }
        case 'content_block_delta': {
          start()
          const d = data.delta as { type?: string, text?: string, partial_json?: string } | undefined
          if (d?.type === 'text_delta' && typeof d.text === 'string') chunk({ content: d.text })
          else if (d?.type === 'input_json_delta' && typeof d.partial_json === 'string') {
            const index = toolIndex.get(Number(data.index))
            if (index !== undefined) chunk({ tool_calls: [{ index, function: { arguments: d.partial_json } }] })
          }
          return
        }
        case 'message_delta': {
          if (typeof data.delta?.stop_reason === 'string') finish = data.delta.stop_reason
          // message_delta's usage is cumulative: it replaces what message_start said.
          Object.assign(usage, data.usage ?? {})
          return
        }
        case 'message_stop': {
          start()
          chunk({}, finishReason(finish))
          if (opts.includeUsage) emit(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: chatUsage(usage) })}\n\n`)
          emit('data: [DONE]\n\n')
          ended = true
        }
      }
    }

    // Still an event stream: core's own error event for a cut goes in the bridge's shape.
    return { event }
  })
}
