// Bedrock's answers as the Messages API's: the binary event stream as Anthropic's event stream
// (each chunk's event as it came; an exception in the stream as Anthropic's `error` event), and
// CountTokens' `{inputTokens}` as count_tokens' `{input_tokens}`. The meter reads the same
// events out of the upstream's bytes.
import { createJsonRewriter, tooLarge, EVENT_LIMIT, type Meter, type MeterResult, type ResponseFilter } from '../../../core/plugin-api.ts'
import { createBedrockStreamDecoder, sseEvent, type BedrockStreamItem } from './event-stream.ts'
import { createSseMeter } from '../meter.ts'

/** AWS's exception names → Anthropic's error types, as Claude clients read them. */
const ERROR_TYPES: Readonly<Record<string, string>> = {
  throttlingException: 'rate_limit_error',
  serviceUnavailableException: 'overloaded_error',
  modelStreamErrorException: 'api_error',
  internalServerException: 'api_error',
  validationException: 'invalid_request_error',
  modelTimeoutException: 'api_error',
}

function anthropicText (item: BedrockStreamItem): string {
  if (item.kind === 'event') return sseEvent(item.json)
  const type = ERROR_TYPES[item.type] ?? 'api_error'
  return `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message: `Bedrock: ${item.type}: ${item.message}` } })}\n\n`
}

/** The event stream as Anthropic SSE, written as each message completes. */
export function createEventStreamFilter (): ResponseFilter {
  let out: string[] = []
  const decoder = createBedrockStreamDecoder(item => out.push(anthropicText(item)))
  return {
    contentType: 'text/event-stream; charset=utf-8',
    write (chunk) {
      if (!decoder.push(chunk)) throw tooLarge('a Bedrock stream message', EVENT_LIMIT)
      const text = out.join('')
      out = []
      return Buffer.from(text)
    },
    end: () => Buffer.alloc(0),
  }
}

/** Reads the Anthropic events inside the event stream, as the Messages API meter reads them. */
export function createEventStreamMeter (): Meter {
  const inner = createSseMeter()
  const decoder = createBedrockStreamDecoder(item => { if (item.kind === 'event') inner.push(Buffer.from(sseEvent(item.json))) })
  return {
    push: chunk => decoder.push(chunk),
    end (): MeterResult {
      const r = inner.end()
      return decoder.broken ? { ...r, complete: false } : r
    },
  }
}

/** CountTokens' answer in count_tokens' shape; one without a count passes as Bedrock sent it, not made into a number. */
export function createCountTokensFilter (): ResponseFilter {
  return createJsonRewriter(answer => {
    const count = (answer as { inputTokens?: unknown } | null)?.inputTokens
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) throw new Error('no token count')
    return { input_tokens: count }
  })
}
