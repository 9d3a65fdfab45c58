// An account field typed on a command line, in an environment variable or in a form, turned into
// the value its schema wants: `true`/`false` and numbers as such, a list from commas, and a map
// (a header policy's added headers) from `Name: value` lines or a JSON object. What does not fit
// is left for the schema to refuse with its own message.
export interface FieldShape { type?: unknown }

export function fieldFromText (schema: FieldShape | undefined, text: string): unknown {
  switch (schema?.type) {
    case 'array':
      return text.split(',').map(s => s.trim()).filter(Boolean)
    case 'object':
      return mapFromText(text)
    case 'string':
      return text
    default:
      return /^(true|false|-?\d+(\.\d+)?)$/.test(text) ? JSON.parse(text) as unknown : text
  }
}

/** `Name: value` per line (blank lines skipped), or a JSON object; a line without a colon keeps its text as a name with no value. */
export function mapFromText (text: string): unknown {
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    try { return JSON.parse(trimmed) } catch { return trimmed }
  }
  const out: Record<string, string> = {}
  for (const line of trimmed.split(/\r?\n/)) {
    if (line.trim() === '') continue
    const colon = line.indexOf(':')
    if (colon < 0) out[line.trim()] = ''
    else out[line.slice(0, colon).trim()] = line.slice(colon + 1).trim()
  }
  return out
}
