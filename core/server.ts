// Assembles the sidecar from a runtime: fastify, the plugins' mounts, health, the in-memory key
// and account sets (refreshed when the CLI changes the store), the usage recorder, and a
// shutdown that drains streams within a grace period and flushes every usage record.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { DestinationStream, Logger } from 'pino'
import { AccountPool } from './accounts/account-pool.ts'
import { KeyRegistry } from './keys/key-registry.ts'
import { boundAccounts } from './keys/bindings.ts'
import { Credentials } from './accounts/credentials.ts'
import { Admission } from './limits/admission.ts'
import { createLogger } from './log.ts'
import { lazyChildLogger } from './lazy-child-logger.ts'
import { UsageRecorder } from './metering/usage-recorder.ts'
import { requestId } from './ids.ts'
import { Inflight } from './relay/inflight.ts'
import { mountAll } from './relay/mounts.ts'
import { checkTarget } from './relay/identify.ts'
import { registerForwardAuth } from './relay/forward-auth.ts'
import { registerGatewayProbe } from './relay/gateway-probe.ts'
import { registerAdmin } from './admin/index.ts'
import { trustedProxies } from './relay/client-info.ts'
import { pruneRequestLog } from './ops/retention.ts'
import { Notifier } from './ops/notify/notifier.ts'
import type { TargetConfig } from './ops/notify/targets.ts'
import { budgetWatcher, expiryWatcher, healthWatcher } from './ops/notify/watch.ts'
import { hostname } from 'node:os'
import { delegate, mountsOf, pluginDelegate, reloadConfig, type ReloadResult } from './ops/config-reload.ts'
import type { PoolAccount } from './accounts/account-pool.ts'
import { accountStates, registerMetricsRoute, RelayMetrics } from './ops/metrics-route.ts'
import { accountTester } from './admin/account-test.ts'
import { websocketBridge } from './relay/websocket-bridge.ts'
import type { RelayDeps } from './relay/relay-handler.ts'
import { Egress } from './relay/egress.ts'
import { startLivePrices } from './metering/live-prices.ts'
import { reloadKeysAndAccounts, type Runtime } from './runtime.ts'
import { configPath } from './config/load-config.ts'
import { SpillFile } from './store/spill-file.ts'
import { AccountSelector } from './scheduler/select-account.ts'
import { AccountHealth } from './scheduler/account-health.ts'
import { Scheduler } from './scheduler/scheduler.ts'
import { StickySessions } from './scheduler/sticky-sessions.ts'

/** How often the store is asked whether the CLI changed keys or accounts. */
const STORE_POLL_MS = 500
/** Expired sticky bindings and old limit counters are deleted every this many polls (about a minute). */
const PRUNE_EVERY = 120
/** Ended limit periods are kept this long (for `keys show` and support questions). */
const COUNTER_RETENTION_MS = 40 * 86_400_000

export interface RelayServer {
  app: FastifyInstance
  log: Logger
  keys: KeyRegistry
  pool: AccountPool
  health: AccountHealth
  admission: Admission
  recorder: UsageRecorder
  inflight: Inflight
  notifier: Notifier
  /** Re-reads the config file (SIGHUP, `ai-relay reload`, the admin API). */
  reloadConfig (): Promise<ReloadResult>
  /** The admin side's routes (method and URL pattern). */
  adminRoutes: { method: string, url: string }[]
  listen (): Promise<string>
  /** Stops accepting, drains streams (bounded by the grace period), flushes usage, closes. */
  close (): Promise<void>
}

export interface ServerOptions {
  logDestination?: DestinationStream
  now?: () => number
}

export async function createRelayServer (rt: Runtime, opts: ServerOptions = {}): Promise<RelayServer> {
  const { config } = rt.loaded
  const log = createLogger(config.log.level, opts.logDestination)
  const now = opts.now ?? Date.now
  const app: FastifyInstance = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // One line per relayed request is written at settle instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => requestId(),
    childLoggerFactory: lazyChildLogger,
    exposeHeadRoutes: false,
    // Relay bodies are raw buffers; the per-mount parser enforces the configured limit.
    bodyLimit: config.relay.bodyLimitBytes,
    forceCloseConnections: 'idle',
    // Admin and self-service inputs: an unknown field is a 400, not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
    return503OnClosing: true,
  })
  const keys = new KeyRegistry({ crsSalt: config.secrets.crsEncryptionKey })
  const pool = new AccountPool()
  const metrics = new RelayMetrics({ keyLabels: config.metrics.keyLabels }, {
    inflight: () => inflight.size,
    queueDepth: () => recorder.pending,
    accountStates: () => accountStates(pool, health, now()),
    priceSources: () => livePrices.sources.map(s => ({
      source: s.label,
      copyAgeSeconds: s.copy && s.copy.fetchedAt > 0 ? Math.max(0, Math.round((now() - s.copy.fetchedAt) / 1000)) : null,
      failing: s.lastError !== undefined,
    })),
  })
  const recorder = new UsageRecorder(rt.store, {
    flushIntervalMs: config.usage.flushIntervalMs, mode: config.usage.flush, log, now,
    backlog: config.usage.backlog,
    spill: config.usage.spillFile ? new SpillFile(configPath(rt.loaded, config.usage.spillFile)) : undefined,
    observe: {
      written: seconds => metrics.storeWritten(seconds),
      failed: err => {
        metrics.storeFailed()
        notifier.notify({ type: 'relay.store_error', message: String((err as Error)?.message ?? err).slice(0, 300) })
      },
    },
  })
  const inflight = new Inflight()
  const egress = new Egress(config.upstream, rt.env)
  const notifier = new Notifier({ targets: config.notifications.targets as TargetConfig[], debounceMs: config.notifications.debounceMs, relayName: config.notifications.relayName ?? hostname() }, log)
  const health = new AccountHealth(config.scheduler, state => {
    rt.store.saveAccountState(state).catch((err: unknown) => log.error({ err }, 'saving account state failed'))
  }, healthWatcher(notifier, pool, { windowUtilisation: config.notifications.windowUtilisation, now }))
  const selector = new AccountSelector()
  selector.seed(await rt.store.accountsLastUsed())
  const saveLastUsed = async () => {
    const times = selector.takeUnsaved()
    if (times.size > 0) await rt.store.saveAccountsLastUsed(times)
  }
  const scheduler = new Scheduler({
    pool, health, selector, sticky: new StickySessions(rt.store, config.scheduler.stickyTtlMs),
    maxSessionSwitches: config.scheduler.maxSessionSwitches,
    nextTurn: rt.store.nextTurn ? ids => rt.store.nextTurn!(ids) : undefined,
  })
  const admission = new Admission(rt.store, {
    timeZone: config.limits.timeZone, leaseTtlMs: config.limits.leaseTtlMs, now, shared: config.store.kind === 'redis',
    onError: err => log.error({ err }, 'renewing concurrency leases failed'),
  })
  // What a config reload replaces, held so that everything built below follows it.
  const credentialDeps = { types: rt.accountTypes, store: rt.store, box: rt.secretBox, health, pool, dispatcherFor: (a: PoolAccount) => egress.forAccount(a), now, log }
  const credentials = new Credentials(credentialDeps)
  const checkBudget = budgetWatcher(notifier, rt.store, { fraction: config.notifications.budgetFraction, timeZone: () => admission.timeZone })
  const pricing = delegate(rt.pricing)
  const livePriceDeps = {
    dispatcher: egress.forAccount({ proxy: null }), log, now,
    current: () => rt.pricing,
    swap: (next: typeof rt.pricing) => {
      rt.pricing = next
      pricing.swap(next)
    },
  }
  let livePrices = startLivePrices(rt, livePriceDeps)
  const live = rt.plugins.map(p => ({ ...p, ...pluginDelegate(p.plugin) }))
  const reload = async () => {
    await reloadKeysAndAccounts(rt, keys, pool)
    // A refresh that raced this reload must not be undone by the credentials the store had.
    for (const a of pool.list()) credentials.adopt(a)
    await admission.reload()
    health.load(await rt.store.listAccountStates())
    scheduler.setDedicated(keys.list().flatMap(k => boundAccounts(k.bindings)))
  }
  await reload()
  const notifiedUnpriced = new Set<string>()
  const deps: RelayDeps = {
    scheduler, health, egress, inflight, credentials, admission, recorder, metrics, pricing: pricing.proxy, now, maxAttempts: config.scheduler.maxAttempts,
    headersTimeoutMs: { stream: config.upstream.streamHeadersTimeoutMs, whole: config.upstream.headersTimeoutMs },
    trustedProxies: trustedProxies(config.relay.trustedProxies),
    modelOwner: (model, asking) => {
      if (asking.servesAnyModel === true || asking.ownsModel?.(model)) return undefined
      const owner = rt.plugins.find(p => p.plugin !== asking && p.plugin.ownsModel?.(model))
      return owner ? { provider: owner.plugin.name, mount: owner.mount } : undefined
    },
    logRequests: () => rt.loaded.config.log.requests,
    unpriced: (provider, model) => {
      // Once per model for the life of the process (the names are the clients' to choose: capped).
      const id = `${provider}\u0000${model}`
      if (notifiedUnpriced.has(id) || notifiedUnpriced.size >= 1000) return
      notifiedUnpriced.add(id)
      notifier.notify({ type: 'pricing.unpriced', provider, model: model.slice(0, 200) })
    },
    spent: (key, model, at) => {
      checkBudget(key, model, at).catch((err: unknown) => log.warn({ err }, 'checking a budget for notifications failed'))
    },
  }
  // Rows a previous process left in progress belong to requests that died with it.
  const interrupted = await rt.store.markInterrupted(now())
  if (interrupted > 0) log.warn({ requests: interrupted }, 'marked requests left in progress by the previous run as interrupted')

  app.decorateRequest('relayTarget', null)
  app.decorateRequest('relayAuth', null)
  app.addHook('onRequest', checkTarget)

  const started = now()
  const healthReport = () => {
    const usage = recorder.state
    return {
      // Degraded: serving, but the store is not writing usage (it is kept and retried).
      status: usage.failingSince === undefined && !usage.spilled ? 'ok' : 'degraded',
      uptimeSeconds: Math.floor((now() - started) / 1000),
      plugins: rt.plugins.map(p => ({ name: p.plugin.name, ...(p.bridge ? { bridge: p.bridge } : {}), mount: p.mount, aliases: p.aliases })),
      inflight: inflight.size,
      usage: {
        pendingRecords: usage.pending,
        spilled: usage.spilled,
        ...(usage.failingSince !== undefined ? { storeFailingSince: new Date(usage.failingSince).toISOString() } : {}),
        ...(!recorder.accepting ? { refusingRequests: true } : {}),
      },
    }
  }
  app.get('/_relay/health', async () => healthReport())
  if (config.metrics.enabled) registerMetricsRoute(app, metrics, config.metrics.token)
  const adminRoutes = registerAdmin(app, {
    rt, keys, now, health: healthReport, changed: reload, trustedProxies: deps.trustedProxies,
    testAccount: accountTester({ pool, plugins: live.map(p => p.plugin), egress, credentials, health, now }),
    reloadConfig: () => reloadConfigNow(),
    prices: { sources: () => livePrices.sources, updateNow: () => livePrices.updateNow() },
    live: metrics.live,
    notifications: { status: () => notifier.status(), test: by => notifier.test(by) },
  })

  mountAll(app, live, { ...deps, keys }, config.relay.bodyLimitBytes)
  // A path shared by several entries is answered for by its own plugin (listed before bridges).
  const mounts = live.filter(p => !p.plugin.bridge).concat(live.filter(p => p.plugin.bridge))
    .flatMap(({ plugin, mount, aliases }) => [mount, ...aliases].map(prefix => ({ prefix, plugin })))
    .filter((m, i, all) => all.findIndex(o => o.prefix === m.prefix) === i)
    // The longest path first: /openai/claude/... is the bridge's, not /openai's.
    .sort((a, b) => b.prefix.length - a.prefix.length)
  registerForwardAuth(app, { keys, admission, now, mounts })
  const probe = registerGatewayProbe(app, { keys, now, prefixes: mounts.map(m => m.prefix), bodyLimit: config.relay.bodyLimitBytes })
  const websocketMounts = live.flatMap(({ plugin, mount, aliases }) => {
    const routes = plugin.routes.filter(r => r.kind === 'websocket')
    return plugin.websocket && routes.length > 0 ? [mount, ...aliases].map(prefix => ({ plugin, prefix, routes })) : []
  })
  const bridge = websocketMounts.length > 0 ? websocketBridge(websocketMounts, { ...deps, keys, log: log as FastifyBaseLogger, maxMessageBytes: config.relay.bodyLimitBytes }) : undefined
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (probe.upgrade(req, socket, head)) return
    if (bridge) return bridge(req, socket, head)
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
  })

  /** Re-reads the config file: what it may change is applied for new requests; the rest is named. */
  const reloadConfigNow = async (): Promise<ReloadResult> => {
    const result = await reloadConfig(rt, async parts => {
      if (mountsOf(parts) === mountsOf(rt)) {
        live.forEach((l, i) => l.swap(parts.plugins[i]!.plugin))
        rt.plugins = parts.plugins
        rt.accountTypes = parts.accountTypes
        credentialDeps.types = parts.accountTypes
      }
      rt.loaded = parts.loaded
      // The new config's sources start from the copies on disk (the old refresher wrote them).
      livePrices.stop()
      Object.assign(rt, { priceInputs: parts.priceInputs, priceSources: parts.priceSources, priceDir: parts.priceDir })
      livePrices = startLivePrices(rt, livePriceDeps)
      rt.pricing = parts.pricing
      pricing.swap(parts.pricing)
      rt.declaredKeys = parts.declaredKeys
      rt.declaredAccounts = parts.declaredAccounts
      admission.timeZone = parts.loaded.config.limits.timeZone
      log.level = parts.loaded.config.log.level
      await reload()
    })
    if (result.ok) log.info({ restartNeeded: result.restartNeeded.length > 0 ? result.restartNeeded : undefined }, 'config reloaded')
    else log.error({ problems: result.problems }, 'config reload refused: the file does not validate; the running settings are kept')
    return result
  }

  // Another instance's changes, pushed by a shared store: applied at once, not at the next poll.
  rt.store.onChange?.(what => {
    const work = what === 'state' ? rt.store.listAccountStates().then(states => health.load(states)) : reload()
    work.catch((err: unknown) => log.error({ err }, 'applying another instance\'s change failed'))
  })
  const checkExpiry = expiryWatcher(notifier)
  let polls = 0
  const poll = setInterval(() => {
    checkExpiry(keys.list(), now())
    rt.store.changedElsewhere()
      .then(changed => (changed ? reload() : undefined))
      .then(async () => {
        await saveLastUsed()
        if (++polls % PRUNE_EVERY !== 0) return
        await rt.store.pruneSticky(now())
        await rt.store.pruneCounters(now() - COUNTER_RETENTION_MS)
        await pruneRequestLog(rt.store, { days: config.retention.requestLogDays, maxRows: config.retention.requestLogMaxRows, batchSize: config.retention.batchSize, now: now(), log })
      })
      .catch((err: unknown) => log.error({ err }, 'reloading keys and accounts failed'))
  }, STORE_POLL_MS)
  poll.unref()

  let closing: Promise<void> | undefined
  return {
    app, log, keys, pool, health, admission, recorder, inflight, adminRoutes, notifier, reloadConfig: reloadConfigNow,
    async listen () {
      // Node's default backlog (511) overflowed when 1,000 streams connected at once (bench/):
      // the kernel dropped the SYNs and those clients waited a second to retry. The kernel caps
      // it at net.core.somaxconn (4096 on current kernels).
      return app.listen({ host: config.listen.host, port: config.listen.port, backlog: 4096 })
    },
    close () {
      closing ??= (async () => {
        clearInterval(poll)
        livePrices.stop()
        metrics.live.close()
        // Stop taking requests; streams in flight go on until done or the grace period ends.
        const closed = app.close()
        await inflight.drain(config.relay.shutdownGraceMs)
        admission.leases.stop()
        // Every exchange has settled; what is left are keep-alive sockets of finished streams,
        // which would otherwise hold close() open until their keep-alive timeout.
        app.server.closeAllConnections()
        await closed
        await recorder.close()
        await notifier.close().catch((err: unknown) => log.error({ err }, 'sending the last notifications failed'))
        await saveLastUsed().catch((err: unknown) => log.error({ err }, 'saving the accounts\' last use failed'))
        await egress.close()
        await rt.store.close()
      })()
      return closing
    },
  }
}
