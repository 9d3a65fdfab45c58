// Anthropic's rate-limit headers → a snapshot the relay keeps per account.
// API keys: anthropic-ratelimit-{requests|tokens|input-tokens|output-tokens}-{limit|remaining|reset}
// (reset as RFC 3339). Subscriptions (OAuth): anthropic-ratelimit-unified-<window>-{status|reset|
// utilization} for windows such as 5h, 7d and per-family ones like 7d_opus (reset in epoch
// seconds, utilization 0..1), plus an overall anthropic-ratelimit-unified-{status|reset}.
// A window whose status is `rejected` blocks the account (or, for a family window, that family)
// until its reset; core acts on that.
import type { IncomingHttpHeaders } from 'node:http'
import type { RateLimitSnapshot, RateLimitWindow } from '../../core/plugin-api.ts'

// Read on every answer: the header names are built once.
const STANDARD = ['requests', 'tokens', 'input-tokens', 'output-tokens'].map(name => ({
  name, limit: `anthropic-ratelimit-${name}-limit`, remaining: `anthropic-ratelimit-${name}-remaining`, reset: `anthropic-ratelimit-${name}-reset`,
}))
const UNIFIED_PREFIX = 'anthropic-ratelimit-unified-'
const UNIFIED = /^anthropic-ratelimit-unified-(?:([a-z0-9_]+)-)?(status|reset|utilization)$/

function one (v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

export function readRateLimits (headers: IncomingHttpHeaders, now: number): RateLimitSnapshot | undefined {
  const windows = new Map<string, RateLimitWindow>()
  const win = (name: string) => {
    let w = windows.get(name)
    if (!w) windows.set(name, w = { name })
    return w
  }
  for (const h of STANDARD) {
    const limit = Number(one(headers[h.limit]))
    const remaining = Number(one(headers[h.remaining]))
    if (!(limit > 0) || Number.isNaN(remaining)) continue
    const reset = Date.parse(one(headers[h.reset]) ?? '')
    const w = win(h.name)
    w.utilisation = Math.min(1, Math.max(0, 1 - remaining / limit))
    if (!Number.isNaN(reset)) w.resetsAt = reset
  }
  for (const header in headers) {
    if (!header.startsWith(UNIFIED_PREFIX)) continue
    const m = UNIFIED.exec(header)
    const v = one(headers[header])
    if (!m || v === undefined) continue
    const w = win(m[1] ?? 'unified')
    // Windows such as 7d_opus or 7d_sonnet limit one model family only.
    const family = /_([a-z]+)$/.exec(w.name)?.[1]
    if (family) w.models = `*${family}*`
    if (m[2] === 'status') w.status = v
    else if (m[2] === 'reset' && /^\d+$/.test(v)) w.resetsAt = Number(v) * 1000
    else if (m[2] === 'utilization' && Number.isFinite(Number(v))) w.utilisation = Number(v)
  }
  return windows.size > 0 ? { at: now, windows: [...windows.values()] } : undefined
}
