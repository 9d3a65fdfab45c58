// The relay's pino logger. Redaction paths are compiled once; the relay never logs headers,
// bodies or query strings on purpose, and these paths are the second line of defence.
import pino, { type DestinationStream, type Logger } from 'pino'

const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-goog-api-key"]',
  'req.headers["api-key"]', 'req.headers.cookie', 'headers.authorization', 'headers["x-api-key"]',
  'headers["x-goog-api-key"]', 'headers["api-key"]', 'headers.cookie',
  '*.apiKey', '*.accessToken', '*.refreshToken', '*.key', '*.secret', '*.proxy', 'apiKey', 'key', 'secret', 'proxy',
]

/** Removes `key=` values from a URL or query string before it is logged. */
export function redactUrl (url: string): string {
  return url.replace(/([?&]key=)[^&#]*/gi, '$1[REDACTED]')
}

export function createLogger (level: string, destination?: DestinationStream): Logger {
  return pino({
    level,
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    base: { name: 'ai-relay' },
    serializers: {
      url: (u: unknown) => (typeof u === 'string' ? redactUrl(u) : u),
    },
    // Asynchronous by default: lines written while a write is in flight go out together in the
    // next one, instead of a synchronous write(2) for every request (pino flushes what is
    // buffered when the process exits).
  }, destination ?? pino.destination({ dest: 1, sync: false }))
}
