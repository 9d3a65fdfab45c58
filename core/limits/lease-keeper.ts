// Concurrency slots held by this process. Each is a lease in the store with a TTL; while its
// request is alive the keeper renews every lease it holds in one batch every third of the TTL,
// and a process that dies stops renewing, so its slots free themselves when the TTL runs out.
import type { Store } from '../store/store.ts'

export class LeaseKeeper {
  #store: Store
  #ttlMs: number
  #now: () => number
  #held = new Set<string>()
  #timer: NodeJS.Timeout

  constructor (store: Store, ttlMs: number, now: () => number, onError: (err: unknown) => void) {
    this.#store = store
    this.#ttlMs = ttlMs
    this.#now = now
    this.#timer = setInterval(() => { this.renew().catch(onError) }, Math.max(250, Math.floor(ttlMs / 3)))
    this.#timer.unref()
  }

  get held (): number {
    return this.#held.size
  }

  hold (id: string): void {
    this.#held.add(id)
  }

  async renew (): Promise<void> {
    if (this.#held.size > 0) await this.#store.renewLeases([...this.#held], this.#now() + this.#ttlMs)
  }

  async release (id: string): Promise<void> {
    this.#held.delete(id)
    await this.#store.releaseLease(id)
  }

  stop (): void {
    clearInterval(this.#timer)
  }
}
