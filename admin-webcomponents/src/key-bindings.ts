// A key's bindings in words and the form that changes one: per provider (or `*`, every other
// provider), an account, a group of accounts, or the provider's shared pool.
import { html, type TemplateResult } from 'lit'
import { msg, str } from '@lit/localize'

export type Binding = { account: string } | { group: string }
/** An account a key may be bound to (and, through its groups, a group). */
export interface BindTarget { name: string, provider: string, groups: string[] }

/** `*` in a binding: every provider without a binding of its own. */
export const EVERY = '*'

export function providerName (p: string): string {
  return p === EVERY ? msg('every other provider', { id: 'keys.everyProvider' }) : p
}

export function renderBindings (bindings: Record<string, Binding> | undefined): TemplateResult | string {
  const entries = Object.entries(bindings ?? {})
  if (entries.length === 0) return msg('shared pool', { id: 'keys.pool' })
  return html`${entries.map(([p, b]) => html`<div>${providerName(p)}: ${'account' in b ? msg(str`account ${b.account}`, { id: 'keys.boundAccount' }) : msg(str`group ${b.group}`, { id: 'keys.boundGroup' })}</div>`)}`
}

/** The provider and binding (null: the shared pool) the form asks for. */
export function bindingFromForm (form: HTMLFormElement): { provider: string, binding: Binding | null } {
  const value = (name: string) => (form.elements.namedItem(name) as HTMLSelectElement).value
  const [kind, target] = value('target').split(':', 2) as [string, string | undefined]
  return { provider: value('provider'), binding: kind === 'account' ? { account: target! } : kind === 'group' ? { group: target! } : null }
}

export function renderBindForm (providers: readonly string[], targets: readonly BindTarget[], submit: (e: SubmitEvent) => void): TemplateResult {
  const groups = [...new Set(targets.flatMap(a => a.groups))].sort()
  return html`<form @submit=${submit} part="form bind-form">
    <label>${msg('Provider', { id: 'keys.provider' })}<select name="provider">
      ${[...providers, EVERY].map(p => html`<option value=${p}>${providerName(p)}</option>`)}</select></label>
    <label>${msg('Use', { id: 'keys.bindTarget' })}<select name="target">
      <option value="pool">${msg('shared pool', { id: 'keys.pool' })}</option>
      ${targets.map(a => html`<option value=${`account:${a.name}`}>${msg(str`account ${a.name}`, { id: 'keys.boundAccount' })} (${a.provider})</option>`)}
      ${groups.map(g => html`<option value=${`group:${g}`}>${msg(str`group ${g}`, { id: 'keys.boundGroup' })}</option>`)}
    </select></label>
    <button type="submit">${msg('Bind', { id: 'keys.bind' })}</button>
  </form>`
}
