// What every bridge's request reader shares: a refusal that names the field and says what to
// change (thrown inside a translation, returned as its result), and the checks of plain values.

export class Refused extends Error {}

export const refuse = (message: string): never => { throw new Refused(message) }

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** A number within bounds, or undefined when absent; anything else is refused, naming the field. */
export function number (v: unknown, name: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) return refuse(`${name}: must be a number from ${min} to ${max}`)
  return v
}

/** A tool call's arguments (a JSON string) as the object they encode. */
export function argumentsObject (raw: unknown, where: string): Record<string, unknown> {
  if (typeof raw !== 'string') return refuse(`${where}.function.arguments: must be a JSON string`)
  try {
    const v = JSON.parse(raw === '' ? '{}' : raw) as unknown
    return isObject(v) ? v : refuse(`${where}.function.arguments: must encode a JSON object`)
  } catch {
    return refuse(`${where}.function.arguments: is not valid JSON`)
  }
}

/** Chat Completions settings a single-answer provider cannot honour: refused unless left at their default. */
export function refuseUnsupported (body: Record<string, unknown>): void {
  if (body.n !== undefined && body.n !== null && body.n !== 1) refuse('n: only 1 is supported for this model')
  for (const name of ['logprobs', 'top_logprobs', 'logit_bias', 'presence_penalty', 'frequency_penalty', 'seed']) {
    const v = body[name]
    if (v !== undefined && v !== null && v !== false && v !== 0 && !(isObject(v) && Object.keys(v).length === 0)) refuse(`${name}: is not supported for this model`)
  }
}

/** A count from a provider's body: a non-negative safe integer, else 0 (never NaN into money). */
export const count = (n: unknown): number => (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : 0)
