// Small pieces several provider plugins need the same way, offered through the plugin API (a
// plugin may import nothing else of core): the options schema of an OAuth login, a bounded
// whole-body JSON meter and an event-stream meter, and reading `retry-after`.
import type { IncomingHttpHeaders } from 'node:http'
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { errors } from './errors.ts'
import type { AccountView, ClientKind, JsonSchemaObject, Meter, MeterResult, ParsedRequest } from './plugin-contract.ts'
import type { Usage } from './usage.ts'
import { pkce } from './oauth-helpers.ts'
import { mapModel } from './accounts/model-map.ts'

export interface OAuthEndpoints {
  authorizeUrl: string
  tokenUrl: string
  clientId: string
  redirectUri: string
  scopes: string[]
}

/**
 * The schema of one login's options (`options.oauth` and its like): each of `defaults`' endpoints,
 * ids and scopes may be given, a string or a list of strings as its default is.
 */
export function loginOptionsSchema<T extends { [K in keyof T]: string | string[] }> (defaults: T): Record<string, unknown> {
  const properties = Object.fromEntries(Object.entries(defaults as Record<string, string | string[]>).map(([k, v]) => [k, Array.isArray(v) ? { type: 'array', items: { type: 'string' }, default: v } : { type: 'string', default: v }]))
  return { type: 'object', additionalProperties: false, default: {}, properties }
}

/** `options: { oauth: {...} }` of a plugin whose subscription logins are configurable, with defaults. */
export function oauthOptionsSchema<T extends { [K in keyof T]: string | string[] }> (defaults: T): JsonSchemaObject {
  return { type: 'object', additionalProperties: false, properties: { oauth: loginOptionsSchema(defaults) } }
}

/** What a meter has read so far; `invalid` names the values it refused. */
export interface MeterState {
  usage: Usage
  model?: string
  complete: boolean
  invalid: string[]
}

function newState (): MeterState {
  return { usage: {}, complete: false, invalid: [] }
}

function resultOf (s: MeterState): MeterResult {
  return { usage: s.usage, model: s.model, complete: s.complete, ...(s.invalid.length > 0 ? { invalid: s.invalid } : {}) }
}

/**
 * Upstream bodies are hostile until read: these bound what any reader holds of one.
 * - `EVENT_LIMIT`: one unfinished event of an event stream (a line without its newline, or
 *   data lines without the blank line that ends them). Codex's `response.completed` repeats the
 *   whole answer, a few MB at most.
 * - `WHOLE_BODY_LIMIT`: a JSON body read whole (a non-streaming answer, a JSON-array stream).
 */
export const EVENT_LIMIT = 16 * 1024 * 1024
export const WHOLE_BODY_LIMIT = 16 * 1024 * 1024

/** Thrown by a response filter whose input passed a limit: the client gets a native 502. */
export function tooLarge (what: string, limit: number): Error {
  return new errors.RELAY_ERR_UPSTREAM_TOO_LARGE(what, limit)
}

export interface EventReader {
  /** Feeds raw bytes; returns false once an event passed the limit (nothing more is read). */
  push (chunk: Buffer): boolean
  end (): void
  readonly overflowed: boolean
}

/**
 * Splits an event stream into events (eventsource-parser) as bytes arrive, decoding UTF-8
 * across chunk boundaries. The parser holds what it has of the current event; once that passes
 * `limit` characters (its `maxBufferSize`) it lets go of it and the reader reads no more.
 */
export function createEventReader (onEvent: (ev: EventSourceMessage) => void, limit = EVENT_LIMIT): EventReader {
  const decoder = new TextDecoder()
  let overflowed = false
  let open = true
  const parser = createParser({
    onEvent,
    maxBufferSize: limit,
    onError: err => { if (err.type === 'max-buffer-size-exceeded') overflowed = true },
  })
  return {
    push (chunk) {
      if (open && !overflowed) parser.feed(decoder.decode(chunk, { stream: true }))
      return !overflowed
    },
    end () {
      if (open && !overflowed) parser.feed(decoder.decode())
      open = false
    },
    get overflowed () { return overflowed },
  }
}

/**
 * A meter over an event stream: the text is decoded and split into events as it arrives;
 * `onEvent` reads what it needs of each into the state. An event past `EVENT_LIMIT` stops the
 * reading: the request is recorded as incomplete with what was read before it.
 */
export function createEventStreamMeter (onEvent: (ev: EventSourceMessage, s: MeterState) => void): Meter {
  const s = newState()
  const reader = createEventReader(ev => onEvent(ev, s))
  return {
    push: chunk => reader.push(chunk),
    end () {
      reader.end()
      if (reader.overflowed) s.complete = false
      return resultOf(s)
    },
  }
}

/**
 * A meter for a whole JSON body: collected up to `WHOLE_BODY_LIMIT`, parsed at the end and read
 * by `read`; a body that parsed is complete. An unparsable or oversized body leaves usage unknown.
 */
export function createWholeJsonMeter (read: (body: unknown, s: MeterState) => void): Meter {
  const chunks: Buffer[] = []
  let size = 0
  return {
    push (chunk) {
      size += chunk.length
      if (size > WHOLE_BODY_LIMIT) {
        chunks.length = 0
        return false
      }
      chunks.push(chunk)
      return true
    },
    end (): MeterResult {
      if (size > WHOLE_BODY_LIMIT) return { usage: {}, complete: false }
      let body: unknown
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        return { usage: {}, complete: false }
      }
      const s = newState()
      read(body, s)
      s.complete = true
      return resultOf(s)
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

/**
 * The authorize URL of a PKCE (S256) login and what its exchange needs later. `first` and `last`
 * are the provider's own parameters, placed where its own client puts them.
 */
export function pkceAuthorize (opts: OAuthEndpoints, first: Record<string, string> = {}, last: Record<string, string> = {}): { url: string, pending: Record<string, string> } {
  const { verifier, challenge, state } = pkce()
  const url = new URL(opts.authorizeUrl)
  url.search = new URLSearchParams({
    ...first,
    client_id: opts.clientId,
    response_type: 'code',
    redirect_uri: opts.redirectUri,
    scope: opts.scopes.join(' '),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...last,
    state,
  }).toString()
  return { url: url.href, pending: { verifier, state } }
}

/**
 * A subscription account serves its vendor's own client only, unless the operator opted the
 * account in (`allowOtherClients`): the vendor's consumer terms cover use through its client.
 * The reason, when it may not, is what the client is told if no other account can serve.
 */
/**
 * Factory's Droid CLI, wherever it is pointed (its custom models speak Anthropic's and OpenAI's
 * APIs): `User-Agent: factory-cli/<v>` or an `x-factory-client` header naming droid or
 * factory-cli (what claude-relay-service's `droid_cli` restriction checks). A policy aid only.
 */
export function isDroid (headers: IncomingHttpHeaders): boolean {
  if (/factory-cli\/\d/i.test(String(headers['user-agent'] ?? ''))) return true
  return /droid|factory-cli/i.test(String(headers['x-factory-client'] ?? ''))
}

/** The model `account` sends upstream for the requested `model` (its model map, else as asked). */
export function servedModel (account: AccountView, model: string): string {
  return mapModel(account.modelMap, model)
}

/**
 * A JSON body whose top-level `model` the account's map sends as another name; any other body
 * is returned as it came (byte-identical: the usual case, and every body without a map).
 */
export function withServedModel (body: Buffer | undefined, account: AccountView, model: string | undefined): Buffer | undefined {
  return model === undefined ? body : withModelName(body, model, servedModel(account, model))
}

/** A JSON body whose top-level `model` goes as `name` (an Azure deployment); as it came when that is `model`. */
export function withModelName (body: Buffer | undefined, model: string, name: string): Buffer | undefined {
  if (!body || name === model) return body
  const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>
  json.model = name
  return Buffer.from(JSON.stringify(json))
}

export function subscriptionServes (account: AccountView, parsed: ParsedRequest, type: string, client: ClientKind, reason: string): string | undefined {
  if (account.type !== type || parsed.clientKind === client || account.fields.allowOtherClients === true) return undefined
  return reason
}
