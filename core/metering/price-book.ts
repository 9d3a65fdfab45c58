// The price table in force, composed from its layers in their order of precedence: the plugins'
// shipped tables, then the config's `pricing.file`, then each live source's last good copy (in
// the config's order), then the config's own `pricing.models`. A later layer wins per model (but
// no plugin over another: the first to price a model does); a model a layer does not name keeps
// the price an earlier one gives, so a source that drops a model leaves it priced by the plugin,
// not free.
import { createPricing, type PriceEntry, type Pricing } from './pricing.ts'
import type { ModelPrice, PriceTable } from './price-table.ts'
import type { SourceCopy } from './price-source.ts'
import type { RelayConfig } from '../config/schema.ts'

export interface PriceInputs {
  plugins: PriceTable[]
  file?: PriceTable
  /** Each source's copy in force (none until its first good fetch). */
  sources: Array<{ label: string, copy: SourceCopy | undefined }>
  config: RelayConfig['pricing']
}

export function composePricing (inputs: PriceInputs): Pricing {
  const sourceTables = inputs.sources.flatMap(s => (s.copy ? [{ ...s.copy.table, origin: `source ${s.label}` }] : []))
  return createPricing([...firstPluginWins(inputs.plugins), ...(inputs.file ? [inputs.file] : []), ...sourceTables], inputs.config)
}

/**
 * Plugins do not reprice each other's models: a reseller (Factory's droid plugin ships the
 * Claude and OpenAI tables) prices only what no earlier plugin does, so the vendor's own table
 * stays the origin, and a table left with nothing is not a layer (nor part of the version).
 */
function firstPluginWins (tables: PriceTable[]): PriceTable[] {
  const priced = new Set<string>()
  const out: PriceTable[] = []
  for (const t of tables) {
    const models = Object.fromEntries(Object.entries(t.models).filter(([id]) => !priced.has(id)))
    for (const id of Object.keys(t.models)) priced.add(id)
    if (Object.keys(models).length > 0) out.push({ ...t, models })
  }
  return out
}

export interface PriceDiff {
  added: PriceEntry[]
  changed: Array<{ model: string, before: PriceEntry, after: PriceEntry }>
  removed: PriceEntry[]
}

/** What a new table changes, model by model (a moved origin with the same rates is no change). */
export function diffPricing (before: Pricing, after: Pricing): PriceDiff {
  const old = new Map(before.list().map(e => [e.model, e]))
  const now = new Map(after.list().map(e => [e.model, e]))
  const diff: PriceDiff = { added: [], changed: [], removed: [] }
  for (const [model, e] of now) {
    const was = old.get(model)
    if (!was) diff.added.push(e)
    else if (!samePrice(was.price, e.price)) diff.changed.push({ model, before: was, after: e })
  }
  for (const [model, e] of old) if (!now.has(model)) diff.removed.push(e)
  return diff
}

function samePrice (a: ModelPrice, b: ModelPrice): boolean {
  return JSON.stringify(normal(a)) === JSON.stringify(normal(b))
}

/** Key order is not meaning: compared with sorted keys, at every depth. */
function normal (v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normal)
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map(k => [k, normal((v as Record<string, unknown>)[k])]))
  return v
}

/** $ per million tokens, as a price page writes it: 2500000 µUSD/MTok → "$2.50". */
export function perMTok (micros: number | undefined): string {
  if (micros === undefined) return '-'
  const whole = Math.trunc(micros / 1_000_000)
  const frac = String(micros % 1_000_000).padStart(6, '0').replace(/0+$/, '').padEnd(2, '0')
  return `$${whole}.${frac}`
}

/** One line per rate: "in $2.00 · out $10.00 · cache read $0.10". */
export function describeRates (p: ModelPrice): string {
  const parts = [`in ${perMTok(p.input)}`, `out ${perMTok(p.output)}`]
  if (p.cacheRead !== undefined) parts.push(`cache read ${perMTok(p.cacheRead)}`)
  if (p.cacheWrite5m !== undefined) parts.push(`cache write ${perMTok(p.cacheWrite5m)}`)
  if (p.longPrompt) parts.push(`over ${p.longPrompt.thresholdTokens} tokens: in ${perMTok(p.longPrompt.input)} out ${perMTok(p.longPrompt.output)}`)
  if (p.changes?.length) parts.push(...p.changes.map(c => `from ${c.from}: in ${perMTok(c.input)} out ${perMTok(c.output)}`))
  return parts.join(' · ')
}

/** The diff as lines for a person: "+ model  rates", "~ model  old → new", "- model  old". */
export function diffLines (diff: PriceDiff): string[] {
  return [
    ...diff.added.map(e => `+ ${e.model}  ${describeRates(e.price)}  (${e.from})`),
    ...diff.changed.map(c => `~ ${c.model}  ${describeRates(c.before.price)}  →  ${describeRates(c.after.price)}  (${c.after.from})`),
    ...diff.removed.map(e => `- ${e.model}  ${describeRates(e.price)}  (was ${e.from})`),
  ]
}
