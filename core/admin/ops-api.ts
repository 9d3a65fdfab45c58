// The operator's views of the running relay: the overview (GET /overview), the configuration in
// force with its secrets redacted (GET /config), and a test message to every notification
// target (POST /notifications/test).
import type { FastifyInstance } from 'fastify'
import { stringify } from 'yaml'
import type { Runtime } from '../runtime.ts'
import type { TargetStatus, TestResult } from '../ops/notify/notifier.ts'
import type { EventLoopLag } from '../ops/live-stats.ts'
import { overview } from './overview.ts'
import type { UsageTotalsCache } from './usage-totals-cache.ts'
import { redactConfig } from './config-view.ts'

export interface OpsApiDeps {
  rt: Runtime
  totals: UsageTotalsCache
  health: () => unknown
  live: { lastMinute: () => number, eventLoopLag: () => EventLoopLag }
  notifications: { status: () => TargetStatus[], test: (by: string) => Promise<TestResult[]> }
  now: () => number
}

export async function opsRoutes (app: FastifyInstance, deps: OpsApiDeps): Promise<void> {
  app.get('/overview', async () => overview({
    rt: deps.rt, totals: deps.totals, health: deps.health as never, live: deps.live, notifications: deps.notifications.status,
  }, deps.now()))

  app.get('/config', async () => {
    const config = redactConfig(deps.rt.loaded.config, {
      secretFieldsOf: (provider, type) => {
        const t = typeof provider === 'string' && typeof type === 'string' ? deps.rt.accountTypes.resolve(provider, type) : undefined
        return t === undefined || typeof t === 'string' ? undefined : t.secretFields
      },
    })
    // Also as YAML, the file's own language, so the console need not carry a YAML writer.
    return { file: deps.rt.loaded.file, config, yaml: stringify(config) }
  })

  app.post('/notifications/test', async request => {
    const results = await deps.notifications.test(request.admin!.user)
    return { items: results }
  })
}
