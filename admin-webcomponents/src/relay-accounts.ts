// <relay-accounts>: the upstream accounts with their live state (cooling, unauthorized, last
// error, rate-limit windows), a form for any account type driven by its JSON Schema
// (credentials as password fields, never shown again), test, disable / enable, delete.
import { html, nothing, type TemplateResult } from 'lit'
import { msg, str } from '@lit/localize'
import { accountStateLabel } from './account-state.ts'
import { RelayElement, themeStyles, pager, PAGE_SIZE } from './base.ts'

interface AccountType { provider: string, type: string, login: boolean, schema: { properties: Record<string, { type?: string, title?: string, enum?: unknown[], writeOnly?: boolean, description?: string, default?: unknown }>, required?: string[] } }
interface Account { id: string, name: string, provider: string, type: string, priority: number, disabled: boolean, source: string, state: string, reason: string | null, cooldownUntil: string | null, lastError: string | null, rateLimits: { name: string, utilisation?: number }[] }

/**
 * The upstream accounts with their live state, a form for any account type (from its schema),
 * subscription logins, test, disable / enable and delete.
 *
 * @tagname relay-accounts
 * @fires relay-account-created - `{ id, name }`: an account was added or logged in
 * @fires relay-account-changed - `{ id, action }`: an account was disabled, enabled, deleted or tested
 * @csspart panel - the widget
 * @csspart form - the add form
 * @csspart login-form - the subscription login forms
 * @csspart result - the outcome of a test
 * @csspart table - the list of accounts
 * @csspart row - one account
 */
export class RelayAccounts extends RelayElement {
  static override styles = themeStyles
  static override properties = {
    ...RelayElement.properties, accounts: { state: true }, types: { state: true }, logins: { state: true }, chosen: { state: true },
    result: { state: true }, page: { state: true }, pending: { state: true },
  }

  accounts: Account[] = []
  types: AccountType[] = []
  /** Subscription types, added by logging in. */
  logins: AccountType[] = []
  /** A login started: the URL to open, then the code to paste. */
  pending: { id: string, url: string, account: string } | undefined
  chosen = ''
  result: string | undefined
  page = 0

  async reload (): Promise<void> {
    await this.run(async () => {
      const [accounts, types] = await Promise.all([
        this.api<{ items: Account[] }>('GET', '/_relay/admin/api/accounts'),
        this.api<{ items: AccountType[] }>('GET', '/_relay/admin/api/account-types'),
      ])
      this.accounts = accounts.items
      this.types = types.items.filter(t => !t.login)
      this.logins = types.items.filter(t => t.login)
      this.chosen ||= this.types[0] ? `${this.types[0].provider}/${this.types[0].type}` : ''
    })
  }

  get #type (): AccountType | undefined {
    return this.types.find(t => `${t.provider}/${t.type}` === this.chosen)
  }

  async #add (e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const type = this.#type
    if (!type) return
    const form = e.target as HTMLFormElement
    const value = (n: string) => (form.elements.namedItem(n) as HTMLInputElement | null)?.value ?? ''
    const fields: Record<string, unknown> = {}
    for (const [k, s] of Object.entries(type.schema.properties)) {
      if (s.type === 'boolean') {
        fields[k] = (form.elements.namedItem(`f.${k}`) as HTMLInputElement).checked
        continue
      }
      const v = value(`f.${k}`)
      if (v === '') continue
      fields[k] = s.type === 'integer' || s.type === 'number' ? Number(v) : v
    }
    await this.run(async () => {
      const created = await this.api<Account>('POST', '/_relay/admin/api/accounts', { name: value('name'), provider: type.provider, type: type.type, priority: Number(value('priority') || 50), fields })
      form.reset()
      this.emit('relay-account-created', { id: created.id, name: created.name })
      await this.#loadAccounts()
    })
  }

  async #startLogin (e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const value = (n: string) => (form.elements.namedItem(n) as HTMLInputElement | HTMLSelectElement).value
    const [provider, type] = value('login').split('/') as [string, string]
    await this.run(async () => {
      const r = await this.api<{ loginId: string, url: string, account: string }>('POST', '/_relay/admin/api/logins', { provider, type, name: value('name') })
      this.pending = { id: r.loginId, url: r.url, account: r.account }
    })
  }

  async #finishLogin (e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const code = ((e.target as HTMLFormElement).elements.namedItem('code') as HTMLInputElement).value.trim()
    const pending = this.pending!
    await this.run(async () => {
      const r = await this.api<{ account: Account }>('POST', `/_relay/admin/api/logins/${encodeURIComponent(pending.id)}/finish`, { code })
      this.pending = undefined
      this.emit('relay-account-created', { id: r.account.id, name: r.account.name })
      await this.#loadAccounts()
    })
  }

  #loginForm (): TemplateResult | typeof nothing {
    if (this.logins.length === 0) return nothing
    if (this.pending) {
      // A login that sends the browser back to a localhost address (Codex's) ends on a page that
      // does not load: what the operator pastes is that address, not a code shown on a page.
      const local = /^http:\/\/(localhost|127\.0\.0\.1)[:/]/.test(redirectOf(this.pending.url))
      return html`<form @submit=${this.#finishLogin} part="login-form">
        <p>${local
          ? msg(str`Open the login page, log in as the account ${this.pending.account} should use, then copy the whole address your browser ends on (it starts with http://localhost and the page does not load) and paste it here:`, { id: 'accounts.loginOpenAddress' })
          : msg(str`Open this address, log in as the account ${this.pending.account} should use, and paste the code it shows:`, { id: 'accounts.loginOpen' })}
          <a href=${this.pending.url} target="_blank" rel="noopener noreferrer">${msg('Open the login page', { id: 'accounts.loginLink' })}</a></p>
        <label>${local ? msg('Address', { id: 'accounts.address' }) : msg('Code', { id: 'accounts.code' })}<input name="code" required autocomplete="off"></label>
        <button class="primary" type="submit">${msg('Finish login', { id: 'accounts.finishLogin' })}</button>
        <button type="button" @click=${() => { this.pending = undefined }}>${msg('Cancel', { id: 'cancel' })}</button>
      </form>`
    }
    return html`<form @submit=${this.#startLogin} part="login-form">
      <label>${msg('Subscription', { id: 'accounts.subscription' })}<select name="login">
        ${this.logins.map(t => html`<option value=${`${t.provider}/${t.type}`}>${t.provider} · ${t.type}</option>`)}</select></label>
      <label>${msg('Name', { id: 'name' })}<input name="name" required autocomplete="off"></label>
      <button type="submit">${msg('Log in a subscription', { id: 'accounts.startLogin' })}</button>
    </form>`
  }

  async #act (a: Account, action: 'disable' | 'enable' | 'delete' | 'test'): Promise<void> {
    if (action === 'delete' && !confirm(msg(str`Delete account ${a.name}?`, { id: 'accounts.confirmDelete' }))) return
    await this.run(async () => {
      if (action === 'delete') {
        await this.api('DELETE', `/_relay/admin/api/accounts/${encodeURIComponent(a.id)}`)
      } else if (action === 'test') {
        const r = await this.api<{ ok: boolean, status: number | null, latencyMs: number, message: string }>('POST', `/_relay/admin/api/accounts/${encodeURIComponent(a.id)}/test`)
        this.result = `${a.name}: ${r.ok ? msg('works', { id: 'accounts.works' }) : msg('failed', { id: 'accounts.failed' })} (${r.status ?? '–'}, ${r.latencyMs} ms) ${r.ok ? '' : r.message}`
      } else {
        await this.api('POST', `/_relay/admin/api/accounts/${encodeURIComponent(a.id)}/${action}`)
      }
      this.emit('relay-account-changed', { id: a.id, action })
      await this.#loadAccounts()
    })
  }

  #stateText (a: Account): string {
    return accountStateLabel(a.state, a.cooldownUntil)
  }

  /** One field of an account type: a checkbox for a boolean, a list for an enum, a password box for a credential. */
  #field (name: string, s: AccountType['schema']['properties'][string], required: boolean): TemplateResult {
    const label = `${s.title ?? name}${required ? ' *' : ''}`
    if (s.type === 'boolean') {
      return html`<label class="check"><input name=${`f.${name}`} type="checkbox" value="true" ?checked=${s.default === true} title=${s.description ?? ''}>${label}</label>`
    }
    if (s.enum) {
      return html`<label>${label}<select name=${`f.${name}`} ?required=${required} title=${s.description ?? ''}>
        ${required ? nothing : html`<option value="">–</option>`}${s.enum.map(v => html`<option value=${String(v)} ?selected=${v === s.default}>${String(v)}</option>`)}</select></label>`
    }
    return html`<label>${label}
      <input name=${`f.${name}`} type=${s.writeOnly ? 'password' : s.type === 'integer' || s.type === 'number' ? 'number' : 'text'} ?required=${required} autocomplete="off"
        placeholder=${s.default === undefined ? '' : String(s.default)} title=${s.description ?? ''}></label>`
  }

  async #loadAccounts (): Promise<void> {
    this.accounts = (await this.api<{ items: Account[] }>('GET', '/_relay/admin/api/accounts')).items
  }

  override render (): TemplateResult {
    const type = this.#type
    const shown = this.accounts.slice(this.page * PAGE_SIZE, (this.page + 1) * PAGE_SIZE)
    return html`<section part="panel">
      <h2>${msg('Upstream accounts', { id: 'accounts.title' })}</h2>
      <form @submit=${this.#add} part="form">
        <label>${msg('Type', { id: 'accounts.type' })}<select @change=${(e: Event) => { this.chosen = (e.target as HTMLSelectElement).value }}>
          ${this.types.map(t => html`<option value=${`${t.provider}/${t.type}`} ?selected=${`${t.provider}/${t.type}` === this.chosen}>${t.provider} · ${t.type}</option>`)}
        </select></label>
        <label>${msg('Name', { id: 'name' })}<input name="name" required autocomplete="off"></label>
        <label>${msg('Priority', { id: 'accounts.priority' })}<input name="priority" type="number" min="1" max="100" value="50"></label>
        ${type ? Object.entries(type.schema.properties).map(([k, s]) => this.#field(k, s, type.schema.required?.includes(k) ?? false)) : nothing}
        <button class="primary" type="submit">${msg('Add account', { id: 'accounts.add' })}</button>
      </form>
      ${this.#loginForm()}
      ${this.result ? html`<p role="status" part="result">${this.result}</p>` : nothing}
      ${this.states(this.accounts.length === 0, () => html`<table part="table">
        <thead><tr><th>${msg('Name', { id: 'name' })}</th><th>${msg('Type', { id: 'accounts.type' })}</th><th>${msg('Priority', { id: 'accounts.priority' })}</th><th>${msg('State', { id: 'state' })}</th><th>${msg('Last error', { id: 'accounts.lastError' })}</th><th></th></tr></thead>
        <tbody>${shown.map(a => html`<tr part="row" data-account=${a.name}>
          <td>${a.name}</td><td>${a.provider} · ${a.type}</td><td>${a.priority}</td>
          <td>${this.#stateText(a)}${a.rateLimits.filter(w => w.utilisation !== undefined).map(w => html`<br><small>${w.name} ${Math.round(w.utilisation! * 100)}%</small>`)}</td>
          <td>${a.lastError ?? '–'}</td>
          <td><button @click=${() => this.#act(a, 'test')}>${msg('Test', { id: 'accounts.test' })}</button>
            ${a.source === 'config' ? msg('from the config file', { id: 'readOnly' }) : html`
              <button @click=${() => this.#act(a, a.disabled ? 'enable' : 'disable')}>${a.disabled ? msg('Enable', { id: 'enable' }) : msg('Disable', { id: 'disable' })}</button>
              <button class="danger" @click=${() => this.#act(a, 'delete')}>${msg('Delete', { id: 'delete' })}</button>`}</td>
        </tr>`)}</tbody></table>
        ${pager(this.page, this.accounts.length, p => { this.page = p })}`)}
    </section>`
  }
}

/** Where a login page sends the browser back to (its `redirect_uri`). */
function redirectOf (url: string): string {
  try {
    return new URL(url).searchParams.get('redirect_uri') ?? ''
  } catch {
    return ''
  }
}
