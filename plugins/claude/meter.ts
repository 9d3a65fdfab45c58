// Reads usage from Anthropic responses while the bytes pass to the client untouched.
// Streams: `message_start` carries the input side (and a first output count), `message_delta`
// the cumulative output (newer API versions repeat the input side there too), `message_stop`
// ends the message. A stream cut before `message_stop` keeps what was seen: partial, never zero.
// JSON bodies: the usage object of the message.
import { createEventStreamMeter, createWholeJsonMeter, type Meter } from '../../core/plugin-api.ts'
import { mergeUsage, type AnthropicUsage } from './usage.ts'

const SKIPPED_EVENTS = new Set(['content_block_start', 'content_block_delta', 'content_block_stop', 'ping'])

interface StreamEvent {
  type?: string
  message?: { model?: string, usage?: AnthropicUsage }
  usage?: AnthropicUsage
}

export function createSseMeter (): Meter {
  return createEventStreamMeter((ev, s) => {
    // Content events are the bulk of a stream and carry no usage: skipped unparsed.
    if (ev.event !== undefined && SKIPPED_EVENTS.has(ev.event)) return
    let data: StreamEvent
    try {
      data = JSON.parse(ev.data) as StreamEvent
    } catch {
      return
    }
    if (data.type === 'message_start') {
      if (typeof data.message?.model === 'string') s.model = data.message.model
      mergeUsage(s.usage, data.message?.usage, s.invalid)
    } else if (data.type === 'message_delta') {
      mergeUsage(s.usage, data.usage, s.invalid)
    } else if (data.type === 'message_stop') {
      s.complete = true
    }
  })
}

export function createJsonMeter (): Meter {
  return createWholeJsonMeter((body, s) => {
    const b = body as { model?: unknown, usage?: AnthropicUsage } | null
    mergeUsage(s.usage, b?.usage, s.invalid)
    if (typeof b?.model === 'string') s.model = b.model
  })
}
