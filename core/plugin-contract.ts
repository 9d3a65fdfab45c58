// The contract between the relay core and a provider plugin: the shapes and the few functions
// of it (plugins import them through core/plugin-api.ts, which also offers core's helpers).
// This module imports no helper of core, so the helpers can use its types without a circle.
import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'
import type { RelayErrorCode } from './errors.ts'
import type { PriceTable } from './metering/price-table.ts'
import type { Usage } from './usage.ts'

export const SPECIFICATION_VERSION = 'v1'

/**
 * What a route does with a request.
 * - `generate`: forwarded, metered and priced (e.g. `POST /v1/messages`).
 * - `passthrough`: forwarded with the account's credentials, logged at zero cost
 *   (`count_tokens`, `models`).
 * - `local`: answered by the plugin itself, without a relay key (Claude Code's warm-up
 *   `HEAD /api/hello`).
 * - `websocket`: a WebSocket upgrade bridged to the account's upstream (`RelayPlugin.websocket`);
 *   each request made over it is admitted, metered and priced as a `generate` call. A plain
 *   GET gets 426.
 * - `models`: the models this key may use, answered by core without an upstream call: the
 *   priced models of each provider on the route's mount path (its own model names, or the
 *   entry's `models` globs) that the key has accounts for, narrowed by the accounts' model lists
 *   and the key's permissions, in the plugin's format (`modelList`).
 */
export type RouteKind = 'generate' | 'passthrough' | 'local' | 'websocket' | 'models'

/** A model a `models` route lists, with the provider whose accounts serve it. */
export interface ListedModel {
  id: string
  provider: string
}

export interface PluginRoute {
  method: 'GET' | 'POST' | 'HEAD' | 'PUT' | 'DELETE'
  /** Path relative to the plugin's mount, e.g. `/v1/messages`. Fastify syntax (`:param`). */
  path: string
  kind: RouteKind
  /**
   * The leading part of `path` that an account's base URL already holds (`/v1` for OpenAI,
   * whose base URLs end in `/v1`): the upstream path is the route path without it. Core pins
   * every upstream request to base + that path.
   */
  pathInBase?: string
  /** For `local` routes: the answer. */
  respond?: () => LocalResponse
}

export interface LocalResponse {
  status: number
  headers?: Record<string, string>
  body?: string
}

/**
 * An account type the plugin can drive, e.g. `claude-api-key`. `schema` is a JSON Schema
 * (draft-07, validated by ajv) for the type's own fields; properties marked `writeOnly: true`
 * are credentials: encrypted at rest, never printed, read from stdin or an env var by the CLI.
 */
export interface AccountTypeSpec {
  schema: JsonSchemaObject
  /** Other names accepted for this type (e.g. the incumbent's `claude-console`). */
  aliases?: string[]
  /** Subscription accounts: how to log in and keep the credential fresh. */
  oauth?: OAuthSteps
  /**
   * What JSON Schema cannot say about the fields (a header name in any case, a value that would
   * split a request): the problem in one line, or undefined. Checked wherever the schema is.
   */
  fieldsProblem? (fields: Record<string, unknown>): string | undefined
}

/** What core lends a plugin for OAuth calls: the account's egress (proxy-aware) dispatcher. */
export interface OAuthContext {
  dispatcher: Dispatcher
  now: number
  /**
   * At a login: the account's fields the operator already gave (`--set`, or the account's own
   * when logging it in again), e.g. a Google Cloud project to use. Credentials are not included.
   */
  given?: Record<string, unknown>
}

/**
 * OAuth for an account type. Fields in and out are the type's fields (credentials included);
 * core seals them, stores them and swaps them into the account in memory.
 */
export interface OAuthSteps {
  /**
   * The URL the operator opens, and what the exchange needs later (PKCE verifier, state). A
   * device login (RFC 8628) asks the provider for its code first, so this may be async; its
   * `userCode` is what the operator confirms at the URL, then pastes back.
   */
  authorize (ctx: OAuthContext): LoginStart | Promise<LoginStart>
  /** Turns what the operator pasted (the code) into the account's fields. */
  exchange (pasted: string, pending: Record<string, string>, ctx: OAuthContext): Promise<Record<string, unknown>>
  /**
   * New fields from a refresh. Throws when the account cannot be refreshed: an error with
   * `definitive: true` (see `oauthRefused`) means the grant is dead and only a new login helps;
   * any other error (network, 5xx, timeout) is passing, and core retries with backoff.
   */
  refresh (fields: Record<string, unknown>, ctx: OAuthContext): Promise<Record<string, unknown>>
  /** When the access credential expires (epoch ms), if known. */
  expiresAt (fields: Record<string, unknown>): number | undefined
}

export interface LoginStart {
  url: string
  pending: Record<string, string>
  /** A device login's code, shown to the operator beside the URL. */
  userCode?: string
}

export interface JsonSchemaObject {
  type: 'object'
  properties: Record<string, Record<string, unknown>>
  required?: string[]
  additionalProperties?: boolean
  [k: string]: unknown
}

/** Who is calling, as far as headers tell (a policy aid, not authentication). */
export type ClientKind = 'claude-code' | 'codex-cli' | 'gemini-cli' | 'droid-cli' | 'sdk' | 'other'

export interface ParsedRequest {
  /** The model the client asked for; undefined where the route has none (`GET /v1/models`). */
  model?: string
  stream: boolean
  /** Identifies a conversation for sticky account selection. */
  sessionKey?: string
  clientKind: ClientKind
  /** The plugin's own notes about the request, for its later steps (opaque to core). */
  notes?: Record<string, unknown>
}

/** A refusal from a plugin's parser; core renders it with the plugin's `errorBody`. */
export interface PluginRefusal {
  error: { code: RelayErrorCode, message: string }
}

/** The incoming request as a plugin may see it: the relay key and gateway headers removed. */
export interface IncomingRequest {
  method: string
  /** Path relative to the mount, e.g. `/v1/messages` (canonical: decoded once, re-encoded). */
  path: string
  /** The path to append to the account's base URL (`path` without the route's `pathInBase`). */
  upstreamPath: string
  /** Raw query string without the leading `?` (relay `key=` removed), or ''. */
  query: string
  headers: IncomingHttpHeaders
  body: Buffer | undefined
}

/** An account as handed to a plugin: its type's fields, credentials decrypted. */
export interface AccountView {
  id: string
  name: string
  type: string
  fields: Record<string, unknown>
  /**
   * What a requested model is sent upstream as (the account's `modelMap`); a plugin applies it
   * where its API names the model, with `servedModel(account, model)`.
   */
  modelMap?: Readonly<Record<string, string>> | null
}

export interface UpstreamRequest {
  /** The method, when not the client's (a listing that is a POST upstream, as Cloud Code's). */
  method?: 'GET' | 'POST'
  url: string
  headers: Record<string, string | string[]>
  /** Forwarded byte-identical in the usual case. */
  body?: Buffer
}

/**
 * How an upstream answer affects the account and the request.
 * `until` is an epoch-milliseconds time the account should rest until (from `retry-after` or
 * the provider's reset headers).
 */
export interface ErrorClassification {
  kind: 'rate_limited' | 'overloaded' | 'auth_failed' | 'forbidden' | 'client_error' | 'server_error'
  /** Whether another account may succeed where this one failed. */
  retryable: boolean
  until?: number
}

export interface MeterResult {
  usage: Usage
  /** The model the provider says answered, when it says so. */
  model?: string
  /** True when the response's terminal event/body was seen. */
  complete: boolean
  /**
   * Usage values the meter refused (not a non-negative safe integer), e.g. `output_tokens=1.5`.
   * The request is then recorded with the row marked and unpriced.
   */
  invalid?: string[]
}

/**
 * Fed the decompressed response body chunk by chunk while the original bytes pass to the
 * client untouched; must not hold the whole body for streams.
 */
export interface Meter {
  /** Reads a chunk; `false` when it will read no more (past its bound): nothing need be decoded for it. */
  push (chunk: Buffer): boolean | void
  end (): MeterResult
}

/**
 * How a plugin's WebSocket route works: which accounts' upstreams speak it (the others' clients
 * are told to use HTTP), which client message starts a request, which upstream message ends it.
 * Upstream messages reach the plugin's meter as `data:` events of an event stream.
 */
export interface WebSocketSupport {
  accepts (account: AccountView): boolean
  /**
   * Reads one client message (already decoded as UTF-8 text, whatever frame carried it). Core
   * forwards only what this accepts, and admits and meters each one as a request, so any message
   * that is not a request the plugin knows is refused here, never passed on. `previous` is the
   * last request accepted on this socket (a follow-up message may carry on with its model).
   */
  parseMessage (text: string, connection: ParsedRequest, previous: ParsedRequest | undefined): ParsedRequest | PluginRefusal
  endsRequest (text: string): boolean
  /** The accepted message as it goes to this account (its model map applied); absent: as read. */
  upstreamMessage? (text: string, parsed: ParsedRequest, account: AccountView): string
}

/** Rewrites a response stream chunk by chunk; `end` returns whatever it still held. */
export interface ResponseFilter {
  write (chunk: Buffer): Buffer
  end (): Buffer
  /**
   * The content type the client gets when the filter changes the body's kind (an event stream
   * turned into a JSON array). Core then no longer treats the answer as an event stream: a cut
   * is shown by breaking the connection, not by an added error event.
   */
  contentType?: string
}

export interface RelayPlugin {
  specificationVersion: typeof SPECIFICATION_VERSION
  /** An account's `provider` is this name. */
  name: string
  /** Set by core on a bridge composed with its target (`chat-claude`): recorded on each request's row. */
  bridge?: string
  /** The body of a `models` route's answer: the listed models in the plugin's format. */
  modelList? (models: ListedModel[]): unknown
  /** JSON Schema of the `options` a config entry may give this plugin. */
  optionsSchema?: JsonSchemaObject
  /** This plugin configured with validated options (defaults applied). */
  configure? (options: Record<string, unknown>): RelayPlugin
  /**
   * Why an account may not take this request at all, beyond health and model (e.g. a
   * subscription account that only Claude Code may use unless the operator opted in), or
   * undefined when it may. The reason reaches the client when no account may.
   */
  cannotServe? (account: AccountView, parsed: ParsedRequest): string | undefined
  routes: PluginRoute[]
  accountTypes: Record<string, AccountTypeSpec>
  /** The provider's shipped price table; the config's `pricing` overrides entries of it. */
  prices?: PriceTable
  /** Reads what core needs from the raw body; never changes it. */
  parseRequest (route: PluginRoute, req: IncomingRequest): ParsedRequest | PluginRefusal
  /**
   * The account's base URL (origin and optional path prefix). Core sends a request only when
   * the URL `prepareUpstream` built is on this origin at this prefix plus the route's path.
   */
  upstreamBase (account: AccountView): string
  /**
   * Where this request goes for this account when that is not the route's own path (a request
   * translated to another API, e.g. Code Assist onto the Gemini API). Core checks the path is
   * canonical, hands it to `prepareUpstream` as `req.upstreamPath` and pins the call to it;
   * undefined keeps the route's path.
   */
  upstreamPath? (route: PluginRoute, req: IncomingRequest, parsed: ParsedRequest, account: AccountView): string | undefined
  /**
   * Builds the upstream call for the chosen account: URL, credentials, body. May be async, for a
   * credential that is a signature over the request (AWS SigV4).
   */
  prepareUpstream (route: PluginRoute, req: IncomingRequest, parsed: ParsedRequest, account: AccountView): UpstreamRequest | Promise<UpstreamRequest>
  /** Returns data, never throws. `bodyHead` is at most the first 64 KiB of the error body. */
  classifyError (status: number, headers: IncomingHttpHeaders, bodyHead: Buffer): ErrorClassification
  createMeter (route: PluginRoute, parsed: ParsedRequest, responseHeaders: IncomingHttpHeaders): Meter
  /**
   * The provider's native error body for a relay error. `retryAfter` (seconds), when the client
   * is asked to wait, for providers whose body says it too (Google's RetryInfo).
   */
  errorBody (code: RelayErrorCode, status: number, message: string, hints?: { retryAfter?: number }): unknown
  /**
   * Given the first event of a 2xx event stream: the error it carries, as the status and body
   * the provider would have sent without streaming, or undefined for a normal start. Lets core
   * fail over a stream that opens with an error before the client saw anything.
   */
  streamStartError? (firstEvent: string): { status: number, body: string } | undefined
  /** An error as the provider would send it inside an already started stream (SSE text). */
  streamError? (code: RelayErrorCode, message: string, route?: PluginRoute): string
  /**
   * Changes what the client receives of an uncompressed response (e.g. removes a usage chunk the
   * relay asked the upstream for, or wraps a translated answer); the meter still sees the
   * upstream's bytes.
   */
  filterResponse? (route: PluginRoute, parsed: ParsedRequest, responseHeaders: IncomingHttpHeaders, account: AccountView): ResponseFilter | undefined
  /**
   * The answer's headers as the client gets them from this account (already without hop-by-hop
   * ones and cookies): removes what the account keeps from clients (its header policy).
   */
  responseHeaders? (account: AccountView, headers: Record<string, string | string[]>): void
  /** The account's rate-limit state as the provider reports it in response headers. */
  readRateLimits? (headers: IncomingHttpHeaders, now: number): RateLimitSnapshot | undefined
  /** True when an upstream error body is already in the provider's shape (passed through as is). */
  isNativeError? (body: Buffer): boolean
  /** For routes of kind `websocket`. */
  websocket?: WebSocketSupport
  /**
   * Whether a model name is one of this provider's own (`claude-*`). Another plugin's mount
   * sends such a model only to accounts that list it in their `models` (an OpenAI-compatible
   * host that really serves it); otherwise it is refused there, naming the mount that serves it.
   */
  ownsModel? (model: string): boolean
  /**
   * A provider that serves the other vendors' models itself (Factory serves Claude and GPT
   * models): another plugin's own model (`ownsModel`) is not refused on its mount.
   */
  servesAnyModel?: boolean
  /**
   * The status a relay error goes out with to this provider's clients, when not its own (a
   * refusal that must not be retried, to clients that retry every 429 whatever the headers).
   */
  refusalStatus? (code: RelayErrorCode, status: number, hints: { noRetry: boolean }): number
  /**
   * The smallest real request that proves an account works (the admin's "test" button): sent
   * through `prepareUpstream` like any other, not metered. Undefined when there is none.
   */
  testRequest? (account: AccountView): TestRequest | undefined
}

export interface TestRequest {
  /** The route's `path` as the plugin declares it (`/v1/messages`). */
  routePath: string
  /** The concrete path under the mount (`/v1beta/models/gemini-2.5-flash:generateContent`). */
  path: string
  headers?: Record<string, string>
  body: unknown
}

/** The error an OAuth step throws when the provider refused the grant for good (log in again). */
export function oauthRefused (message: string): Error & { definitive: true } {
  return Object.assign(new Error(message), { definitive: true as const })
}

export interface RateLimitWindow {
  /** e.g. `requests`, `tokens`, `5h`, `7d`, `7d_opus`. */
  name: string
  /** 0..1 where reported. */
  utilisation?: number
  status?: string
  /** Epoch ms. */
  resetsAt?: number
  /** Glob of the models this window limits (a per-family limit); absent: the whole account. */
  models?: string
}

export interface RateLimitSnapshot {
  at: number
  windows: RateLimitWindow[]
}

export function isRefusal (x: ParsedRequest | PluginRefusal): x is PluginRefusal {
  return (x as PluginRefusal).error !== undefined
}

/** A bridge's request in the target's API: its body, route, upstream path and own headers. */
export interface BridgeTranslation {
  body: unknown
  /** The target route's path (`/v1/messages`) and the concrete upstream path for it. */
  routePath: string
  upstreamPath: string
  /** The target's headers (its API version); what the client sent is not the target's business. */
  headers: Record<string, string>
  /** The upstream query (`alt=sse` for a Gemini stream); none when absent. */
  query?: string
  /**
   * What the target's own parser would have noted for this request (Gemini's `action`): merged
   * into the parsed request, so the target's hooks (which account serves it, where it goes, how
   * its answer is unwrapped) decide as for a request of its own.
   */
  notes?: Record<string, unknown>
}

/**
 * The client side of a bridge: requests in one API's format (the client's) served by another
 * plugin's accounts (the target's). Core composes it with the target (`composeBridge`): the
 * target keeps everything about accounts, credentials, metering and prices.
 */
export interface BridgeTranslator {
  /** The client-facing routes. */
  routes: PluginRoute[]
  parseRequest (route: PluginRoute, req: IncomingRequest): ParsedRequest | PluginRefusal
  /**
   * The target's request for this body, or why there is none (a 400 before any account is
   * chosen). Called for every route the translator declares but `models` ones.
   */
  translate (body: Record<string, unknown>, parsed: ParsedRequest, route: PluginRoute): BridgeTranslation | { error: string }
  /** The target's event stream in the client's format. */
  streamFilter (parsed: ParsedRequest): ResponseFilter
  /** The target's whole JSON answer in the client's format. */
  convertAnswer (answer: unknown, parsed: ParsedRequest): unknown
  errorBody: RelayPlugin['errorBody']
  streamError?: RelayPlugin['streamError']
  modelList?: RelayPlugin['modelList']
}

/** What a bridge module exports by default: its translator and the plugin whose accounts serve it. */
export interface RelayBridge {
  specificationVersion: typeof SPECIFICATION_VERSION
  /** The bridge's own name (`chat-claude`), for the config and the usage rows. */
  bridge: string
  /** The name of the plugin whose accounts serve it (enabled in the same config). */
  target: string
  translator: BridgeTranslator
}
