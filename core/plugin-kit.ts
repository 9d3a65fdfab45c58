// Small pieces several provider plugins need the same way, offered through the plugin API (a
// plugin may import nothing else of core): the options schema of an OAuth login, a bounded
// whole-body JSON meter, and reading `retry-after`.
import type { IncomingHttpHeaders } from 'node:http'
import type { JsonSchemaObject, Meter, MeterResult, Usage } from './plugin-api.ts'

export interface OAuthEndpoints {
  authorizeUrl: string
  tokenUrl: string
  clientId: string
  redirectUri: string
  scopes: string[]
}

/** `options: { oauth: {...} }` of a plugin whose subscription logins are configurable, with defaults. */
export function oauthOptionsSchema (defaults: OAuthEndpoints): JsonSchemaObject {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      oauth: {
        type: 'object',
        additionalProperties: false,
        default: {},
        properties: {
          authorizeUrl: { type: 'string', default: defaults.authorizeUrl },
          tokenUrl: { type: 'string', default: defaults.tokenUrl },
          clientId: { type: 'string', default: defaults.clientId },
          redirectUri: { type: 'string', default: defaults.redirectUri },
          scopes: { type: 'array', items: { type: 'string' }, default: defaults.scopes },
        },
      },
    },
  }
}

/** A non-streaming body larger than this is not parsed for usage (it is still relayed). */
const JSON_METER_LIMIT = 16 * 1024 * 1024

/**
 * A meter for a whole JSON body: collected up to 16 MiB, parsed at the end, read by `read`
 * (which names refused values in `invalid`). An unparsable or oversized body leaves usage unknown.
 */
export function createWholeJsonMeter (read: (body: Record<string, unknown>, invalid: string[]) => { usage: Usage, model?: string }): Meter {
  const chunks: Buffer[] = []
  let size = 0
  return {
    push (chunk) {
      size += chunk.length
      if (size <= JSON_METER_LIMIT) chunks.push(chunk)
    },
    end (): MeterResult {
      if (size > JSON_METER_LIMIT) return { usage: {}, complete: false }
      let body: unknown
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        return { usage: {}, complete: false }
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body)) return { usage: {}, complete: true }
      const invalid: string[] = []
      const { usage, model } = read(body as Record<string, unknown>, invalid)
      return { usage, model, complete: true, ...(invalid.length > 0 ? { invalid } : {}) }
    },
  }
}

/** `retry-after` (seconds or an HTTP date) as an epoch-ms time, if the response has one. */
export function retryAfterTime (headers: IncomingHttpHeaders, now: number): number | undefined {
  const v = headers['retry-after']
  const retryAfter = Array.isArray(v) ? v[0] : v
  if (!retryAfter) return undefined
  const secs = Number(retryAfter)
  if (Number.isFinite(secs) && secs >= 0) return now + secs * 1000
  const date = Date.parse(retryAfter)
  return Number.isNaN(date) ? undefined : date
}
