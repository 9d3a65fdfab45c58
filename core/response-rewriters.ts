// The two ways a plugin or a bridge rewrites an answer on its way to the client, offered through
// the plugin API so each is written once: an event stream rewritten event by event (read with
// the kit's bounded reader; what each write produced goes out with it), and a whole JSON answer
// rewritten once it has all arrived (bounded). Past a bound, an event stream ends in the relay's
// error (its rewrite cannot be skipped silently); a JSON answer either does the same or, where
// the client can still read it, passes as it came (`overflow: 'pass'`).
import { createEventReader, EVENT_LIMIT, tooLarge, WHOLE_BODY_LIMIT } from './plugin-kit.ts'
import type { ResponseFilter } from './plugin-contract.ts'

/**
 * `build` gets `emit` (text for the client) and returns what to do with each event's data and,
 * once the upstream has ended, what closes the answer.
 */
export function createEventRewriter (build: (emit: (text: string) => void) => { event: (data: string) => void, end?: () => void }, contentType?: string): ResponseFilter {
  let out: string[] = []
  const { event, end } = build(text => { out.push(text) })
  const reader = createEventReader(ev => event(ev.data))
  const drain = (): Buffer => {
    const b = Buffer.from(out.join(''))
    out = []
    return b
  }
  return {
    write (c) {
      // An event past the limit cannot be rewritten: the client gets the relay's error, not a silent gap.
      if (!reader.push(c)) throw tooLarge('an event', EVENT_LIMIT)
      return drain()
    },
    end () {
      reader.end()
      end?.()
      return drain()
    },
    ...(contentType ? { contentType } : {}),
  }
}

/**
 * A whole JSON answer through `map` at its end. An answer that does not parse, or that `map`
 * throws on, passes as it came. Past `WHOLE_BODY_LIMIT`: the relay's error, or with
 * `overflow: 'pass'` the answer as it came from there on.
 */
export function createJsonRewriter (map: (answer: unknown) => unknown, opts: { overflow?: 'error' | 'pass' } = {}): ResponseFilter {
  const chunks: Buffer[] = []
  let size = 0
  let passing = false
  return {
    write (c) {
      if (passing) return c
      size += c.length
      if (size > WHOLE_BODY_LIMIT) {
        if (opts.overflow !== 'pass') throw tooLarge('a JSON answer', WHOLE_BODY_LIMIT)
        passing = true
        const held = Buffer.concat([...chunks, c])
        chunks.length = 0
        return held
      }
      chunks.push(c)
      return Buffer.alloc(0)
    },
    end () {
      if (passing) return Buffer.alloc(0)
      const raw = Buffer.concat(chunks)
      try {
        return Buffer.from(JSON.stringify(map(JSON.parse(raw.toString('utf8')))))
      } catch {
        return raw
      }
    },
  }
}
