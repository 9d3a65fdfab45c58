// <relay-keys>: the relay keys, with create (the secret shown once), disable / enable, rotate,
// delete, and each key's binding per provider (an account, a group, or the shared pool).
// Config-declared keys are listed read-only.
import { html, nothing, type TemplateResult } from 'lit'
import { msg, str } from '@lit/localize'
import { RelayElement, themeStyles, pager, PAGE_SIZE } from './base.ts'
import { ApiError } from './api.ts'
import { fieldOf, policyFromForm, renderPolicyFields, type Policy } from './key-policy-form.ts'

type Binding = { account: string } | { group: string }
interface Key { id: string, name: string, hint: string, disabled: boolean, source: string, bindings: Record<string, Binding>, expiresAt: string | null, lastUsedAt: string | null, policy: Policy }
interface Account { name: string, provider: string, groups: string[] }

/** `*` in a binding: every provider without a binding of its own. */
const EVERY = '*'

/**
 * The relay keys: create (the secret shown once), disable / enable, rotate, delete, and each
 * key's binding per provider. Config-declared keys are read-only.
 *
 * @tagname relay-keys
 * @fires relay-key-created - `{ id, name }`: a key was created
 * @fires relay-key-changed - `{ id, action }`: a key was disabled, enabled, rotated, deleted or bound (`update`)
 * @csspart panel - the widget
 * @csspart form - the create form and the bindings form
 * @csspart bind-form - the bindings form
 * @csspart secret - the new secret, shown once
 * @csspart table - the list of keys
 * @csspart row - one key (`data-key` holds its name)
 */
export class RelayKeys extends RelayElement {
  static override styles = themeStyles
  static override properties = { ...RelayElement.properties, keys: { state: true }, secret: { state: true }, page: { state: true }, accounts: { state: true }, providers: { state: true }, bindProvider: { state: true }, editing: { state: true }, rows: { state: true }, modelRows: { state: true }, fieldErrors: { state: true } }

  keys: Key[] = []
  /** Bind targets: the accounts (by provider) and the groups they belong to. */
  accounts: Account[] = []
  providers: string[] = []
  bindProvider = EVERY
  /** The key whose limits are being edited, its form's row counts and the server's errors by field. */
  editing: Key | undefined
  rows = 1
  modelRows = 1
  fieldErrors: ReadonlyMap<string, string> = new Map()
  secret: { name: string, key: string } | undefined
  page = 0

  async reload (): Promise<void> {
    await this.run(async () => {
      const [keys, accounts, types] = await Promise.all([
        this.api<{ items: Key[] }>('GET', '/_relay/admin/api/keys'),
        this.api<{ items: Account[] }>('GET', '/_relay/admin/api/accounts'),
        this.api<{ items: { provider: string }[] }>('GET', '/_relay/admin/api/account-types'),
      ])
      this.keys = keys.items
      this.accounts = accounts.items
      this.providers = [...new Set(types.items.map(t => t.provider))].sort()
    })
  }

  /** Binds one provider of a key (or every other provider, `*`) to an account, a group, or the shared pool. */
  async #bind (e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const value = (name: string) => (form.elements.namedItem(name) as HTMLSelectElement).value
    const [kind, target] = value('target').split(':', 2) as [string, string | undefined]
    const binding = kind === 'account' ? { account: target! } : kind === 'group' ? { group: target! } : null
    const key = this.keys.find(k => k.id === value('key'))
    if (!key) return
    await this.run(async () => {
      await this.api('PATCH', `/_relay/admin/api/keys/${encodeURIComponent(key.id)}`, { bindings: { [value('provider')]: binding } })
      this.emit('relay-key-changed', { id: key.id, action: 'update' })
      await this.#loadKeys()
    })
  }

  #edit (k: Key): void {
    this.editing = k
    this.rows = (k.policy.rateLimits?.length ?? 0) + 1
    this.modelRows = (k.policy.budgets?.models?.length ?? 0) + 1
    this.fieldErrors = new Map()
  }

  async #saveLimits (e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const key = this.editing!
    const data = new FormData(form)
    const { policy, expiresAt } = policyFromForm(n => String(data.get(n) ?? ''), (n, v) => data.getAll(n).includes(v), this.rows, this.modelRows, this.providers)
    try {
      await this.api('PATCH', `/_relay/admin/api/keys/${encodeURIComponent(key.id)}`, { policy, expiresAt })
    } catch (err) {
      // Shown at each field the server named; anything else above the form.
      const details = err instanceof ApiError ? err.details : []
      this.fieldErrors = new Map(details.map(d => [fieldOf(d.path), d.message]))
      if (details.length === 0) this.error = (err as Error).message
      await this.updateComplete
      this.renderRoot.querySelector<HTMLElement>('[aria-invalid=true]')?.focus()
      return
    }
    this.editing = undefined
    this.emit('relay-key-changed', { id: key.id, action: 'update' })
    await this.reload()
  }

  #editor (): TemplateResult | typeof nothing {
    const k = this.editing
    if (!k) return nothing
    return html`<form part="form limits-form" class="limits" @submit=${this.#saveLimits} aria-label=${msg(str`Limits of ${k.name}`, { id: 'keys.limitsOf' })}>
      <h3>${msg(str`Limits of ${k.name}`, { id: 'keys.limitsOf' })}</h3>
      ${renderPolicyFields({ policy: k.policy, expiresAt: k.expiresAt, providers: this.providers, rows: this.rows, modelRows: this.modelRows, errors: this.fieldErrors }, () => { this.rows++ }, () => { this.modelRows++ })}
      <div class="toolbar"><button class="primary" type="submit">${msg('Save limits', { id: 'keys.saveLimits' })}</button>
        <button type="button" @click=${() => { this.editing = undefined }}>${msg('Cancel', { id: 'cancel' })}</button></div>
    </form>`
  }

  #providerName (p: string): string {
    return p === EVERY ? msg('every other provider', { id: 'keys.everyProvider' }) : p
  }

  #bindings (k: Key): TemplateResult | string {
    const entries = Object.entries(k.bindings ?? {})
    if (entries.length === 0) return msg('shared pool', { id: 'keys.pool' })
    return html`${entries.map(([p, b]) => html`<div>${this.#providerName(p)}: ${'account' in b ? msg(str`account ${b.account}`, { id: 'keys.boundAccount' }) : msg(str`group ${b.group}`, { id: 'keys.boundGroup' })}</div>`)}`
  }

  #bindForm (): TemplateResult {
    const editable = this.keys.filter(k => k.source !== 'config')
    // An empty list to pick from says nothing: say where those keys are bound instead.
    if (editable.length === 0) return html`<p>${msg('Keys declared in the config file are bound there (bindings:).', { id: 'keys.bindInConfig' })}</p>`
    const accounts = this.accounts.filter(a => this.bindProvider === EVERY || a.provider === this.bindProvider)
    const groups = [...new Set(accounts.flatMap(a => a.groups))].sort()
    return html`<form @submit=${this.#bind} part="form bind-form">
      <label>${msg('Key', { id: 'keys.key' })}<select name="key" required>${editable.map(k => html`<option value=${k.id}>${k.name}</option>`)}</select></label>
      <label>${msg('Provider', { id: 'keys.provider' })}<select name="provider" @change=${(e: Event) => { this.bindProvider = (e.target as HTMLSelectElement).value }}>
        ${[...this.providers, EVERY].map(p => html`<option value=${p} ?selected=${p === this.bindProvider}>${this.#providerName(p)}</option>`)}</select></label>
      <label>${msg('Use', { id: 'keys.bindTarget' })}<select name="target">
        <option value="pool">${msg('shared pool', { id: 'keys.pool' })}</option>
        ${accounts.map(a => html`<option value=${`account:${a.name}`}>${msg(str`account ${a.name}`, { id: 'keys.boundAccount' })}${this.bindProvider === EVERY ? ` (${a.provider})` : ''}</option>`)}
        ${groups.map(g => html`<option value=${`group:${g}`}>${msg(str`group ${g}`, { id: 'keys.boundGroup' })}</option>`)}
      </select></label>
      <button type="submit">${msg('Bind', { id: 'keys.bind' })}</button>
    </form>`
  }

  async #create (e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const name = (form.elements.namedItem('name') as HTMLInputElement).value.trim()
    await this.run(async () => {
      const created = await this.api<Key & { key: string }>('POST', '/_relay/admin/api/keys', { name })
      this.secret = { name: created.name, key: created.key }
      form.reset()
      this.emit('relay-key-created', { id: created.id, name: created.name })
      await this.#loadKeys()
    })
  }

  async #act (key: Key, action: 'disable' | 'enable' | 'rotate' | 'delete'): Promise<void> {
    // Each of these takes the key from its holder at once: asked first, never on one stray Enter.
    const question = action === 'delete' ? msg(str`Delete key ${key.name}? Its usage history stays.`, { id: 'keys.confirmDelete' })
      : action === 'rotate' ? msg(str`Give key ${key.name} a new secret? The old one stops working at once.`, { id: 'keys.confirmRotate' })
        : action === 'disable' ? msg(str`Disable key ${key.name}? Its holder's requests are refused until it is enabled.`, { id: 'keys.confirmDisable' }) : undefined
    if (question !== undefined && !confirm(question)) return
    await this.run(async () => {
      if (action === 'delete') {
        await this.api('DELETE', `/_relay/admin/api/keys/${encodeURIComponent(key.id)}`)
      } else {
        const r = await this.api<Key & { key?: string }>('POST', `/_relay/admin/api/keys/${encodeURIComponent(key.id)}/${action}`)
        if (r.key) this.secret = { name: r.name, key: r.key }
      }
      this.emit('relay-key-changed', { id: key.id, action })
      await this.#loadKeys()
    })
  }

  #row (k: Key): TemplateResult {
    const readOnly = k.source === 'config'
    return html`<tr part="row" data-key=${k.name}>
      <td>${k.name}</td><td><code>${k.hint}</code></td>
      <td>${k.disabled ? msg('disabled', { id: 'state.disabled' }) : msg('active', { id: 'state.active' })}</td>
      <td>${this.#bindings(k)}</td>
      <td>${k.lastUsedAt ?? '–'}</td>
      <td>${readOnly
        ? msg('from the config file', { id: 'readOnly' })
        : html`
          <button @click=${() => this.#edit(k)}>${msg('Limits', { id: 'keys.limits' })}</button>
          <button @click=${() => this.#act(k, k.disabled ? 'enable' : 'disable')}>${k.disabled ? msg('Enable', { id: 'enable' }) : msg('Disable', { id: 'disable' })}</button>
          <button @click=${() => this.#act(k, 'rotate')}>${msg('New secret', { id: 'keys.rotate' })}</button>
          <button class="danger" @click=${() => this.#act(k, 'delete')}>${msg('Delete', { id: 'delete' })}</button>`}
      </td></tr>`
  }

  async #loadKeys (): Promise<void> {
    this.keys = (await this.api<{ items: Key[] }>('GET', '/_relay/admin/api/keys')).items
  }

  override render (): TemplateResult {
    const shown = this.keys.slice(this.page * PAGE_SIZE, (this.page + 1) * PAGE_SIZE)
    return html`<section part="panel">
      <h2>${msg('API keys', { id: 'keys.title' })}</h2>
      <form @submit=${this.#create} part="form">
        <label>${msg('Name', { id: 'name' })}<input name="name" required pattern="[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}" autocomplete="off"></label>
        <button class="primary" type="submit">${msg('Create key', { id: 'keys.create' })}</button>
      </form>
      ${this.secret ? html`<div part="secret" role="status">
        <p>${msg(str`The secret of ${this.secret.name}, shown only this once:`, { id: 'keys.secretOnce' })}</p>
        <div class="secret" data-secret>${this.secret.key}</div>
        <button @click=${() => { void navigator.clipboard?.writeText(this.secret!.key) }}>${msg('Copy', { id: 'copy' })}</button>
        <button @click=${() => { this.secret = undefined }}>${msg('Done', { id: 'done' })}</button>
      </div>` : ''}
      ${this.states(this.keys.length === 0, () => html`<table part="table">
        <thead><tr><th>${msg('Name', { id: 'name' })}</th><th>${msg('Key', { id: 'keys.key' })}</th><th>${msg('State', { id: 'state' })}</th><th>${msg('Bound to', { id: 'keys.bound' })}</th><th>${msg('Last used', { id: 'keys.lastUsed' })}</th><th></th></tr></thead>
        <tbody>${shown.map(k => this.#row(k))}</tbody></table>
        ${pager(this.page, this.keys.length, p => { this.page = p })}
        ${this.#editor()}
        <h3>${msg('Bindings', { id: 'keys.bindings' })}</h3>
        <p>${msg('A provider without a binding uses its shared pool.', { id: 'keys.bindingsHelp' })}</p>
        ${this.#bindForm()}`)}
    </section>`
  }
}
