// The embedded store's admission state, kept in the sidecar's memory: concurrency leases and
// the counters of rate windows and budgets. One sidecar owns an embedded store (several
// instances share Redis instead), so its memory is the truth and SQLite only has to remember
// the counters across restarts. Before this, a key with limits cost three SQLite write
// transactions a request (admit, release, spend), each a WAL commit: ~150 µs of the ~450 µs
// such a request cost the sidecar (bench/, issue 14).
//
// - Leases are decided here. They are also written to SQLite with the counters, for the CLI's
//   `keys show` (another process); a lease taken and released between two writes, as most are,
//   never reaches SQLite. A restart ends every request the old process served: its rows only
//   show until their TTL runs out.
// - A counter is read from SQLite the first time it is needed and then kept here; what changes
//   it (a request counted at admission, spend at settle) is added here at once and queued as a
//   delta. The store writes the deltas in the same transaction as the next usage write (or on
//   its own timer when there is none): a count reaches SQLite no later than its request's row,
//   so a crash loses only counts of requests whose rows it lost too (none in `usage.flush: sync`).
// - A counter whose period has ended is forgotten once written: rate windows start a new
//   counter every window, and memory stays the size of the periods in use.
import { counterRefusal, type CounterUse } from './counter-rule.ts'
import type { AdmissionPlan, AdmissionVerdict, CounterRef, CounterValue } from './store.ts'

/** What one counter gained since it was last written. */
export interface CounterDelta extends CounterRef, CounterUse {
  keyId: string
}

interface Counter {
  keyId: string
  ref: CounterRef
  /** Everything counted: the stored value plus what is still pending. */
  use: CounterUse
  /** Counted here, not yet written. */
  pending: CounterUse | undefined
}

/** A lease row to write (its key and expiry), or null to delete it. */
export type LeaseWrite = { keyId: string, expiresAt: number } | null

/** What `drain` hands over to be written. */
export interface LedgerWrites {
  counters: CounterDelta[]
  leases: [string, LeaseWrite][]
}

/** Reads a counter's stored value (undefined: none stored yet). */
export type LoadCounter = (keyId: string, counter: string, start: number) => CounterUse | undefined

export class LimitLedger {
  #load: LoadCounter
  #counters = new Map<string, Counter>()
  #dirty = new Set<Counter>()
  /** Per key: its lease ids and when each expires. */
  #leases = new Map<string, Map<string, number>>()
  /** Lease id to key: releases and renewals come by lease id alone. */
  #owner = new Map<string, string>()
  #leaseWrites = new Map<string, LeaseWrite>()
  /** Lease ids whose row SQLite has. */
  #leaseRows = new Set<string>()

  constructor (load: LoadCounter) {
    this.#load = load
  }

  /** The same decision as every store's atomic admission (counter-rule.ts); atomic here because it never waits. */
  admit (plan: AdmissionPlan, now: number): AdmissionVerdict {
    let held: Map<string, number> | undefined
    if (plan.concurrency !== undefined) {
      held = this.#held(plan.keyId, now)
      const inUse = held?.size ?? 0
      if (inUse >= plan.concurrency) {
        let nextExpiry: number | null = null
        for (const at of held?.values() ?? []) nextExpiry = Math.min(nextExpiry ?? at, at)
        return { ok: false, limit: 'concurrency', inUse, nextExpiry }
      }
    }
    const counters = plan.counters.map(c => this.#counter(plan.keyId, c))
    for (const [i, c] of plan.counters.entries()) {
      const refused = counterRefusal(c, counters[i]!.use)
      if (refused) return refused
    }
    for (const [i, c] of plan.counters.entries()) if (c.countsRequest) this.#add(counters[i]!, 1, 0, 0n)
    if (plan.lease) {
      held ??= this.#leases.get(plan.keyId)
      if (!held) this.#leases.set(plan.keyId, held = new Map())
      held.set(plan.lease.id, plan.lease.expiresAt)
      this.#owner.set(plan.lease.id, plan.keyId)
      this.#leaseWrites.set(plan.lease.id, { keyId: plan.keyId, expiresAt: plan.lease.expiresAt })
    }
    return { ok: true }
  }

  renew (ids: string[], expiresAt: number): void {
    for (const id of ids) {
      const keyId = this.#owner.get(id)
      const held = keyId === undefined ? undefined : this.#leases.get(keyId)
      if (!held?.has(id)) continue
      held.set(id, expiresAt)
      this.#leaseWrites.set(id, { keyId: keyId!, expiresAt })
    }
  }

  release (id: string): void {
    const keyId = this.#owner.get(id)
    if (keyId === undefined) return
    this.#drop(id)
    const held = this.#leases.get(keyId)!
    held.delete(id)
    if (held.size === 0) this.#leases.delete(keyId)
  }

  /** Ends every lease (the store closes). */
  releaseAll (): void {
    for (const id of [...this.#owner.keys()]) this.release(id)
  }

  active (keyId: string, now: number): number {
    return this.#held(keyId, now)?.size ?? 0
  }

  spend (keyId: string, refs: CounterRef[], tokens: number, costPico: bigint): void {
    for (const ref of refs) this.#add(this.#counter(keyId, ref), 0, tokens, costPico)
  }

  read (keyId: string, refs: CounterRef[]): CounterValue[] {
    return refs.map(ref => ({ ...ref, ...this.#counter(keyId, ref).use }))
  }

  /** True when counts are waiting to be written. */
  get dirty (): boolean {
    return this.#dirty.size > 0 || this.#leaseWrites.size > 0
  }

  /**
   * Takes what is waiting to be written. The caller writes it and then calls `written`, or,
   * when the write failed, `restore` with the same deltas.
   */
  drain (): LedgerWrites {
    const counters: CounterDelta[] = []
    for (const c of this.#dirty) {
      counters.push({ keyId: c.keyId, ...c.ref, ...c.pending! })
      c.pending = undefined
    }
    this.#dirty.clear()
    const leases = [...this.#leaseWrites]
    this.#leaseWrites.clear()
    return { counters, leases }
  }

  /** Writes that failed: pending again, for the next write. */
  restore (writes: LedgerWrites): void {
    for (const [id, w] of writes.leases) if (!this.#leaseWrites.has(id)) this.#leaseWrites.set(id, w)
    for (const d of writes.counters) {
      const c = this.#counters.get(counterKey(d.keyId, d))
      // Every drained counter is still here: only `written` forgets counters.
      if (!c) continue
      c.pending = c.pending ? sum(c.pending, d) : { requests: d.requests, tokens: d.tokens, costPico: d.costPico }
      this.#dirty.add(c)
    }
  }

  /** After `writes` were written: forgets counters whose period ended (SQLite has them). */
  written (writes: LedgerWrites, now: number): void {
    for (const [id, w] of writes.leases) {
      if (w) this.#leaseRows.add(id)
      else this.#leaseRows.delete(id)
    }
    for (const [k, c] of this.#counters) {
      if (c.ref.end !== null && c.ref.end <= now && c.pending === undefined) this.#counters.delete(k)
    }
  }

  /**
   * Another process changed stored counters (`ai-relay usage recompute` adds re-priced spend):
   * every counter kept here is read again, with what is still pending here on top of it.
   */
  reload (): void {
    for (const c of this.#counters.values()) {
      const stored = this.#load(c.keyId, c.ref.id, c.ref.start) ?? { requests: 0, tokens: 0, costPico: 0n }
      c.use = c.pending ? sum(stored, c.pending) : stored
    }
  }

  /** Counters whose period ended before `endedBefore` were deleted from SQLite: forgotten here too. */
  prune (endedBefore: number): void {
    for (const [k, c] of this.#counters) {
      if (c.ref.end !== null && c.ref.end < endedBefore) {
        this.#counters.delete(k)
        this.#dirty.delete(c)
      }
    }
  }

  /** The key's unexpired leases (expired ones dropped), or undefined when it holds none. */
  #held (keyId: string, now: number): Map<string, number> | undefined {
    const held = this.#leases.get(keyId)
    if (!held) return undefined
    for (const [id, expiresAt] of held) {
      if (expiresAt <= now) {
        held.delete(id)
        this.#drop(id)
      }
    }
    if (held.size > 0) return held
    this.#leases.delete(keyId)
    return undefined
  }

  /** A lease ends: its row is deleted at the next write, or never written. */
  #drop (id: string): void {
    this.#owner.delete(id)
    if (this.#leaseRows.has(id)) this.#leaseWrites.set(id, null)
    else this.#leaseWrites.delete(id)
  }

  #counter (keyId: string, ref: CounterRef): Counter {
    const k = counterKey(keyId, ref)
    let c = this.#counters.get(k)
    if (!c) {
      const stored = this.#load(keyId, ref.id, ref.start)
      c = { keyId, ref: { id: ref.id, start: ref.start, end: ref.end }, use: stored ?? { requests: 0, tokens: 0, costPico: 0n }, pending: undefined }
      this.#counters.set(k, c)
    }
    return c
  }

  #add (c: Counter, requests: number, tokens: number, costPico: bigint): void {
    const delta = { requests, tokens, costPico }
    c.use = sum(c.use, delta)
    c.pending = c.pending ? sum(c.pending, delta) : delta
    this.#dirty.add(c)
  }
}

function counterKey (keyId: string, ref: CounterRef): string {
  // Length-prefixed: a counter id comes from policy text (model globs), which may hold any character.
  return `${keyId.length}:${keyId}${ref.id.length}:${ref.id}${ref.start}`
}

function sum (a: CounterUse, b: CounterUse): CounterUse {
  return { requests: a.requests + b.requests, tokens: a.tokens + b.tokens, costPico: a.costPico + b.costPico }
}
