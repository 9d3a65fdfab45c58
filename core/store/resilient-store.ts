// What the relay does while a shared store (Redis) is unreachable, by `store.failMode`:
// - `closed` (default): requests that need the store to be admitted are refused with a 503 and
//   Retry-After in the provider's shape; nothing is served without its limits.
// - `open`: requests are admitted against limits kept in this process only (a memory store), so
//   the team keeps working; limits are exact per instance, not across instances, until Redis is
//   back.
// In both modes no usage record is lost: a batch the store refuses goes to a spill file on local
// disk (bounded memory) and is replayed, in order, once the store answers again. Conversations
// lose their stickiness while the store is away; account states are kept in memory.
import type { Logger } from 'pino'
import { errors, type RelayError } from '../errors.ts'
import { openSqliteStore } from './sqlite-store.ts'
import { SpillFile } from './spill-file.ts'
import type { Store } from './store.ts'

export type FailMode = 'closed' | 'open'

/** How often a spilled backlog (and leases not yet released) is offered to the store again. */
const REPLAY_MS = 2000
/** Lease releases kept for later; past it, leases free themselves with their TTL. */
const UNRELEASED_MAX = 10_000

/**
 * Whether a failure is the store being out of reach (a connection refused or lost, a command
 * that could not be sent or timed out), as opposed to a bug or a refused command.
 */
function unreachable (err: unknown): boolean {
  const e = err as { code?: unknown, name?: unknown, message?: unknown } | null
  if (typeof e?.code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|CLUSTERDOWN)$/.test(e.code)) return true
  if (e?.name === 'MaxRetriesPerRequestError' || e?.name === 'ClusterAllFailedError') return true
  return typeof e?.message === 'string' && /Stream isn't writeable|Connection is closed|enableOfflineQueue|Command timed out|Failed to refresh slots cache/i.test(e.message)
}

function unavailable (): RelayError {
  const err = new errors.RELAY_ERR_STORE_UNAVAILABLE() as RelayError
  err.retryAfter = 5
  return err
}

export function resilientStore (primary: Store, opts: { mode: FailMode, spillFile: string, log: Logger }): Store & { replay (): Promise<number> } {
  const local = opts.mode === 'open' ? openSqliteStore(':memory:') : undefined
  /** Leases taken locally during an outage: released there. */
  const localLeases = new Set<string>()
  let down = false
  /** After a failure the store is not asked again for a moment (each ask would fail slowly or pile up). */
  let skipUntil = 0
  const mark = (err: unknown, what: string) => {
    if (!down) opts.log.error({ err, what }, `the store is unreachable; failMode ${opts.mode}`)
    down = true
    skipUntil = Date.now() + 500
  }
  const spillFile = new SpillFile(opts.spillFile)
  const backlog = () => spillFile.backlog
  let replaying: Promise<number> | undefined
  const replay = async (): Promise<number> => {
    const done = await spillFile.replay(batch => primary.writeUsage(batch))
    if (done > 0) opts.log.info({ batches: done }, 'replayed the usage written while the store was unreachable')
    down = false
    return done
  }
  /** Leases whose release the store did not take: released when it answers again. */
  const unreleased = new Set<string>()
  const releaseLater = async () => {
    for (const id of unreleased) {
      await primary.releaseLease(id)
      unreleased.delete(id)
    }
  }
  const timer = setInterval(() => {
    if (unreleased.size > 0 && Date.now() >= skipUntil) void releaseLater().catch(err => mark(err, 'releaseLease'))
    if (!backlog()) return
    replaying ??= replay().catch(() => 0).finally(() => { replaying = undefined })
  }, REPLAY_MS)
  timer.unref()

  /** A call on the admission path: the primary, else per the fail mode. */
  async function guarded<T> (what: string, call: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
    if (Date.now() < skipUntil) return fallback()
    try {
      const out = await call()
      if (down) { down = false; opts.log.info({ what }, 'the store answers again') }
      return out
    } catch (err) {
      mark(err, what)
      return fallback()
    }
  }

  // Every call without a rule of its own below (the admin's and the CLI's reads and writes): an
  // unreachable store is a 503 with Retry-After, never an internal error.
  const plain = {} as Record<string, unknown>
  for (const [name, value] of Object.entries(primary)) {
    plain[name] = typeof value !== 'function'
      ? value
      : async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(primary, args)
        } catch (err) {
          if (!unreachable(err)) throw err
          mark(err, name)
          throw unavailable()
        }
      }
  }
  /** A read of the limits (forward auth, the self-service page): the primary, else per the fail mode. */
  const read = <T>(what: string, call: () => Promise<T>, fromLocal: (l: Store) => Promise<T>) => guarded(what, call, async () => {
    if (!local) throw unavailable()
    return fromLocal(local)
  })

  const store: Store & { replay (): Promise<number> } = {
    ...(plain as unknown as Store),
    activations: () => read('activations', () => primary.activations(), l => l.activations()),
    activeLeases: (keyId, now) => read('activeLeases', () => primary.activeLeases(keyId, now), l => l.activeLeases(keyId, now)),
    readCounters: (keyId, refs) => read('readCounters', () => primary.readCounters(keyId, refs), l => l.readCounters(keyId, refs)),
    deleteSticky: key => guarded('deleteSticky', () => primary.deleteSticky(key), async () => {}),
    async admit (plan, now) {
      return guarded('admit', () => primary.admit(plan, now), async () => {
        if (!local) throw unavailable()
        const verdict = await local.admit(plan, now)
        if (verdict.ok && plan.lease) localLeases.add(plan.lease.id)
        return verdict
      })
    },
    async activate (keyId, now) {
      return guarded('activate', () => primary.activate(keyId, now), async () => {
        if (!local) throw unavailable()
        return local.activate(keyId, now)
      })
    },
    async releaseLease (id) {
      if (localLeases.delete(id)) return local!.releaseLease(id)
      // Unreachable: released once the store answers again (else it frees itself with its TTL),
      // so a short outage does not hold the key's slots for a whole TTL.
      return guarded('releaseLease', () => primary.releaseLease(id), async () => {
        if (unreleased.size < UNRELEASED_MAX) unreleased.add(id)
      })
    },
    async renewLeases (ids, expiresAt) {
      const here = ids.filter(id => localLeases.has(id))
      if (here.length > 0) await local!.renewLeases(here, expiresAt)
      const there = ids.filter(id => !localLeases.has(id))
      if (there.length > 0) await guarded('renewLeases', () => primary.renewLeases(there, expiresAt), async () => {})
    },
    async recordSpend (keyId, counters, tokens, costPico) {
      return guarded('recordSpend', () => primary.recordSpend(keyId, counters, tokens, costPico), async () => {
        if (local) await local.recordSpend(keyId, counters, tokens, costPico)
      })
    },
    async getSticky (key, now) {
      return guarded('getSticky', () => primary.getSticky(key, now), async () => undefined)
    },
    async putSticky (key, binding) {
      return guarded('putSticky', () => primary.putSticky(key, binding), async () => {})
    },
    async saveAccountState (state) {
      return guarded('saveAccountState', () => primary.saveAccountState(state), async () => {})
    },
    async writeUsage (batch) {
      // Behind a backlog, new batches queue after it, in order.
      if (Date.now() < skipUntil || backlog()) {
        spillFile.append(batch)
        return
      }
      try {
        await primary.writeUsage(batch)
      } catch (err) {
        mark(err, 'writeUsage')
        spillFile.append(batch)
      }
    },
    // Without the store, each instance refreshes on its own (better than not refreshing).
    ...(primary.lock ? { lock: (name: string, ttl: number) => guarded('lock', () => primary.lock!(name, ttl), async () => true) } : {}),
    ...(primary.unlock ? { unlock: (name: string) => guarded('unlock', () => primary.unlock!(name), async () => {}) } : {}),
    // Without the store, the local order decides (the first of the ties given).
    ...(primary.nextTurn ? { nextTurn: (ids: string[]) => guarded('nextTurn', () => primary.nextTurn!(ids), async () => ids[0]!) } : {}),
    replay,
    async close () {
      clearInterval(timer)
      await replaying
      await local?.close()
      await primary.close()
    },
  }
  return store
}
