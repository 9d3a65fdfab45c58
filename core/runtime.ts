// Everything the sidecar and the operator CLI share once a config file is read: plugins,
// account types, pricing, the store, the secret box and the config's declared keys/accounts.
// All problems found along the way are reported together, like the config's own.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { ConfigError, configPath, loadConfig, type ConfigIssue, type LoadedConfig } from './config/load-config.ts'
import { AccountTypes } from './accounts/account-types.ts'
import { declaredAccounts, storedAccount, type AccountPool, type PoolAccount } from './accounts/account-pool.ts'
import { declaredKeys, type KeyRegistry } from './keys/key-registry.ts'
import { unpricedFallbacks, type PriceTable, type Pricing } from './metering/pricing.ts'
import { readLiteLLMPrices } from './metering/litellm-prices.ts'
import { composePricing, type PriceInputs } from './metering/price-book.ts'
import { loadCopy, redactUrl, type PriceSourceConfig, type SourceCopy } from './metering/price-source.ts'
import { durationMs } from './limits/periods.ts'
import { loadPlugins, type LoadedPlugin } from './plugin-loader.ts'
import { createSecretBox, loadSecretKey, type SecretBox } from './secrets/secret-box.ts'
import { openSqliteStore } from './store/sqlite-store.ts'
import { resilientStore } from './store/resilient-store.ts'
import { dirname, join } from 'node:path'
import pino, { type Logger } from 'pino'
import type { KeyRecord, Store } from './store/store.ts'

export interface Runtime extends ConfigParts {
  store: Store
  secretBox: SecretBox
  /** Set when this start generated the secret key file (the operator is warned once). */
  generatedKeyFile?: string
  storePath: string
  /** The environment the config was read with (egress proxies come from it too). */
  env: NodeJS.ProcessEnv
}

export interface OpenOptions {
  env?: NodeJS.ProcessEnv
  /** `config check`: validate only; create no store and no key file. */
  checkOnly?: boolean
  /** Where the store reports an outage (the relay's logger). */
  log?: Logger
}

/** What a config file gives, apart from the store and the secret key: what a reload replaces. */
export interface ConfigParts {
  loaded: LoadedConfig
  plugins: LoadedPlugin[]
  accountTypes: AccountTypes
  pricing: Pricing
  /** What the pricing is composed of; the live sources' copies are replaced as they refresh. */
  priceInputs: PriceInputs
  /** The configured live sources, with the copies read at start (or reload). */
  priceSources: ConfiguredSource[]
  /** Where the live sources' last good copies are kept. */
  priceDir: string
  declaredKeys: KeyRecord[]
  declaredAccounts: PoolAccount[]
}

/** A `pricing.sources` entry with its last good copy as read at start (or reload). */
export interface ConfiguredSource extends PriceSourceConfig {
  /** The URL as shown (credentials masked). */
  label: string
  copy: SourceCopy | undefined
  everyMs: number
  hashEveryMs: number
}

/** Reads and checks a config file; every problem found is thrown together (ConfigError). */
export async function readConfigParts (file: string, env: NodeJS.ProcessEnv): Promise<ConfigParts> {
  const loaded = loadConfig(file, env)
  const { config } = loaded
  const issues: ConfigIssue[] = []
  const plugins = await loadPlugins(loaded, issues)
  // A bridge serves with its target's account types: only the plugins that own theirs register.
  const accountTypes = new AccountTypes(plugins.filter(p => !p.bridge).map(p => p.plugin))
  config.accounts.forEach((a, i) => {
    const type = accountTypes.resolve(a.provider, a.type)
    if (typeof type === 'string') {
      issues.push({ file: loaded.file, path: `/accounts/${i}/${accountTypes.providers().includes(a.provider) ? 'type' : 'provider'}`, message: type })
      return
    }
    const result = accountTypes.check(type, a)
    if (!result.ok) for (const p of result.problems) issues.push({ file: loaded.file, path: `/accounts/${i}${p.path}`, message: p.message })
    // A refresh rotates the refresh token, which a read-only file cannot follow: after a restart
    // the file's token would be dead. Long-lived tokens may be declared; the rest log in.
    if (type.spec.oauth && a.refreshToken !== undefined) {
      issues.push({ file: loaded.file, path: `/accounts/${i}/refreshToken`, message: `refreshable ${type.name} accounts are stored, not declared: use \`ai-relay accounts login ${a.provider}\`` })
    }
  })
  const fileTable = config.pricing.file === undefined ? undefined : loadPriceFile(loaded, config.pricing.file, issues)
  const priceDir = join(dirname(configPath(loaded, config.store.path)), 'prices')
  const priceSources = config.pricing.sources.map((s, i) => configuredSource(loaded, s, i, priceDir, issues))
  const priceInputs: PriceInputs = {
    plugins: plugins.flatMap(p => (p.plugin.prices && !p.bridge ? [{ ...p.plugin.prices, origin: `plugin ${p.plugin.name}` }] : [])),
    ...(fileTable ? { file: fileTable } : {}),
    sources: priceSources,
    config: config.pricing,
  }
  const tables = [...priceInputs.plugins, ...(fileTable ? [fileTable] : []), ...priceInputs.sources.flatMap(s => (s.copy ? [s.copy.table] : []))]
  for (const message of unpricedFallbacks(tables, config.pricing)) issues.push({ file: loaded.file, path: '/pricing/fallback', message })
  if (issues.length > 0) throw new ConfigError(issues)
  return {
    loaded,
    plugins,
    accountTypes,
    pricing: composePricing(priceInputs),
    priceInputs,
    priceSources,
    priceDir,
    declaredKeys: declaredKeys(config.keys),
    declaredAccounts: declaredAccounts(config.accounts, accountTypes),
  }
}

/** Checks a re-read config against the store the running relay has open (names stay unique). */
export async function checkPartsAgainstStore (parts: ConfigParts, store: Store): Promise<void> {
  const nameIssues = await checkAgainstStore(parts.loaded, store)
  if (nameIssues.length > 0) throw new ConfigError(nameIssues)
}

export async function openRuntime (file: string, opts: OpenOptions = {}): Promise<Runtime | undefined> {
  const env = opts.env ?? process.env
  const parts = await readConfigParts(file, env)
  const { loaded } = parts
  const { config } = loaded
  const storePath = configPath(loaded, config.store.path)
  if (opts.checkOnly && config.store.kind === 'sqlite' && !existsSync(storePath)) return undefined
  const store = config.store.kind === 'redis'
    // ioredis is loaded only for a Redis store (it is a tenth of an idle sidecar's memory).
    ? resilientStore(await (await import('./store/redis-store.ts')).openRedisStore({ url: config.store.url, prefix: config.store.prefix ?? 'relay:', sentinels: config.store.sentinels, sentinelName: config.store.sentinelName, cluster: config.store.cluster }), {
      mode: config.store.failMode ?? 'closed', spillFile: join(dirname(storePath), 'usage-spill.jsonl'), log: opts.log ?? pino({ level: 'warn' }),
    })
    : openSqliteStore(storePath)
  try {
    await checkPartsAgainstStore(parts, store)
    if (opts.checkOnly) {
      await store.close()
      return undefined
    }
    const secret = loadSecretKey(env, configPath(loaded, config.secrets.keyFile))
    return {
      ...parts,
      store,
      secretBox: createSecretBox(secret.key),
      generatedKeyFile: secret.generatedFile,
      storePath,
      env,
    }
  } catch (err) {
    await store.close()
    throw err
  }
}

/** A source's schedule, checked, and its last good copy from the data dir (none yet is fine). */
function configuredSource (loaded: LoadedConfig, s: { url: string, sha256Url?: string, every: string, hashEvery: string }, i: number, dir: string, issues: ConfigIssue[]): ConfiguredSource {
  const everyMs = durationMs(s.every)
  const hashEveryMs = durationMs(s.hashEvery)
  if (everyMs < 3_600_000) issues.push({ file: loaded.file, path: `/pricing/sources/${i}/every`, message: 'a price file is fetched at most once an hour (1h at least)' })
  if (hashEveryMs < 60_000) issues.push({ file: loaded.file, path: `/pricing/sources/${i}/hashEvery`, message: '1m at least' })
  return { url: s.url, label: redactUrl(s.url), ...(s.sha256Url ? { sha256Url: s.sha256Url } : {}), everyMs, hashEveryMs, copy: loadCopy(dir, s.url) }
}

/** `pricing.file`: a LiteLLM price file; its version names the file and its content's hash. */
function loadPriceFile (loaded: LoadedConfig, file: string, issues: ConfigIssue[]): PriceTable | undefined {
  const path = configPath(loaded, file)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    issues.push({ file: loaded.file, path: '/pricing/file', message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` })
    return undefined
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    issues.push({ file: loaded.file, path: '/pricing/file', message: `${path} is not JSON` })
    return undefined
  }
  const version = `litellm:${createHash('sha256').update(text).digest('hex').slice(0, 12)}`
  const { table } = readLiteLLMPrices(json, version)
  table.origin = `file ${file}`
  if (Object.keys(table.models).length === 0) issues.push({ file: loaded.file, path: '/pricing/file', message: `${path} holds no usable model price` })
  return table
}

/** Names unique across file and store; key bindings name an account that exists in either. */
async function checkAgainstStore (loaded: LoadedConfig, store: Store): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = []
  const storedKeys = new Set((await store.listKeys()).map(k => k.name))
  const storedAccounts = new Set((await store.listAccounts()).map(a => a.name))
  const allAccounts = new Set([...storedAccounts, ...loaded.config.accounts.map(a => a.name)])
  loaded.config.keys.forEach((k, i) => {
    if (k.account !== undefined && !allAccounts.has(k.account)) issues.push({ file: loaded.file, path: `/keys/${i}/account`, message: `no account is named "${k.account}"` })
    if (k.account !== undefined && k.group !== undefined) issues.push({ file: loaded.file, path: `/keys/${i}`, message: 'a key is bound to one account or one group, not both' })
  })
  loaded.config.keys.forEach((k, i) => {
    if (storedKeys.has(k.name)) issues.push({ file: loaded.file, path: `/keys/${i}/name`, message: `a key named "${k.name}" already exists in the store; names must be unique` })
  })
  loaded.config.accounts.forEach((a, i) => {
    if (storedAccounts.has(a.name)) issues.push({ file: loaded.file, path: `/accounts/${i}/name`, message: `an account named "${a.name}" already exists in the store; names must be unique` })
  })
  return issues
}

/** (Re)fills the in-memory key and account sets from the config and the store. */
export async function reloadKeysAndAccounts (rt: Runtime, keys: KeyRegistry, pool: AccountPool): Promise<void> {
  const [storedKeys, storedAccounts] = await Promise.all([rt.store.listKeys(), rt.store.listAccounts()])
  keys.load([...rt.declaredKeys, ...storedKeys])
  pool.load([...rt.declaredAccounts, ...storedAccounts.map(a => storedAccount(a, rt.secretBox))])
}
