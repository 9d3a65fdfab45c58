// Reading a request body (or a WebSocket message) that is a JSON object, such that the relay and
// the upstream cannot disagree about the fields the relay decides on. JSON.parse keeps the last
// of two equal keys; another parser may keep the first, or fail. A body naming `model` twice
// would then be checked for one model and served with the other, so such a body is refused.
// Keys are compared decoded: `"mod\u0065l"` is `model`.

export type JsonObjectResult =
  | { value: Record<string, unknown> }
  | { problem: 'not-json' }
  | { problem: 'not-object' }
  | { problem: 'duplicate', key: string }

export function parseJsonObject (text: string, decisive: readonly string[]): JsonObjectResult {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { problem: 'not-json' }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { problem: 'not-object' }
  const twice = repeatedKey(text, decisive)
  return twice === undefined ? { value: value as Record<string, unknown> } : { problem: 'duplicate', key: twice }
}

/**
 * The first of `names` that the object in `text` (valid JSON, an object) holds more than once at
 * its top level. The full scan runs only when a name appears twice anywhere or some string has
 * a `\u` escape: a body without either cannot repeat a key, and most bodies have neither.
 */
function repeatedKey (text: string, names: readonly string[]): string | undefined {
  const possible = text.includes('\\u') || names.some(n => {
    const first = text.indexOf(`"${n}"`)
    return first !== -1 && text.indexOf(`"${n}"`, first + 1) !== -1
  })
  if (!possible) return undefined
  const seen = new Set<string>()
  for (const key of topLevelKeys(text)) {
    if (!names.includes(key)) continue
    if (seen.has(key)) return key
    seen.add(key)
  }
  return undefined
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c

/** The top-level keys of a JSON object, decoded, in order; `text` is known to be valid JSON. */
export function topLevelKeys (text: string): string[] {
  const keys: string[] = []
  let depth = 0
  let atKey = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      const start = i
      for (i++; text.charCodeAt(i) !== QUOTE; i++) if (text.charCodeAt(i) === BACKSLASH) i++
      if (depth === 1 && atKey) {
        keys.push(JSON.parse(text.slice(start, i + 1)) as string)
        atKey = false
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++
      atKey = depth === 1
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--
    } else if (c === COMMA && depth === 1) {
      atKey = true
    }
  }
  return keys
}
