// Request-log retention: rows older than `retention.requestLogDays` go, a small batch at a time
// with the event loop free in between, so requests never wait on a long delete. Usage
// aggregates are kept (they are what budgets and reports read).
import type { Logger } from 'pino'
import type { Store } from '../store/store.ts'

const DAY_MS = 86_400_000
/** Batches per run: a large backlog is worked off over several runs, not in one burst. */
const MAX_BATCHES = 200

export async function pruneRequestLog (store: Store, opts: { days: number, batchSize: number, now: number, log: Logger }): Promise<number> {
  if (opts.days === 0) return 0
  const before = opts.now - opts.days * DAY_MS
  let total = 0
  for (let i = 0; i < MAX_BATCHES; i++) {
    const n = await store.pruneRequestLog(before, opts.batchSize)
    total += n
    if (n < opts.batchSize) break
    await new Promise(resolve => setImmediate(resolve))
  }
  if (total > 0) opts.log.info({ rows: total, olderThanDays: opts.days }, 'pruned the request log')
  return total
}
