// The relay's pino logger. Redaction paths are compiled once; the relay never logs headers,
// bodies or query strings on purpose, and these paths are the second line of defence.
import pino, { type DestinationStream, type Logger } from 'pino'

const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-goog-api-key"]',
  'req.headers["api-key"]', 'req.headers.cookie', 'headers.authorization', 'headers["x-api-key"]',
  'headers["x-goog-api-key"]', 'headers["api-key"]', 'headers.cookie',
]

/**
 * Fields censored wherever they appear at the top of a logged object or one level down (what the
 * wildcard paths `*.apiKey`, `apiKey`, … used to do). pino's wildcard redaction cost about 8 µs
 * a line, a quarter of a relayed request's logging (bench/, issue 14); a look at the keys costs
 * well under one, and copies the object only when there is something to censor.
 */
const SECRET_FIELDS = new Set(['apiKey', 'accessToken', 'refreshToken', 'key', 'secret', 'proxy'])
const CENSOR = '[REDACTED]'

function isObject (v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v)
}

function censorLevel (obj: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined
  for (const k in obj) {
    if (SECRET_FIELDS.has(k) && obj[k] !== undefined) (out ??= { ...obj })[k] = CENSOR
  }
  return out ?? obj
}

/** The logged object with secret fields censored; the caller's object is never changed. */
export function censorSecrets (obj: Record<string, unknown>): Record<string, unknown> {
  let out = censorLevel(obj)
  for (const k in out) {
    const v = out[k]
    if (!isObject(v)) continue
    const c = censorLevel(v)
    if (c !== v) {
      if (out === obj) out = { ...obj }
      out[k] = c
    }
  }
  return out
}

/** Removes `key=` values from a URL or query string before it is logged. */
export function redactUrl (url: string): string {
  return url.replace(/([?&]key=)[^&#]*/gi, '$1[REDACTED]')
}

export function createLogger (level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    redact: { paths: REDACT_PATHS, censor: CENSOR },
    base: { name: 'ai-relay' },
    formatters: { log: censorSecrets },
    serializers: {
      url: (u: unknown) => (typeof u === 'string' ? redactUrl(u) : u),
    },
    // Asynchronous and buffered: lines go out in writes of about 8 KB, and at least every
    // 250 ms, instead of a write(2) (through libuv's thread pool) for every request. Writing each
    // line on its own cost about 25 µs of CPU a request, 8% (bench/, issue 14). pino flushes
    // what is buffered when the process exits.
  }, destination ?? pino.destination({ dest: 1, sync: false, minLength: 8192, periodicFlush: 250 }))
}
