// What the admin console's overview shows as "now": requests settled in the last minute (a ring
// of 60 one-second slots; no timer, no allocation per request) and the event loop's delay over
// the last minute (perf_hooks' histogram, reset once a minute so it is recent, not lifetime).
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'

const SLOTS = 60
const LAG_WINDOW_MS = 60_000

export interface EventLoopLag { meanMs: number, p99Ms: number, maxMs: number }

export class LiveStats {
  #counts = new Uint32Array(SLOTS)
  /** The second each slot counts (epoch seconds); a slot from an older second counts nothing. */
  #seconds = new Float64Array(SLOTS)
  #lag: IntervalHistogram
  #lagSince: number
  #lastLag: EventLoopLag = { meanMs: 0, p99Ms: 0, maxMs: 0 }
  #now: () => number

  constructor (now: () => number = Date.now) {
    this.#now = now
    this.#lag = monitorEventLoopDelay({ resolution: 20 })
    this.#lag.enable()
    this.#lagSince = now()
  }

  /** One request settled. */
  count (): void {
    const second = Math.floor(this.#now() / 1000)
    const i = second % SLOTS
    if (this.#seconds[i] !== second) {
      this.#seconds[i] = second
      this.#counts[i] = 0
    }
    this.#counts[i]!++
  }

  /** Requests settled in the 60 seconds before now. */
  lastMinute (): number {
    const second = Math.floor(this.#now() / 1000)
    let n = 0
    for (let i = 0; i < SLOTS; i++) if (second - this.#seconds[i]! < SLOTS) n += this.#counts[i]!
    return n
  }

  /** The loop's delay in ms: over the last full minute, or since then when none has passed yet. */
  eventLoopLag (): EventLoopLag {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100
    const current = { meanMs: ms(this.#lag.mean || 0), p99Ms: ms(this.#lag.percentile(99) || 0), maxMs: ms(this.#lag.max || 0) }
    if (this.#now() - this.#lagSince < LAG_WINDOW_MS) return this.#lastLag.maxMs > 0 ? this.#lastLag : current
    this.#lastLag = current
    this.#lag.reset()
    this.#lagSince = this.#now()
    return current
  }

  close (): void {
    this.#lag.disable()
  }
}
