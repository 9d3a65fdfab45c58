// A key's policy as a form and back: every field of the policy schema (concurrency, rate windows,
// budgets by period and per model, models allowed and denied, clients, providers, expiry or a
// lifetime from first use, tags). The server checks the result with the same schema; its
// errors come back by JSON path and are shown at the field (`fieldOf`).
import { html, nothing, type TemplateResult } from 'lit'
import { msg } from '@lit/localize'

/** The policy as the admin API sends and takes it (core/limits/policy-schema.ts). */
export interface Policy {
  concurrency?: number
  rateLimits?: { window: string, requests?: number, tokens?: number, costUsd?: number }[]
  budgets?: { dailyUsd?: number, weeklyUsd?: number, monthlyUsd?: number, totalUsd?: number, models?: { models: string, period: string, usd: number }[] }
  models?: { allow?: string[], deny?: string[] }
  clients?: string[]
  providers?: string[]
  validFor?: string
  tags?: string[]
}

export const CLIENT_KINDS = ['claude-code', 'codex-cli', 'gemini-cli', 'droid-cli', 'sdk', 'other'] as const
const PERIODS = ['day', 'week', 'month', 'total'] as const
const BUDGETS = ['dailyUsd', 'weeklyUsd', 'monthlyUsd', 'totalUsd'] as const

/** Reads one named value of the form ('' when absent). */
export type Read = (name: string) => string
/** Whether a checkbox of the form is checked. */
export type Checked = (name: string, value: string) => boolean

const num = (v: string): number | undefined => (v.trim() === '' ? undefined : Number(v))
const lines = (v: string): string[] => v.split(/[\n,]/).map(s => s.trim()).filter(Boolean)

/**
 * The policy and expiry a filled form asks for. Empty fields are left out; numbers are sent as
 * typed (a wrong one is the server's to refuse, at its field). `rows` and `modelRows` say how
 * many window and per-model budget rows the form has.
 */
export function policyFromForm (read: Read, checked: Checked, rows: number, modelRows: number, providers: readonly string[]): { policy: Policy, expiresAt: string | null } {
  const policy: Policy = {}
  const concurrency = num(read('concurrency'))
  if (concurrency !== undefined) policy.concurrency = concurrency
  const windows: NonNullable<Policy['rateLimits']> = []
  for (let i = 0; i < rows; i++) {
    const window = read(`rate.${i}.window`).trim()
    const w = { requests: num(read(`rate.${i}.requests`)), tokens: num(read(`rate.${i}.tokens`)), costUsd: num(read(`rate.${i}.costUsd`)) }
    if (window === '' && w.requests === undefined && w.tokens === undefined && w.costUsd === undefined) continue
    windows.push({ window, ...Object.fromEntries(Object.entries(w).filter(([, v]) => v !== undefined)) })
  }
  if (windows.length > 0) policy.rateLimits = windows
  const budgets: NonNullable<Policy['budgets']> = {}
  for (const b of BUDGETS) {
    const v = num(read(`budget.${b}`))
    if (v !== undefined) budgets[b] = v
  }
  const perModel: NonNullable<NonNullable<Policy['budgets']>['models']> = []
  for (let i = 0; i < modelRows; i++) {
    const models = read(`mbudget.${i}.models`).trim()
    const usd = num(read(`mbudget.${i}.usd`))
    if (models === '' && usd === undefined) continue
    perModel.push({ models, period: read(`mbudget.${i}.period`) || 'day', usd: usd ?? Number.NaN })
  }
  if (perModel.length > 0) budgets.models = perModel
  if (Object.keys(budgets).length > 0) policy.budgets = budgets
  const allow = lines(read('models.allow'))
  const deny = lines(read('models.deny'))
  if (allow.length > 0 || deny.length > 0) policy.models = { ...(allow.length > 0 ? { allow } : {}), ...(deny.length > 0 ? { deny } : {}) }
  const clients = CLIENT_KINDS.filter(c => checked('clients', c))
  if (clients.length > 0) policy.clients = clients
  const chosen = providers.filter(p => checked('providers', p))
  if (chosen.length > 0) policy.providers = chosen
  const validFor = read('validFor').trim()
  if (validFor) policy.validFor = validFor
  const tags = lines(read('tags'))
  if (tags.length > 0) policy.tags = tags
  const expires = read('expiresAt').trim()
  return { policy, expiresAt: expires ? new Date(expires).toISOString() : null }
}

/** The form field a server error's JSON path points at (`/policy/rateLimits/0/window` → `rate.0.window`). */
export function fieldOf (path: string): string {
  const p = path.replace(/^\/policy/, '').split('/').filter(Boolean)
  if (p[0] === 'rateLimits') return `rate.${p[1] ?? 0}.${p[2] ?? 'window'}`
  if (p[0] === 'budgets' && p[1] === 'models') return `mbudget.${p[2] ?? 0}.${p[3] ?? 'models'}`
  if (p[0] === 'budgets') return p[1] ? `budget.${p[1]}` : 'budget.dailyUsd'
  if (p[0] === 'models') return `models.${p[1] ?? 'allow'}`
  if (p[0] === 'expiresAt' || path === '/expiresAt') return 'expiresAt'
  return p[0] ?? ''
}

/** `yyyy-mm-ddThh:mm` in local time, for a datetime-local input. */
function localInput (iso: string | null): string {
  if (!iso) return ''
  const d = new Date(iso)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

export interface FormView {
  policy: Policy
  expiresAt: string | null
  providers: readonly string[]
  rows: number
  modelRows: number
  /** Field name → the server's message. */
  errors: ReadonlyMap<string, string>
}

/** The fields, each labelled, with the server's error beside it. */
export function renderPolicyFields (v: FormView, addRow: () => void, addModelRow: () => void): TemplateResult {
  const err = (name: string) => v.errors.get(name)
  const id = (name: string) => `f-${name.replace(/\./g, '-')}`
  const problem = (name: string) => (err(name) ? html`<span class="error" id=${`${id(name)}-error`} role="alert">${err(name)}</span>` : nothing)
  const input = (name: string, label: string, value: unknown, attrs: { type?: string, step?: string, placeholder?: string } = {}) => html`<label>${label}
    <input name=${name} id=${id(name)} type=${attrs.type ?? 'text'} step=${attrs.step ?? nothing} placeholder=${attrs.placeholder ?? nothing}
      .value=${value === undefined || value === null ? '' : String(value)} aria-invalid=${err(name) ? 'true' : 'false'} aria-describedby=${err(name) ? `${id(name)}-error` : nothing}>${problem(name)}</label>`
  const area = (name: string, label: string, value: string[] | undefined) => html`<label>${label}
    <textarea name=${name} rows="2" .value=${(value ?? []).join('\n')} aria-invalid=${err(name) ? 'true' : 'false'}></textarea>${problem(name)}</label>`
  const windows = v.policy.rateLimits ?? []
  const perModel = v.policy.budgets?.models ?? []
  return html`
    <fieldset><legend>${msg('Concurrency and rate windows', { id: 'policy.rates' })}</legend>
      ${input('concurrency', msg('Requests in flight at once', { id: 'policy.concurrency' }), v.policy.concurrency, { type: 'number' })}
      ${Array.from({ length: v.rows }, (_, i) => html`<div class="row">
        ${input(`rate.${i}.window`, msg('Window (1m, 5h, 1d)', { id: 'policy.window' }), windows[i]?.window)}
        ${input(`rate.${i}.requests`, msg('Requests', { id: 'usage.requests' }), windows[i]?.requests, { type: 'number' })}
        ${input(`rate.${i}.tokens`, msg('Tokens', { id: 'usage.tokens' }), windows[i]?.tokens, { type: 'number' })}
        ${input(`rate.${i}.costUsd`, msg('Cost (USD)', { id: 'usage.costUsd' }), windows[i]?.costUsd, { type: 'number', step: 'any' })}</div>`)}
      <button type="button" @click=${addRow}>${msg('Add a window', { id: 'policy.addWindow' })}</button>
    </fieldset>
    <fieldset><legend>${msg('Budgets (USD)', { id: 'policy.budgets' })}</legend>
      ${input('budget.dailyUsd', msg('Per day', { id: 'policy.daily' }), v.policy.budgets?.dailyUsd, { type: 'number', step: 'any' })}
      ${input('budget.weeklyUsd', msg('Per week', { id: 'policy.weekly' }), v.policy.budgets?.weeklyUsd, { type: 'number', step: 'any' })}
      ${input('budget.monthlyUsd', msg('Per month', { id: 'policy.monthly' }), v.policy.budgets?.monthlyUsd, { type: 'number', step: 'any' })}
      ${input('budget.totalUsd', msg('In total', { id: 'policy.total' }), v.policy.budgets?.totalUsd, { type: 'number', step: 'any' })}
      ${Array.from({ length: v.modelRows }, (_, i) => html`<div class="row">
        ${input(`mbudget.${i}.models`, msg('Models (glob)', { id: 'policy.budgetModels' }), perModel[i]?.models, { placeholder: 'claude-opus-*' })}
        <label>${msg('Period', { id: 'policy.period' })}<select name=${`mbudget.${i}.period`}>${PERIODS.map(p => html`<option value=${p} ?selected=${perModel[i]?.period === p}>${p}</option>`)}</select></label>
        ${input(`mbudget.${i}.usd`, msg('USD', { id: 'policy.usd' }), perModel[i]?.usd, { type: 'number', step: 'any' })}</div>`)}
      <button type="button" @click=${addModelRow}>${msg('Add a per-model budget', { id: 'policy.addModelBudget' })}</button>
    </fieldset>
    <fieldset><legend>${msg('What it may use', { id: 'policy.may' })}</legend>
      ${area('models.allow', msg('Models allowed (globs, one a line; empty: all)', { id: 'policy.allow' }), v.policy.models?.allow)}
      ${area('models.deny', msg('Models denied (globs, one a line; case does not matter)', { id: 'policy.deny' }), v.policy.models?.deny)}
      <div class="choices" role="group" aria-label=${msg('Clients (none ticked: any)', { id: 'policy.clients' })}>${msg('Clients (none ticked: any)', { id: 'policy.clients' })}
        ${CLIENT_KINDS.map(c => html`<label class="check"><input type="checkbox" name="clients" value=${c} ?checked=${v.policy.clients?.includes(c) ?? false}>${c}</label>`)}</div>
      <div class="choices" role="group" aria-label=${msg('Providers (none ticked: any)', { id: 'policy.providers' })}>${msg('Providers (none ticked: any)', { id: 'policy.providers' })}
        ${v.providers.map(p => html`<label class="check"><input type="checkbox" name="providers" value=${p} ?checked=${v.policy.providers?.includes(p) ?? false}>${p}</label>`)}</div>
    </fieldset>
    <fieldset><legend>${msg('Lifetime and tags', { id: 'policy.lifetime' })}</legend>
      ${input('expiresAt', msg('Expires at', { id: 'policy.expiresAt' }), localInput(v.expiresAt), { type: 'datetime-local' })}
      ${input('validFor', msg('Or valid for, from its first use (30d, 12h)', { id: 'policy.validFor' }), v.policy.validFor)}
      ${input('tags', msg('Tags (comma separated)', { id: 'policy.tags' }), (v.policy.tags ?? []).join(', '))}
    </fieldset>`
}
