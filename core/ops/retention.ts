// Request-log retention: rows older than `retention.requestLogDays` go, and the oldest rows past
// `retention.requestLogMaxRows` whatever their age (a busy relay wrote 3.5M rows, 1.5 GB, in a
// quarter of an hour), a small batch at a time with the event loop free in between, so requests
// never wait on a long delete. Usage aggregates are kept (they are what budgets and reports read).
import type { Logger } from 'pino'
import type { Store } from '../store/store.ts'

const DAY_MS = 86_400_000
/** Batches per run: a large backlog is worked off over several runs, not in one burst. */
const MAX_BATCHES = 200

export async function pruneRequestLog (store: Store, opts: { days: number, maxRows?: number, batchSize: number, now: number, log: Logger }): Promise<number> {
  let total = 0
  if (opts.days > 0) {
    const before = opts.now - opts.days * DAY_MS
    for (let i = 0; i < MAX_BATCHES; i++) {
      const n = await store.pruneRequestLog(before, opts.batchSize)
      total += n
      if (n < opts.batchSize) break
      await new Promise(resolve => setImmediate(resolve))
    }
    if (total > 0) opts.log.info({ rows: total, olderThanDays: opts.days }, 'pruned the request log')
  }
  if (opts.maxRows) {
    // The whole excess, slice by slice: rows can come faster than MAX_BATCHES slices a run.
    let excess = await store.requestLogSize() - opts.maxRows
    let cut = 0
    while (excess > 0) {
      const n = await store.pruneRequestLog(Number.MAX_SAFE_INTEGER, Math.min(opts.batchSize, excess))
      if (n === 0) break
      cut += n
      excess -= n
      await new Promise(resolve => setImmediate(resolve))
    }
    if (cut > 0) opts.log.info({ rows: cut, maxRows: opts.maxRows }, 'pruned the request log to its row bound')
    total += cut
  }
  return total
}
