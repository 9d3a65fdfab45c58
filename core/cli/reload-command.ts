// `ai-relay reload`: asks the relay running on this config's store to re-read its config file
// (SIGHUP to the pid it wrote beside its database). The relay logs what it applied or refused;
// `POST /_relay/admin/api/reload` answers with it.
import { configPath, loadConfig } from '../config/load-config.ts'
import { runningPid } from '../ops/pid-file.ts'
import type { CliIo } from './cli-io.ts'

export function reloadCommand (configFile: string, io: CliIo): number {
  const loaded = loadConfig(configFile, io.env)
  const pid = runningPid(configPath(loaded, loaded.config.store.path))
  if (pid === undefined) {
    io.err('no relay is running on this config\'s store')
    return 1
  }
  process.kill(pid, 'SIGHUP')
  io.out(`Asked the relay (pid ${pid}) to reload ${loaded.file}; it logs what it applied, or why it refused the file.`)
  return 0
}
