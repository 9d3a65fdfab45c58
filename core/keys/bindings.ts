// A key's bindings: per provider, the one account or the group of accounts it draws from.
// A provider without a binding uses that provider's shared pool. `*` stands for every provider
// without a binding of its own: the single binding keys had before bindings were per provider
// (`account:`/`group:` in the config, `--account`/`--group`) means `*`, so a key bound that way
// behaves exactly as it did (a request for another provider than the account's finds none).
import { NAME_PATTERN } from '../ids.ts'
import { EVERY_PROVIDER, legacyBindings, type Binding, type KeyBindings } from '../store/key-bindings.ts'

export { EVERY_PROVIDER, legacyBindings, type Binding, type KeyBindings }

/** A provider name in a binding (a plugin's provider, or `*`). */
export const BINDING_PROVIDER_PATTERN = '^(\\*|[a-z][a-z0-9-]{0,31})$'

const namePattern = { type: 'string', pattern: NAME_PATTERN } as const

/** One binding in JSON Schema (config, admin API). */
export const bindingSchema = {
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['account'], properties: { account: namePattern } },
    { type: 'object', additionalProperties: false, required: ['group'], properties: { group: namePattern } },
  ],
} as const

/** `bindings:` in JSON Schema (config). */
export const bindingsSchema = {
  type: 'object',
  maxProperties: 16,
  propertyNames: { pattern: BINDING_PROVIDER_PATTERN },
  additionalProperties: bindingSchema,
} as const

/** A change to bindings (admin API): null removes a provider's binding. */
export const bindingsChangeSchema = {
  type: 'object',
  maxProperties: 16,
  propertyNames: { pattern: BINDING_PROVIDER_PATTERN },
  additionalProperties: { anyOf: [bindingSchema, { type: 'null' }] },
} as const

/** The binding that applies to a request for `provider`. */
export function bindingFor (bindings: KeyBindings, provider: string): Binding | undefined {
  return Object.hasOwn(bindings, provider) ? bindings[provider] : Object.hasOwn(bindings, EVERY_PROVIDER) ? bindings[EVERY_PROVIDER] : undefined
}

/** The names of the accounts some binding names (they leave the shared pool). */
export function boundAccounts (bindings: KeyBindings): string[] {
  return Object.values(bindings).flatMap(b => ('account' in b ? [b.account] : []))
}

export function describeBinding (b: Binding): string {
  return 'account' in b ? `account ${b.account}` : `group ${b.group}`
}

/** `claude: account A; openai: group G`, `every provider: group G`, or `shared pool`. */
export function describeBindings (bindings: KeyBindings): string {
  const entries = Object.entries(bindings).sort(([a], [b]) => (a === EVERY_PROVIDER ? 1 : b === EVERY_PROVIDER ? -1 : a.localeCompare(b)))
  if (entries.length === 0) return 'shared pool'
  return entries.map(([p, b]) => `${p === EVERY_PROVIDER ? (entries.length > 1 ? 'other providers' : 'every provider') : p}: ${describeBinding(b)}`).join('; ')
}

/** `bindings` merged with a change: a binding replaces the provider's, null removes it. */
export function mergeBindings (bindings: KeyBindings, change: Readonly<Record<string, Binding | null>>): KeyBindings {
  const next: Record<string, Binding> = Object.assign(Object.create(null) as Record<string, Binding>, bindings)
  for (const [provider, b] of Object.entries(change)) {
    if (b === null) delete next[provider]
    else next[provider] = 'account' in b ? { account: b.account } : { group: b.group }
  }
  // A plain object again: it is stored as JSON and compared.
  return Object.fromEntries(Object.entries(next).sort(([a], [b]) => a.localeCompare(b)))
}

/**
 * One `--bind` value: `PROVIDER=account:NAME`, `PROVIDER=group:NAME` or `PROVIDER=pool` (the
 * shared pool: the binding goes). Returns the provider and the binding, or a reason.
 */
export function parseBindSpec (spec: string): { provider: string, binding: Binding | null } | string {
  const m = /^([^=]+)=(?:(account|group):(.+)|(pool|none))$/.exec(spec)
  if (!m) return `"${spec}" is not PROVIDER=account:NAME, PROVIDER=group:NAME or PROVIDER=pool`
  const provider = m[1]!
  if (!new RegExp(BINDING_PROVIDER_PATTERN).test(provider)) return `"${provider}" is not a provider name (or * for every provider)`
  if (m[4]) return { provider, binding: null }
  const name = m[3]!
  if (!new RegExp(NAME_PATTERN).test(name)) return `"${name}" is not a valid ${m[2]} name`
  return { provider, binding: m[2] === 'account' ? { account: name } : { group: name } }
}
