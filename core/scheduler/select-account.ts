// Picks the account for a request: the lowest `priority` number wins (as in the incumbent),
// least recently used within it so load spreads evenly. Disabled accounts are never chosen.
import type { PoolAccount } from '../accounts/account-pool.ts'

export class AccountSelector {
  #lastUsed = new Map<string, number>()
  #seq = 0

  select (candidates: readonly PoolAccount[]): PoolAccount | undefined {
    let best: PoolAccount | undefined
    let bestUsed = Infinity
    for (const a of candidates) {
      if (a.disabled) continue
      const used = this.#lastUsed.get(a.id) ?? -1
      if (!best || a.priority < best.priority || (a.priority === best.priority && used < bestUsed)) {
        best = a
        bestUsed = used
      }
    }
    // A counter, not the clock: two requests in the same millisecond must still alternate.
    if (best) this.#lastUsed.set(best.id, ++this.#seq)
    return best
  }
}
