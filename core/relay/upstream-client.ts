// The connection pool towards providers: one undici Agent with keep-alive and the configured
// timeouts. Cross-cutting behaviour (proxies, retries) composes onto this dispatcher.
import { Agent, type Dispatcher } from 'undici'
import type { RelayConfig } from '../config/schema.ts'

export function createUpstreamDispatcher (opts: RelayConfig['upstream']): Dispatcher {
  return new Agent({
    connect: { timeout: opts.connectTimeoutMs },
    headersTimeout: opts.headersTimeoutMs,
    bodyTimeout: opts.bodyTimeoutMs,
    connections: opts.connections,
    keepAliveTimeout: 30_000,
  })
}
