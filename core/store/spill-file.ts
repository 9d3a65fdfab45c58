// Usage batches the store could not take, kept on local disk in order (one JSON line a batch)
// until it takes them again: the Redis store's outage spill, and the usage recorder's when the
// store's own disk is full (`usage.spillFile`, on another volume). A replay first takes the file
// aside, so batches spilled meanwhile start a new file and keep their place after those.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { dirname } from 'node:path'
import type { UsageBatch, UsageRecord } from './store.ts'

type SpilledBatch = {
  opened?: UsageBatch['opened']
  records: (Omit<UsageRecord, 'costPico'> & { costPico: string | null })[]
  keysUsed?: [string, number][]
  repeats?: [string, number][]
}

function toJson (b: UsageBatch): string {
  const spilled: SpilledBatch = {
    opened: b.opened, records: b.records.map(r => ({ ...r, costPico: r.costPico === null ? null : r.costPico.toString() })),
    keysUsed: b.keysUsed ? [...b.keysUsed] : undefined, repeats: b.repeats ? [...b.repeats] : undefined,
  }
  return JSON.stringify(spilled)
}

function fromJson (line: string): UsageBatch {
  const s = JSON.parse(line) as SpilledBatch
  return {
    opened: s.opened, records: s.records.map(r => ({ ...r, costPico: r.costPico === null ? null : BigInt(r.costPico) })),
    keysUsed: s.keysUsed ? new Map(s.keysUsed) : undefined, repeats: s.repeats ? new Map(s.repeats) : undefined,
  }
}

export class SpillFile {
  readonly path: string
  readonly #replaying: string

  constructor (path: string) {
    this.path = path
    this.#replaying = `${path}.replaying`
  }

  /** Batches spilled and not yet replayed: a spill file, or one taken aside by a replay. */
  get backlog (): boolean {
    return existsSync(this.path) || existsSync(this.#replaying)
  }

  /** Appends a batch (synchronously: it is on disk when this returns). */
  append (batch: UsageBatch): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 })
    appendFileSync(this.path, `${toJson(batch)}\n`, { mode: 0o600 })
  }

  /**
   * Writes every spilled batch with `write`, in order; the number written. A batch that fails
   * stops the replay with it and the rest still on disk (written batches are not written again
   * only when the store's writes are idempotent by request id, as both stores' are).
   */
  async replay (write: (batch: UsageBatch) => Promise<void>): Promise<number> {
    if (!existsSync(this.#replaying)) {
      if (!existsSync(this.path)) return 0
      renameSync(this.path, this.#replaying)
    }
    const lines = readFileSync(this.#replaying, 'utf8').split('\n').filter(Boolean)
    // Consecutive batches go as one write of up to REPLAY_ROWS rows: the recorder spills a batch
    // a request when it flushes at once, and a thousand one-row writes would keep the backlog
    // (and every batch arriving behind it) waiting for many seconds after the store is back.
    let done = 0
    let merged: UsageBatch | undefined
    let count = 0
    for (const line of lines) {
      const batch = fromJson(line)
      merged = merged ? mergeBatches(merged, batch) : batch
      count++
      if (merged.records.length + (merged.opened?.length ?? 0) >= REPLAY_ROWS) {
        await write(merged)
        done += count
        merged = undefined
        count = 0
      }
    }
    if (merged) {
      await write(merged)
      done += count
    }
    rmSync(this.#replaying)
    return done
  }
}

/** Rows written together in a replay. */
export const REPLAY_ROWS = 500

/** Two batches as one, in order: rows opened, rows finished, keys' last use (the later), repeats (added). */
export function mergeBatches (a: UsageBatch, b: UsageBatch): UsageBatch {
  const keysUsed = new Map(a.keysUsed)
  for (const [id, at] of b.keysUsed ?? []) keysUsed.set(id, Math.max(at, keysUsed.get(id) ?? 0))
  const repeats = new Map(a.repeats)
  for (const [id, n] of b.repeats ?? []) repeats.set(id, n + (repeats.get(id) ?? 0))
  return {
    opened: [...a.opened ?? [], ...b.opened ?? []], records: [...a.records, ...b.records],
    ...(keysUsed.size > 0 ? { keysUsed } : {}), ...(repeats.size > 0 ? { repeats } : {}),
  }
}
