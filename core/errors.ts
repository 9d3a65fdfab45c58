// Every error the relay raises on purpose: a stable code, an HTTP status and a message
// template. Plugins map the codes to their provider's native error body; tests assert on
// `err.code`, never on message text.
import createError from '@fastify/error'

/**
 * An error whose arguments are kept (`params`) beside the message they fill: the admin API sends
 * both, so the console can say it in the reader's language from the code and the params.
 */
function withParams<A extends unknown[]> (code: string, message: string, status: number) {
  const Base = createError<A>(code, message, status) as unknown as new (...args: A) => Error & { code: string, statusCode: number }
  return class extends Base {
    readonly params: A
    constructor (...args: A) {
      super(...args)
      this.params = args
    }
  }
}

export const errors = {
  // identify
  RELAY_ERR_KEY_MISSING: createError('RELAY_ERR_KEY_MISSING', 'No API key was provided', 401),
  RELAY_ERR_KEY_INVALID: createError('RELAY_ERR_KEY_INVALID', 'Invalid API key', 401),
  RELAY_ERR_KEY_DISABLED: createError('RELAY_ERR_KEY_DISABLED', 'This API key has been disabled', 401),
  RELAY_ERR_KEY_EXPIRED: createError('RELAY_ERR_KEY_EXPIRED', 'This API key expired at %s', 401),
  RELAY_ERR_KEY_MISPLACED: createError('RELAY_ERR_KEY_MISPLACED', 'The API key was found outside the headers it is read from (x-api-key, x-goog-api-key, Authorization, api-key, ?key=); it is never forwarded', 400),

  // key policy and limits (the message names the rule)
  RELAY_ERR_KEY_FORBIDDEN: createError<[string]>('RELAY_ERR_KEY_FORBIDDEN', '%s', 403),
  RELAY_ERR_LIMIT_CONCURRENCY: createError<[string]>('RELAY_ERR_LIMIT_CONCURRENCY', '%s', 429),
  RELAY_ERR_LIMIT_RATE: createError<[string]>('RELAY_ERR_LIMIT_RATE', '%s', 429),
  RELAY_ERR_LIMIT_BUDGET: createError<[string]>('RELAY_ERR_LIMIT_BUDGET', '%s', 429),
  RELAY_ERR_LIMIT_BUDGET_EXHAUSTED: createError<[string]>('RELAY_ERR_LIMIT_BUDGET_EXHAUSTED', '%s', 403),

  // request shape (raised by core or by a plugin's parseRequest)
  RELAY_ERR_TARGET_INVALID: createError<[string]>('RELAY_ERR_TARGET_INVALID', '%s', 400),
  RELAY_ERR_BODY_INVALID: createError<[string]>('RELAY_ERR_BODY_INVALID', '%s', 400),
  RELAY_ERR_BODY_TOO_LARGE: createError<[number]>('RELAY_ERR_BODY_TOO_LARGE', 'Request body exceeds the limit of %s bytes', 413),
  RELAY_ERR_BODY_ENCODING: createError<[string]>('RELAY_ERR_BODY_ENCODING', '%s', 415),
  RELAY_ERR_ROUTE_NOT_FOUND: createError<[string, string]>('RELAY_ERR_ROUTE_NOT_FOUND', 'Not found: %s %s', 404),
  RELAY_ERR_METHOD_NOT_ALLOWED: createError<[string, string]>('RELAY_ERR_METHOD_NOT_ALLOWED', 'Method %s is not allowed on %s', 405),
  RELAY_ERR_UPGRADE_REQUIRED: createError<[string]>('RELAY_ERR_UPGRADE_REQUIRED', '%s', 426),

  // pool and upstream
  RELAY_ERR_POOL_EXHAUSTED: createError('RELAY_ERR_POOL_EXHAUSTED', 'No upstream account is available right now, please retry later', 503),
  // Lasting: only the operator (or another request) changes these, so clients must not retry.
  RELAY_ERR_POOL_UNUSABLE: createError<[string]>('RELAY_ERR_POOL_UNUSABLE', '%s', 503),
  RELAY_ERR_CLIENT_NOT_SERVED: createError<[string]>('RELAY_ERR_CLIENT_NOT_SERVED', '%s', 403),
  RELAY_ERR_MODEL_NOT_SERVED: createError<[string]>('RELAY_ERR_MODEL_NOT_SERVED', '%s', 404),
  RELAY_ERR_MODEL_UNPRICED: createError<[string]>('RELAY_ERR_MODEL_UNPRICED', 'This relay has no price for the model %s, and this key has a spending limit: ask the operator to price it (pricing.models) or set a fallback rate (pricing.fallback)', 403),
  RELAY_ERR_UPSTREAM_AUTH: createError('RELAY_ERR_UPSTREAM_AUTH', 'The relay could not authenticate with the upstream provider', 502),
  RELAY_ERR_UPSTREAM_UNREACHABLE: createError('RELAY_ERR_UPSTREAM_UNREACHABLE', 'The upstream provider could not be reached', 502),
  RELAY_ERR_UPSTREAM_TIMEOUT: createError('RELAY_ERR_UPSTREAM_TIMEOUT', 'The upstream provider did not answer in time', 504),
  RELAY_ERR_UPSTREAM_INTERRUPTED: createError('RELAY_ERR_UPSTREAM_INTERRUPTED', 'The upstream stream was interrupted', 502),
  RELAY_ERR_UPSTREAM_TOO_LARGE: createError<[string, number]>('RELAY_ERR_UPSTREAM_TOO_LARGE', 'The upstream provider sent %s larger than the relay reads (%s bytes)', 502),
  RELAY_ERR_UPSTREAM_BAD_RESPONSE: createError<[number]>('RELAY_ERR_UPSTREAM_BAD_RESPONSE', 'The upstream provider answered with status %s', 502),
  RELAY_ERR_STORE_UNAVAILABLE: createError('RELAY_ERR_STORE_UNAVAILABLE', 'The relay cannot reach its store right now, please retry shortly', 503),
  RELAY_ERR_USAGE_BACKLOG_FULL: createError('RELAY_ERR_USAGE_BACKLOG_FULL', 'The relay cannot record usage right now (its store is not writing), please retry shortly', 503),
  RELAY_ERR_SHUTTING_DOWN: createError('RELAY_ERR_SHUTTING_DOWN', 'The relay is restarting, please retry', 503),
  RELAY_ERR_UPSTREAM_TARGET: createError<[string]>('RELAY_ERR_UPSTREAM_TARGET', '%s', 500),
  RELAY_ERR_INTERNAL: createError('RELAY_ERR_INTERNAL', 'Internal relay error', 500),

  // configuration and operator actions (never reach a client)
  RELAY_ERR_CONFIG_INVALID: createError<[string]>('RELAY_ERR_CONFIG_INVALID', '%s', 500),
  RELAY_ERR_PLUGIN_INVALID: createError<[string, string]>('RELAY_ERR_PLUGIN_INVALID', 'Plugin %s: %s', 500),
  RELAY_ERR_SECRET_KEY: createError<[string]>('RELAY_ERR_SECRET_KEY', '%s', 500),
  RELAY_ERR_NAME_TAKEN: withParams<[string, string]>('RELAY_ERR_NAME_TAKEN', 'A %s named "%s" already exists', 409),
  RELAY_ERR_NOT_FOUND: withParams<[string, string]>('RELAY_ERR_NOT_FOUND', 'No %s "%s"', 404),
  RELAY_ERR_READ_ONLY: withParams<[string, string]>('RELAY_ERR_READ_ONLY', 'The %s "%s" is declared in the config file and is read-only', 409),
  RELAY_ERR_ADMIN_UNAUTHORIZED: createError<[string]>('RELAY_ERR_ADMIN_UNAUTHORIZED', '%s', 401),
  RELAY_ERR_ADMIN_FORBIDDEN: createError<[string]>('RELAY_ERR_ADMIN_FORBIDDEN', '%s', 403),
  RELAY_ERR_LOGIN_FAILED: createError('RELAY_ERR_LOGIN_FAILED', 'Wrong user name or password', 401),
  RELAY_ERR_LOGIN_THROTTLED: withParams<[string, number]>('RELAY_ERR_LOGIN_THROTTLED', 'Too many login attempts %s; retry in %s seconds', 429),
  RELAY_ERR_ACCOUNT_IN_USE: withParams<[string, string]>('RELAY_ERR_ACCOUNT_IN_USE', 'keys bound to "%s": %s; move them first (keys update <key> --bind PROVIDER=account:OTHER|group:G|pool)', 409),
} as const

export type RelayErrorCode = keyof typeof errors

/** The shape every relay error has at run time. */
export interface RelayError extends Error {
  code: RelayErrorCode
  statusCode: number
  /** Seconds a client should wait before retrying, when it applies. */
  retryAfter?: number
  /** Retrying cannot help (sent as `x-should-retry: false`, which the Anthropic and OpenAI SDKs obey). */
  noRetry?: boolean
}

export function isRelayError (err: unknown): err is RelayError {
  const code = (err as { code?: unknown } | null)?.code
  return err instanceof Error && typeof code === 'string' && code in errors
}
