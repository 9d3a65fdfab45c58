// A key's history in the incumbent as usage rows here: one row per model (its all-time totals:
// tokens by kind with the 5-minute/1-hour cache-write split, request count, cost as the incumbent
// billed it), plus one row for totals older than its per-model records. Rows sit at the key's
// creation time and have fixed request ids, so a second import adds nothing. The incumbent's
// total cost also becomes spend toward the key's total budget here.
import { createHash } from 'node:crypto'
import type { UsageRecord } from '../../store/store.ts'
import type { CrsKey } from './crs-read.ts'
import { clip, FieldReader, newNotes, type RecordNotes } from './crs-values.ts'

// Bounds that keep every sum exact in a JS number (1,000 models × 1e12 < 2^53).
const MAX_TOKENS = 1e12
const MAX_REQUESTS = 1e12
const MAX_MODELS = 1000
/** A row's cost is pico-USD in a signed 64-bit column: at most ~$9.2M; history past it is a broken record. */
const MAX_COST_MICRO = 9_000_000 * 1e6
const PICO_PER_MICRO = 1_000_000n
const MAX_COST_MICRO_PICO = BigInt(MAX_COST_MICRO) * PICO_PER_MICRO

interface Totals { input: number, output: number, cacheWrite5m: number, cacheWrite1h: number, cacheRead: number, requests: number, costPico: bigint }

const ZERO: Totals = { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, requests: 0, costPico: 0n }
const COUNTS = ['input', 'output', 'cacheWrite5m', 'cacheWrite1h', 'cacheRead', 'requests'] as const

/** The incumbent's field names: per model, and in a key's all-time totals (which carry no cost). */
const PER_MODEL = { input: 'inputTokens', output: 'outputTokens', create: 'cacheCreateTokens', read: 'cacheReadTokens', oneHour: 'ephemeral1hTokens', requests: 'requests', costMicro: 'ratedCostMicro' }
const KEY_TOTALS = { input: 'totalInputTokens', output: 'totalOutputTokens', create: 'totalCacheCreateTokens', read: 'totalCacheReadTokens', oneHour: 'totalEphemeral1hTokens', requests: 'totalRequests' }

/** Which provider served a model: its price's plugin, else its name. */
export type ProviderOf = (model: string) => string

export function guessProvider (model: string): string {
  const m = model.toLowerCase()
  if (m.includes('gemini') || m.startsWith('gemma')) return 'gemini'
  if (/^(gpt|o\d|codex|chatgpt|text-embedding|davinci|babbage|whisper|tts|dall-e)/.test(m)) return 'openai'
  return 'claude'
}

/** One of the incumbent's usage hashes; what it could not read is noted, prefixed with `where`. */
function totalsOf (h: Record<string, string>, names: typeof KEY_TOTALS & { costMicro?: string }, notes: RecordNotes, where: string): Totals {
  const r = new FieldReader(h, newNotes())
  const n = (f: string, max = MAX_TOKENS) => r.num(f, { max, integer: true }) ?? 0
  const create = n(names.create)
  const oneHour = Math.min(n(names.oneHour), create)
  const micro = names.costMicro === undefined ? undefined : r.num(names.costMicro, { max: MAX_COST_MICRO })
  // Records older than the split carry only the sum: the rest of it is 5-minute writes.
  const out = {
    input: n(names.input), output: n(names.output), cacheWrite5m: Math.max(create - oneHour, 0), cacheWrite1h: oneHour, cacheRead: n(names.read),
    requests: n(names.requests, MAX_REQUESTS), costPico: microToPico(micro),
  }
  for (const w of r.notes.warnings) notes.warnings.push(`${where} ${w}`)
  return out
}

/** Micro-dollars, the finest the incumbent keeps a cost in, as pico-USD. */
function microToPico (micro: number | undefined): bigint {
  return micro === undefined ? 0n : BigInt(Math.round(micro)) * PICO_PER_MICRO
}

/** The incumbent's total in USD (a float it wrote as text), bounded like a row's cost, to the micro-dollar. */
function totalCostPico (usd: string | undefined, notes: RecordNotes, where: string): bigint {
  if (usd === undefined) return 0n
  const n = new FieldReader({ v: usd }, newNotes()).num('v', { max: MAX_COST_MICRO / 1e6 })
  if (n === undefined && usd !== '0' && usd !== '') notes.warnings.push(`${where}: "${clip(usd)}" not taken`)
  return microToPico(n === undefined ? undefined : n * 1e6)
}

export interface KeyHistory {
  rows: UsageRecord[]
  /** The incumbent's total spend of the key (toward a total budget). */
  costPico: bigint
  tokens: number
}

export function keyHistory (k: CrsKey, keyId: string, at: number, providerOf: ProviderOf, notes: RecordNotes): KeyHistory {
  const row = (id: string, model: string, provider: string, t: Totals, flags: string): UsageRecord => ({
    requestId: id, time: at, keyId, accountId: null, provider, model, path: '/import/claude-relay-service', stream: false, status: 200,
    usage: { input: t.input, output: t.output, cacheWrite5m: t.cacheWrite5m, cacheWrite1h: t.cacheWrite1h, cacheRead: t.cacheRead },
    costPico: t.costPico, unpriced: false, priceVersion: 'crs-import', latencyMs: 0, ttfbMs: null, partial: false, attempts: 0,
    accountsTried: [], clientKind: 'other', billable: true, flags, requests: t.requests,
  })
  const rows: UsageRecord[] = []
  const sum: Totals = { ...ZERO }
  for (const [rawModel, h] of [...k.usage.models].slice(0, MAX_MODELS)) {
    const model = clip(rawModel, 200)
    const t = totalsOf(h, PER_MODEL, notes, `usage of ${model}:`)
    for (const f of COUNTS) sum[f] += t[f]
    sum.costPico += t.costPico
    const digest = createHash('sha256').update(rawModel).digest('hex').slice(0, 16)
    rows.push(row(`crs-import-${k.id}-${digest}`, model, providerOf(model), t, `imported from claude-relay-service: ${t.requests} request(s) of ${model}`))
  }
  if (k.usage.models.size > MAX_MODELS) notes.warnings.push(`usage: ${k.usage.models.size - MAX_MODELS} models past the ${MAX_MODELS} read, counted in the older totals`)
  if (sum.costPico > MAX_COST_MICRO_PICO) {
    notes.warnings.push('usage: the per-model costs add up past what a row holds ($9M): imported without cost')
    for (const r of rows) r.costPico = 0n
    sum.costPico = 0n
  }
  // The key's totals are the whole history; what its per-model records do not cover is older.
  const totals = totalsOf(k.usage.totals, KEY_TOTALS, notes, 'usage totals:')
  const costPico = totalCostPico(k.usage.costTotal, notes, 'usage:cost:total')
  const rest: Totals = { ...ZERO, costPico: costPico > sum.costPico ? costPico - sum.costPico : 0n }
  for (const f of COUNTS) rest[f] = Math.max(totals[f] - sum[f], 0)
  if (COUNTS.some(f => rest[f] > 0) || rest.costPico > 0n) {
    rows.push(row(`crs-import-${k.id}`, 'imported-from-crs', 'claude', rest, `imported from claude-relay-service: ${rest.requests} request(s) older than its per-model records`))
  }
  const total = costPico > sum.costPico ? costPico : sum.costPico
  return { rows, costPico: total, tokens: Math.max(totals.input + totals.output, sum.input + sum.output) }
}
