// Self-service under /_relay/me/api/: a key holder, authenticated with their own relay key (in
// the headers the relay routes read it from; never the query), sees their key's limits with
// current use and reset times, their usage over time and their recent requests. Nothing about
// any other key, and nothing about the accounts (no account ids, no credentials).
import type { FastifyInstance } from 'fastify'
import type { Runtime } from '../runtime.ts'
import type { KeyRegistry } from '../keys/key-registry.ts'
import { keyUsageReport } from '../limits/key-usage.ts'
import { authenticate } from '../relay/identify.ts'
import type { KeyRecord } from '../store/store.ts'
import { requestPage, requestQuerySchema, usageQuerySchema, usageReport, type RequestFilter } from './usage-api.ts'

declare module 'fastify' {
  interface FastifyRequest {
    holder: KeyRecord | null
  }
}

export async function selfService (app: FastifyInstance, opts: { rt: Runtime, keys: KeyRegistry, now: () => number }): Promise<void> {
  app.decorateRequest('holder', null)
  app.addHook('onRequest', async request => {
    request.holder = authenticate(opts.keys, request.headers, '', opts.now()).key
  })
  app.get('/key', async request => {
    const { boundTo: _b, ...report } = await keyUsageReport(request.holder!, opts.rt.store, opts.rt.loaded.config.limits.timeZone, opts.now())
    return report
  })
  // By model only: grouping by account would name the accounts.
  const { by: _by, ...usageProperties } = usageQuerySchema.properties
  app.get('/usage', { schema: { querystring: { ...usageQuerySchema, properties: usageProperties } } }, async request =>
    usageReport(opts.rt, { ...(request.query as { since?: string, until?: string, granularity: 'hour' | 'day' | 'month' }), by: 'model' }, opts.now(), request.holder!.id))
  const { key: _k, account: _a, ...requestProperties } = requestQuerySchema.properties
  app.get('/requests', { schema: { querystring: { ...requestQuerySchema, properties: requestProperties } } }, async request => {
    const page = await requestPage(opts.rt, request.query as RequestFilter, request.holder!.id)
    return { ...page, items: page.items.map(({ accountId: _id, ...row }) => row) }
  })
}
