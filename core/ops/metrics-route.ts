// /_relay/metrics for Prometheus, behind a bearer token when the config sets one (the
// incumbent's was open to anyone), and the account states it reports.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { AccountPool } from '../accounts/account-pool.ts'
import type { AccountHealth } from '../scheduler/account-health.ts'
import { RelayMetrics } from './metrics.ts'

export { RelayMetrics }

const digest = (s: string) => createHash('sha256').update(s).digest()

export function registerMetricsRoute (app: FastifyInstance, metrics: RelayMetrics, token: string | undefined): void {
  const wanted = token === undefined ? undefined : digest(token)
  app.get('/_relay/metrics', async (request, reply) => {
    if (wanted) {
      const m = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')
      if (!m || !timingSafeEqual(digest(m[1]!), wanted)) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: { code: 'RELAY_ERR_METRICS_UNAUTHORIZED', message: 'A metrics token is required' } })
    }
    return reply.header('content-type', metrics.registry.contentType).send(await metrics.render())
  })
}

/** Accounts by provider and what keeps them from serving now, if anything. */
export function accountStates (pool: AccountPool, health: AccountHealth, now: number): { provider: string, state: string, count: number }[] {
  const counts = new Map<string, { provider: string, state: string, count: number }>()
  for (const a of pool.list()) {
    const state = health.unusable(a, now, undefined) ?? 'active'
    const key = `${a.provider}\0${state}`
    const c = counts.get(key) ?? { provider: a.provider, state, count: 0 }
    c.count++
    counts.set(key, c)
  }
  return [...counts.values()]
}
