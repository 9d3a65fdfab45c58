// Reads usage from Anthropic responses while the bytes pass to the client untouched.
// Streams: `message_start` carries the input side (and a first output count), `message_delta`
// the cumulative output (newer API versions repeat the input side there too), `message_stop`
// ends the message. A stream cut before `message_stop` keeps what was seen: partial, never zero.
// JSON bodies: the usage object of the message.
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { createWholeJsonMeter, type Meter, type MeterResult, type Usage } from '../../core/plugin-api.ts'
import { mergeUsage, type AnthropicUsage } from './usage.ts'

const SKIPPED_EVENTS = new Set(['content_block_start', 'content_block_delta', 'content_block_stop', 'ping'])

interface StreamEvent {
  type?: string
  message?: { model?: string, usage?: AnthropicUsage }
  usage?: AnthropicUsage
}

export function createSseMeter (): Meter {
  const usage: Usage = {}
  const invalid: string[] = []
  let model: string | undefined
  let complete = false
  const decoder = new TextDecoder()
  const parser = createParser({
    onEvent (ev: EventSourceMessage) {
      // Content events are the bulk of a stream and carry no usage: skipped unparsed.
      if (ev.event !== undefined && SKIPPED_EVENTS.has(ev.event)) return
      let data: StreamEvent
      try {
        data = JSON.parse(ev.data) as StreamEvent
      } catch {
        return
      }
      if (data.type === 'message_start') {
        if (typeof data.message?.model === 'string') model = data.message.model
        mergeUsage(usage, data.message?.usage, invalid)
      } else if (data.type === 'message_delta') {
        mergeUsage(usage, data.usage, invalid)
      } else if (data.type === 'message_stop') {
        complete = true
      }
    },
  })
  return {
    push (chunk) {
      parser.feed(decoder.decode(chunk, { stream: true }))
    },
    end (): MeterResult {
      parser.feed(decoder.decode())
      return { usage, model, complete, ...(invalid.length > 0 ? { invalid } : {}) }
    },
  }
}

export function createJsonMeter (): Meter {
  return createWholeJsonMeter((body, invalid) => {
    const usage: Usage = {}
    mergeUsage(usage, body.usage as AnthropicUsage | undefined, invalid)
    return { usage, model: typeof body.model === 'string' ? body.model : undefined }
  })
}
