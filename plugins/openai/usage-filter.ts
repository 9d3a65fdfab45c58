// A chat stream whose client did not ask for usage gets none: the relay asked the upstream for
// it (to meter the request) and removes that one chunk, the one with empty `choices` and a
// `usage`, from what the client receives. Every other byte passes as it came. The chunk is small:
// whatever the filter holds past `HOLD_LIMIT` without an event's end cannot be it, and goes on.
import type { ResponseFilter } from '../../core/plugin-api.ts'

const HOLD_LIMIT = 64 * 1024

const BOUNDARY = /\r?\n\r?\n/

function isUsageChunk (event: string): boolean {
  const data = event.split(/\r?\n/).filter(l => l.startsWith('data:')).map(l => l.slice(5).trimStart()).join('\n')
  if (!data.includes('"usage"')) return false
  try {
    const json = JSON.parse(data) as { choices?: unknown, usage?: unknown }
    return Array.isArray(json.choices) && json.choices.length === 0 && json.usage !== null && typeof json.usage === 'object'
  } catch {
    return false
  }
}

export function createUsageChunkFilter (): ResponseFilter {
  let held = ''
  return {
    write (chunk) {
      // latin1 keeps every byte as one char, so what passes is byte-identical.
      held += chunk.toString('latin1')
      let out = ''
      for (let m = BOUNDARY.exec(held); m; m = BOUNDARY.exec(held)) {
        const end = m.index + m[0].length
        const event = held.slice(0, end)
        held = held.slice(end)
        if (!isUsageChunk(Buffer.from(event, 'latin1').toString('utf8'))) out += event
      }
      if (held.length > HOLD_LIMIT) {
        out += held
        held = ''
      }
      return Buffer.from(out, 'latin1')
    },
    end () {
      const rest = held
      held = ''
      return Buffer.from(rest, 'latin1')
    },
  }
}
