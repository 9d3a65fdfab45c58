// `ai-relay`: the operator CLI. Every command takes --config (or RELAY_CONFIG) and works while
// the sidecar runs: both open the same store, and the sidecar picks up changes within a second.
// Secrets are never taken as arguments (they would land in shell history and `ps`): they come
// from stdin or from an environment variable whose name is given.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { ConfigError, formatIssue } from '../config/load-config.ts'
import { isRelayError } from '../errors.ts'
import { openRuntime, type Runtime } from '../runtime.ts'
import { keysCommand } from './keys-command.ts'
import { accountsCommand } from './accounts-command.ts'
import { usageCommand } from './usage-command.ts'
import { startCommand } from './start-command.ts'
import { doctorCommand } from './doctor-command.ts'
import { adminCommand } from './admin-command.ts'
import { logsCommand } from './logs-command.ts'
import { backupCommand, restoreCommand } from './backup-command.ts'
import { reloadCommand } from './reload-command.ts'
import { importCommand } from './import-command.ts'
import { storeCommand } from './store-command.ts'
import { pricesCommand } from './prices-command.ts'
import { recomputeCommand } from './recompute-command.ts'
import { warnNewSecretKey, type CliIo, type CliValues } from './cli-io.ts'

const USAGE = `Usage: ai-relay <command> [options]

Commands:
  start                         start the sidecar
  config check                  validate the config file and exit
  keys create --name N [--expires ISO-8601] [--bind PROVIDER=account:NAME|group:NAME ...] [--policy JSON] [--json]
  keys list [--json]
  keys show <name|id> [--json]   limits with current use and reset times
  keys update <name|id> [--policy JSON] [--expires ISO-8601|never] [--bind PROVIDER=account:NAME|group:NAME|pool ...]
                                a binding per provider (claude, openai, gemini, or * for every other);
                                --account NAME|none / --group NAME|none bind every provider
  keys rotate <name|id> [--json] a new secret for the same key (history stays)
  keys disable <name|id> | keys enable <name|id>
  keys delete <name|id>
  accounts add --name N --provider P --type T [--priority 1-100] [--set field=value ...]
               [--secret-env field=ENV_VAR ...]   (other credential fields are read from stdin)
               [--group G ...] [--max-concurrency N] [--models GLOB ...] [--proxy-env ENV_VAR]
               [--model-map MODEL=UPSTREAM_MODEL ...]   (what a requested model is sent upstream as)
  accounts login <provider> --name N [--type T] [--priority 1-100] [--group G ...] [--proxy-env ENV_VAR]
               [--set field=value ...]
                                subscription account via OAuth: open the URL, paste the code;
                                an existing account's name logs it in again in place
  accounts list [--json]
  accounts disable <name|id>
  accounts enable <name|id>     clears a disabled/unauthorized state and any cooldown
  accounts delete <name|id>     keys bound to it must be moved first (keys update --bind)
  usage [--since ISO] [--until ISO] [--by key|model|account] [--json]
  usage recompute --since ISO [--until ISO] [--model GLOB] [--apply] [--json]
                                bill again the requests recorded without a price of their own, at
                                the prices in force (a dry run unless --apply)
  prices list [--unpriced] [--since ISO] [--json]
                                the prices in force and where each came from (plugin, file, source,
                                config); --unpriced: models served without a price of their own
  prices update [--json]        fetch every pricing.sources file now; prints what changed
  logs [--key K] [--account A] [--model M] [--status N] [--ip IP] [--since ISO] [--until ISO] [--limit N] [--json]
                                the request log, newest first
  store migrate --from sqlite:PATH --to redis://HOST:PORT[?prefix=relay:]
                                copies a store into another (the relays stopped)
  import crs --redis URL --encryption-key-env VAR [--dry-run] [--allow-lossy] [--json]
                                keys, accounts, groups, limits, bindings and usage history from
                                claude-relay-service's Redis; prints what it creates, changes and
                                cannot carry; a rerun updates only what changed there
  reload                        the running relay re-reads its config file (as on SIGHUP)
  backup <file>                 a consistent copy of the store, taken while the relay runs
  restore <file>                put a backup back (the relay stopped; the replaced database is kept)
  admin users add --name N      an admin page user (the password is read from stdin)
  admin users list | admin users delete <name>
  doctor --url URL --key KEY [--mount /claude] [--gap-seconds 75] [--body-mb 20] [--json]
                                probes a deployment through its gateway and names what to fix

Options:
  --config FILE   config file (default: $RELAY_CONFIG, ./relay.yaml, ./relay.example.yaml)`

function defaultConfigPath (env: NodeJS.ProcessEnv): string {
  if (env.RELAY_CONFIG) return env.RELAY_CONFIG
  return existsSync('relay.yaml') ? 'relay.yaml' : 'relay.example.yaml'
}

const OPTIONS = {
  config: { type: 'string' },
  json: { type: 'boolean', default: false },
  name: { type: 'string' },
  expires: { type: 'string' },
  provider: { type: 'string' },
  type: { type: 'string' },
  priority: { type: 'string' },
  set: { type: 'string', multiple: true, default: [] as string[] },
  'secret-env': { type: 'string', multiple: true, default: [] as string[] },
  account: { type: 'string' },
  group: { type: 'string', multiple: true, default: [] as string[] },
  bind: { type: 'string', multiple: true, default: [] as string[] },
  'max-concurrency': { type: 'string' },
  models: { type: 'string', multiple: true, default: [] as string[] },
  'model-map': { type: 'string', multiple: true, default: [] as string[] },
  'proxy-env': { type: 'string' },
  policy: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  by: { type: 'string', default: 'key' },
  url: { type: 'string' },
  redis: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'encryption-key': { type: 'string' },
  'encryption-key-env': { type: 'string' },
  model: { type: 'string' },
  status: { type: 'string' },
  ip: { type: 'string' },
  limit: { type: 'string' },
  key: { type: 'string' },
  mount: { type: 'string' },
  'gap-seconds': { type: 'string' },
  'body-mb': { type: 'string' },
  unpriced: { type: 'boolean', default: false },
  apply: { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  'allow-lossy': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} satisfies ParseArgsConfig['options']

function parseCli (argv: string[]): { values: CliValues, positionals: string[] } {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true })
  return { values: values as unknown as CliValues, positionals }
}

export async function main (argv: string[], io: CliIo): Promise<number> {
  let parsed
  try {
    parsed = parseCli(argv)
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  const [command, sub, ...rest] = positionals
  if (values.help || !command) {
    io.out(USAGE)
    return command || values.help ? 0 : 2
  }
  const configFile = resolve(values.config ?? defaultConfigPath(io.env))

  try {
    if (command === 'start') return await startCommand(configFile, io)
    // From the outside, like a client: no config or store needed.
    if (command === 'doctor') return await doctorCommand(values, io)
    // The store must not be open while it is replaced.
    if (command === 'restore') return restoreCommand(configFile, sub, io)
    if (command === 'reload') return reloadCommand(configFile, io)
    if (command === 'store') return await storeCommand(sub, values, io)
    if (command === 'config' && sub === 'check') {
      await openRuntime(configFile, { env: io.env, checkOnly: true })
      io.out(`${configFile}: OK`)
      return 0
    }
    const handlers: Record<string, (rt: Runtime, sub: string | undefined, rest: string[], values: CliValues, io: CliIo) => Promise<number>> = {
      keys: keysCommand,
      accounts: accountsCommand,
      usage: (rt, s, r, v, i) => (s === 'recompute' ? recomputeCommand(rt, v, i) : usageCommand(rt, [s, ...r].filter((x): x is string => x !== undefined), v, i)),
      admin: adminCommand,
      logs: (rt, _s, _r, v, i) => logsCommand(rt, v, i),
      backup: (rt, s, _r, _v, i) => backupCommand(rt, s, i),
      import: (rt, s, _r, v, i) => importCommand(rt, s, v, i),
      prices: (rt, s, _r, v, i) => pricesCommand(rt, s, v, i),
    }
    const handler = handlers[command]
    if (!handler) {
      io.err(`unknown command "${[command, sub].filter(Boolean).join(' ')}"\n\n${USAGE}`)
      return 2
    }
    const rt = (await openRuntime(configFile, { env: io.env }))!
    if (rt.generatedKeyFile) warnNewSecretKey(rt.generatedKeyFile, io)
    try {
      return await handler(rt, sub, rest, values, io)
    } finally {
      await rt.store.close()
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`invalid configuration (${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}):`)
      for (const issue of err.issues) io.err(`  ${formatIssue(issue)}`)
      return 1
    }
    if (isRelayError(err)) {
      io.err(`error: ${err.message} (${err.code})`)
      // Bad input is a usage error, as for a bad flag.
      return err.statusCode === 400 ? 2 : 1
    }
    throw err
  }
}
