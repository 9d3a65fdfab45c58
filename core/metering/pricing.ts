// Prices and cost in exact integer arithmetic. Prices are micro-USD per million tokens, so
// tokens × price is the cost in pico-USD with no rounding anywhere; rounding happens only when a
// human reads a total (formatUsd).
import type { Usage } from '../usage.ts'
import { priceAt, type ModelPrice, type PriceTable, type Rates } from './price-table.ts'
import { globMatcher } from '../globs.ts'

export { priceAt, type ModelPrice, type PriceTable } from './price-table.ts'

export interface Cost {
  /** Pico-USD; null when the model has no price. */
  costPico: bigint | null
  /** The price-table entry used, when one was found. */
  pricedAs: string | null
  /**
   * The model has no price of its own and was billed at another's: `pricing.fallback`, or a
   * glob of `pricing.aliases` (`"gpt-6.*"`). Recorded on the row.
   */
  billedBy?: string
  version: string
}

export interface Pricing {
  version: string
  lookup (model: string): { id: string, price: ModelPrice, glob?: string } | undefined
  /** The table in force (for the admin API), with its version. */
  describe (): PriceTable
  /**
   * What a request costs: priced as the model that answered, else as the model asked for, else
   * at the provider's fallback rate (`pricing.fallback`), else unpriced (null).
   */
  cost (model: string | null | undefined, usage: Usage, opts?: { requested?: string, provider?: string, at?: number }): Cost
  /** Whether a request for `model` from `provider` would be priced (by its own rate or a fallback). */
  priced (model: string, provider: string): boolean
  /** Every model priced, with the table its price came from (the last one to name it wins). */
  list (): PriceEntry[]
}

export interface PriceEntry {
  model: string
  price: ModelPrice
  /** `plugin claude`, `file ./prices.json`, `source https://…` or `config`. */
  from: string
}

/** `pricing.fallback`: per provider, the priced model whose rates bill its models that have none. */
export type PriceFallbacks = Record<string, { like: string }>

/** `-20250929` (Anthropic) and `-2025-08-07` (OpenAI) dates, and Claude Code's `[1m]` context marker, name the same priced model. */
const DATE_SUFFIX = /-(\d{8}|\d{4}-\d{2}-\d{2})$/
const VARIANT_SUFFIX = /\[[^\]]*\]$/

/**
 * Merges the plugins' shipped tables, then the config's overrides (which win). The version
 * recorded with each request names every table, so a row can be re-priced later.
 */
export function createPricing (tables: PriceTable[], overrides?: { models: Record<string, ModelPrice>, aliases: Record<string, string>, fallback?: PriceFallbacks }): Pricing {
  const models = new Map<string, ModelPrice>()
  const origins = new Map<string, string>()
  const aliases = new Map<string, string>()
  for (const t of tables) {
    for (const [id, p] of Object.entries(t.models)) {
      models.set(id, p)
      origins.set(id, t.origin ?? t.version)
    }
    for (const [a, id] of Object.entries(t.aliases ?? {})) aliases.set(a, id)
  }
  const hasOverrides = overrides && (Object.keys(overrides.models).length > 0 || Object.keys(overrides.aliases).length > 0 || Object.keys(overrides.fallback ?? {}).length > 0)
  if (overrides) {
    for (const [id, p] of Object.entries(overrides.models)) {
      models.set(id, p)
      origins.set(id, 'config')
    }
    for (const [a, id] of Object.entries(overrides.aliases)) aliases.set(a, id)
  }
  const version = tables.map(t => t.version).join('+') + (hasOverrides ? '+config' : '')

  const find = (id: string) => {
    const p = models.get(id)
    return p ? { id, price: p } : undefined
  }
  // Aliases with a `*` bill a family of models not priced yet (`gpt-6.*` → `gpt-5.4`), in the
  // config's order, after every exact name.
  const globs = [...aliases].filter(([a]) => a.includes('*')).map(([a, id]) => ({ glob: a, id, matches: globMatcher([a]) }))
  function lookup (model: string): { id: string, price: ModelPrice, glob?: string } | undefined {
    const bare = model.replace(VARIANT_SUFFIX, '').replace(DATE_SUFFIX, '')
    const alias = aliases.get(model) ?? aliases.get(bare)
    const exact = find(model) ?? find(bare) ?? (alias !== undefined ? find(alias) : undefined)
    if (exact) return exact
    for (const g of globs) {
      const hit = g.matches(model) || g.matches(bare) ? find(g.id) : undefined
      if (hit) return { ...hit, glob: g.glob }
    }
    return undefined
  }

  const fallbacks = new Map<string, { id: string, price: ModelPrice }>()
  for (const [provider, { like }] of Object.entries(overrides?.fallback ?? {})) {
    const hit = lookup(like)
    // A fallback must name a priced model: checked when the config is read (`unpricedFallbacks`).
    if (hit) fallbacks.set(provider, hit)
  }

  return {
    version,
    describe: () => ({ version, models: Object.fromEntries(models), aliases: Object.fromEntries(aliases) }),
    lookup,
    cost (model, usage, opts = {}) {
      const hit = (model ? lookup(model) : undefined) ?? (opts.requested ? lookup(opts.requested) : undefined)
      const at = opts.at ?? Date.now()
      if (hit) return { costPico: costOf(priceAt(hit.price, at), usage), pricedAs: hit.id, ...(hit.glob ? { billedBy: `pricing.aliases "${hit.glob}"` } : {}), version }
      const fallback = opts.provider !== undefined && (model || opts.requested) ? fallbacks.get(opts.provider) : undefined
      if (fallback) return { costPico: costOf(priceAt(fallback.price, at), usage), pricedAs: fallback.id, billedBy: 'pricing.fallback', version }
      return { costPico: null, pricedAs: null, version }
    },
    priced: (model, provider) => lookup(model) !== undefined || fallbacks.has(provider),
    list: () => [...models].map(([model, price]) => ({ model, price, from: origins.get(model)! })).sort((a, b) => a.model.localeCompare(b.model)),
  }
}

/** What each kind of token of a request costs, in pico-USD (the admin's request detail). */
export interface CostParts { input: bigint, output: bigint, cacheWrite5m: bigint, cacheWrite1h: bigint, cacheRead: bigint }

export function costParts (price: ModelPrice, u: Usage): CostParts {
  const prompt = (u.input ?? 0) + (u.cacheWrite5m ?? 0) + (u.cacheWrite1h ?? 0) + (u.cacheRead ?? 0)
  const p: Rates = price.longPrompt && prompt > price.longPrompt.thresholdTokens ? price.longPrompt : price
  // A table without explicit cache prices uses Anthropic's published multipliers of the input
  // price (1.25× and 2× for writes, 0.1× for reads); rounded to whole micro-USD per MTok.
  const cw5 = p.cacheWrite5m ?? Math.round(p.input * 1.25)
  const cw1 = p.cacheWrite1h ?? p.input * 2
  const cr = p.cacheRead ?? Math.round(p.input / 10)
  const t = (n: number | undefined, price: number) => BigInt(n ?? 0) * BigInt(price)
  return { input: t(u.input, p.input), output: t(u.output, p.output), cacheWrite5m: t(u.cacheWrite5m, cw5), cacheWrite1h: t(u.cacheWrite1h, cw1), cacheRead: t(u.cacheRead, cr) }
}

export function costOf (price: ModelPrice, u: Usage): bigint {
  const c = costParts(price, u)
  return c.input + c.output + c.cacheWrite5m + c.cacheWrite1h + c.cacheRead
}

/** Pico-USD as a dollar string rounded half-up to `digits` decimals. */
export function formatUsd (pico: bigint, digits = 6): string {
  const negative = pico < 0n
  const abs = negative ? -pico : pico
  const scale = 10n ** BigInt(12 - digits)
  const rounded = (abs + scale / 2n) / scale
  const s = rounded.toString().padStart(digits + 1, '0')
  return `${negative ? '-' : ''}$${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`
}

/** The `pricing.fallback` entries whose `like` names no priced model, as config problems. */
export function unpricedFallbacks (tables: PriceTable[], overrides: { models: Record<string, ModelPrice>, aliases: Record<string, string>, fallback?: PriceFallbacks }): string[] {
  const pricing = createPricing(tables, overrides)
  return Object.entries(overrides.fallback ?? {}).filter(([, { like }]) => !pricing.lookup(like)).map(([provider, { like }]) => `${provider}: ${like} has no price to bill by`)
}
