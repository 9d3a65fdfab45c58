// Reads credential fields for `accounts add`: from an environment variable named on the command
// line (`--secret-env apiKey=ANTHROPIC_KEY`), otherwise one line each from stdin.
import { createInterface } from 'node:readline'

export async function readStdinLines (stdin: NodeJS.ReadableStream & { isTTY?: boolean }, fields: string[], prompt: (s: string) => void): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  if (fields.length === 0) return out
  const rl = createInterface({ input: stdin, terminal: false })
  const lines = rl[Symbol.asyncIterator]()
  for (const f of fields) {
    if (stdin.isTTY) prompt(`${f}: `)
    const next = await lines.next()
    if (next.done) break
    out[f] = String(next.value).trim()
  }
  rl.close()
  return out
}
