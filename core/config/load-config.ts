// Reads the config file: YAML or JSON → `${VAR}` interpolation → JSON Schema validation with
// defaults → cross-entry checks. Collects every problem before failing, each as
// "file: /json/path: reason", and never echoes a value (it may be a secret).
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { LineCounter, parseDocument } from 'yaml'
import { IANAZone } from 'luxon'
import { configSchema, type RelayConfig } from './schema.ts'
import { createValidator, formatAjvErrors } from './validator.ts'
import { interpolateEnv } from './interpolate-env.ts'
import { errors } from '../errors.ts'

export interface ConfigIssue {
  file: string
  path: string
  message: string
}

export interface LoadedConfig {
  config: RelayConfig
  /** Absolute path of the file read. */
  file: string
  /** Relative paths in the config are resolved against this directory. */
  dir: string
}

export class ConfigError extends errors.RELAY_ERR_CONFIG_INVALID {
  issues: ConfigIssue[]
  constructor (issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'))
    this.issues = issues
  }
}

export function formatIssue (i: ConfigIssue): string {
  return `${i.file}: ${i.path || '/'}: ${i.message}`
}

const validateConfig = createValidator(configSchema)

export function loadConfig (path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const file = resolve(path)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError([{ file, path: '', message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})` }])
  }
  return parseConfig(text, file, env)
}

export function parseConfig (text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  // YAML 1.2 is a superset of JSON, so one parser serves both formats.
  const lines = new LineCounter()
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines })
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map(e => ({
      file,
      path: (pos => `line ${pos.line}, column ${pos.col}`)(lines.linePos(e.pos[0])),
      // The first line only: later lines quote the source, which may hold a secret.
      message: e.message.split('\n')[0]!,
    })))
  }
  const raw: unknown = doc.toJS()
  const issues: ConfigIssue[] = []
  const interpolated = interpolateEnv(raw ?? {}, env, (path, message) => issues.push({ file, path, message }))
  if (!validateConfig(interpolated)) {
    // A value left empty by a missing variable is already reported; its schema errors are noise.
    const unset = new Set(issues.map(i => i.path))
    issues.push(...formatAjvErrors(validateConfig.errors).filter(e => !unset.has(e.path)).map(e => ({ file, ...e })))
  }
  if (issues.length === 0) issues.push(...crossChecks(interpolated as RelayConfig, file))
  if (issues.length > 0) throw new ConfigError(issues)
  return { config: interpolated as RelayConfig, file, dir: dirname(file) }
}

function crossChecks (config: RelayConfig, file: string): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const unique = (list: readonly { name: string }[], section: string) => {
    const seen = new Map<string, number>()
    list.forEach((item, i) => {
      const first = seen.get(item.name)
      if (first !== undefined) issues.push({ file, path: `/${section}/${i}/name`, message: `duplicate name "${item.name}" (also /${section}/${first})` })
      else seen.set(item.name, i)
    })
  }
  // The default zone is checked without Intl: asking Intl about any zone maps ICU's time-zone
  // data, ~6 MB of RSS for the life of the process, and luxon computes UTC periods without it.
  if (config.limits.timeZone !== 'UTC' && !IANAZone.isValidZone(config.limits.timeZone)) issues.push({ file, path: '/limits/timeZone', message: `unknown time zone "${config.limits.timeZone}" (an IANA name such as Europe/Berlin)` })
  unique(config.keys, 'keys')
  unique(config.accounts, 'accounts')
  // Entries may share a mount path (a route they both have goes to the one serving the model:
  // relay/shared-route.ts); one entry naming a path twice is a slip.
  config.plugins.forEach((p, i) => {
    const mine = new Map<string, string>()
    ;[p.mount, ...p.aliases].forEach((m, j) => {
      const where = j === 0 ? `/plugins/${i}/mount` : `/plugins/${i}/aliases/${j - 1}`
      const other = mine.get(m)
      if (other) issues.push({ file, path: where, message: `mount path ${m} is already used by ${other}` })
      else mine.set(m, where)
      if (m.startsWith('/_relay')) issues.push({ file, path: where, message: '/_relay is reserved for the relay itself' })
    })
  })
  return issues
}

/** Resolves a path from the config relative to the config file's directory. */
export function configPath (loaded: LoadedConfig, p: string): string {
  return resolve(loaded.dir, p)
}
