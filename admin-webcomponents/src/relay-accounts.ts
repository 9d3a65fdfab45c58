// <relay-accounts>: the upstream accounts with their live state (cooling with when it ends, the
// provider's rate-limit windows, the latest errors), a form for any account type driven by its
// JSON Schema (credentials as password fields, never shown again), an edit form for every field
// and placement, subscription logins (or a pasted token), test, clear cooldown, disable /
// enable, delete.
import { html, nothing, type TemplateResult } from 'lit'
import { msg, str } from '@lit/localize'
import { accountStateLabel } from './account-state.ts'
import { RelayElement, themeStyles, pager, PAGE_SIZE } from './base.ts'
import { fieldsFromForm, renderField, type TypeSchema } from './account-fields.ts'
import { formatRelative, formatTime } from './format.ts'

interface AccountType { provider: string, type: string, login: boolean, schema: TypeSchema }
interface Window { name: string, utilisation?: number, status?: string, resetsAt?: number, models?: string }
interface Account {
  id: string, name: string, provider: string, type: string, priority: number, disabled: boolean, source: string, state: string, reason: string | null,
  cooldownUntil: string | null, lastError: string | null, lastErrorAt: string | null, recentErrors: { at: string, message: string }[], rateLimits: Window[],
  fields: Record<string, unknown>, groups: string[], maxConcurrency: number | null, models: string[] | null, modelMap?: Record<string, string> | null, shared: boolean | null, hasProxy: boolean,
  login?: { identity?: string, expiresAt?: string, refresh: string }
}

/** `asked = sent` lines as a model map (a line without `=` is kept whole, for the server to refuse by name); none: null. */
function modelMapFrom (text: string): Record<string, string> | null {
  const entries = text.split('\n').map(l => l.trim()).filter(Boolean).map(l => {
    const eq = l.indexOf('=')
    return eq === -1 ? [l, ''] : [l.slice(0, eq).trim(), l.slice(eq + 1).trim()]
  })
  return entries.length === 0 ? null : Object.fromEntries(entries)
}

/**
 * The upstream accounts with their live state, a form for any account type (from its schema),
 * subscription logins, test, disable / enable and delete.
 *
 * @tagname relay-accounts
 * @fires relay-account-created - `{ id, name }`: an account was added or logged in
 * @fires relay-account-changed - `{ id, action }`: an account was disabled, enabled, deleted, tested, reset (cooldown cleared) or edited (`update`)
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
    result: { state: true }, page: { state: true }, pending: { state: true }, editing: { state: true },
  }

  accounts: Account[] = []
  types: AccountType[] = []
  /** Subscription types, added by logging in. */
  logins: AccountType[] = []
  /** A login started: the URL to open, then the code to paste. */
  pending: { id: string, url: string, account: string, userCode?: string } | undefined
  chosen = ''
  /** The account whose fields and placement are being edited. */
  editing: Account | undefined
  result: string | undefined
  page = 0

  async reload (): Promise<void> {
    await this.run(async () => {
      const [accounts, types] = await Promise.all([
        this.api<{ items: Account[] }>('GET', '/_relay/admin/api/accounts'),
        this.api<{ items: AccountType[] }>('GET', '/_relay/admin/api/account-types'),
      ])
      this.accounts = accounts.items
      // Every type can be added with its fields; a subscription type is then a pasted token
      // (a `claude setup-token` token, one copied from another machine), else a login.
      this.types = types.items
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
    const fields = fieldsFromForm(form, this.#addable(type))
    await this.run(async () => {
      const created = await this.api<Account>('POST', '/_relay/admin/api/accounts', { name: value('name'), provider: type.provider, type: type.type, priority: Number(value('priority') || 50), fields })
      form.reset()
      this.emit('relay-account-created', { id: created.id, name: created.name })
      await this.#loadAccounts()
    })
  }

  /** The fields a form offers for a type: a pasted subscription token needs no login details. */
  #addable (type: AccountType): TypeSchema {
    if (!type.login) return type.schema
    const keep = Object.entries(type.schema.properties).filter(([k, f]) => f.type !== 'array' && k !== 'expiresAt' && k !== 'email' && k !== 'plan')
    return { ...type.schema, properties: Object.fromEntries(keep) }
  }

  async #save (e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const a = this.editing!
    const type = this.types.find(t => t.provider === a.provider && t.type === a.type)
    const form = e.target as HTMLFormElement
    const value = (n: string) => (form.elements.namedItem(n) as HTMLInputElement | HTMLSelectElement).value.trim()
    const list = (v: string) => v.split(/[\n,]/).map(x => x.trim()).filter(Boolean)
    const change: Record<string, unknown> = {
      priority: Number(value('priority')),
      groups: list(value('groups')),
      maxConcurrency: value('maxConcurrency') === '' ? null : Number(value('maxConcurrency')),
      models: list(value('models')).length > 0 ? list(value('models')) : null,
      modelMap: modelMapFrom(value('modelMap')),
      shared: value('shared') === '' ? null : value('shared') === 'true',
    }
    const proxy = value('proxy')
    if (proxy !== '') change.proxy = proxy
    if ((form.elements.namedItem('clearProxy') as HTMLInputElement | null)?.checked) change.proxy = null
    if (type) {
      const fields = fieldsFromForm(form, type.schema, a.fields)
      if (Object.keys(fields).length > 0) change.fields = fields
    }
    await this.run(async () => {
      await this.api('PATCH', `/_relay/admin/api/accounts/${encodeURIComponent(a.id)}`, change)
      await this.#closeEditor()
      this.emit('relay-account-changed', { id: a.id, action: 'update' })
      await this.#loadAccounts()
    })
  }

  async #edit (a: Account): Promise<void> {
    this.editing = a
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>('[part~=edit-form] h3')?.focus()
  }

  async #closeEditor (): Promise<void> {
    const name = this.editing?.name
    this.editing = undefined
    await this.updateComplete
    if (name !== undefined) this.renderRoot.querySelector<HTMLElement>(`tr[data-account="${CSS.escape(name)}"] button.edit`)?.focus()
  }

  #editor (): TemplateResult | typeof nothing {
    const a = this.editing
    if (!a) return nothing
    const type = this.types.find(t => t.provider === a.provider && t.type === a.type)
    return html`<form part="form edit-form" class="limits" @submit=${this.#save} aria-label=${msg(str`Edit account ${a.name}`, { id: 'accounts.editOf' })}>
      <h3 tabindex="-1">${msg(str`Edit account ${a.name}`, { id: 'accounts.editOf' })}</h3>
      <fieldset><legend>${msg('Where it serves', { id: 'accounts.placement' })}</legend>
        <label>${msg('Priority', { id: 'accounts.priority' })}<input name="priority" type="number" min="1" max="100" required .value=${String(a.priority)}></label>
        <label>${msg('Groups (comma separated)', { id: 'accounts.groups' })}<input name="groups" .value=${a.groups.join(', ')} autocomplete="off"></label>
        <label>${msg('Requests at once (empty: no limit)', { id: 'accounts.maxConcurrency' })}<input name="maxConcurrency" type="number" min="1" .value=${a.maxConcurrency === null ? '' : String(a.maxConcurrency)}></label>
        <label>${msg('Models it serves (globs; empty: all)', { id: 'accounts.models' })}<input name="models" .value=${(a.models ?? []).join(', ')} autocomplete="off" placeholder="claude-sonnet-*"></label>
        <label>${msg('Send models upstream as (one a line: asked = sent)', { id: 'accounts.modelMap' })}<textarea name="modelMap" rows="3" autocomplete="off" placeholder="claude-sonnet-4-5 = us.anthropic.claude-sonnet-4-5-20250929-v1:0" .value=${Object.entries(a.modelMap ?? {}).map(([k, v]) => `${k} = ${v}`).join('\n')}></textarea></label>
        <label>${msg('In the shared pool', { id: 'accounts.shared' })}<select name="shared">
          <option value="" ?selected=${a.shared === null}>${msg('when in no group and bound to no key', { id: 'accounts.sharedAuto' })}</option>
          <option value="true" ?selected=${a.shared === true}>${msg('always', { id: 'accounts.sharedYes' })}</option>
          <option value="false" ?selected=${a.shared === false}>${msg('never (bound keys and groups only)', { id: 'accounts.sharedNo' })}</option></select></label>
        <label>${msg('Proxy (http://, https:// or socks5://)', { id: 'accounts.proxy' })}<input name="proxy" type="password" autocomplete="off" placeholder=${a.hasProxy ? msg('unchanged; type to replace', { id: 'accounts.unchanged' }) : ''}></label>
        ${a.hasProxy ? html`<label class="check"><input type="checkbox" name="clearProxy">${msg('No proxy', { id: 'accounts.clearProxy' })}</label>` : nothing}
      </fieldset>
      ${type ? html`<fieldset><legend>${msg('Fields', { id: 'accounts.fields' })}</legend>
        ${Object.entries(type.schema.properties).map(([k, f]) => renderField(k, f, type.schema.required?.includes(k) ?? false, a.fields[k], true))}</fieldset>` : nothing}
      <div class="toolbar"><button class="primary" type="submit">${msg('Save', { id: 'save' })}</button>
        <button type="button" @click=${() => this.#closeEditor()}>${msg('Cancel', { id: 'cancel' })}</button></div>
    </form>`
  }

  async #startLogin (e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const value = (n: string) => (form.elements.namedItem(n) as HTMLInputElement | HTMLSelectElement).value
    const [provider, type] = value('login').split('/') as [string, string]
    await this.run(async () => {
      const r = await this.api<{ loginId: string, url: string, account: string, userCode?: string }>('POST', '/_relay/admin/api/logins', { provider, type, name: value('name') })
      this.pending = { id: r.loginId, url: r.url, account: r.account, ...(r.userCode ? { userCode: r.userCode } : {}) }
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
        <p>${this.pending.userCode
          // A device login (Factory's): the code is shown here, confirmed there, pasted back.
          ? msg(str`Open the login page, log in as the account ${this.pending.account} should use, confirm the code ${this.pending.userCode} there, then enter that code here:`, { id: 'accounts.loginDevice' })
          : local
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

  async #act (a: Account, action: 'disable' | 'enable' | 'delete' | 'test' | 'reset'): Promise<void> {
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

  #stateText (a: Account): TemplateResult {
    return html`${accountStateLabel(a.state, a.cooldownUntil)}${a.reason && a.state !== 'active' ? html`<div><small>${a.reason}</small></div>` : nothing}
      ${a.login ? html`<div><small>${a.login.identity ?? ''} ${a.login.expiresAt ? msg(str`token expires ${formatRelative(a.login.expiresAt)}`, { id: 'accounts.tokenExpires' }) : ''}</small></div>` : nothing}`
  }

  /**
   * The provider's rate-limit windows: how much is used and when each resets. A window whose
   * reset has passed since the provider last reported it is shown as reset: its use is stale.
   */
  #windows (a: Account): TemplateResult | typeof nothing {
    const shown = a.rateLimits.filter(w => w.utilisation !== undefined || w.resetsAt !== undefined)
    if (shown.length === 0) return nothing
    const now = Date.now()
    return html`${shown.map(w => w.resetsAt !== undefined && w.resetsAt <= now
      ? html`<div><small>${w.name}${w.models ? ` (${w.models})` : ''}: ${msg('reset since the last request', { id: 'accounts.windowReset' })}</small></div>`
      : html`<div class=${w.status === 'rejected' ? 'error' : ''}><small>${w.name}${w.models ? ` (${w.models})` : ''}:
      ${w.utilisation === undefined ? '' : `${Math.round(w.utilisation * 100)}%`}
      ${w.resetsAt === undefined ? '' : msg(str`resets ${formatRelative(new Date(w.resetsAt).toISOString())}`, { id: 'accounts.resets' })}</small>
      ${w.utilisation === undefined ? nothing : html`<progress max="100" value=${Math.min(100, Math.round(w.utilisation * 100))} aria-label=${w.name}></progress>`}</div>`)}`
  }

  #errors (a: Account): TemplateResult | string {
    if (a.recentErrors.length === 0) return a.lastError ?? '–'
    return html`<details><summary>${formatRelative(a.recentErrors[0]!.at)}: ${a.recentErrors[0]!.message}</summary>
      <ul class="errors">${a.recentErrors.map(e => html`<li><time datetime=${e.at}>${formatTime(e.at, true)}</time> ${e.message}</li>`)}</ul></details>`
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
          ${this.types.map(t => html`<option value=${`${t.provider}/${t.type}`} ?selected=${`${t.provider}/${t.type}` === this.chosen}>${t.provider} · ${t.type}${t.login ? ` (${msg('paste a token', { id: 'accounts.pasteToken' })})` : ''}</option>`)}
        </select></label>
        <label>${msg('Name', { id: 'name' })}<input name="name" required autocomplete="off"></label>
        <label>${msg('Priority', { id: 'accounts.priority' })}<input name="priority" type="number" min="1" max="100" value="50"></label>
        ${type ? Object.entries(this.#addable(type).properties).map(([k, f]) => renderField(k, f, type.schema.required?.includes(k) ?? false, undefined, false)) : nothing}
        <button class="primary" type="submit">${msg('Add account', { id: 'accounts.add' })}</button>
      </form>
      ${this.#loginForm()}
      ${this.result ? html`<p role="status" part="result">${this.result}</p>` : nothing}
      ${this.states(this.accounts.length === 0, () => html`<table part="table" class="stack">
        <thead><tr><th>${msg('Name', { id: 'name' })}</th><th>${msg('Type', { id: 'accounts.type' })}</th><th>${msg('Priority', { id: 'accounts.priority' })}</th><th>${msg('State', { id: 'state' })}</th><th>${msg('Rate-limit windows', { id: 'accounts.windows' })}</th><th>${msg('Latest errors', { id: 'accounts.errors' })}</th><th></th></tr></thead>
        <tbody>${shown.map(a => html`<tr part="row" data-account=${a.name}>
          <td data-label=${msg('Name', { id: 'name' })}>${a.name}${a.groups.length > 0 ? html`<div>${a.groups.map(g => html`<span class="tag">${g}</span> `)}</div>` : nothing}</td>
          <td data-label=${msg('Type', { id: 'accounts.type' })}>${a.provider} · ${a.type}</td>
          <td data-label=${msg('Priority', { id: 'accounts.priority' })}>${a.priority}</td>
          <td data-label=${msg('State', { id: 'state' })}>${this.#stateText(a)}</td>
          <td data-label=${msg('Rate-limit windows', { id: 'accounts.windows' })}>${this.#windows(a)}</td>
          <td data-label=${msg('Latest errors', { id: 'accounts.errors' })}>${this.#errors(a)}</td>
          <td><button @click=${() => this.#act(a, 'test')}>${msg('Test', { id: 'accounts.test' })}</button>
            ${(a.state === 'cooling' || a.state === 'unauthorized') && !a.disabled ? html`<button @click=${() => this.#act(a, 'reset')}>${msg('Clear cooldown', { id: 'accounts.reset' })}</button>` : nothing}
            ${a.source === 'config' ? msg('from the config file', { id: 'readOnly' }) : html`
              <button class="edit" @click=${() => this.#edit(a)}>${msg('Edit', { id: 'keys.edit' })}</button>
              <button @click=${() => this.#act(a, a.disabled ? 'enable' : 'disable')}>${a.disabled ? msg('Enable', { id: 'enable' }) : msg('Disable', { id: 'disable' })}</button>
              <button class="danger" @click=${() => this.#act(a, 'delete')}>${msg('Delete', { id: 'delete' })}</button>`}</td>
        </tr>`)}</tbody></table>
        ${pager(this.page, this.accounts.length, p => { this.page = p })}`)}
      ${this.#editor()}
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
