// Reads usage from OpenAI responses while the bytes pass to the client untouched.
// Responses streams end with `response.completed` (or `response.incomplete` / `response.failed`),
// whose `response.usage` is final; content events are skipped unparsed. Chat streams carry
// usage in the chunk with empty `choices` (present because the relay asked for it) and end with
// `data: [DONE]`. JSON bodies carry `usage` at the top level. A cut stream keeps what was seen.
import { createEventStreamMeter, createWholeJsonMeter, type Meter } from '../../core/plugin-api.ts'
import { readUsage } from './usage.ts'

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed'])

export function createResponsesSseMeter (): Meter {
  return createEventStreamMeter((ev, s) => {
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
  return createEventStreamMeter((ev, s) => {
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
  return createWholeJsonMeter((body, s) => {
    const b = body as { model?: unknown, usage?: unknown } | null
    const u = readUsage(b?.usage, s.invalid)
    if (u) s.usage = u
    if (typeof b?.model === 'string') s.model = b.model
  })
}
