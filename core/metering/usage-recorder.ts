// Writes request-log rows and usage off the hot path, and bounds what a crash can lose.
//
// A request gets its row when it is admitted (state `in_progress`) and the row is finished at
// settle. In `batch` mode rows queue in memory and go to the store in one transaction at most
// `flushIntervalMs` after they were queued, so a `kill -9` loses at most that window of rows;
// an opened row whose request finished before the flush is simply replaced by the final one.
// In `sync` mode every row is committed before the caller goes on (the final one before the
// response ends), so a completed request is never lost.
//
// A completed request's usage is never dropped. When the store itself cannot write (its disk
// full, an I/O error, unreachable), everything is kept, in order, and written again until it
// is: with `usage.spillFile` (another volume) it goes there at once and is replayed from it;
// otherwise it stays in memory, and past `usage.backlog.maxRecords` new metered requests are
// refused (`whenFull: refuse`, the default) or served with the backlog growing (`serve`).
// Meanwhile health reports degraded. A batch the store refuses for another reason is retried
// record by record: one record that keeps failing on its own (it, not the store, is the
// problem) is set aside and logged once, and never blocks the records after it.
// Refusals at a key's limit write at most one row per key and reason per second; the repeats
// are counted on that row.
import type { Logger } from 'pino'
import type { OpenedRequest, Store, UsageBatch, UsageRecord } from '../store/store.ts'
import type { SpillFile } from '../store/spill-file.ts'
import { errors, type RelayError } from '../errors.ts'

export type FlushMode = 'batch' | 'sync'

/** A record that failed this many writes on its own is set aside. */
const MAX_ATTEMPTS = 3
/** Records set aside are kept (for inspection) up to this many. */
const SET_ASIDE_CAP = 1000
/** Refusal rows of one key and reason are written at most once per this window. */
const REFUSAL_WINDOW_MS = 1000
/** After the store failed to write, it is tried again after this, doubling up to the maximum. */
const RETRY_MIN_MS = 250
const RETRY_MAX_MS = 5000

/**
 * Whether a write failed because the store cannot write at all (as opposed to one record it
 * refuses): SQLite's disk full, I/O, lock and read-only errors; a shared store out of reach.
 */
export function storeCannotWrite (err: unknown): boolean {
  const code = String((err as { code?: unknown } | null)?.code ?? '')
  return /^SQLITE_(FULL|IOERR|BUSY|LOCKED|READONLY|CANTOPEN|PROTOCOL|NOMEM)/.test(code) || code === 'RELAY_ERR_STORE_UNAVAILABLE'
}

export interface BacklogOptions {
  maxRecords: number
  whenFull: 'refuse' | 'serve'
}

/** Rows per store write within one flush: where slicing starts, and its bounds. */
const SLICE_START = 64
const SLICE_MIN = 8
const SLICE_MAX = 2048
/** What one slice should keep the event loop for, in ms. */
const SLICE_TARGET_MS = 1

/** The next slice size from how long a full one took: towards SLICE_TARGET_MS, at most doubling or halving. */
export function nextSliceSize (size: number, tookMs: number): number {
  const scaled = tookMs > 0 ? size * SLICE_TARGET_MS / tookMs : size * 2
  return Math.round(Math.min(SLICE_MAX, Math.max(SLICE_MIN, size / 2, Math.min(size * 2, scaled))))
}

/** A batch as consecutive parts of at most `size()` rows (opened rows first; the key times and repeats go with the first part). */
export function * slices (batch: UsageBatch, size: () => number): Generator<UsageBatch> {
  const opened = batch.opened ?? []
  let o = 0
  let r = 0
  let first = true
  do {
    const n = size()
    const takeOpened = opened.slice(o, o + n)
    o += takeOpened.length
    const records = batch.records.slice(r, r + n - takeOpened.length)
    r += records.length
    yield first ? { ...batch, opened: takeOpened, records } : { opened: takeOpened, records }
    first = false
  } while (o < opened.length || r < batch.records.length)
}

interface RefusalSlot { at: number, record: UsageRecord, written: boolean }

/** Told of every batch write (metrics, notifications); must not throw. */
export interface RecorderObserver {
  written (seconds: number): void
  failed (err: unknown): void
}

export class UsageRecorder {
  #store: Store
  #log: Logger
  #interval: number
  #mode: FlushMode
  #now: () => number
  #opened = new Map<string, OpenedRequest>()
  #queue: UsageRecord[] = []
  #keysUsed = new Map<string, number>()
  #repeats = new Map<string, number>()
  #refusals = new Map<string, RefusalSlot>()
  #attempts = new WeakMap<UsageRecord, number>()
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> | undefined
  #sliceSize = SLICE_START
  readonly setAside: UsageRecord[] = []

  #observe: RecorderObserver | undefined
  #backlog: BacklogOptions
  #spill: SpillFile | undefined
  /** Since when the store has been failing to write, undefined while it writes. */
  #failingSince: number | undefined
  #retryMs = RETRY_MIN_MS
  #retryTimer: NodeJS.Timeout | undefined

  constructor (store: Store, opts: { flushIntervalMs: number, mode: FlushMode, log: Logger, now?: () => number, observe?: RecorderObserver, backlog?: BacklogOptions, spill?: SpillFile }) {
    this.#store = store
    this.#log = opts.log
    this.#observe = opts.observe
    this.#interval = opts.flushIntervalMs
    this.#mode = opts.mode
    this.#now = opts.now ?? Date.now
    this.#backlog = opts.backlog ?? { maxRecords: 50_000, whenFull: 'refuse' }
    this.#spill = opts.spill
  }

  /** What health reports: whether the store is failing to write, and what waits for it. */
  get state (): { failingSince: number | undefined, pending: number, spilled: boolean } {
    return { failingSince: this.#failingSince, pending: this.pending, spilled: this.#spill?.backlog ?? false }
  }

  /**
   * False while the backlog is at its bound and `whenFull` is `refuse`: a new metered request
   * would be served without a place for its usage.
   */
  get accepting (): boolean {
    return this.#backlog.whenFull === 'serve' || this.#queue.length + this.#opened.size < this.#backlog.maxRecords
  }

  /** Throws the refusal for a new metered request while the relay is not `accepting`. */
  checkAccepting (): void {
    if (this.accepting) return
    const err = new errors.RELAY_ERR_USAGE_BACKLOG_FULL() as RelayError
    err.retryAfter = Math.ceil(RETRY_MAX_MS / 1000)
    throw err
  }

  touchKey (id: string, at: number): void {
    this.#keysUsed.set(id, at)
  }

  /** The request was admitted: its row exists from now on (within the flush window). */
  async opened (r: OpenedRequest): Promise<void> {
    this.#opened.set(r.requestId, r)
    return this.#schedule()
  }

  async record (r: UsageRecord): Promise<void> {
    // A final row that has not been written yet makes its opened row unnecessary.
    this.#opened.delete(r.requestId)
    if (r.refusal !== undefined && this.#throttled(r)) return
    this.#queue.push(r)
    return this.#schedule()
  }

  /** True when a refusal row for the same key and reason was written within the window. */
  #throttled (r: UsageRecord): boolean {
    const id = `${r.keyId}\u0000${r.refusal}`
    const now = this.#now()
    const slot = this.#refusals.get(id)
    if (slot && now - slot.at < REFUSAL_WINDOW_MS) {
      if (slot.written) this.#repeats.set(slot.record.requestId, (this.#repeats.get(slot.record.requestId) ?? 0) + 1)
      else slot.record.repeats = (slot.record.repeats ?? 0) + 1
      return true
    }
    this.#refusals.set(id, { at: now, record: r, written: false })
    if (this.#refusals.size > 10_000) this.#pruneRefusals(now)
    return false
  }

  #pruneRefusals (now: number): void {
    for (const [id, slot] of this.#refusals) if (now - slot.at >= REFUSAL_WINDOW_MS) this.#refusals.delete(id)
  }

  #schedule (): Promise<void> {
    if (this.#mode === 'sync') return this.flush()
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined
      void this.flush()
    }, this.#interval)
    return Promise.resolve()
  }

  /** Writes everything queued so far; concurrent callers share one write. */
  async flush (): Promise<void> {
    while (this.#flushing) await this.#flushing
    if (this.#queue.length === 0 && this.#opened.size === 0 && this.#keysUsed.size === 0 && this.#repeats.size === 0) return
    const batch: UsageBatch = { opened: [...this.#opened.values()], records: this.#queue, keysUsed: this.#keysUsed, repeats: this.#repeats }
    this.#opened = new Map()
    this.#queue = []
    this.#keysUsed = new Map()
    this.#repeats = new Map()
    this.#flushing = (this.#spill?.backlog ? this.#toSpill(batch) : this.#writeSliced(batch)).finally(() => { this.#flushing = undefined })
    await this.#flushing
  }

  /** Behind a spilled backlog, batches queue after it on disk, in order. */
  async #toSpill (batch: UsageBatch): Promise<void> {
    try {
      this.#spill!.append(batch)
    } catch (err) {
      // The spill's own volume failed too: kept in memory like without one.
      this.#log.error({ err }, 'the usage spill file cannot be written either; usage is kept in memory')
      this.#keep(batch)
    }
    this.#failing(new Error('usage is being spilled'))
  }

  /** The store failed to write: everything is kept, and tried again after a pause. */
  #failing (err: unknown): void {
    if (this.#failingSince === undefined) {
      this.#failingSince = this.#now()
      this.#log.error({ err }, 'the store cannot write usage; it is kept and written once the store takes it')
    }
    this.#retryTimer ??= setTimeout(() => {
      this.#retryTimer = undefined
      void this.#retry()
    }, this.#retryMs)
    this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs * 2)
  }

  async #retry (): Promise<void> {
    try {
      if (this.#spill?.backlog) {
        const batches = await this.#spill.replay(batch => this.#store.writeUsage(batch))
        this.#log.info({ batches }, 'replayed the usage spilled while the store could not write')
      }
    } catch (err) {
      this.#observe?.failed(err)
      return this.#failing(err)
    }
    await this.flush()
    if (this.#spill?.backlog || this.#queue.length > 0 || this.#opened.size > 0) {
      if (this.#failingSince !== undefined) this.#failing(undefined)
      return
    }
    if (this.#failingSince !== undefined) this.#log.info({ since: new Date(this.#failingSince).toISOString() }, 'the store writes usage again')
    this.#failingSince = undefined
    this.#retryMs = RETRY_MIN_MS
  }

  /** Puts a batch back in front of what was queued since, for the next write. */
  #keep (batch: UsageBatch): void {
    for (const o of batch.opened ?? []) if (!this.#opened.has(o.requestId)) this.#opened.set(o.requestId, o)
    for (const [k, v] of batch.keysUsed ?? []) if (!this.#keysUsed.has(k)) this.#keysUsed.set(k, v)
    for (const [k, v] of batch.repeats ?? []) this.#repeats.set(k, (this.#repeats.get(k) ?? 0) + v)
    if (batch.records.length > 0) this.#queue.unshift(...batch.records)
  }

  /**
   * A second's worth of rows written at once held the event loop for 150 ms under load (every
   * request waited behind it). So a batch goes to the store in slices, each its own write, with
   * the loop free between them; slices are sized from the last one's time to take about 1 ms.
   */
  async #writeSliced (batch: UsageBatch): Promise<void> {
    let first = true
    const parts = slices(batch, () => this.#sliceSize)
    for (const part of parts) {
      if (!first) await new Promise(resolve => setImmediate(resolve))
      first = false
      const started = performance.now()
      const failed = await this.#write(part)
      if (failed) {
        // The store cannot write: what it did not take and the slices after it wait, in order.
        const rest = [failed.left, ...parts]
        return this.#cannotWrite({
          opened: rest.flatMap(b => b.opened ?? []),
          records: rest.flatMap(b => b.records),
          keysUsed: failed.left.keysUsed,
          repeats: failed.left.repeats,
        }, failed.err)
      }
      const rows = part.records.length + (part.opened?.length ?? 0)
      if (rows >= this.#sliceSize) this.#sliceSize = nextSliceSize(this.#sliceSize, performance.now() - started)
    }
  }

  /** Writes one slice; when the store cannot write at all, what of it is left and why. */
  async #write (batch: UsageBatch): Promise<{ left: UsageBatch, err: unknown } | undefined> {
    const started = performance.now()
    try {
      await this.#store.writeUsage(batch)
      this.#observe?.written((performance.now() - started) / 1000)
      this.#written(batch.records)
      return undefined
    } catch (err) {
      this.#observe?.failed(err)
      if (storeCannotWrite(err)) return { left: batch, err }
      this.#log.warn({ err, records: batch.records.length }, 'usage batch write failed; writing records one by one')
    }
    // The rest of the batch first: if the store refuses even that, the store is failing, not a
    // record, and everything is kept.
    try {
      await this.#store.writeUsage({ opened: batch.opened, records: [], keysUsed: batch.keysUsed, repeats: batch.repeats })
    } catch (err) {
      return { left: batch, err }
    }
    // One by one: a record the store cannot take must not take the others down with it.
    const retry: UsageRecord[] = []
    for (const [i, r] of batch.records.entries()) {
      try {
        await this.#store.writeUsage({ records: [r] })
        this.#written([r])
      } catch (err) {
        if (storeCannotWrite(err)) return { left: { records: [...retry, ...batch.records.slice(i)] }, err }
        const attempts = (this.#attempts.get(r) ?? 0) + 1
        this.#attempts.set(r, attempts)
        if (attempts >= MAX_ATTEMPTS) this.#setAside(r, err)
        else retry.push(r)
      }
    }
    this.#requeue(retry)
    return undefined
  }

  /** Keeps what the store could not write: on the spill file when there is one, else in memory. */
  #cannotWrite (batch: UsageBatch, err: unknown): void {
    try {
      if (!this.#spill) throw err
      this.#spill.append(batch)
    } catch {
      this.#keep(batch)
    }
    this.#failing(err)
  }

  #requeue (records: UsageRecord[]): void {
    if (records.length === 0) return
    this.#queue.unshift(...records)
    // Batch mode retries on the next tick of the interval; sync mode on the next write or close.
    if (this.#mode === 'batch') void this.#schedule()
  }

  #written (records: UsageRecord[]): void {
    for (const r of records) {
      if (r.refusal === undefined) continue
      const slot = this.#refusals.get(`${r.keyId}\u0000${r.refusal}`)
      if (slot?.record === r) slot.written = true
    }
  }

  #setAside (r: UsageRecord, err: unknown): void {
    this.#log.error({ err, requestId: r.requestId }, 'a usage record cannot be written and is set aside')
    if (this.setAside.length < SET_ASIDE_CAP) this.setAside.push(r)
  }

  get pending (): number {
    return this.#queue.length + this.#opened.size
  }

  async close (): Promise<void> {
    clearTimeout(this.#timer)
    clearTimeout(this.#retryTimer)
    this.#timer = undefined
    this.#retryTimer = undefined
    await this.flush()
    if (this.pending > 0) this.#log.error({ records: this.pending }, 'usage the store could not write is lost with this process (set usage.spillFile to keep it on another volume)')
  }
}
