// Reads usage from OpenAI responses while the bytes pass to the client untouched.
// Responses streams end with `response.completed` (or `response.incomplete` / `response.failed`),
// whose `response.usage` is final; content events are skipped unparsed. Chat streams carry
// usage in the chunk with empty `choices` (present because the relay asked for it) and end with
// `data: [DONE]`. JSON bodies carry `usage` at the top level. A cut stream keeps what was seen.
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { createWholeJsonMeter, type Meter, type MeterResult, type Usage } from '../../core/plugin-api.ts'
import { readUsage } from './usage.ts'

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed'])

function result (usage: Usage, model: string | undefined, complete: boolean, invalid: string[]): MeterResult {
  return { usage, model, complete, ...(invalid.length > 0 ? { invalid } : {}) }
}

/** A meter over SSE text: `onEvent` sees each event and may update the state. */
function sseMeter (onEvent: (ev: EventSourceMessage, state: { usage: Usage, model?: string, complete: boolean, invalid: string[] }) => void): Meter {
  const state: { usage: Usage, model?: string, complete: boolean, invalid: string[] } = { usage: {}, complete: false, invalid: [] }
  const decoder = new TextDecoder()
  const parser = createParser({ onEvent: ev => onEvent(ev, state) })
  return {
    push (chunk) { parser.feed(decoder.decode(chunk, { stream: true })) },
    end () {
      parser.feed(decoder.decode())
      return result(state.usage, state.model, state.complete, state.invalid)
    },
  }
}

export function createResponsesSseMeter (): Meter {
  return sseMeter((ev, s) => {
    const type = ev.event
    if (type !== undefined && type !== 'response.created' && !TERMINAL.has(type)) return
    let data: { type?: string, response?: { model?: unknown, usage?: unknown } }
    try {
      data = JSON.parse(ev.data) as typeof data
    } catch {
      return
    }
    const t = data.type ?? type
    if (typeof data.response?.model === 'string') s.model = data.response.model
    if (t !== undefined && TERMINAL.has(t)) {
      s.complete = true
      const u = readUsage(data.response?.usage, s.invalid)
      if (u) s.usage = u
    }
  })
}

export function createChatSseMeter (): Meter {
  return sseMeter((ev, s) => {
    if (ev.data === '[DONE]') {
      s.complete = true
      return
    }
    // Most chunks are content: only those that mention usage or are the first are parsed.
    if (s.model !== undefined && !ev.data.includes('"usage"')) return
    let data: { model?: unknown, usage?: unknown }
    try {
      data = JSON.parse(ev.data) as typeof data
    } catch {
      return
    }
    if (typeof data.model === 'string') s.model = data.model
    const u = readUsage(data.usage, s.invalid)
    if (u) s.usage = u
  })
}

export function createJsonMeter (): Meter {
  return createWholeJsonMeter((body, invalid) => ({
    usage: readUsage(body.usage, invalid) ?? {},
    model: typeof body.model === 'string' ? body.model : undefined,
  }))
}
