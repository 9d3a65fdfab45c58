// The incumbent's API keys as this relay's: the key as it hashed it (holders keep their `cr_…`),
// limits and permissions as a policy checked by the policy schema, client restrictions, and its
// bindings per provider. Every other field is mapped or named in the notes (lost or dropped).
import type { Binding } from '../../keys/bindings.ts'
import type { ClientKind } from '../../plugin-api.ts'
import type { KeyPolicy } from '../../limits/policy-schema.ts'
import { validatePolicy } from '../keys.ts'
import type { CrsGroup, CrsKey } from './crs-read.ts'
import { ACCOUNT_KINDS } from './crs-read.ts'
import { accountOrigin } from './crs-accounts.ts'
import { clip, FieldReader, newNotes, type RecordNotes } from './crs-values.ts'
import { crsGroupName } from './crs-names.ts'

export const keyOrigin = (id: string) => `crs:apikey:${id}`

/** The incumbent's client ids (src/validators/clientDefinitions.js) and the client kinds here. */
export const CLIENT_KINDS: Readonly<Record<string, ClientKind>> = {
  claude_code: 'claude-code',
  codex_cli: 'codex-cli',
  gemini_cli: 'gemini-cli',
  droid_cli: 'droid-cli',
}

// Its Azure OpenAI accounts are OpenAI accounts here (`azure-openai`), its Bedrock ones Claude's:
// the permission is that API's.
const PROVIDERS: Readonly<Record<string, string>> = { claude: 'claude', openai: 'openai', gemini: 'gemini', azure: 'openai', azure_openai: 'openai', bedrock: 'claude', ccr: 'claude', droid: 'droid' }

export interface MappedKey {
  origin: string
  crsId: string
  wantedName: string
  hash: string
  disabled: boolean
  expiresAt: number | null
  createdAt: number
  policy: KeyPolicy
  bindings: Record<string, Binding>
  /** Why the key is imported only with --allow-lossy (a restriction that would be lost opens it). */
  refused: string | null
  notes: RecordNotes
}

/** What a binding field of the incumbent may name, resolved by the plan. */
export interface BindingTargets {
  /** This relay's name of the imported account with this origin, if it was imported. */
  account (origin: string): string | undefined
  group (id: string): CrsGroup | undefined
}

const MAX_USD = 1e9

/** The incumbent's limits, permissions and restrictions as a policy; what cannot be carried is noted. */
function policyOf (r: FieldReader, notes: RecordNotes): { policy: KeyPolicy, refused: string | null, expiresAt: number | null, closed: boolean } {
  const policy: KeyPolicy = {}
  let refused: string | null = null
  // A restriction none of whose values exists here: the key is imported disabled, not open.
  let closed = false
  const concurrency = r.num('concurrencyLimit', { min: 1, max: 100_000, integer: true })
  if (concurrency) policy.concurrency = concurrency
  const window = r.num('rateLimitWindow', { min: 1, max: 525_600, integer: true })
  const requests = r.num('rateLimitRequests', { min: 1, max: 1e9, integer: true })
  const tokens = r.num('rateLimitTokens', { min: 1, max: 1e15, integer: true })
  const costUsd = r.num('rateLimitCost', { max: MAX_USD })
  if (window && (requests || tokens || costUsd)) {
    policy.rateLimits = [{ window: `${window}m`, ...(requests ? { requests } : {}), ...(tokens ? { tokens } : {}), ...(costUsd ? { costUsd } : {}) } as NonNullable<KeyPolicy['rateLimits']>[number]]
  }
  const budgets: NonNullable<KeyPolicy['budgets']> = {}
  const daily = r.num('dailyCostLimit', { max: MAX_USD })
  const total = r.num('totalCostLimit', { max: MAX_USD })
  const opus = r.num('weeklyOpusCostLimit', { max: MAX_USD })
  if (daily) budgets.dailyUsd = daily
  if (total) budgets.totalUsd = total
  if (opus) {
    budgets.models = [{ models: 'claude-opus-*', period: 'week', usd: opus }]
    const day = r.num('weeklyResetDay', { min: 1, max: 7, integer: true }) ?? 1
    const hour = r.num('weeklyResetHour', { max: 23, integer: true, zero: true }) ?? 0
    if (day !== 1 || hour !== 0) notes.lost.push(`weeklyResetDay/weeklyResetHour (day ${day}, ${hour}:00): weeks start on Monday at 00:00 in limits.timeZone here`)
  }
  if (Object.keys(budgets).length > 0) policy.budgets = budgets
  if (r.num('tokenLimit', { max: 1e15 })) notes.dropped.push('tokenLimit (the incumbent no longer enforces it)')

  // Permissions: a JSON list, `all`, or a comma list of old.
  const raw = r.str('permissions')
  let permissions: string[] = []
  if (raw !== undefined && raw !== 'all') permissions = raw.startsWith('[') ? (r.strings('permissions') ?? []) : raw.split(',').map(s => s.trim()).filter(Boolean).slice(0, 100)
  if (permissions.length > 0) {
    const mapped = [...new Set(permissions.flatMap(p => (PROVIDERS[p] ? [PROVIDERS[p]] : [])))]
    const others = permissions.filter(p => !PROVIDERS[p])
    if (others.length > 0) notes.lost.push(`permissions: ${others.map(p => clip(p, 20)).join(', ')}: no such provider here`)
    // Only providers this relay has were allowed: the key may use those (none left: it may use none).
    if (mapped.length > 0) policy.providers = mapped
    else {
      closed = true
      notes.lost.push('permissions: none of its services exists here: the key is imported disabled')
    }
  }

  if (r.bool('enableModelRestriction')) {
    const models = r.strings('restrictedModels')
    if (models && models.length > 0) policy.models = { deny: models }
  }
  if (r.bool('enableClientRestriction')) {
    const clients = r.strings('allowedClients') ?? []
    const mapped = [...new Set(clients.flatMap(c => (Object.hasOwn(CLIENT_KINDS, c) ? [CLIENT_KINDS[c]!] : [])))]
    const unknown = clients.filter(c => !Object.hasOwn(CLIENT_KINDS, c))
    if (unknown.length > 0) {
      notes.lost.push(`allowedClients: ${unknown.map(c => clip(c, 30)).join(', ')}: no such client here`)
      refused = `its client restriction (${unknown.map(c => clip(c, 30)).join(', ')}) cannot be carried: it would answer clients the incumbent refused`
    }
    if (mapped.length > 0) policy.clients = mapped
    else if (clients.length > 0) {
      closed = true
      notes.lost.push('allowedClients: none of its clients exists here: the key is imported disabled')
    }
  }

  let expiresAt = r.time('expiresAt') ?? null
  if (r.str('expirationMode') === 'activation') {
    // Not yet used there: its lifetime starts at its first use here. Used there: its end is fixed.
    if (r.bool('isActivated') !== true || expiresAt === null) {
      expiresAt = null
      const n = r.num('activationDays', { min: 1, max: 100_000, integer: true })
      if (n) policy.validFor = `${n}${r.str('activationUnit') === 'hours' ? 'h' : 'd'}`
    }
  }
  const tags = r.strings('tags')
  if (tags && tags.length > 0) policy.tags = tags.slice(0, 16)
  if (tags && tags.length > 16) notes.warnings.push(`tags: ${tags.length - 16} past the 16 kept`)

  const rates = r.json('serviceRates')
  if (rates && typeof rates === 'object' && Object.keys(rates).length > 0) notes.lost.push('serviceRates: per-key price multipliers; this relay bills every key at the price table')
  if (r.bool('enableOpenAIResponsesPayloadRules')) notes.lost.push('openaiResponsesPayloadRules: request rewriting rules have no counterpart')
  for (const f of ['description', 'icon', 'userId', 'userUsername', 'createdBy']) if (r.str(f) && !(f === 'createdBy' && r.str(f) === 'admin')) notes.dropped.push(f)
  return { policy: checked(policy, notes), refused, expiresAt, closed }
}

/** The policy as the policy schema takes it: a field it refuses is dropped with a warning. */
function checked (policy: KeyPolicy, notes: RecordNotes): KeyPolicy {
  const out: Record<string, unknown> = { ...policy }
  for (let i = 0; i < 20 && !validatePolicy(out); i++) {
    const field = validatePolicy.errors?.[0]?.instancePath.split('/')[1]
    if (!field || !(field in out)) break
    notes.warnings.push(`${field}: ${validatePolicy.errors![0]!.message ?? 'refused'}`)
    delete out[field]
  }
  return out as KeyPolicy
}

/** The binding fields of a key, per provider. */
function bindingsOf (r: FieldReader, targets: BindingTargets, notes: RecordNotes): Record<string, Binding> {
  const out: Record<string, Binding> = {}
  const bind = (field: string, provider: string, value: string) => {
    if (out[provider]) {
      notes.dropped.push(`${field}: the incumbent uses the ${provider} binding before it (${describe(out[provider]!)})`)
      return
    }
    if (value.startsWith('group:')) {
      const g = targets.group(value.slice(6))
      if (!g) notes.lost.push(`${field}: its group no longer exists there`)
      else out[provider] = { group: crsGroupName(g) }
      return
    }
    // The incumbent prefixes the kind of account it binds (`responses:<id>`, `api:<id>`).
    const kind = ACCOUNT_KINDS.find(k => k.platform === provider && (k.bindingPrefix ? value.startsWith(k.bindingPrefix) : kindOfField(field) === k.prefix))
    const name = kind ? targets.account(accountOrigin(kind, value.slice(kind.bindingPrefix.length))) : undefined
    if (name) out[provider] = { account: name }
    else notes.lost.push(`${field}: bound there to ${clip(value, 50)}, an account ${kind ? 'that was not imported' : 'of a kind this relay cannot take'}; here the key uses the ${provider} shared pool`)
  }
  for (const [field, provider] of [['claudeAccountId', 'claude'], ['claudeConsoleAccountId', 'claude'], ['openaiAccountId', 'openai'], ['geminiAccountId', 'gemini'], ['droidAccountId', 'droid']] as const) {
    const v = r.str(field)
    if (v) bind(field, provider, v)
  }
  // An Azure account serves the OpenAI API here, a Bedrock or CCR one the Claude API: the binding
  // is the key's binding for that API, unless it has one already.
  for (const [field, provider] of [['azureOpenaiAccountId', 'openai'], ['bedrockAccountId', 'claude'], ['ccrAccountId', 'claude']] as const) {
    const v = r.str(field)
    const already = out[provider]
    if (v && already) notes.lost.push(`${field}: the key is bound to ${describe(already)} for the ${provider} API here; this account is not bound`)
    else if (v) bind(field, provider, v)
  }
  return out
}

/** Unprefixed ids in these fields name accounts of these kinds. */
function kindOfField (field: string): string | undefined {
  return field === 'claudeAccountId' ? 'claude:account:' : field === 'claudeConsoleAccountId' ? 'claude_console_account:' : field === 'geminiAccountId' ? 'gemini_account:' : field === 'azureOpenaiAccountId' ? 'azure_openai:account:' : field === 'bedrockAccountId' ? 'bedrock_account:' : field === 'droidAccountId' ? 'droid:account:' : field === 'ccrAccountId' ? 'ccr_account:' : undefined
}

const describe = (b: Binding) => ('account' in b ? `account ${b.account}` : `group ${b.group}`)

/** One key of the incumbent mapped; undefined for what it deleted. A string: why it cannot be imported. */
export function mapKey (k: CrsKey, targets: BindingTargets, now: number): MappedKey | { skip: string, notes: RecordNotes } | undefined {
  const notes = newNotes()
  const r = new FieldReader(k.h, notes)
  if (r.bool('isDeleted')) return undefined
  const hash = r.str('apiKey')
  if (!hash || !/^[0-9a-f]{64}$/.test(hash)) return { skip: 'no key hash', notes }
  const { policy, refused, expiresAt, closed } = policyOf(r, notes)
  return {
    origin: keyOrigin(k.id), crsId: k.id, wantedName: r.str('name') ?? k.id, hash, disabled: r.bool('isActive') === false || closed,
    expiresAt, createdAt: Math.min(r.time('createdAt') ?? now, now), policy, bindings: bindingsOf(r, targets, notes), refused, notes,
  }
}
