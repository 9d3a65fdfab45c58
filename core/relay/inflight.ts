// The requests being relayed right now, so shutdown can wait for them, then cut the stragglers
// after the grace period (each still settles and records its partial usage).
export interface InflightEntry {
  /** Stops the exchange; it renders or ends its own response and settles. */
  abort (): void
  settled: Promise<void>
}

export class Inflight {
  #entries = new Set<InflightEntry>()

  add (entry: InflightEntry): () => void {
    this.#entries.add(entry)
    return () => { this.#entries.delete(entry) }
  }

  get size (): number {
    return this.#entries.size
  }

  /** Resolves when every exchange settled, aborting those still running after `graceMs`. */
  async drain (graceMs: number): Promise<void> {
    if (this.#entries.size === 0) return
    const all = () => Promise.all([...this.#entries].map(e => e.settled))
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<'expired'>(resolve => { timer = setTimeout(resolve, graceMs, 'expired') })
    const outcome = await Promise.race([all().then(() => 'done' as const), expired])
    clearTimeout(timer)
    if (outcome === 'expired') {
      for (const e of this.#entries) e.abort()
      await all()
    }
  }
}
