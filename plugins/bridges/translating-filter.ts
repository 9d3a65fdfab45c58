// What the bridges' stream translators share: the upstream's events read with the plugin kit's
// bounded reader, each turned into the client's text by `event`, `end` adding what closes the
// answer once the upstream has ended; each write returns what the events so far produced.
import { createEventReader, type ResponseFilter } from '../../core/plugin-api.ts'

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
      reader.push(c)
      return drain()
    },
    end () {
      reader.end()
      end?.()
      return drain()
    },
  }
}
