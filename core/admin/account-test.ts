// An operator's test of one account: a minimal request the plugin describes (its
// `testRequest`), sent with the account's credentials through the account's egress, pinned like
// every upstream call. The answer's status, time and error text are reported, and the account's
// state follows it as after a real request (a 401 marks it for a new login, a 429 cools it
// down, a success ends a failure streak); nothing is metered.
import { readText, request as undiciRequest } from '../http-client.ts'
import type { AccountPool } from '../accounts/account-pool.ts'
import type { Credentials } from '../accounts/credentials.ts'
import type { Egress } from '../relay/egress.ts'
import type { RelayPlugin } from '../plugin-api.ts'
import { pinUpstream } from '../relay/upstream-pin.ts'
import { upstreamRequestHeaders } from '../relay/headers.ts'
import { providerMessage } from '../relay/upstream-error.ts'
import { errors } from '../errors.ts'
import type { AccountHealth } from '../scheduler/account-health.ts'

export type AccountTester = (ref: string) => Promise<{ ok: boolean, status: number | null, latencyMs: number, message: string }>

export function accountTester (deps: { pool: AccountPool, plugins: RelayPlugin[], egress: Egress, credentials: Credentials, health?: AccountHealth, now: () => number }): AccountTester {
  return async ref => {
    const account = deps.pool.list().find(a => a.id === ref || a.name === ref)
    if (!account) throw new errors.RELAY_ERR_NOT_FOUND('account', ref)
    const plugin = deps.plugins.find(p => p.name === account.provider)
    const test = plugin?.testRequest?.(account)
    if (!plugin || !test) return { ok: false, status: null, latencyMs: 0, message: `the ${account.provider} plugin has no test request for ${account.type} accounts` }
    const route = plugin.routes.find(r => r.method === 'POST' && r.path === test.routePath)
    if (!route) return { ok: false, status: null, latencyMs: 0, message: `the ${account.provider} plugin's test route ${test.routePath} does not exist` }
    const start = deps.now()
    if (!await deps.credentials.ensureFresh(account)) return { ok: false, status: null, latencyMs: 0, message: 'the account\'s credential has expired and could not be refreshed' }
    const body = Buffer.from(JSON.stringify(test.body))
    const incoming = { method: 'POST', path: test.path, upstreamPath: test.path.slice((route.pathInBase ?? '').length), query: '', headers: upstreamRequestHeaders({ 'content-type': 'application/json', ...test.headers }), body }
    const parsed = plugin.parseRequest(route, incoming)
    if ('error' in parsed) return { ok: false, status: null, latencyMs: 0, message: parsed.error.message }
    const upstreamPath = plugin.upstreamPath?.(route, incoming, parsed, account) ?? incoming.upstreamPath
    const req = { ...incoming, upstreamPath }
    const up = await plugin.prepareUpstream(route, req, parsed, account)
    try {
      const target = pinUpstream(up, plugin.upstreamBase(account), upstreamPath, undefined)
      const res = await undiciRequest(`${target.origin}${target.path}`, { method: 'POST', headers: up.headers, body: up.body, dispatcher: deps.egress.forAccount(account), headersTimeout: 60_000, bodyTimeout: 60_000 })
      const text = (await readText(res.body)).slice(0, 2000)
      const ok = res.statusCode >= 200 && res.statusCode < 300
      const message = ok ? 'the account answered' : errorText(text)
      if (ok) deps.health?.succeeded(account.id, null, deps.now())
      else deps.health?.failed(account.id, plugin.classifyError(res.statusCode, res.headers, Buffer.from(text)), `test: HTTP ${res.statusCode}: ${message}`, deps.now())
      return { ok, status: res.statusCode, latencyMs: deps.now() - start, message }
    } catch (err) {
      return { ok: false, status: null, latencyMs: deps.now() - start, message: (err as Error).message }
    }
  }
}

/** The provider's error message, not its whole body (which could echo the request). */
function errorText (body: string): string {
  return providerMessage(Buffer.from(body), 500) ?? body.slice(0, 200)
}
