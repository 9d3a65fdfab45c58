// Reads usage from Gemini responses while the bytes pass untouched. Streams come as SSE
// (`?alt=sse`: one GenerateContentResponse per `data:` event) or, without `alt`, as one JSON
// array whose elements arrive over time; either way the last `usageMetadata` holds the totals,
// and a candidate's `finishReason` marks the end. A JSON body carries `usageMetadata` whole.
import { createParser } from 'eventsource-parser'
import type { Meter, Usage } from '../../core/plugin-api.ts'
import { readUsageMetadata } from './usage.ts'

interface Chunk { usageMetadata?: unknown, modelVersion?: unknown, candidates?: { finishReason?: unknown }[] }

function take (chunk: Chunk, s: { usage: Usage, model?: string, complete: boolean, invalid: string[] }): void {
  if (typeof chunk.modelVersion === 'string') s.model = chunk.modelVersion
  const u = readUsageMetadata(chunk.usageMetadata, s.invalid)
  if (u) s.usage = u
  if (Array.isArray(chunk.candidates) && chunk.candidates.some(c => typeof c?.finishReason === 'string')) s.complete = true
}

export function createSseMeter (): Meter {
  const s: { usage: Usage, model?: string, complete: boolean, invalid: string[] } = { usage: {}, complete: false, invalid: [] }
  const decoder = new TextDecoder()
  const parser = createParser({
    onEvent (ev) {
      // Only chunks that report usage or finish are parsed; text chunks go by unread.
      if (!ev.data.includes('usageMetadata') && !ev.data.includes('finishReason') && s.model !== undefined) return
      try {
        take(JSON.parse(ev.data) as Chunk, s)
      } catch {}
    },
  })
  return {
    push (chunk) { parser.feed(decoder.decode(chunk, { stream: true })) },
    end () {
      parser.feed(decoder.decode())
      return { usage: s.usage, model: s.model, complete: s.complete, ...(s.invalid.length > 0 ? { invalid: s.invalid } : {}) }
    },
  }
}

/**
 * A whole JSON body: one response, or (a stream without `alt=sse`) an array of them whose last
 * `usageMetadata` counts. Bounded like every whole-body meter; a body that does not parse
 * leaves usage unknown.
 */
export function createJsonMeter (): Meter {
  const chunks: Buffer[] = []
  let size = 0
  return {
    push (chunk) {
      size += chunk.length
      if (size <= 16 * 1024 * 1024) chunks.push(chunk)
    },
    end () {
      const s: { usage: Usage, model?: string, complete: boolean, invalid: string[] } = { usage: {}, complete: false, invalid: [] }
      let body: unknown
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        return { usage: {}, complete: false }
      }
      for (const item of Array.isArray(body) ? body : [body]) if (item && typeof item === 'object') take(item as Chunk, s)
      return { usage: s.usage, model: s.model, complete: true, ...(s.invalid.length > 0 ? { invalid: s.invalid } : {}) }
    },
  }
}
