// Who may use the admin API, decided by one hook in front of every admin route (deny by
// default: a route is reachable only through it). Three ways in, none of them on by default:
// - an admin token from the config, as `Authorization: Bearer` (scripts, a portal's backend);
// - a local user's session: an HttpOnly, SameSite=Strict cookie holding a random id (only its
//   hash is stored), and for every call that changes something the session's CSRF token in
//   `X-CSRF-Token`;
// - a user name set by an authenticating proxy (oauth2-proxy, Authelia) in a configured header,
//   believed only from the configured proxy addresses; calls that change something must carry
//   `X-Requested-With` (a header a cross-site form cannot send, and a cross-origin page only
//   after the CORS allowlist agreed).
// The incumbent read a missing session as a valid one; here every path that does not prove an
// identity ends in a 401, and the test suite calls every admin route to prove it.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { BlockList, isIP } from 'node:net'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type {} from '@fastify/cookie'
import type { AdminConfig } from '../config/schema.ts'
import type { Store } from '../store/store.ts'
import { errors, type RelayError } from '../errors.ts'
import { DUMMY_HASH, verifyPassword } from './passwords.ts'

export const SESSION_COOKIE = 'relay_admin_session'
export const CSRF_HEADER = 'x-csrf-token'

export interface AdminIdentity {
  user: string
  via: 'token' | 'session' | 'sso'
  /** For a session: the token its changing calls must carry. */
  csrf?: string
}

declare module 'fastify' {
  interface FastifyRequest {
    admin: AdminIdentity | null
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

function sameSecret (a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

function unauthorized (message = 'Admin authentication required'): RelayError {
  return new errors.RELAY_ERR_ADMIN_UNAUTHORIZED(message) as RelayError
}

function forbidden (message: string): RelayError {
  return new errors.RELAY_ERR_ADMIN_FORBIDDEN(message) as RelayError
}

export class AdminAuth {
  #config: AdminConfig
  #store: Store
  #now: () => number
  /** sha256 of each configured token → its name. */
  #tokens = new Map<string, string>()
  #trusted = new BlockList()

  constructor (config: AdminConfig, store: Store, now: () => number) {
    this.#config = config
    this.#store = store
    this.#now = now
    for (const t of config.tokens) this.#tokens.set(t.token !== undefined ? sha256(t.token) : t.tokenHash!.slice('sha256:'.length), t.name)
    for (const cidr of config.sso?.trustedProxies ?? []) {
      const [addr, bits] = cidr.split('/')
      const family = isIP(addr!) === 6 ? 'ipv6' : 'ipv4'
      if (bits === undefined) this.#trusted.addAddress(addr!, family)
      else this.#trusted.addSubnet(addr!, Number(bits), family)
    }
  }

  get sessionTtlMs (): number {
    return this.#config.sessionTtlMs
  }

  /** The onRequest hook of every admin API route. */
  readonly guard = async (request: FastifyRequest): Promise<void> => {
    request.admin = await this.#identify(request)
  }

  async #identify (request: FastifyRequest): Promise<AdminIdentity> {
    const h = request.headers
    const changes = !SAFE_METHODS.has(request.method)
    const auth = h.authorization
    if (auth !== undefined) {
      // A bearer that is not an admin token is refused; it never falls through to a cookie.
      const m = /^Bearer\s+(\S+)$/i.exec(auth)
      const name = m ? this.#tokens.get(sha256(m[1]!)) : undefined
      if (name === undefined) throw unauthorized('Invalid admin token')
      return { user: name, via: 'token' }
    }
    const cookie = request.cookies?.[SESSION_COOKIE]
    if (cookie !== undefined) {
      const session = await this.#store.getAdminSession(sha256(cookie), this.#now())
      if (!session) throw unauthorized('The session has expired: log in again')
      if (changes) {
        const sent = h[CSRF_HEADER]
        if (typeof sent !== 'string' || !sameSecret(sent, session.csrf)) throw forbidden('Missing or wrong CSRF token (X-CSRF-Token)')
      }
      return { user: session.user, via: 'session', csrf: session.csrf }
    }
    const sso = this.#config.sso
    if (sso) {
      const user = h[sso.header.toLowerCase()]
      if (typeof user === 'string' && user !== '') {
        // The header is believed only from the proxy that sets it; from anyone else it is a spoof.
        const from = request.socket.remoteAddress ?? ''
        const family = isIP(from) === 6 ? 'ipv6' : 'ipv4'
        const trusted = this.#trusted.check(from.replace(/^::ffff:/, ''), from.startsWith('::ffff:') ? 'ipv4' : family)
        if (!trusted) throw unauthorized(`${sso.header} is accepted only from the configured proxies`)
        if (sso.users && !sso.users.includes(user)) throw forbidden(`${user} is not an admin of this relay`)
        if (changes && h['x-requested-with'] === undefined) throw forbidden('Calls that change something must send X-Requested-With')
        return { user, via: 'sso' }
      }
    }
    throw unauthorized()
  }

  /** Checks a local user's password (same time whether the user exists or not). */
  async checkPassword (name: string, password: string): Promise<boolean> {
    const user = (await this.#store.listAdminUsers()).find(u => u.name === name)
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH)
    return ok && user !== undefined
  }

  /** A new session: the cookie's value (random, 256 bits) and its CSRF token. */
  async openSession (user: string): Promise<{ id: string, csrf: string, expiresAt: number }> {
    const id = randomBytes(32).toString('base64url')
    const csrf = randomBytes(24).toString('base64url')
    const now = this.#now()
    const expiresAt = now + this.#config.sessionTtlMs
    await this.#store.insertAdminSession({ idHash: sha256(id), user, csrf, createdAt: now, expiresAt })
    return { id, csrf, expiresAt }
  }

  async closeSession (request: FastifyRequest): Promise<void> {
    const cookie = request.cookies?.[SESSION_COOKIE]
    if (cookie !== undefined) await this.#store.deleteAdminSession(sha256(cookie))
  }
}

/** The session cookie: HttpOnly, SameSite=Strict, Secure when the client came over https, for the relay's paths only. */
export function setSessionCookie (reply: FastifyReply, secure: boolean, value: string, maxAgeMs: number): void {
  reply.setCookie(SESSION_COOKIE, value, { path: '/_relay/', httpOnly: true, sameSite: 'strict', secure, maxAge: Math.floor(maxAgeMs / 1000) })
}
