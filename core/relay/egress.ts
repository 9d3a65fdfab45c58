// Where upstream traffic leaves from: one dispatcher per egress route, shared by every account
// that uses it (keep-alive pools stay warm). Accounts without their own proxy use the global
// one: `upstream.proxy` from the config, else HTTPS_PROXY/HTTP_PROXY with NO_PROXY from the
// environment, else a direct connection. HTTP proxies go through undici's ProxyAgent, SOCKS5
// through its Socks5ProxyAgent; OAuth token calls take the same route as the account's traffic.
import { Agent, EnvHttpProxyAgent, ProxyAgent, Socks5ProxyAgent, type Dispatcher } from '../http-client.ts'
import type { RelayConfig } from '../config/schema.ts'
import { EVENT_LIMIT } from '../plugin-kit.ts'

type UpstreamOptions = RelayConfig['upstream']

function agentOptions (o: UpstreamOptions) {
  return {
    connect: { timeout: o.connectTimeoutMs },
    headersTimeout: o.headersTimeoutMs,
    bodyTimeout: o.bodyTimeoutMs,
    connections: o.connections,
    keepAliveTimeout: 30_000,
    // An upstream WebSocket message is one event of the stream: bounded like one (undici's
    // default is 128 MB a message).
    webSocket: { maxPayloadSize: EVENT_LIMIT },
  }
}

function viaProxy (url: string, o: UpstreamOptions): Dispatcher {
  if (/^socks/i.test(url)) {
    // Its `connect` option is a connector function, not socket options: the proxy's own default applies.
    const { connect: _connect, ...rest } = agentOptions(o)
    return new Socks5ProxyAgent(url.replace(/^socks:/i, 'socks5:'), rest)
  }
  return new ProxyAgent({ uri: url, ...agentOptions(o) })
}

export class Egress {
  #options: UpstreamOptions
  #default: Dispatcher
  #proxies = new Map<string, Dispatcher>()

  constructor (options: UpstreamOptions, env: NodeJS.ProcessEnv) {
    this.#options = options
    const httpProxy = env.HTTP_PROXY ?? env.http_proxy
    const httpsProxy = env.HTTPS_PROXY ?? env.https_proxy
    if (options.proxy) {
      this.#default = viaProxy(options.proxy, options)
    } else if (httpProxy || httpsProxy) {
      this.#default = new EnvHttpProxyAgent({ ...agentOptions(options), httpProxy, httpsProxy, noProxy: env.NO_PROXY ?? env.no_proxy })
    } else {
      this.#default = new Agent(agentOptions(options))
    }
  }

  forAccount (account: { proxy: string | null }): Dispatcher {
    if (!account.proxy) return this.#default
    let d = this.#proxies.get(account.proxy)
    if (!d) this.#proxies.set(account.proxy, d = viaProxy(account.proxy, this.#options))
    return d
  }

  async close (): Promise<void> {
    await Promise.all([this.#default, ...this.#proxies.values()].map(d => d.close()))
  }
}
