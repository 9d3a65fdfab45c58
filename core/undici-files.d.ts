// Types of the undici files core/http-client.ts loads one by one: undici types only its index,
// so each file is given the type of what the index exports from it.
declare module 'undici/lib/dispatcher/agent.js' {
  const Agent: typeof import('undici').Agent
  export default Agent
}
declare module 'undici/lib/dispatcher/dispatcher.js' {
  const Dispatcher: typeof import('undici').Dispatcher
  export default Dispatcher
}
declare module 'undici/lib/dispatcher/env-http-proxy-agent.js' {
  const EnvHttpProxyAgent: typeof import('undici').EnvHttpProxyAgent
  export default EnvHttpProxyAgent
}
declare module 'undici/lib/dispatcher/proxy-agent.js' {
  const ProxyAgent: typeof import('undici').ProxyAgent
  export default ProxyAgent
}
declare module 'undici/lib/dispatcher/retry-agent.js' {
  const RetryAgent: typeof import('undici').RetryAgent
  export default RetryAgent
}
declare module 'undici/lib/dispatcher/socks5-proxy-agent.js' {
  const Socks5ProxyAgent: typeof import('undici').Socks5ProxyAgent
  export default Socks5ProxyAgent
}
declare module 'undici/lib/api/index.js' {
  const api: Record<string, unknown>
  export default api
}
declare module 'undici/lib/global.js' {
  const global: { getGlobalDispatcher: typeof import('undici').getGlobalDispatcher }
  export default global
}
