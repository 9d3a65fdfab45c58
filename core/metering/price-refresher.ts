// Keeps the live price sources current while the relay runs: each source's file is fetched when
// its last good copy is older than `every` (24 h by default), and its `sha256Url`, when it has
// one, is polled every `hashEvery` (10 min) so that a new file is taken within minutes, not a
// day. A source that fails is tried again after `hashEvery`; its copy stays in force meanwhile.
// Every accepted change goes to `changed`, which swaps the table requests are priced by.
import type { Logger } from 'pino'
import type { PriceSource, RefreshResult } from './price-source.ts'

export interface ScheduledSource {
  source: PriceSource
  everyMs: number
  hashEveryMs: number
}

export interface RefresherDeps {
  log: Logger
  now: () => number
  /** A copy was replaced: recompose the table (and say what changed). */
  changed: (source: PriceSource, result: Extract<RefreshResult, { outcome: 'updated' }>) => void
}

/** The first fetch of a relay started without a copy waits this long (start-up comes first). */
const FIRST_FETCH_DELAY_MS = 2_000

export class PriceRefresher {
  #sources: ScheduledSource[]
  #deps: RefresherDeps
  #timers = new Set<NodeJS.Timeout>()
  #busy = new Map<PriceSource, Promise<RefreshResult>>()
  #stopped = false

  constructor (sources: ScheduledSource[], deps: RefresherDeps) {
    this.#sources = sources
    this.#deps = deps
  }

  get sources (): PriceSource[] {
    return this.#sources.map(s => s.source)
  }

  start (): void {
    for (const s of this.#sources) {
      const age = s.source.copy ? this.#deps.now() - s.source.copy.fetchedAt : Infinity
      this.#after(Math.max(FIRST_FETCH_DELAY_MS, s.everyMs - age), () => this.#full(s))
      if (s.source.polled) this.#every(s.hashEveryMs, () => this.#run(s.source, () => s.source.poll()))
    }
  }

  stop (): void {
    this.#stopped = true
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
  }

  /** Fetches every source now (`ai-relay prices update`, the admin API): what each did. */
  async updateNow (): Promise<Array<{ url: string, result: RefreshResult }>> {
    return Promise.all(this.#sources.map(async s => ({ url: s.source.label, result: await this.#run(s.source, () => s.source.refresh()) })))
  }

  async #full (s: ScheduledSource): Promise<void> {
    const result = await this.#run(s.source, () => s.source.refresh())
    this.#after(result.outcome === 'failed' ? Math.min(s.hashEveryMs, s.everyMs) : s.everyMs, () => this.#full(s))
  }

  /** One fetch of a source at a time: a poll that finds a new hash while a refresh runs waits for it. */
  #run (source: PriceSource, work: () => Promise<RefreshResult>): Promise<RefreshResult> {
    const running = this.#busy.get(source)
    if (running) return running
    const p = work().then(result => {
      if (result.outcome === 'updated') {
        try {
          this.#deps.changed(source, result)
        } catch (err) {
          this.#deps.log.error({ err, source: source.label }, 'applying new prices failed; the table in force is kept')
        }
      } else if (result.outcome === 'failed') {
        this.#deps.log.warn({ source: source.label, reason: result.reason }, 'price source not refreshed; its last good copy stays in force')
      }
      return result
    }).finally(() => this.#busy.delete(source))
    this.#busy.set(source, p)
    return p
  }

  #after (ms: number, fn: () => Promise<void> | void): void {
    if (this.#stopped) return
    // setTimeout takes at most 2^31-1 ms (~24.8 days): a longer `every` waits in steps.
    const step = Math.min(ms, 2 ** 31 - 1)
    const t = setTimeout(() => {
      this.#timers.delete(t)
      if (step < ms) return this.#after(ms - step, fn)
      Promise.resolve(fn()).catch((err: unknown) => this.#deps.log.error({ err }, 'a price refresh failed'))
    }, step)
    t.unref()
    this.#timers.add(t)
  }

  #every (ms: number, fn: () => Promise<unknown>): void {
    this.#after(ms, async () => {
      await fn()
      this.#every(ms, fn)
    })
  }
}
