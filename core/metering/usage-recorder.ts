// Writes usage records off the hot path: records queue in memory and go to the store in one
// transaction per flush interval (or at once when the interval is 0). A failed write keeps its
// records for the next flush, and close() flushes everything, so no record is lost on shutdown.
import type { Logger } from 'pino'
import type { Store, UsageRecord } from '../store/store.ts'

export class UsageRecorder {
  #store: Store
  #log: Logger
  #interval: number
  #queue: UsageRecord[] = []
  #keysUsed = new Map<string, number>()
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> | undefined

  constructor (store: Store, opts: { flushIntervalMs: number, log: Logger }) {
    this.#store = store
    this.#log = opts.log
    this.#interval = opts.flushIntervalMs
  }

  touchKey (id: string, at: number): void {
    this.#keysUsed.set(id, at)
  }

  async record (r: UsageRecord): Promise<void> {
    this.#queue.push(r)
    if (this.#interval === 0) return this.flush()
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined
      void this.flush()
    }, this.#interval)
  }

  /** Writes everything queued so far; concurrent callers share one write. */
  async flush (): Promise<void> {
    while (this.#flushing) await this.#flushing
    if (this.#queue.length === 0 && this.#keysUsed.size === 0) return
    const batch = this.#queue
    const keys = this.#keysUsed
    this.#queue = []
    this.#keysUsed = new Map()
    this.#flushing = this.#store.writeUsage(batch, keys).catch((err: Error) => {
      this.#log.error({ err, records: batch.length }, 'usage write failed; will retry')
      this.#queue.unshift(...batch)
      for (const [k, v] of keys) if (!this.#keysUsed.has(k)) this.#keysUsed.set(k, v)
    }).finally(() => { this.#flushing = undefined })
    await this.#flushing
  }

  get pending (): number {
    return this.#queue.length
  }

  async close (): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.flush()
  }
}
