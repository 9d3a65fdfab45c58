// OpenAI upstream statuses → what they mean for the account. The client's own mistakes (400,
// 404, 413, 422) never bench a shared account. A 429 rests the account until the first of:
// `retry-after`, the Codex backend's `error.resets_in_seconds`, the longest `x-ratelimit-reset-*`
// duration. An API key out of credit (`insufficient_quota`) is disabled with that reason: only
// the operator can fix it. An Azure resource without a deployment for the model
// (`DeploymentNotFound`) passes the request to another account without benching this one.
import type { IncomingHttpHeaders } from 'node:http'
import { retryAfterTime, type ErrorClassification } from '../../core/plugin-api.ts'

interface ErrorBody { error?: { code?: unknown, type?: unknown, resets_in_seconds?: unknown } }

function errorOf (body: Buffer): ErrorBody['error'] {
  try {
    const e = (JSON.parse(body.toString('utf8')) as ErrorBody).error
    return e !== null && typeof e === 'object' ? e : undefined
  } catch {
    return undefined
  }
}

export function classifyError (status: number, headers: IncomingHttpHeaders, bodyHead: Buffer, now = Date.now()): ErrorClassification {
  const error = errorOf(bodyHead)
  if (status === 429) {
    if (error?.code === 'insufficient_quota' || error?.type === 'insufficient_quota') return { kind: 'forbidden', retryable: true }
    return { kind: 'rate_limited', retryable: true, until: resetTime(headers, error, now) }
  }
  if (status === 404 && error?.code === 'DeploymentNotFound') return { kind: 'client_error', retryable: true }
  if (status === 401) return { kind: 'auth_failed', retryable: true }
  if (status === 403) return { kind: 'forbidden', retryable: true }
  if (status === 503 || status === 529) return { kind: 'overloaded', retryable: true }
  if (status === 408 || status >= 500) return { kind: 'server_error', retryable: true }
  return { kind: 'client_error', retryable: false }
}

/** Go-style durations as OpenAI sends them in `x-ratelimit-reset-*`: `1s`, `6m0s`, `1h2m3.5s`, `20ms`. */
export function parseDuration (text: string | undefined): number | undefined {
  if (!text || !/^(\d+(\.\d+)?(h|m|s|ms))+$/.test(text.trim())) return undefined
  let ms = 0
  for (const m of text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    const n = Number(m[1])
    ms += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n
  }
  return Number.isFinite(ms) ? Math.round(ms) : undefined
}

function header (headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v[0] : v
}

function resetTime (headers: IncomingHttpHeaders, error: ErrorBody['error'], now: number): number | undefined {
  const retryAfterMs = Number(header(headers, 'retry-after-ms'))
  if (Number.isFinite(retryAfterMs) && retryAfterMs > 0) return now + retryAfterMs
  const after = retryAfterTime(headers, now)
  if (after !== undefined) return after
  const resets = Number(error?.resets_in_seconds)
  if (Number.isFinite(resets) && resets > 0) return now + resets * 1000
  const durations = ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens'].map(h => parseDuration(header(headers, h))).filter((d): d is number => d !== undefined)
  return durations.length > 0 ? now + Math.max(...durations) : undefined
}
