// Gemini upstream statuses → what they mean for the account. A 429 RESOURCE_EXHAUSTED rests the
// account for the `RetryInfo.retryDelay` it carries (`"30s"`), else `retry-after`; a per-day
// quota rests it until the next Pacific midnight, when Google resets daily quotas. The client's
// own mistakes (400, 404, 413) never bench a shared account.
import type { IncomingHttpHeaders } from 'node:http'
import { retryAfterTime, type ErrorClassification } from '../../core/plugin-api.ts'

interface GoogleError { error?: { status?: unknown, message?: unknown, details?: { '@type'?: unknown, retryDelay?: unknown, violations?: { quotaId?: unknown }[] }[] } }

function parse (body: Buffer): GoogleError['error'] {
  try {
    const e = (JSON.parse(body.toString('utf8')) as GoogleError).error
    return e !== null && typeof e === 'object' ? e : undefined
  } catch {
    return undefined
  }
}

/** The next midnight in America/Los_Angeles (Google's daily quota reset), as epoch ms. */
export function nextPacificMidnight (now: number): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Los_Angeles', hour12: false, hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(now))
  const get = (t: string) => Number(parts.find(p => p.type === t)?.value ?? 0)
  // Some engines print midnight as hour 24.
  const sinceMidnight = (((get('hour') % 24) * 60 + get('minute')) * 60 + get('second')) * 1000
  return now - (now % 1000) - sinceMidnight + 86_400_000
}

export function classifyError (status: number, headers: IncomingHttpHeaders, bodyHead: Buffer, now = Date.now()): ErrorClassification {
  if (status === 429) {
    const error = parse(bodyHead)
    const details = Array.isArray(error?.details) ? error.details : []
    const daily = details.some(d => Array.isArray(d?.violations) && d.violations.some(v => typeof v?.quotaId === 'string' && /PerDay/i.test(v.quotaId)))
    if (daily) return { kind: 'rate_limited', retryable: true, until: nextPacificMidnight(now) }
    const delay = details.map(d => (typeof d?.retryDelay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(d.retryDelay) : null)).find(m => m)
    if (delay) return { kind: 'rate_limited', retryable: true, until: now + Math.round(Number(delay[1]) * 1000) }
    return { kind: 'rate_limited', retryable: true, until: retryAfterTime(headers, now) }
  }
  if (status === 401) return { kind: 'auth_failed', retryable: true }
  if (status === 403) return { kind: 'forbidden', retryable: true }
  if (status === 503) return { kind: 'overloaded', retryable: true }
  if (status === 408 || status >= 500) return { kind: 'server_error', retryable: true }
  return { kind: 'client_error', retryable: false }
}
