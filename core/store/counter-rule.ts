// The one rule for whether a counter's current use refuses the next request: a request limit
// at its count, a token or cost limit reached. Part of the store contract (every store applies
// it inside its atomic admission); forward auth's read-only check applies the same, so the two
// can never disagree.
import type { AdmissionVerdict, CounterLimit } from './store.ts'

export interface CounterUse {
  requests: number
  tokens: number
  costPico: bigint
}

export function counterRefusal (c: CounterLimit, use: CounterUse): Exclude<AdmissionVerdict, { ok: true }> | undefined {
  if (c.requests !== undefined && use.requests >= c.requests) return { ok: false, limit: 'counter', counter: c, what: 'requests', used: use.requests }
  if (c.tokens !== undefined && use.tokens >= c.tokens) return { ok: false, limit: 'counter', counter: c, what: 'tokens', used: use.tokens }
  if (c.costPico !== undefined && use.costPico >= c.costPico) return { ok: false, limit: 'counter', counter: c, what: 'cost', used: use.costPico }
  return undefined
}
