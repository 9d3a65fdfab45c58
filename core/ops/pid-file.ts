// The running relay's process id, beside its database: `ai-relay reload` signals it, and
// `ai-relay restore` refuses to replace a database a relay has open.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

export function pidFile (storePath: string): string {
  return join(dirname(storePath), 'relay.pid')
}

export function writePid (storePath: string): () => void {
  const file = pidFile(storePath)
  // With a Redis store nothing else may have made the data directory.
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  writeFileSync(file, `${process.pid}\n`, { mode: 0o600 })
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file)
    } catch {}
  }
}

/** The pid of a relay running on this store, or undefined (no file, or its process is gone). */
export function runningPid (storePath: string): number | undefined {
  let pid: number
  try {
    pid = Number(readFileSync(pidFile(storePath), 'utf8').trim())
  } catch {
    return undefined
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  try {
    process.kill(pid, 0)
    return pid
  } catch (err) {
    // EPERM: it exists but is another user's; it is running all the same.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined
  }
}
