// Bedrock's streamed answer: AWS's binary event stream (`application/vnd.amazon.eventstream`).
// Each message is length-prefixed; its headers say what it is (`:message-type` event or
// exception, `:event-type` chunk, `:exception-type`), and a chunk's JSON payload holds one
// Anthropic event, base64 in `bytes`. The messages are framed here by their length prefix, as
// bytes arrive in any split, and each is decoded and CRC-checked by @smithy's codec. What
// arrives is hostile: a message past `EVENT_LIMIT`, a bad CRC or a prelude that cannot be a
// message stops the reading (the answer is then incomplete).
import { EventStreamCodec, type Message } from '@smithy/core/event-streams'
import { EVENT_LIMIT } from '../../../core/plugin-api.ts'

const codec = new EventStreamCodec(bytes => Buffer.from(bytes).toString('utf8'), text => Buffer.from(text, 'utf8'))
/** Prelude (total length, headers length, prelude CRC) and message CRC. */
const FRAMING = 16

/** One message of the stream, as the relay reads it. */
export type BedrockStreamItem =
  /** An Anthropic event (its JSON text). */
  | { kind: 'event', json: string }
  /** An exception in the stream (`throttlingException`, `modelStreamErrorException`…), with AWS's message. */
  | { kind: 'exception', type: string, message: string }

export interface BedrockStreamDecoder {
  /** Feeds bytes; false once the stream cannot be read any further (corrupt or too large). */
  push (chunk: Buffer): boolean
  readonly broken: boolean
}

function headerText (m: Message, name: string): string | undefined {
  const h = m.headers[name]
  return h?.type === 'string' ? h.value : undefined
}

/** What one decoded message holds for the relay (undefined: nothing it reads). */
export function readMessage (m: Message): BedrockStreamItem | undefined {
  const messageType = headerText(m, ':message-type')
  const text = Buffer.from(m.body).toString('utf8')
  if (messageType === 'exception' || messageType === 'error') {
    let message = ''
    try { message = String((JSON.parse(text) as { message?: unknown }).message ?? '') } catch { message = text }
    return { kind: 'exception', type: headerText(m, ':exception-type') ?? headerText(m, ':error-code') ?? 'unknownException', message: message.slice(0, 1000) }
  }
  if (messageType !== 'event' || headerText(m, ':event-type') !== 'chunk') return undefined
  let payload: { bytes?: unknown }
  try { payload = JSON.parse(text) as { bytes?: unknown } } catch { return undefined }
  if (typeof payload.bytes !== 'string') return undefined
  return { kind: 'event', json: Buffer.from(payload.bytes, 'base64').toString('utf8') }
}

export function createBedrockStreamDecoder (onItem: (item: BedrockStreamItem) => void, limit = EVENT_LIMIT): BedrockStreamDecoder {
  let pending: Buffer[] = []
  let size = 0
  /** The length of the message being collected, once its prefix is in. */
  let need: number | undefined
  let broken = false
  const stop = () => {
    broken = true
    pending = []
    return false
  }
  return {
    push (chunk) {
      if (broken) return false
      pending.push(chunk)
      size += chunk.length
      for (;;) {
        if (need === undefined) {
          if (size < 4) break
          if (pending[0]!.length < 4) pending = [Buffer.concat(pending)]
          need = pending[0]!.readUInt32BE(0)
          if (need < FRAMING || need > limit) return stop()
        }
        // Joined once the whole message is in, never on every chunk.
        if (size < need) break
        const all = pending.length === 1 ? pending[0]! : Buffer.concat(pending)
        let message: Message
        try {
          message = codec.decode(all.subarray(0, need))
        } catch {
          return stop()
        }
        const rest = all.subarray(need)
        pending = rest.length > 0 ? [rest] : []
        size = rest.length
        need = undefined
        const item = readMessage(message)
        if (item) onItem(item)
      }
      return true
    },
    get broken () { return broken },
  }
}

/** An Anthropic event's JSON as the SSE event the Messages API streams. */
export function sseEvent (json: string): string {
  let type = 'message'
  try {
    const t = (JSON.parse(json) as { type?: unknown }).type
    if (typeof t === 'string' && /^[a-z_]{1,64}$/.test(t)) type = t
  } catch {}
  // One data line: the JSON as Bedrock sent it has no raw newline inside.
  return `event: ${type}\ndata: ${json.replace(/[\r\n]+/g, ' ')}\n\n`
}
