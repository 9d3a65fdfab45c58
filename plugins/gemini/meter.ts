// Reads usage from Gemini responses while the bytes pass untouched. Streams come as SSE
// (`?alt=sse`: one GenerateContentResponse per `data:` event) or, without `alt`, as one JSON
// array whose elements arrive over time; either way the last `usageMetadata` holds the totals,
// and a candidate's `finishReason` marks the end. A JSON body carries `usageMetadata` whole.
// Code Assist sends the same answers wrapped as `{"response": …}`.
import { createEventStreamMeter, createWholeJsonMeter, type Meter, type MeterState } from '../../core/plugin-api.ts'
import { readUsageMetadata } from './usage.ts'

interface Chunk { usageMetadata?: unknown, modelVersion?: unknown, candidates?: { finishReason?: unknown }[], response?: unknown }

/** One answer, as the Gemini API sends it or wrapped as Code Assist does (`{response}`). */
function take (raw: Chunk, s: MeterState): void {
  const chunk = raw.response !== null && typeof raw.response === 'object' ? raw.response as Chunk : raw
  if (typeof chunk.modelVersion === 'string') s.model = chunk.modelVersion
  const u = readUsageMetadata(chunk.usageMetadata, s.invalid)
  if (u) s.usage = u
  if (Array.isArray(chunk.candidates) && chunk.candidates.some(c => typeof c?.finishReason === 'string')) s.complete = true
}

export function createSseMeter (): Meter {
  return createEventStreamMeter((ev, s) => {
    // Only chunks that report usage or finish are parsed; text chunks go by unread.
    if (!ev.data.includes('usageMetadata') && !ev.data.includes('finishReason') && s.model !== undefined) return
    try {
      take(JSON.parse(ev.data) as Chunk, s)
    } catch {}
  })
}

/**
 * A whole JSON body: one response, or (a stream without `alt=sse`) an array of them whose last
 * `usageMetadata` counts.
 */
export function createJsonMeter (): Meter {
  return createWholeJsonMeter((body, s) => {
    for (const item of Array.isArray(body) ? body : [body]) if (item && typeof item === 'object') take(item as Chunk, s)
  })
}
