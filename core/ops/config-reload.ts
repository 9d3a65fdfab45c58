// Reloading the config file without a restart (SIGHUP, `ai-relay reload`, the admin API): keys,
// accounts, plugins' options, prices, limits' time zone and the log level are replaced; a
// request in flight keeps what it started with (its key record, its account, its price table).
// A file that does not validate changes nothing: its problems are logged and returned. Settings
// that shape the running server (listen address, store, secrets, admin, metrics, mounts) need a
// restart; a changed one is named in the answer and kept as it was.
import { ConfigError, formatIssue } from '../config/load-config.ts'
import type { RelayPlugin } from '../plugin-api.ts'
import { checkPartsAgainstStore, readConfigParts, type ConfigParts, type Runtime } from '../runtime.ts'

export interface ReloadResult {
  ok: boolean
  /** Why the new file was refused (nothing changed). */
  problems: string[]
  /** Changed settings that only a restart applies (kept as they were). */
  restartNeeded: string[]
}

/** Sections of the config a running server cannot change. */
const RESTART_ONLY = ['listen', 'store', 'secrets', 'admin', 'metrics', 'relay', 'upstream', 'scheduler', 'usage', 'retention'] as const

const CURRENT = Symbol('current')

/**
 * An object whose instance can be replaced under everything that holds it (a plugin under its
 * registered routes, the price table under the relay's dependencies): every property is read
 * from the current instance when it is asked for.
 */
export function delegate<T extends object> (initial: T): { proxy: T, swap: (next: T) => void } {
  let current = initial
  const proxy = new Proxy({} as T, {
    get: (_target, prop) => {
      if (prop === CURRENT) return current
      const v = (current as Record<string | symbol, unknown>)[prop]
      return typeof v === 'function' ? v.bind(current) : v
    },
    has: (_target, prop) => prop in current,
  })
  return { proxy, swap: next => { current = next } }
}

/** The instance a delegate stands for right now (for a request to keep to the end), or the object itself. */
export function snapshot<T extends object> (x: T): T {
  return ((x as Record<symbol, unknown>)[CURRENT] as T | undefined) ?? x
}

export function pluginDelegate (initial: RelayPlugin): { plugin: RelayPlugin, swap: (next: RelayPlugin) => void } {
  const { proxy, swap } = delegate(initial)
  return { plugin: proxy, swap }
}

// A bridge and the models an entry takes on a shared path are part of how routes are mounted.
export const mountsOf = (parts: Pick<ConfigParts, 'plugins'>) => JSON.stringify(parts.plugins.map(p => [p.plugin.name, p.bridge ?? null, p.mount, p.aliases, p.models ?? null]))

/** Reads the file again; applies it with `apply` when it is valid. */
export async function reloadConfig (rt: Runtime, apply: (parts: ConfigParts) => Promise<void>): Promise<ReloadResult> {
  let parts: ConfigParts
  try {
    parts = await readConfigParts(rt.loaded.file, rt.env)
    await checkPartsAgainstStore(parts, rt.store)
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, problems: err.issues.map(formatIssue), restartNeeded: [] }
    return { ok: false, problems: [(err as Error).message], restartNeeded: [] }
  }
  const restartNeeded: string[] = RESTART_ONLY.filter(k => JSON.stringify(parts.loaded.config[k]) !== JSON.stringify(rt.loaded.config[k]))
  if (mountsOf(parts) !== mountsOf(rt)) restartNeeded.push('plugins (which plugins and mounts)')
  await apply(parts)
  return { ok: true, problems: [], restartNeeded }
}
