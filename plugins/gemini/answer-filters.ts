// Answers translated between the Gemini API and Code Assist on their way to the client. Code
// Assist wraps each answer as `{"response": …}`: wrapped for a Code Assist client served by the
// Gemini API, unwrapped for a Gemini API client served by Code Assist. Event streams are
// rewritten event by event as they flow; a JSON body (it arrives whole anyway) at its end. The
// meter still reads the upstream's own bytes. Both hold what they rewrite, within the kit's
// limits; an answer past them cannot be rewritten and ends in an error for the client.
import { createEventRewriter, createJsonRewriter, type ResponseFilter } from '../../core/plugin-api.ts'

/** An event-stream rewriter: each event's data through `map`, the text out in `emit`'s framing, `close` after the last. */
function eventFilter (map: (data: string) => string, emit: (data: string, first: boolean) => string, close = '', contentType?: string): ResponseFilter {
  return createEventRewriter(out => {
    let count = 0
    return {
      event: data => out(emit(map(data), count++ === 0)),
      end: () => out(count === 0 && close ? `[${close}` : close),
    }
  }, contentType)
}

/** A whole JSON body rewritten at its end (an unparsable one passes as it came; past the limit, the relay's error). */
const jsonFilter = (map: (body: unknown) => unknown): ResponseFilter => createJsonRewriter(map)

const sse = (data: string) => `data: ${data}\r\n\r\n`

/** `{"response": X}` → X; anything else (an error object) unchanged. */
function unwrapData (data: string): string {
  try {
    const parsed = JSON.parse(data) as { response?: unknown }
    return parsed !== null && typeof parsed === 'object' && parsed.response !== undefined ? JSON.stringify(parsed.response) : data
  } catch {
    return data
  }
}

const unwrapValue = (v: unknown) => (v !== null && typeof v === 'object' && 'response' in v ? (v as { response: unknown }).response : v)

/** For a Code Assist client served by the Gemini API. */
export function createWrapFilter (eventStream: boolean): ResponseFilter {
  if (eventStream) return eventFilter(data => `{"response":${data}}`, sse)
  return jsonFilter(body => (Array.isArray(body) ? body.map(response => ({ response })) : { response: body }))
}

/**
 * For a Gemini API client served by Code Assist. The upstream is always asked for an event
 * stream; a client that asked for a JSON-array stream (no `alt=sse`) gets the events' answers as
 * the elements of one, as they arrive.
 */
export function createUnwrapFilter (eventStream: boolean, clientWantsSse: boolean): ResponseFilter {
  if (!eventStream) return jsonFilter(body => (Array.isArray(body) ? body.map(unwrapValue) : unwrapValue(body)))
  if (clientWantsSse) return eventFilter(unwrapData, sse)
  return eventFilter(unwrapData, (data, first) => `${first ? '[' : ',\r\n'}${data}`, ']', 'application/json; charset=UTF-8')
}

/**
 * Antigravity's `fetchAvailableModels` answer (`{models: {<id>: {displayName, …}}}`) as the
 * Gemini API's model list, so a Gemini client reads the models the account really has.
 */
export function createModelListFilter (): ResponseFilter {
  return jsonFilter(body => {
    const models = (body as { models?: unknown } | null)?.models
    const entries = models !== null && typeof models === 'object' && !Array.isArray(models) ? Object.entries(models as Record<string, { displayName?: unknown }>) : []
    return {
      models: entries.filter(([id]) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)).slice(0, 1000).map(([id, m]) => ({
        name: `models/${id}`, displayName: typeof m?.displayName === 'string' ? m.displayName : id, supportedGenerationMethods: ['generateContent', 'countTokens'],
      })),
    }
  })
}
