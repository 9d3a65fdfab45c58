// The one rule for whether a counter's current use refuses the next request: a request limit
// at its count, a token or cost limit reached. Shared by the store's atomic admission and the
// read-only check of forward auth, so the two can never disagree.
import type { AdmissionVerdict, CounterLimit } from '../store/store.ts'

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
