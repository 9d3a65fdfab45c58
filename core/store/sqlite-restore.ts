// Puts a backup (`ai-relay backup`) back in place of the SQLite store, with the relay stopped:
// the backup is checked first (a SQLite file of this store's schema that passes an integrity
// check), the current database is kept beside it, and stale WAL files are removed so SQLite
// cannot replay them over the restored file.
import Database from 'better-sqlite3'
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs'

export function checkBackup (file: string): string | undefined {
  let db: Database.Database | undefined
  try {
    db = new Database(file, { readonly: true, fileMustExist: true })
    const version = db.pragma('user_version', { simple: true }) as number
    if (version < 1) return 'not a store of this relay (no schema version)'
    const tables = new Set(db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map(r => r.name))
    for (const t of ['keys', 'accounts', 'request_log', 'usage_agg']) if (!tables.has(t)) return `not a store of this relay (no ${t} table)`
    const integrity = db.pragma('integrity_check', { simple: true })
    if (integrity !== 'ok') return `the backup is damaged (${String(integrity)})`
    return undefined
  } catch (err) {
    return `not a readable SQLite database (${(err as Error).message})`
  } finally {
    db?.close()
  }
}

/** Replaces `storePath` with `backup`; returns where the replaced database was kept, if there was one. */
export function restoreBackup (backup: string, storePath: string, now: number): string | undefined {
  let kept: string | undefined
  if (existsSync(storePath)) {
    kept = `${storePath}.before-restore-${new Date(now).toISOString().replace(/[:.]/g, '-')}`
    renameSync(storePath, kept)
  }
  for (const f of [`${storePath}-wal`, `${storePath}-shm`]) rmSync(f, { force: true })
  copyFileSync(backup, storePath)
  return kept
}
