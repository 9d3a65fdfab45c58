// What the relay tells its operator about, before the users notice.

export type RelayEvent =
  | { type: 'account.rate_limited', account: string, provider: string, until: number, reason: string }
  | { type: 'account.unauthorized', account: string, provider: string, reason: string }
  | { type: 'account.disabled', account: string, provider: string, reason: string }
  | { type: 'account.recovered', account: string, provider: string }
  | { type: 'account.window_high', account: string, provider: string, window: string, utilisation: number, resetsAt?: number }
  | { type: 'key.budget_high', key: string, budget: string, used: string, limit: string, fraction: number }
  | { type: 'key.expired', key: string }
  | { type: 'relay.store_error', message: string }
  | { type: 'pricing.unpriced', provider: string, model: string }
  | { type: 'relay.test', by: string }

export type EventType = RelayEvent['type']

export const EVENT_TYPES: EventType[] = [
  'account.rate_limited', 'account.unauthorized', 'account.disabled', 'account.recovered', 'account.window_high',
  'key.budget_high', 'key.expired', 'relay.store_error', 'pricing.unpriced',
]

/** What the event is about: one message per subject per debounce window. */
export function subjectOf (e: RelayEvent): string {
  if ('account' in e) return `account:${e.account}`
  if ('key' in e) return `key:${e.key}:${e.type}`
  if (e.type === 'pricing.unpriced') return `pricing:${e.provider}:${e.model}`
  return e.type
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')

/** One line for people (chat targets, the e-mail subject). */
export function describe (e: RelayEvent): string {
  switch (e.type) {
    case 'account.rate_limited': return `Account ${e.account} (${e.provider}) is rate-limited until ${iso(e.until)}: ${e.reason}`
    case 'account.unauthorized': return `Account ${e.account} (${e.provider}) was refused by the provider and needs attention: ${e.reason}`
    case 'account.disabled': return `Account ${e.account} (${e.provider}) was disabled by the provider: ${e.reason}`
    case 'account.recovered': return `Account ${e.account} (${e.provider}) serves again`
    case 'account.window_high': return `Account ${e.account} (${e.provider}) has used ${Math.round(e.utilisation * 100)}% of its ${e.window} window${e.resetsAt ? ` (resets ${iso(e.resetsAt)})` : ''}`
    case 'key.budget_high': return `Key ${e.key} has used ${Math.round(e.fraction * 100)}% of its ${e.budget} budget (${e.used} of ${e.limit})`
    case 'key.expired': return `Key ${e.key} has expired`
    case 'relay.store_error': return `The relay cannot write to its store (usage is kept and retried): ${e.message}`
    case 'relay.test': return `A test notification, sent by ${e.by} from the admin console: this target works`
    case 'pricing.unpriced': return `The model ${e.model} (${e.provider}) was served with no price: its requests are recorded at no cost until it is priced (pricing.models, pricing.aliases or pricing.fallback)`
  }
}
