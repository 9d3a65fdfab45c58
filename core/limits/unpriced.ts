// A key with a spending limit is never served a model the relay cannot price: its spend would
// not grow and the limit would never bind (Codex's and Gemini CLI's newest default models were
// billed $0 this way). Such a request is refused, naming the model, unless the operator set a
// fallback rate for its provider (`pricing.fallback`). Keys without a cost limit are served,
// and the request is recorded as unpriced.
import { errors, type RelayError } from '../errors.ts'
import type { KeyPolicy } from './policy-schema.ts'
import type { Pricing } from '../metering/pricing.ts'

export function hasCostLimit (policy: KeyPolicy): boolean {
  const b = policy.budgets
  return (b !== undefined && (b.dailyUsd !== undefined || b.weeklyUsd !== undefined || b.monthlyUsd !== undefined || b.totalUsd !== undefined || (b.models?.length ?? 0) > 0)) ||
    (policy.rateLimits ?? []).some(w => w.costUsd !== undefined)
}

/** Throws the refusal when `model` has no price and the key has a cost limit. */
export function checkPriced (policy: KeyPolicy, provider: string, model: string | undefined, pricing: Pricing): void {
  if (model === undefined || !hasCostLimit(policy) || pricing.priced(model, provider)) return
  throw new errors.RELAY_ERR_MODEL_UNPRICED(model) as RelayError
}
