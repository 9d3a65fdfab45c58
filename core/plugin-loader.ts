// Loads the plugins the config lists: a built-in name (`claude` → plugins/claude), a path
// relative to the config file (`./my-plugin.js`), or an npm package name. Core never imports a
// plugin module directly; everything it knows of a provider comes through here.
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ConfigIssue, LoadedConfig } from './config/load-config.ts'
import { SPECIFICATION_VERSION, type RelayBridge, type RelayPlugin } from './plugin-api.ts'
import { composeBridge } from './bridge.ts'
import { createValidator, formatAjvErrors } from './config/validator.ts'
import { builtInPlugin } from './install-root.ts'

export interface LoadedPlugin {
  plugin: RelayPlugin
  mount: string
  aliases: string[]
  /** A bridge's own name: it serves with its target's accounts (same `plugin.name`) and declares none. */
  bridge?: string
  /** The entry's `models` globs: what it serves where it shares a mount path with other entries. */
  models?: string[]
}

function specifier (use: string, configDir: string): string {
  if (/^[a-z0-9-]+$/.test(use)) {
    const builtIn = builtInPlugin(use)
    if (builtIn) return pathToFileURL(builtIn).href
  }
  if (use.startsWith('./') || use.startsWith('../') || use.startsWith('/')) return pathToFileURL(resolve(configDir, use)).href
  return use
}

export async function loadPlugins (loaded: LoadedConfig, issues: ConfigIssue[]): Promise<LoadedPlugin[]> {
  const out: LoadedPlugin[] = []
  const names = new Map<string, number>()
  /** Bridges wait for every plugin: their target may come later in the list. */
  const bridges: { entry: typeof loaded.config.plugins[number], index: number, bridge: RelayBridge }[] = []
  for (const [i, entry] of loaded.config.plugins.entries()) {
    const path = `/plugins/${i}/use`
    const report = (message: string) => issues.push({ file: loaded.file, path, message })
    let mod: { default?: unknown }
    try {
      mod = await import(specifier(entry.use, loaded.dir)) as { default?: unknown }
    } catch (err) {
      report(`cannot load plugin "${entry.use}": ${(err as Error).message.split('\n')[0]}`)
      continue
    }
    if (isBridge(mod.default)) {
      if (Object.keys(entry.options).length > 0) {
        issues.push({ file: loaded.file, path: `/plugins/${i}/options`, message: `the bridge "${mod.default.bridge}" takes no options (its target's apply)` })
        continue
      }
      bridges.push({ entry, index: i, bridge: mod.default })
      continue
    }
    const problem = checkPlugin(mod.default)
    if (problem) {
      report(`"${entry.use}" is not a relay plugin: ${problem}`)
      continue
    }
    let plugin = mod.default as RelayPlugin
    if (plugin.optionsSchema) {
      const validate = createValidator(plugin.optionsSchema)
      const options = structuredClone(entry.options)
      if (!validate(options)) {
        for (const e of formatAjvErrors(validate.errors)) issues.push({ file: loaded.file, path: `/plugins/${i}/options${e.path}`, message: e.message })
        continue
      }
      plugin = plugin.configure?.(options as Record<string, unknown>) ?? plugin
    } else if (Object.keys(entry.options).length > 0) {
      issues.push({ file: loaded.file, path: `/plugins/${i}/options`, message: `plugin "${plugin.name}" takes no options` })
      continue
    }
    const dup = names.get(plugin.name)
    if (dup !== undefined) {
      report(`plugin "${plugin.name}" is already enabled by /plugins/${dup}`)
      continue
    }
    names.set(plugin.name, i)
    out.push({ plugin, mount: entry.mount, aliases: entry.aliases, ...(entry.models ? { models: entry.models } : {}) })
  }
  for (const { entry, index, bridge } of bridges) {
    const target = out.find(p => !p.bridge && p.plugin.name === bridge.target)
    if (!target) {
      issues.push({ file: loaded.file, path: `/plugins/${index}/use`, message: `the bridge "${bridge.bridge}" serves with the accounts of the plugin "${bridge.target}": enable it too` })
      continue
    }
    out.push({ plugin: composeBridge(target.plugin, bridge.translator, bridge.bridge), mount: entry.mount, aliases: entry.aliases, bridge: bridge.bridge, ...(entry.models ? { models: entry.models } : {}) })
  }
  return out
}

function isBridge (p: unknown): p is RelayBridge {
  const o = p as Partial<RelayBridge> | null
  return o !== null && typeof o === 'object' && o.specificationVersion === SPECIFICATION_VERSION && typeof o.bridge === 'string' && typeof o.target === 'string' && typeof o.translator === 'object'
}

function checkPlugin (p: unknown): string | undefined {
  if (p === null || typeof p !== 'object') return 'its module has no default export object'
  const o = p as Partial<RelayPlugin>
  if (o.specificationVersion !== SPECIFICATION_VERSION) return `specificationVersion is ${JSON.stringify(o.specificationVersion)}, this relay implements "${SPECIFICATION_VERSION}"`
  if (typeof o.name !== 'string' || o.name.length === 0) return 'name is missing'
  if (!Array.isArray(o.routes)) return 'routes is missing'
  if (o.accountTypes === null || typeof o.accountTypes !== 'object') return 'accountTypes is missing'
  for (const fn of ['parseRequest', 'upstreamBase', 'prepareUpstream', 'classifyError', 'createMeter', 'errorBody'] as const) {
    if (typeof o[fn] !== 'function') return `${fn} is not a function`
  }
  return undefined
}
