// The admin REST API under /_relay/admin/api/: keys, accounts (every type of every loaded
// plugin, subscription logins as start / finish), usage totals and series, the request log,
// plugins, prices and health. Every route sits behind the one admin guard; bodies and queries
// are described by JSON Schemas and validated by fastify's ajv. The operations are the CLI's own
// (core/manage); a change is applied to the running relay at once.
import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Runtime } from '../runtime.ts'
import { policySchema } from '../limits/policy-schema.ts'
import { bindingsChangeSchema } from '../keys/bindings.ts'
import { deleteAdminUser, listAdminUsers, putAdminUser, signOutAdminUser } from '../manage/admin-users.ts'
import { BULK_MAX, bulkKeys, createKeys, type BulkAction } from '../manage/key-bulk.ts'
import { KEY_SORTS, listKeyPage, type KeyListQuery } from '../manage/key-list.ts'
import { createKey, deleteKey, keyView, rotateKey, setKeyDisabled, showKey, updateKey } from '../manage/keys.ts'
import { accountTypes, addAccount, clearAccountState, deleteAccount, listAccounts, setAccountDisabled, updateAccount } from '../manage/accounts.ts'
import { beginLogin, finishLogin, type PendingLogin } from '../manage/logins.ts'
import { errors } from '../errors.ts'
import type { AdminAuth } from './admin-auth.ts'
import { usageRoutes } from './usage-api.ts'
import { sessionRoutes } from './session-api.ts'
import type { AccountTester } from './account-test.ts'
import type { ReloadResult } from '../ops/config-reload.ts'
import { pricesRoutes, type LivePriceControl } from './prices-api.ts'
import { opsRoutes, type OpsApiDeps } from './ops-api.ts'
import { UsageTotalsCache } from './usage-totals-cache.ts'

export interface AdminApiDeps {
  rt: Runtime
  auth: AdminAuth
  /** Applies a change to the running relay (keys and accounts reloaded). */
  changed: () => Promise<void>
  health: () => unknown
  testAccount: AccountTester
  reloadConfig: () => Promise<ReloadResult>
  prices: LivePriceControl
  now: () => number
  live: OpsApiDeps['live']
  notifications: OpsApiDeps['notifications']
}

const name = { type: 'string', minLength: 1, maxLength: 64 } as const
const nullableName = { anyOf: [name, { type: 'null' }] } as const
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 128 } } } as const
const placement = {
  priority: { type: 'integer', minimum: 1, maximum: 100 },
  groups: { type: 'array', items: name, maxItems: 32 },
  maxConcurrency: { anyOf: [{ type: 'integer', minimum: 1 }, { type: 'null' }] },
  models: { anyOf: [{ type: 'array', items: { type: 'string', minLength: 1, maxLength: 128 }, maxItems: 64 }, { type: 'null' }] },
  // Checked whole by manage/accounts (the served names' alphabet, 200 entries at most).
  modelMap: { anyOf: [{ type: 'object', maxProperties: 200, additionalProperties: { type: 'string', maxLength: 200 } }, { type: 'null' }] },
  proxy: { anyOf: [{ type: 'string', maxLength: 2048 }, { type: 'null' }] },
  shared: { anyOf: [{ type: 'boolean' }, { type: 'null' }] },
} as const
const keyChange = {
  policy: { ...policySchema, $id: undefined },
  bindings: bindingsChangeSchema,
  account: nullableName,
  group: nullableName,
  expiresAt: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] },
} as const

const keyListSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: { type: 'string', maxLength: 128 },
    state: { type: 'string', enum: ['active', 'disabled', 'expired'] },
    tag: { type: 'string', maxLength: 64 },
    sort: { type: 'string', enum: KEY_SORTS },
    order: { type: 'string', enum: ['asc', 'desc'] },
    offset: { type: 'integer', minimum: 0, maximum: 10_000_000, default: 0 },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  },
} as const

/** Pending subscription logins, by a random id, for 15 minutes (the operator is logging in). */
const LOGIN_TTL_MS = 15 * 60_000

export async function adminApi (app: FastifyInstance, deps: AdminApiDeps): Promise<void> {
  const { rt, changed } = deps
  const logins = new Map<string, { login: PendingLogin, expiresAt: number }>()
  app.addHook('onRequest', deps.auth.guard)
  await app.register(sessionRoutes, { auth: deps.auth })

  // Keys.
  // The console asks the same long ranges every few seconds: past hours come from a copy (a minute old at most).
  const totals = new UsageTotalsCache(rt.store)
  app.get('/keys', { schema: { querystring: keyListSchema } }, async request => {
    const now = deps.now()
    return listKeyPage(rt, request.query as KeyListQuery, now, (since, until) => totals.totals('key', since, until, now))
  })
  app.post('/keys', { schema: { body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name, ...keyChange } } } }, async (request, reply) => {
    const { name: keyName, ...change } = request.body as { name: string } & Record<string, unknown>
    const { key, secret } = await createKey(rt, keyName, change)
    await changed()
    return reply.code(201).send({ ...keyView(key, new Map()), key: secret })
  })
  // Many keys at once: created with the same limits (each secret returned this once), or a
  // selection disabled, enabled, deleted, tagged or untagged.
  app.post('/keys/bulk-create', {
    schema: { body: { type: 'object', additionalProperties: false, required: ['prefix', 'count'], properties: { prefix: { type: 'string', minLength: 1, maxLength: 56 }, count: { type: 'integer', minimum: 1, maximum: BULK_MAX }, ...keyChange } } },
  }, async (request, reply) => {
    const { prefix, count, ...change } = request.body as { prefix: string, count: number } & Record<string, unknown>
    const created = await createKeys(rt, prefix, count, change)
    await changed()
    return reply.code(201).send({ items: created.map(({ key, secret }) => ({ id: key.id, name: key.name, key: secret })) })
  })
  app.post('/keys/bulk', {
    schema: {
      body: {
        type: 'object', additionalProperties: false, required: ['ids', 'action'],
        properties: { ids: { type: 'array', items: idParams.properties.id, minItems: 1, maxItems: BULK_MAX }, action: { type: 'string', enum: ['disable', 'enable', 'delete', 'tag', 'untag'] }, tag: { type: 'string', minLength: 1, maxLength: 64 } },
      },
    },
  }, async request => {
    const { ids, action, tag } = request.body as { ids: string[], action: BulkAction, tag?: string }
    const result = await bulkKeys(rt, ids, action, tag)
    if (result.changed.length > 0) await changed()
    return result
  })
  app.get('/keys/:id', { schema: { params: idParams } }, async request => showKey(rt, (request.params as { id: string }).id, deps.now()))
  app.patch('/keys/:id', { schema: { params: idParams, body: { type: 'object', additionalProperties: false, properties: keyChange } } }, async request => {
    const key = await updateKey(rt, (request.params as { id: string }).id, request.body as Record<string, unknown>)
    await changed()
    return keyView(key, await rt.store.lastUsed())
  })
  app.post('/keys/:id/rotate', { schema: { params: idParams } }, async request => {
    const { key, secret } = await rotateKey(rt, (request.params as { id: string }).id)
    await changed()
    return { ...keyView(key, await rt.store.lastUsed()), key: secret }
  })
  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    app.post(`/keys/:id/${action}`, { schema: { params: idParams } }, async request => {
      const key = await setKeyDisabled(rt, (request.params as { id: string }).id, disabled)
      await changed()
      return keyView(key, await rt.store.lastUsed())
    })
  }
  app.delete('/keys/:id', { schema: { params: idParams } }, async (request, reply) => {
    await deleteKey(rt, (request.params as { id: string }).id)
    await changed()
    return reply.code(204).send()
  })

  // Accounts.
  app.get('/account-types', async () => ({ items: accountTypes(rt) }))
  app.get('/accounts', async () => ({ items: await listAccounts(rt, deps.now()) }))
  app.post('/accounts', {
    schema: { body: { type: 'object', additionalProperties: false, required: ['name', 'provider', 'type', 'fields'], properties: { name, provider: name, type: name, fields: { type: 'object' }, ...placement } } },
  }, async (request, reply) => {
    const record = await addAccount(rt, request.body as Parameters<typeof addAccount>[1])
    await changed()
    return reply.code(201).send((await listAccounts(rt, deps.now())).find(a => a.id === record.id))
  })
  app.patch('/accounts/:id', {
    schema: { params: idParams, body: { type: 'object', additionalProperties: false, properties: { fields: { type: 'object' }, ...placement } } },
  }, async request => {
    const account = await updateAccount(rt, (request.params as { id: string }).id, request.body as Parameters<typeof updateAccount>[2])
    await changed()
    return (await listAccounts(rt, deps.now())).find(a => a.id === account.id)
  })
  for (const [action, disabled] of [['disable', true], ['enable', false]] as const) {
    app.post(`/accounts/:id/${action}`, { schema: { params: idParams } }, async request => {
      const account = await setAccountDisabled(rt, (request.params as { id: string }).id, disabled)
      await changed()
      return (await listAccounts(rt, deps.now())).find(a => a.id === account.id)
    })
  }
  app.delete('/accounts/:id', { schema: { params: idParams } }, async (request, reply) => {
    await deleteAccount(rt, (request.params as { id: string }).id)
    await changed()
    return reply.code(204).send()
  })
  // Back in service now: the cooldown and failure streak cleared (declared accounts too: it is run-time state).
  app.post('/accounts/:id/reset', { schema: { params: idParams } }, async request => {
    const account = await clearAccountState(rt, (request.params as { id: string }).id)
    await changed()
    return (await listAccounts(rt, deps.now())).find(a => a.id === account.id)
  })
  app.post('/accounts/:id/test', { schema: { params: idParams } }, async request => deps.testAccount((request.params as { id: string }).id))

  // Subscription logins: start (the URL to open), then finish (what the login page showed).
  app.post('/logins', {
    schema: { body: { type: 'object', additionalProperties: false, required: ['provider', 'name'], properties: { provider: name, type: name, name, fields: { type: 'object' }, ...placement } } },
  }, async request => {
    const { provider, type, name: accountName, fields, ...rest } = request.body as { provider: string, type?: string, name: string, fields?: Record<string, unknown> } & Record<string, unknown>
    const login = await beginLogin(rt, { what: provider, typeName: type, name: accountName, extra: fields, ...rest })
    const now = deps.now()
    for (const [id, l] of logins) if (l.expiresAt <= now) logins.delete(id)
    const id = randomBytes(18).toString('base64url')
    logins.set(id, { login, expiresAt: now + LOGIN_TTL_MS })
    return { loginId: id, url: login.url, ...(login.userCode ? { userCode: login.userCode } : {}), account: login.name, type: login.type.name, expiresAt: new Date(now + LOGIN_TTL_MS).toISOString() }
  })
  app.post('/logins/:id/finish', {
    schema: { params: idParams, body: { type: 'object', additionalProperties: false, required: ['code'], properties: { code: { type: 'string', minLength: 1, maxLength: 8192 } } } },
  }, async request => {
    const id = (request.params as { id: string }).id
    const pending = logins.get(id)
    if (!pending || pending.expiresAt <= deps.now()) throw new errors.RELAY_ERR_NOT_FOUND('login', 'this id (expired or never started)')
    logins.delete(id)
    const { account, again } = await finishLogin(rt, pending.login, (request.body as { code: string }).code)
    await changed()
    return { again, account: (await listAccounts(rt, deps.now())).find(a => a.id === account.id) }
  })

  await app.register(usageRoutes, { rt })

  // Read-only views.
  // Local admin users (the CLI's `admin users`): a password changed or a user removed ends its sessions.
  const userParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 64 } } } as const
  app.get('/users', async () => ({ items: await listAdminUsers(rt) }))
  app.put('/users/:name', {
    schema: { params: userParams, body: { type: 'object', additionalProperties: false, required: ['password'], properties: { password: { type: 'string', maxLength: 1024 } } } },
  }, async (request, reply) => {
    const { name } = request.params as { name: string }
    const existed = await putAdminUser(rt, name, (request.body as { password: string }).password)
    return reply.code(existed ? 200 : 201).send({ name, created: !existed })
  })
  app.delete('/users/:name', { schema: { params: userParams } }, async (request, reply) => {
    await deleteAdminUser(rt, (request.params as { name: string }).name)
    return reply.code(204).send()
  })
  app.post('/users/:name/sign-out', { schema: { params: userParams } }, async (request, reply) => {
    await signOutAdminUser(rt, (request.params as { name: string }).name)
    return reply.code(204).send()
  })

  app.get('/plugins', async () => ({
    items: rt.plugins.map(p => ({ name: p.plugin.name, mount: p.mount, aliases: p.aliases, routes: p.plugin.routes.map(r => `${r.method} ${r.path}`), accountTypes: Object.keys(p.plugin.accountTypes) })),
  }))
  app.get('/prices', async () => rt.pricing.describe())
  await app.register(pricesRoutes, { rt, prices: deps.prices, now: deps.now })
  await app.register(opsRoutes, { rt, totals, health: deps.health, live: deps.live, notifications: deps.notifications, now: deps.now })
  app.get('/health', async () => deps.health())
  // Re-reads the config file; an invalid one changes nothing and its problems come back.
  app.post('/reload', async (_request, reply) => {
    const result = await deps.reloadConfig()
    return reply.code(result.ok ? 200 : 422).send(result)
  })
}

/** Admin API errors: `{ error: { code, message } }` with the error's status. */
export function adminErrorHandler (err: Error & { statusCode?: number, code?: string, validation?: unknown, retryAfter?: number }, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // Each problem with its JSON path too, so a form can show it at its field.
  if (Array.isArray(err.validation)) {
    // The keyword and its params too, so the console can say it in the reader's language.
    const details = (err.validation as { instancePath?: string, message?: string, keyword?: string, params?: Record<string, unknown> }[]).slice(0, 20)
      .map(v => ({ path: v.instancePath ?? '', message: v.message ?? 'is not valid', keyword: v.keyword ?? null, params: v.params ?? {} }))
    return reply.code(400).send({ error: { code: 'RELAY_ERR_BODY_INVALID', message: err.message, details } })
  }
  const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
  if (err.retryAfter !== undefined) reply.header('retry-after', String(err.retryAfter))
  if (status === 500) reply.log.error({ err }, 'admin API failed')
  const params = status !== 500 && Array.isArray((err as { params?: unknown }).params) ? { params: (err as unknown as { params: unknown[] }).params } : {}
  return reply.code(status).send({ error: { code: status === 500 ? 'RELAY_ERR_INTERNAL' : err.code ?? 'RELAY_ERR_INTERNAL', message: status === 500 ? 'Internal relay error' : err.message, ...params } })
}
