// The parts of undici the sidecar uses, each loaded from its own file. undici's index also loads
// fetch, its WebSocket, the cache stores, cookies and the mock agents, and the relay used none of
// them on its request path: ~7 MB of RSS for the life of the process (issue 14). What the index
// does besides requiring files is done here: the request API attached to `Dispatcher`, and the
// URL form of `request`. The WebSocket client, which needs undici's fetch machinery, comes from
// the index on first use (`webSocketClass`). The files are undici 7's (the lock file pins it);
// an undici that moved them fails every test at import, not quietly.
import type * as Undici from 'undici'
import AgentImpl from 'undici/lib/dispatcher/agent.js'
import DispatcherImpl from 'undici/lib/dispatcher/dispatcher.js'
import EnvHttpProxyAgentImpl from 'undici/lib/dispatcher/env-http-proxy-agent.js'
import ProxyAgentImpl from 'undici/lib/dispatcher/proxy-agent.js'
import RetryAgentImpl from 'undici/lib/dispatcher/retry-agent.js'
import Socks5ProxyAgentImpl from 'undici/lib/dispatcher/socks5-proxy-agent.js'
import api from 'undici/lib/api/index.js'
import globalDispatcher from 'undici/lib/global.js'

export type Dispatcher = Undici.Dispatcher

// What undici's index does first: every dispatcher gets request(), stream(), pipeline(), …
Object.assign((DispatcherImpl as typeof Undici.Dispatcher).prototype, api)

export const Agent = AgentImpl as typeof Undici.Agent
export const EnvHttpProxyAgent = EnvHttpProxyAgentImpl as typeof Undici.EnvHttpProxyAgent
export const ProxyAgent = ProxyAgentImpl as typeof Undici.ProxyAgent
export const RetryAgent = RetryAgentImpl as typeof Undici.RetryAgent
export const Socks5ProxyAgent = Socks5ProxyAgentImpl as typeof Undici.Socks5ProxyAgent
const { getGlobalDispatcher } = globalDispatcher as { getGlobalDispatcher: typeof Undici.getGlobalDispatcher }

type RequestOptions = Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> &
  Partial<Pick<Undici.Dispatcher.RequestOptions, 'method'>> & { dispatcher?: Dispatcher }

/**
 * undici's `request(url, options)`: the URL split into origin and path, sent through
 * `options.dispatcher` or the global one, the method defaulting as undici's does.
 */
export function request (url: string | URL, opts: RequestOptions = {}): Promise<Undici.Dispatcher.ResponseData> {
  const { dispatcher = getGlobalDispatcher(), ...rest } = opts
  const u = typeof url === 'string' ? new URL(url) : url
  return dispatcher.request({ ...rest, origin: u.origin, path: `${u.pathname}${u.search}`, method: opts.method ?? (opts.body ? 'PUT' : 'GET') })
}

let webSocket: Promise<typeof Undici.WebSocket> | undefined

/** undici's WebSocket client, loaded with the rest of undici the first time one is opened. */
export function webSocketClass (): Promise<typeof Undici.WebSocket> {
  // undici is CommonJS: its exports are the default export, in Node's ES modules and in the
  // esbuild bundle alike (the bundle has no named ones for a dynamic import).
  webSocket ??= import('undici').then(m => (m as unknown as { default: { WebSocket: typeof Undici.WebSocket } }).default.WebSocket)
  return webSocket
}

/** The most the relay reads of a side call's answer (a token endpoint, a webhook, an account test). */
export const SMALL_BODY_LIMIT = 1024 * 1024

/**
 * A response body as text, read up to `limit` bytes: past it the rest is not read and the
 * connection is let go (`undici`'s `body.text()` reads whatever the far end sends).
 */
export async function readText (body: Undici.Dispatcher.ResponseData['body'], limit = SMALL_BODY_LIMIT): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) {
      body.destroy()
      throw Object.assign(new Error(`the answer is larger than ${limit} bytes`), { code: 'RELAY_ERR_UPSTREAM_TOO_LARGE' })
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}
