// A key's limits with their current use and reset times: what `ai-relay keys show` prints and
// what the admin API will serve.
import type { KeyRecord, Store } from '../store/store.ts'
import { policyCounters } from './admission.ts'
import { durationMs } from './periods.ts'
import { formatMoney } from './money.ts'
import { describeBindings, type KeyBindings } from '../keys/bindings.ts'

export interface LimitUse {
  /** e.g. `rate 1m requests`, `budget week`, `budget week claude-opus-*`, `concurrency`. */
  limit: string
  used: number | string
  max: number | string
  resetsAt: string | null
}

export interface KeyUsageReport {
  id: string
  name: string
  state: 'active' | 'disabled' | 'expired'
  expiresAt: string | null
  activatedAt: string | null
  /** The bindings in words (`claude: account A; openai: group G`, `shared pool`). */
  boundTo: string
  bindings: KeyBindings
  providers: string[] | null
  models: { allow?: string[], deny?: string[] } | null
  clients: string[] | null
  tags: string[]
  limits: LimitUse[]
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString())

/** `activations`: every key's first use, when the caller has read them already (a page of keys). */
export async function keyUsageReport (key: KeyRecord, store: Store, zone: string, now: number, activations?: Map<string, number>): Promise<KeyUsageReport> {
  const p = key.policy
  const activatedAt = (activations ?? await store.activations()).get(key.id) ?? null
  const ends = [key.expiresAt, p.validFor !== undefined && activatedAt !== null ? activatedAt + durationMs(p.validFor) : null].filter((x): x is number => x !== null)
  const expiresAt = ends.length > 0 ? Math.min(...ends) : null
  const limits: LimitUse[] = []
  if (p.concurrency !== undefined) limits.push({ limit: 'concurrency', used: await store.activeLeases(key.id, now), max: p.concurrency, resetsAt: null })
  const counters = policyCounters(p, now, zone, undefined, true)
  const values = await store.readCounters(key.id, counters)
  counters.forEach((c, i) => {
    const v = values[i]!
    const name = c.id.startsWith('rate:') ? `rate ${c.id.slice(5)}` : `budget ${c.id.split(':').slice(1).reverse().join(' ').replace(/ model$/, '')}`
    const resetsAt = iso(c.end)
    if (c.requests !== undefined) limits.push({ limit: `${name} requests`, used: v.requests, max: c.requests, resetsAt })
    if (c.tokens !== undefined) limits.push({ limit: `${name} tokens`, used: v.tokens, max: c.tokens, resetsAt })
    if (c.costPico !== undefined) limits.push({ limit: c.id.startsWith('rate:') ? `${name} cost` : name, used: formatMoney(v.costPico), max: formatMoney(c.costPico), resetsAt })
  })
  return {
    id: key.id,
    name: key.name,
    state: key.disabled ? 'disabled' : expiresAt !== null && expiresAt <= now ? 'expired' : 'active',
    expiresAt: iso(expiresAt),
    activatedAt: iso(activatedAt),
    boundTo: describeBindings(key.bindings),
    bindings: key.bindings,
    providers: p.providers ?? null,
    models: p.models ?? null,
    clients: p.clients ?? null,
    tags: p.tags ?? [],
    limits,
  }
}
