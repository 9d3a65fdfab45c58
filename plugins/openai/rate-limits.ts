// OpenAI's rate-limit headers → a snapshot the relay keeps per account.
// API keys: x-ratelimit-{limit|remaining|reset}-{requests|tokens} (reset as a Go duration).
// ChatGPT subscriptions (the Codex backend): x-codex-{primary|secondary}-used-percent, -window-
// minutes and -reset-after-seconds (or -reset-at, epoch seconds). A window used to 100 % is
// `rejected`: core keeps the account out until that window resets.
import type { IncomingHttpHeaders } from 'node:http'
import type { RateLimitSnapshot, RateLimitWindow } from '../../core/plugin-api.ts'
import { parseDuration } from './classify-error.ts'

function one (headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v[0] : v
}

export function readRateLimits (headers: IncomingHttpHeaders, now: number): RateLimitSnapshot | undefined {
  const windows: RateLimitWindow[] = []
  for (const name of ['requests', 'tokens']) {
    const limit = Number(one(headers, `x-ratelimit-limit-${name}`))
    const remaining = Number(one(headers, `x-ratelimit-remaining-${name}`))
    if (!(limit > 0) || !Number.isFinite(remaining)) continue
    const w: RateLimitWindow = { name, utilisation: Math.min(1, Math.max(0, 1 - remaining / limit)) }
    const reset = parseDuration(one(headers, `x-ratelimit-reset-${name}`))
    if (reset !== undefined) w.resetsAt = now + reset
    windows.push(w)
  }
  for (const which of ['primary', 'secondary']) {
    const used = Number(one(headers, `x-codex-${which}-used-percent`))
    if (!Number.isFinite(used)) continue
    const minutes = Number(one(headers, `x-codex-${which}-window-minutes`))
    const w: RateLimitWindow = { name: Number.isFinite(minutes) && minutes > 0 ? windowName(minutes) : which, utilisation: Math.min(1, Math.max(0, used / 100)) }
    const after = Number(one(headers, `x-codex-${which}-reset-after-seconds`))
    const at = Number(one(headers, `x-codex-${which}-reset-at`))
    if (Number.isFinite(after) && after >= 0) w.resetsAt = now + after * 1000
    else if (Number.isFinite(at) && at > 0) w.resetsAt = at * 1000
    if (used >= 100 && w.resetsAt !== undefined) w.status = 'rejected'
    windows.push(w)
  }
  return windows.length > 0 ? { at: now, windows } : undefined
}

/** `300` minutes → `5h`, `10080` → `7d`, as the windows are known to users. */
function windowName (minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440}d`
  if (minutes % 60 === 0) return `${minutes / 60}h`
  return `${minutes}m`
}
