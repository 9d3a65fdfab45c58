// `ai-relay backup <file>` (online, while the relay runs) and `ai-relay restore <file>` (with
// the relay stopped). What to keep safe besides: the credential key (RELAY_SECRET_KEY or the key
// file), kept apart from the backups: without it the stored credentials cannot be read.
import { chmodSync, existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { configPath, loadConfig } from '../config/load-config.ts'
import type { Runtime } from '../runtime.ts'
import { checkBackup, restoreBackup } from '../store/sqlite-restore.ts'
import { runningPid } from '../ops/pid-file.ts'
import type { CliIo } from './cli-io.ts'

export async function backupCommand (rt: Runtime, file: string | undefined, io: CliIo): Promise<number> {
  if (!file) {
    io.err('usage: ai-relay backup <file>')
    return 2
  }
  if (rt.loaded.config.store.kind !== 'sqlite') {
    io.err('a Redis store is backed up by Redis itself (RDB snapshots, AOF, or your provider\'s backups)')
    return 1
  }
  const target = resolve(file)
  if (existsSync(target)) {
    io.err(`${target} exists; choose a new file`)
    return 2
  }
  await rt.store.backup(target)
  chmodSync(target, 0o600)
  io.out(`Backed up ${rt.storePath} to ${target}. Keep the credential key (RELAY_SECRET_KEY or ${rt.loaded.config.secrets.keyFile}) apart from it.`)
  return 0
}

export function restoreCommand (configFile: string, file: string | undefined, io: CliIo): number {
  if (!file) {
    io.err('usage: ai-relay restore <file>   (with the relay stopped)')
    return 2
  }
  const loaded = loadConfig(configFile, io.env)
  if (loaded.config.store.kind !== 'sqlite') {
    io.err('a Redis store is restored by Redis itself (from its RDB or AOF files)')
    return 1
  }
  const storePath = configPath(loaded, loaded.config.store.path)
  const pid = runningPid(storePath)
  if (pid !== undefined) {
    io.err(`a relay is running on this store (pid ${pid}): stop it first`)
    return 1
  }
  const problem = checkBackup(resolve(file))
  if (problem) {
    io.err(`${file}: ${problem}; nothing was changed`)
    return 1
  }
  const kept = restoreBackup(resolve(file), storePath, Date.now())
  io.out(`Restored ${storePath} from ${resolve(file)}.${kept ? ` The database it replaced is kept as ${kept}.` : ''}`)
  return 0
}
