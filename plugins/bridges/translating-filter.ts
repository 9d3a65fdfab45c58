// What the bridges' stream translators share: the upstream's events read with the plugin kit's
// bounded reader, each turned into the client's text by `event`, `end` adding what closes the
// answer once the upstream has ended; each write returns what the events so far produced.
// An event past the kit's limit ends the answer with the relay's error.
import { createEventReader, EVENT_LIMIT, tooLarge, type ResponseFilter } from '../../core/plugin-api.ts'

export function translatingFilter (build: (emit: (text: string) => void) => { event: (data: string) => void, end?: () => void }): ResponseFilter {
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
      // An event past the limit cannot be translated: the client gets the relay's error, not a silent gap.
      if (!reader.push(c)) throw tooLarge('an event', EVENT_LIMIT)
      return drain()
    },
    end () {
      reader.end()
      end?.()
      return drain()
    },
  }
}
