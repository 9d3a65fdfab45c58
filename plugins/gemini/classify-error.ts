// Gemini upstream statuses → what they mean for the account. A 429 RESOURCE_EXHAUSTED rests
// the account:
// - Code Assist's quota (ErrorInfo reason QUOTA_EXHAUSTED, domain cloudcode-pa) until the reset
//   it names (`quotaResetTimeStamp`, else `quotaResetDelay`, else RetryInfo), or the next
//   Pacific midnight when it names none: a subscription's quota is not back in 60 s;
// - a Gemini API per-day quota (QuotaFailure `…PerDay…`) until the next Pacific midnight, when
//   Google resets daily quotas;
// - otherwise for `RetryInfo.retryDelay` (`"30s"`), else `retry-after`.
// Google out of capacity for a model (MODEL_CAPACITY_EXHAUSTED) is not the account's fault: it
// counts as overloaded. The client's own mistakes (400, 404, 413) never bench a shared account.
import type { IncomingHttpHeaders } from 'node:http'
import { retryAfterTime, type ErrorClassification } from '../../core/plugin-api.ts'

interface Detail {
  '@type'?: unknown
  reason?: unknown
  domain?: unknown
  metadata?: { quotaResetTimeStamp?: unknown, quotaResetDelay?: unknown }
  retryDelay?: unknown
  violations?: { quotaId?: unknown }[]
}

/** A reset further out than this is not believed (a broken upstream must not bench an account for years). */
const MAX_REST_MS = 8 * 86_400_000

function details (body: Buffer): Detail[] {
  try {
    const e = (JSON.parse(body.toString('utf8')) as { error?: { details?: unknown } }).error
    const list = e !== null && typeof e === 'object' ? e.details : undefined
    return Array.isArray(list) ? list.filter((d): d is Detail => d !== null && typeof d === 'object') : []
  } catch {
    return []
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

/**
 * A protobuf Duration as Google prints it (`"37s"`, `"33740.91s"`) or Code Assist's reset delay
 * (`"18h41m22.3s"`, Antigravity's `"373ms"`), in ms; undefined for anything else.
 */
export function parseDuration (v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined
  const m = /^(?:(\d{1,6})h)?(?:(\d{1,8})m(?!s))?(?:(\d{1,12}(?:\.\d{1,9})?)s)?(?:(\d{1,12}(?:\.\d{1,9})?)ms)?$/.exec(v)
  if (!m || (!m[1] && !m[2] && !m[3] && !m[4])) return undefined
  return Math.round(((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000 + Number(m[4] ?? 0))
}

/** `now + ms`, or the fallback when the upstream named no sensible future time. */
function restUntil (now: number, candidates: (number | undefined)[], fallback: number): number {
  const until = candidates.find(t => t !== undefined && Number.isFinite(t) && t > now && t - now <= MAX_REST_MS)
  return until ?? fallback
}

export function classifyError (status: number, headers: IncomingHttpHeaders, bodyHead: Buffer, now = Date.now()): ErrorClassification {
  if (status === 429) {
    const list = details(bodyHead)
    const info = list.find(d => typeof d.reason === 'string' && typeof d.domain === 'string')
    const retryDelay = list.map(d => parseDuration(d.retryDelay)).find(ms => ms !== undefined)
    const afterDelay = retryDelay === undefined ? undefined : now + retryDelay
    if (info?.reason === 'MODEL_CAPACITY_EXHAUSTED' || info?.reason === 'MODEL_CAPACITY_EXCEEDED') return { kind: 'overloaded', retryable: true }
    if (info?.reason === 'QUOTA_EXHAUSTED') {
      const stamp = typeof info.metadata?.quotaResetTimeStamp === 'string' ? Date.parse(info.metadata.quotaResetTimeStamp) : undefined
      const delay = parseDuration(info.metadata?.quotaResetDelay)
      return { kind: 'rate_limited', retryable: true, until: restUntil(now, [stamp, delay === undefined ? undefined : now + delay, afterDelay], nextPacificMidnight(now)) }
    }
    const daily = list.some(d => Array.isArray(d.violations) && d.violations.some(v => typeof v?.quotaId === 'string' && /PerDay|Daily/i.test(v.quotaId)))
    if (daily) return { kind: 'rate_limited', retryable: true, until: nextPacificMidnight(now) }
    if (afterDelay !== undefined) return { kind: 'rate_limited', retryable: true, until: restUntil(now, [afterDelay], nextPacificMidnight(now)) }
    return { kind: 'rate_limited', retryable: true, until: retryAfterTime(headers, now) }
  }
  if (status === 401) return { kind: 'auth_failed', retryable: true }
  if (status === 403) return { kind: 'forbidden', retryable: true }
  if (status === 503) return { kind: 'overloaded', retryable: true }
  if (status === 408 || status >= 500) return { kind: 'server_error', retryable: true }
  return { kind: 'client_error', retryable: false }
}
