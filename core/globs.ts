// Glob patterns over model names (`claude-opus-*`), compiled once per distinct pattern set:
// policies, account model lists and per-family rate-limit windows are checked per request.
// Case-insensitive: a key denied `claude-opus-*` must not get `Claude-Opus-4-1` through.
import picomatch from 'picomatch'

const compiled = new Map<string, (name: string) => boolean>()

export function globMatcher (globs: string | string[]): (name: string) => boolean {
  const k = JSON.stringify(globs)
  let m = compiled.get(k)
  if (!m) compiled.set(k, m = picomatch(globs, { nocase: true }))
  return m
}
