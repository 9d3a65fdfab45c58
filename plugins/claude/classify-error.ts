// Anthropic upstream statuses → what they mean for the account. Errors caused by the client's
// own request (400, 404, 413, 422) are `client_error`: they must never bench a shared account.
// Bedrock names its errors in `x-amzn-errortype` (`ThrottlingException:http://…`): a quota is a
// rate limit whatever its status, a model the region lacks passes the request on without
// benching the account, and a refused signature or key is the credential failing.
import type { IncomingHttpHeaders } from 'node:http'
import { retryAfterTime, type ErrorClassification } from '../../core/plugin-api.ts'

const AWS_KINDS: Readonly<Record<string, ErrorClassification>> = {
  ThrottlingException: { kind: 'rate_limited', retryable: true },
  ServiceQuotaExceededException: { kind: 'rate_limited', retryable: true },
  ModelNotReadyException: { kind: 'overloaded', retryable: true },
  ServiceUnavailableException: { kind: 'overloaded', retryable: true },
  ModelErrorException: { kind: 'server_error', retryable: true },
  ModelTimeoutException: { kind: 'server_error', retryable: true },
  ResourceNotFoundException: { kind: 'client_error', retryable: true },
  UnrecognizedClientException: { kind: 'auth_failed', retryable: true },
  InvalidSignatureException: { kind: 'auth_failed', retryable: true },
  ExpiredTokenException: { kind: 'auth_failed', retryable: true },
  AccessDeniedException: { kind: 'forbidden', retryable: true },
}

export function classifyError (status: number, headers: IncomingHttpHeaders, _bodyHead: Buffer): ErrorClassification {
  const aws = header(headers, 'x-amzn-errortype')?.split(':')[0]
  const known = aws === undefined ? undefined : AWS_KINDS[aws]
  if (known) return known.kind === 'rate_limited' ? { ...known, until: retryAfterTime(headers, Date.now()) } : known
  if (status === 429) return { kind: 'rate_limited', retryable: true, until: resetTime(headers) }
  if (status === 529) return { kind: 'overloaded', retryable: true }
  if (status === 401) return { kind: 'auth_failed', retryable: true }
  if (status === 403) return { kind: 'forbidden', retryable: true }
  if (status === 408 || status >= 500) return { kind: 'server_error', retryable: true }
  return { kind: 'client_error', retryable: false }
}

/** When the account may be used again: `retry-after` first, then the rate-limit reset headers. */
function resetTime (headers: IncomingHttpHeaders, now = Date.now()): number | undefined {
  const after = retryAfterTime(headers, now)
  if (after !== undefined) return after
  const unified = header(headers, 'anthropic-ratelimit-unified-reset')
  if (unified && /^\d+$/.test(unified)) return Number(unified) * 1000
  let latest: number | undefined
  for (const name of ['anthropic-ratelimit-requests-reset', 'anthropic-ratelimit-tokens-reset', 'anthropic-ratelimit-input-tokens-reset', 'anthropic-ratelimit-output-tokens-reset']) {
    const v = header(headers, name)
    const t = v ? Date.parse(v) : NaN
    if (!Number.isNaN(t) && t > now && (latest === undefined || t > latest)) latest = t
  }
  return latest
}

function header (headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name]
  return Array.isArray(v) ? v[0] : v
}
