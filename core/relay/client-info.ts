// Who sent a request, for the request log: the client's user agent, and its address. Behind a
// gateway the socket's peer is the gateway, so the client's address comes from
// `X-Forwarded-For`, believed only when the peer is one of the configured proxies (anyone else
// could write any address there). The chain is read from the right: the first address that is
// not a trusted proxy is the client.
import { BlockList, isIP } from 'node:net'
import type { IncomingHttpHeaders } from 'node:http'

export interface ClientInfo {
  userAgent: string | null
  ip: string | null
}

const UA_MAX = 256

export function trustedProxies (cidrs: readonly string[]): BlockList {
  const list = new BlockList()
  for (const cidr of cidrs) {
    const [addr, bits] = cidr.split('/')
    const family = isIP(addr!) === 6 ? 'ipv6' : 'ipv4'
    if (bits === undefined) list.addAddress(addr!, family)
    else list.addSubnet(addr!, Number(bits), family)
  }
  return list
}

// BlockList.check builds a SocketAddress on every call (a few µs a request, issue 14). The
// answers per list are remembered; the map is bounded because X-Forwarded-For is the client's to
// write, and starts over when full.
const CHECKED_MAX = 4096
const checked = new WeakMap<BlockList, Map<string, boolean>>()

function isTrusted (trusted: BlockList, x: { addr: string, family: 'ipv4' | 'ipv6' }): boolean {
  let known = checked.get(trusted)
  if (!known) checked.set(trusted, known = new Map())
  let yes = known.get(x.addr)
  if (yes === undefined) {
    yes = trusted.check(x.addr, x.family)
    if (known.size >= CHECKED_MAX) known.clear()
    known.set(x.addr, yes)
  }
  return yes
}

/** An address as BlockList takes it (IPv4-mapped IPv6 as IPv4), or undefined when it is none. */
function normal (addr: string | undefined): { addr: string, family: 'ipv4' | 'ipv6' } | undefined {
  const a = addr?.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '')
  if (!a) return undefined
  const v = isIP(a)
  return v === 0 ? undefined : { addr: a, family: v === 6 ? 'ipv6' : 'ipv4' }
}

/**
 * Whether the client reached the gateway over https: `X-Forwarded-Proto` (the kits set it),
 * believed only from a trusted proxy, else the relay's own socket.
 */
export function clientUsesHttps (headers: IncomingHttpHeaders, peer: string | undefined, encrypted: boolean, trusted: BlockList): boolean {
  if (encrypted) return true
  const from = normal(peer)
  if (!from || !isTrusted(trusted, from)) return false
  const proto = headers['x-forwarded-proto']
  return String(Array.isArray(proto) ? proto[0] : proto ?? '').split(',')[0]!.trim().toLowerCase() === 'https'
}

export function clientInfo (headers: IncomingHttpHeaders, peer: string | undefined, trusted: BlockList): ClientInfo {
  const ua = headers['user-agent']
  const userAgent = typeof ua === 'string' && ua !== '' ? ua.slice(0, UA_MAX) : null
  const from = normal(peer)
  if (!from) return { userAgent, ip: null }
  if (!isTrusted(trusted, from)) return { userAgent, ip: from.addr }
  const xff = headers['x-forwarded-for']
  const chain = (Array.isArray(xff) ? xff.join(',') : xff ?? '').split(',').map(s => s.trim()).filter(Boolean)
  for (let i = chain.length - 1; i >= 0; i--) {
    const hop = normal(chain[i])
    // Garbage in the chain ends the trust: what is left of it could be anything.
    if (!hop) return { userAgent, ip: from.addr }
    if (!isTrusted(trusted, hop)) return { userAgent, ip: hop.addr }
  }
  return { userAgent, ip: chain.length > 0 ? normal(chain[0])!.addr : from.addr }
}
