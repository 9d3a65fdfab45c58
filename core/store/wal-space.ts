// Keeping SQLite's write-ahead log from eating the last of a small volume. SQLite folds the WAL
// into the database only once it passes 1,000 pages (~4 MB) and keeps the file at its largest
// size, so on a volume with less room than that the WAL fills the disk and every write fails
// with SQLITE_FULL, even after space came back: the checkpoint that would free it needs room
// for the database to grow first. While the volume is low on space (less than `LOW_SPACE` free,
// or a write just failed for want of it), the WAL is checkpointed and truncated after every
// usage write, so it never holds more than one batch.
import { statfsSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Database } from 'better-sqlite3'

const LOW_SPACE = 16 * 1024 * 1024
/** statfs at most this often on the write path. */
const CHECK_MS = 1000

export interface WalSpace {
  /** After a usage write. */
  written (): void
  /** A write failed with SQLITE_FULL: frees what the WAL holds, if it can. */
  full (): void
}

export function walSpace (db: Database, path: string): WalSpace {
  if (path === ':memory:') return { written () {}, full () {} }
  let low = false
  let checkedAt = 0
  const isLow = () => {
    const now = Date.now()
    if (now - checkedAt >= CHECK_MS) {
      checkedAt = now
      try {
        const s = statfsSync(dirname(path))
        low = s.bavail * s.bsize < LOW_SPACE
      } catch {}
    }
    return low
  }
  const truncate = () => {
    try {
      db.pragma('wal_checkpoint(TRUNCATE)')
    } catch {}
  }
  return {
    written () {
      if (isLow()) truncate()
    },
    full () {
      low = true
      checkedAt = Date.now()
      truncate()
    },
  }
}
