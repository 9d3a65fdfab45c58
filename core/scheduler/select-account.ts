// Picks one account among candidates: the preferred one (a sticky conversation's) when it can
// take the request, else the lowest `priority` number (as in the incumbent), least recently used
// within it so load spreads evenly. Never an account that is disabled, unauthorized, cooling
// down, at its concurrency cap, unable to serve the model, or already tried for this request.
// Deterministic: the same inputs and history give the same answer. The order survives restarts:
// the time of each pick is written to the store in batches and seeds the order at start. With a
// store shared by several instances the scheduler asks the store whose turn it is instead.
import type { PoolAccount } from '../accounts/account-pool.ts'
import type { AccountHealth } from './account-health.ts'

export interface SelectRequest {
  candidates: readonly PoolAccount[]
  model: string | undefined
  exclude: ReadonlySet<string>
  preferred?: string
  now: number
}

export class AccountSelector {
  #lastUsed = new Map<string, number>()
  #seq = 0
  /** Account id → epoch ms of picks not yet written to the store. */
  #unsaved = new Map<string, number>()

  /** The order of a previous run: least recently used first. */
  seed (lastUsedAt: Map<string, number>): void {
    for (const [id] of [...lastUsedAt].sort((a, b) => a[1] - b[1])) this.#lastUsed.set(id, ++this.#seq)
  }

  /** Picks since the last call, for the store. */
  takeUnsaved (): Map<string, number> {
    const out = this.#unsaved
    this.#unsaved = new Map()
    return out
  }

  select (req: SelectRequest, health: AccountHealth): PoolAccount | undefined {
    const usable = (a: PoolAccount) => !req.exclude.has(a.id) && health.unusable(a, req.now, req.model) === undefined
    let best: PoolAccount | undefined
    if (req.preferred !== undefined) best = req.candidates.find(a => a.id === req.preferred && usable(a))
    if (!best) {
      let bestUsed = Infinity
      for (const a of req.candidates) {
        if (!usable(a)) continue
        const used = this.#lastUsed.get(a.id) ?? -1
        if (!best || a.priority < best.priority || (a.priority === best.priority && used < bestUsed)) {
          best = a
          bestUsed = used
        }
      }
    }
    if (best) this.mark(best.id, req.now)
    return best
  }

  /** Records a pick (also one the shared store made instead of this instance's order). */
  mark (accountId: string, now: number): void {
    // A counter, not the clock: two requests in the same millisecond must still alternate.
    this.#lastUsed.set(accountId, ++this.#seq)
    this.#unsaved.set(accountId, now)
  }
}
