// <relay-keys>: the relay keys as the server pages them (search, state and tag filters, sort),
// each with today's and this month's spend and its nearest limit; create one (the secret shown
// once) or many (their secrets downloaded once); select keys to disable, enable, tag or delete;
// edit a key's limits and bindings; open a key's page. Config-declared keys are read-only.
import { html, nothing, type TemplateResult } from 'lit'
import { msg, str } from '@lit/localize'
import { RelayElement, themeStyles } from './base.ts'
import { ApiError } from './api.ts'
import { errorText, problemText } from './server-messages.ts'
import { fieldOf, policyFromForm, renderPolicyFields, type Policy } from './key-policy-form.ts'
import { formatCount, formatRelative, formatTime, formatUsd } from './format.ts'
import { limitLabel } from './limit-label.ts'
import { renderBindings, renderBindForm, bindingFromForm, type Binding, type BindTarget } from './key-bindings.ts'
import './relay-key-detail.ts'

export interface LimitUse { limit: string, used: number | string, max: number | string, resetsAt: string | null }
interface Key {
  id: string, name: string, hint: string, disabled: boolean, source: string, state: 'active' | 'disabled' | 'expired', tags: string[],
  bindings: Record<string, Binding>, expiresAt: string | null, lastUsedAt: string | null, createdAt: string, policy: Policy,
  today: { requests: number, costUsd: string }, month: { requests: number, costUsd: string }, limits: LimitUse[], nearest: { limit: string, ratio: number } | null
}
interface KeyPage { total: number, offset: number, limit: number, items: Key[], tags: string[] }

/** Keys on one page of the list. */
const PAGE = 25
const SORTS = ['name', 'created', 'lastUsed', 'requestsToday', 'costToday', 'requestsMonth', 'costMonth'] as const
type Sort = typeof SORTS[number]
type BulkAction = 'disable' | 'enable' | 'delete' | 'tag' | 'untag'

/**
 * The relay keys, paged by the server: search, filters, sort; create one or many; act on a
 * selection; each key's limits, bindings and page. Config-declared keys are read-only.
 *
 * @tagname relay-keys
 * @fires relay-key-created - `{ id, name }`: a key was created (one event per key of a batch)
 * @fires relay-key-changed - `{ id, action }`: a key was disabled, enabled, rotated, deleted or changed (`update`)
 * @csspart panel - the widget
 * @csspart form - the create forms, the filters, the limits and bindings forms
 * @csspart filters - the search, filter and sort form
 * @csspart bulk - the actions on the selected keys
 * @csspart bind-form - the bindings form of the key being edited
 * @csspart limits-form - the limits form of the key being edited
 * @csspart secret - a new secret (or a batch's download), shown once
 * @csspart table - the list of keys
 * @csspart row - one key (`data-key` holds its name)
 */
export class RelayKeys extends RelayElement {
  static override styles = themeStyles
  static override properties = {
    ...RelayElement.properties,
    list: { state: true }, secret: { state: true }, batch: { state: true }, selected: { state: true }, targets: { state: true }, providers: { state: true },
    editing: { state: true }, rows: { state: true }, modelRows: { state: true }, fieldErrors: { state: true }, opened: { state: true },
    query: { state: true }, stateFilter: { state: true }, tag: { state: true }, sort: { state: true }, offset: { state: true },
    openKey: { type: String, attribute: 'open-key' },
  }

  /** A key (id or name) whose page opens at once (attribute `open-key`: a link from elsewhere). */
  openKey = ''

  list: KeyPage | undefined
  query = ''
  stateFilter = ''
  tag = ''
  sort: Sort = 'name'
  offset = 0
  /** Ids of the selected keys (kept across pages). */
  selected: ReadonlySet<string> = new Set()
  /** Accounts and groups a key may be bound to, and the providers. */
  targets: BindTarget[] = []
  providers: string[] = []
  /** The key whose limits and bindings are being edited, its form's row counts and the server's errors by field. */
  editing: Key | undefined
  rows = 1
  modelRows = 1
  fieldErrors: ReadonlyMap<string, string> = new Map()
  /** The key whose page is open. */
  opened: Key | undefined
  secret: { name: string, key: string } | undefined
  /** A batch just created: its secrets until they are downloaded or dismissed. */
  batch: { name: string, key: string }[] | undefined
  #searchTimer: ReturnType<typeof setTimeout> | undefined

  async reload (): Promise<void> {
    await this.run(async () => {
      if (this.openKey && !this.opened) this.opened = { id: this.openKey } as Key
      const [, accounts, types] = await Promise.all([
        this.#loadKeys(),
        this.api<{ items: BindTarget[] }>('GET', '/_relay/admin/api/accounts'),
        this.api<{ items: { provider: string }[] }>('GET', '/_relay/admin/api/account-types'),
      ])
      this.targets = accounts.items
      this.providers = [...new Set(types.items.map(t => t.provider))].sort()
    })
  }

  /** Refreshes the page shown (the list only; forms being filled are left alone). */
  protected override refreshNow (): void {
    if (!this.editing && !this.opened) void this.run(() => this.#loadKeys())
  }

  async #loadKeys (): Promise<void> {
    const q = new URLSearchParams({ sort: this.sort, offset: String(this.offset), limit: String(PAGE) })
    if (this.query) q.set('q', this.query)
    if (this.stateFilter) q.set('state', this.stateFilter)
    if (this.tag) q.set('tag', this.tag)
    this.list = await this.api<KeyPage>('GET', `/_relay/admin/api/keys?${q}`)
  }

  #filter (change: () => void): void {
    change()
    this.offset = 0
    void this.run(() => this.#loadKeys())
  }

  #search (e: Event): void {
    const value = (e.target as HTMLInputElement).value.trim()
    clearTimeout(this.#searchTimer)
    // One request once the operator stops typing, not one per keystroke.
    this.#searchTimer = setTimeout(() => this.#filter(() => { this.query = value }), 250)
  }

  async #edit (k: Key): Promise<void> {
    this.editing = k
    this.rows = (k.policy.rateLimits?.length ?? 0) + 1
    this.modelRows = (k.policy.budgets?.models?.length ?? 0) + 1
    this.fieldErrors = new Map()
    // Focus goes to the form that opened (below the list), not left on the row's button.
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>('form.limits h3')?.focus()
  }

  /** Closes the form and puts focus back on the row it was opened from. */
  async #closeEditor (): Promise<void> {
    const name = this.editing?.name
    this.editing = undefined
    await this.updateComplete
    if (name !== undefined) this.renderRoot.querySelector<HTMLElement>(`tr[data-key="${CSS.escape(name)}"] button.edit`)?.focus()
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
      this.fieldErrors = new Map(details.map(d => [fieldOf(d.path), problemText(d)]))
      if (details.length === 0) this.error = errorText(err)
      await this.updateComplete
      this.renderRoot.querySelector<HTMLElement>('[aria-invalid=true]')?.focus()
      return
    }
    await this.#closeEditor()
    this.emit('relay-key-changed', { id: key.id, action: 'update' })
    await this.run(() => this.#loadKeys())
  }

  /** Binds one provider of the key being edited (or every other provider) to an account, a group or the shared pool. */
  async #bind (e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const key = this.editing!
    const { provider, binding } = bindingFromForm(e.target as HTMLFormElement)
    await this.run(async () => {
      const updated = await this.api<Key>('PATCH', `/_relay/admin/api/keys/${encodeURIComponent(key.id)}`, { bindings: { [provider]: binding } })
      this.editing = { ...key, bindings: updated.bindings }
      this.emit('relay-key-changed', { id: key.id, action: 'update' })
      await this.#loadKeys()
    })
  }

  #editor (): TemplateResult | typeof nothing {
    const k = this.editing
    if (!k) return nothing
    return html`<form part="form limits-form" class="limits" @submit=${this.#saveLimits} aria-label=${msg(str`Limits of ${k.name}`, { id: 'keys.limitsOf' })}>
      <h3 tabindex="-1">${msg(str`Limits of ${k.name}`, { id: 'keys.limitsOf' })}</h3>
      ${k.limits.length > 0 ? html`<p>${msg('In use now:', { id: 'keys.inUse' })} ${k.limits.map(l => html`<span class="use">${limitLabel(l.limit)}: ${l.used} / ${l.max}</span> `)}</p>` : nothing}
      ${renderPolicyFields({ policy: k.policy, expiresAt: k.expiresAt, providers: this.providers, rows: this.rows, modelRows: this.modelRows, errors: this.fieldErrors }, () => { this.rows++ }, () => { this.modelRows++ })}
      <div class="toolbar"><button class="primary" type="submit">${msg('Save limits', { id: 'keys.saveLimits' })}</button>
        <button type="button" @click=${() => this.#closeEditor()}>${msg('Cancel', { id: 'cancel' })}</button></div>
    </form>
    <h3>${msg('Bindings', { id: 'keys.bindings' })}</h3>
    <p>${msg('A provider without a binding uses its shared pool.', { id: 'keys.bindingsHelp' })} ${renderBindings(k.bindings)}</p>
    ${renderBindForm(this.providers, this.targets, e => this.#bind(e))}`
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

  async #createMany (e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const value = (n: string) => (form.elements.namedItem(n) as HTMLInputElement).value.trim()
    await this.run(async () => {
      const created = await this.api<{ items: { id: string, name: string, key: string }[] }>('POST', '/_relay/admin/api/keys/bulk-create', { prefix: value('prefix'), count: Number(value('count')) })
      this.batch = created.items.map(({ name, key }) => ({ name, key }))
      form.reset()
      for (const k of created.items) this.emit('relay-key-created', { id: k.id, name: k.name })
      await this.#loadKeys()
    })
  }

  /** The batch's secrets as a CSV file, downloaded once; then they are gone from the page. */
  #download (): void {
    const rows = ['name,key', ...(this.batch ?? []).map(b => `${b.name},${b.key}`)]
    const url = URL.createObjectURL(new Blob([`${rows.join('\n')}\n`], { type: 'text/csv' }))
    const a = document.createElement('a')
    a.href = url
    a.download = `relay-keys-${new Date().toISOString().slice(0, 10)}.csv`
    a.click()
    setTimeout(() => URL.revokeObjectURL(url), 1000)
    this.batch = undefined
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

  async #bulk (e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const action = (e.submitter as HTMLButtonElement | null)?.value as BulkAction
    const tag = (form.elements.namedItem('tag') as HTMLInputElement).value.trim()
    const ids = [...this.selected]
    if ((action === 'tag' || action === 'untag') && !tag) {
      this.error = msg('Type the tag first.', { id: 'keys.bulkTagFirst' })
      return
    }
    if ((action === 'delete' || action === 'disable') && !confirm(action === 'delete'
      ? msg(str`Delete ${ids.length} keys? Their usage history stays.`, { id: 'keys.confirmBulkDelete' })
      : msg(str`Disable ${ids.length} keys? Their holders' requests are refused until they are enabled.`, { id: 'keys.confirmBulkDisable' }))) return
    await this.run(async () => {
      const r = await this.api<{ changed: string[], skipped: { id: string, reason: string, code: string, params: unknown[] }[] }>('POST', '/_relay/admin/api/keys/bulk', { ids, action, ...(tag ? { tag } : {}) })
      for (const id of r.changed) this.emit('relay-key-changed', { id, action: action === 'tag' || action === 'untag' ? 'update' : action })
      // The selection stays for the next action (tag, then disable); deleted keys leave it.
      if (action === 'delete') this.selected = new Set(r.skipped.map(s => s.id))
      // Each in the reader's language, from its code and params, as an error of the API would be.
      if (r.skipped.length > 0) this.error = r.skipped.map(s => errorText(Object.assign(new ApiError(409, s.code, s.reason), { params: s.params }))).join('; ')
      await this.#loadKeys()
    })
  }

  #toggle (id: string, on: boolean): void {
    const next = new Set(this.selected)
    if (on) next.add(id)
    else next.delete(id)
    this.selected = next
  }

  #stateLabel (s: Key['state']): string {
    return s === 'disabled' ? msg('disabled', { id: 'state.disabled' }) : s === 'expired' ? msg('expired', { id: 'state.expired' }) : msg('active', { id: 'state.active' })
  }

  #nearest (k: Key): TemplateResult | string {
    if (!k.nearest) return '–'
    const pct = Math.round(k.nearest.ratio * 100)
    return html`<span class=${k.nearest.ratio >= 1 ? 'error' : ''}>${limitLabel(k.nearest.limit)}: ${formatCount(pct)}%</span>
      <progress max="100" value=${Math.min(100, pct)} aria-label=${limitLabel(k.nearest.limit)}></progress>`
  }

  #row (k: Key): TemplateResult {
    const readOnly = k.source === 'config'
    // On a phone each row is a card: every cell says what it is (data-label, shown by CSS).
    return html`<tr part="row" data-key=${k.name}>
      <td>${readOnly ? nothing : html`<input type="checkbox" aria-label=${msg(str`Select ${k.name}`, { id: 'keys.select' })} .checked=${this.selected.has(k.id)} @change=${(e: Event) => this.#toggle(k.id, (e.target as HTMLInputElement).checked)}>`}</td>
      <td data-label=${msg('Name', { id: 'name' })}><button class="link" @click=${() => { this.opened = k }}>${k.name}</button><div><code>${k.hint}</code></div></td>
      <td data-label=${msg('State', { id: 'state' })}>${this.#stateLabel(k.state)}${k.tags.length > 0 ? html`<div>${k.tags.map(t => html`<span class="tag">${t}</span> `)}</div>` : nothing}</td>
      <td data-label=${msg('Bound to', { id: 'keys.bound' })}>${renderBindings(k.bindings)}</td>
      <td data-label=${msg('Today', { id: 'keys.today' })}>${formatCount(k.today.requests)} · ${formatUsd(k.today.costUsd)}</td>
      <td data-label=${msg('This month', { id: 'keys.month' })}>${formatCount(k.month.requests)} · ${formatUsd(k.month.costUsd)}</td>
      <td data-label=${msg('Nearest limit', { id: 'keys.nearest' })}>${this.#nearest(k)}</td>
      <td data-label=${msg('Last used', { id: 'keys.lastUsed' })}><time datetime=${k.lastUsedAt ?? ''} title=${formatTime(k.lastUsedAt)}>${formatRelative(k.lastUsedAt)}</time></td>
      <td>${readOnly
        ? msg('from the config file', { id: 'readOnly' })
        : html`
          <button class="edit" @click=${() => this.#edit(k)}>${msg('Edit', { id: 'keys.edit' })}</button>
          <button @click=${() => this.#act(k, k.disabled ? 'enable' : 'disable')}>${k.disabled ? msg('Enable', { id: 'enable' }) : msg('Disable', { id: 'disable' })}</button>
          <button @click=${() => this.#act(k, 'rotate')}>${msg('New secret', { id: 'keys.rotate' })}</button>
          <button class="danger" @click=${() => this.#act(k, 'delete')}>${msg('Delete', { id: 'delete' })}</button>`}
      </td></tr>`
  }

  #sortLabel (s: Sort): string {
    switch (s) {
      case 'name': return msg('Name', { id: 'name' })
      case 'created': return msg('Newest', { id: 'keys.sortCreated' })
      case 'lastUsed': return msg('Last used', { id: 'keys.lastUsed' })
      case 'requestsToday': return msg('Requests today', { id: 'keys.sortRequestsToday' })
      case 'costToday': return msg('Cost today', { id: 'keys.sortCostToday' })
      case 'requestsMonth': return msg('Requests this month', { id: 'keys.sortRequestsMonth' })
      case 'costMonth': return msg('Cost this month', { id: 'keys.sortCostMonth' })
    }
  }

  #filters (): TemplateResult {
    return html`<form part="form filters" role="search" @submit=${(e: SubmitEvent) => e.preventDefault()}>
      <label>${msg('Search (name, key, tag)', { id: 'keys.search' })}<input type="search" name="q" .value=${this.query} @input=${this.#search} autocomplete="off"></label>
      <label>${msg('State', { id: 'state' })}<select @change=${(e: Event) => this.#filter(() => { this.stateFilter = (e.target as HTMLSelectElement).value })}>
        <option value="">${msg('any', { id: 'any' })}</option>
        ${(['active', 'disabled', 'expired'] as const).map(s => html`<option value=${s} ?selected=${this.stateFilter === s}>${this.#stateLabel(s)}</option>`)}</select></label>
      <label>${msg('Tag', { id: 'keys.tag' })}<select @change=${(e: Event) => this.#filter(() => { this.tag = (e.target as HTMLSelectElement).value })}>
        <option value="">${msg('any', { id: 'any' })}</option>${(this.list?.tags ?? []).map(t => html`<option value=${t} ?selected=${this.tag === t}>${t}</option>`)}</select></label>
      <label>${msg('Sort by', { id: 'keys.sort' })}<select @change=${(e: Event) => this.#filter(() => { this.sort = (e.target as HTMLSelectElement).value as Sort })}>
        ${SORTS.map(s => html`<option value=${s} ?selected=${this.sort === s}>${this.#sortLabel(s)}</option>`)}</select></label>
    </form>`
  }

  #bulkBar (): TemplateResult | typeof nothing {
    if (this.selected.size === 0) return nothing
    return html`<form part="form bulk" @submit=${this.#bulk} aria-label=${msg('Selected keys', { id: 'keys.selected' })}>
      <span role="status">${msg(str`${this.selected.size} selected`, { id: 'keys.selectedCount' })}</span>
      <button type="submit" value="enable">${msg('Enable', { id: 'enable' })}</button>
      <button type="submit" value="disable">${msg('Disable', { id: 'disable' })}</button>
      <label>${msg('Tag', { id: 'keys.tag' })}<input name="tag" maxlength="64" autocomplete="off"></label>
      <button type="submit" value="tag">${msg('Add tag', { id: 'keys.addTag' })}</button>
      <button type="submit" value="untag">${msg('Remove tag', { id: 'keys.removeTag' })}</button>
      <button type="submit" value="delete" class="danger">${msg('Delete', { id: 'delete' })}</button>
      <button type="button" @click=${() => { this.selected = new Set() }}>${msg('Clear selection', { id: 'keys.clearSelection' })}</button>
    </form>`
  }

  #pager (): TemplateResult | typeof nothing {
    const total = this.list?.total ?? 0
    if (total <= PAGE) return nothing
    const go = (offset: number) => { this.offset = offset; void this.run(() => this.#loadKeys()) }
    return html`<div class="pager" part="pager">
      <button ?disabled=${this.offset === 0} @click=${() => go(Math.max(0, this.offset - PAGE))}>${msg('Previous', { id: 'previous' })}</button>
      <span>${msg(str`${formatCount(this.offset + 1)}–${formatCount(Math.min(total, this.offset + PAGE))} of ${formatCount(total)}`, { id: 'keys.range' })}</span>
      <button ?disabled=${this.offset + PAGE >= total} @click=${() => go(this.offset + PAGE)}>${msg('Next', { id: 'next' })}</button>
    </div>`
  }

  #secrets (): TemplateResult | typeof nothing {
    if (this.batch) {
      return html`<div part="secret" role="status">
        <p>${msg(str`${this.batch.length} keys created. Download their secrets now: they are shown only this once.`, { id: 'keys.batchOnce' })}</p>
        <button class="primary" @click=${this.#download}>${msg('Download secrets (CSV)', { id: 'keys.download' })}</button>
        <button @click=${() => { if (confirm(msg('Discard the secrets without downloading them? The keys stay, but nobody can see their secrets again.', { id: 'keys.confirmDiscard' }))) this.batch = undefined }}>${msg('Done', { id: 'done' })}</button>
      </div>`
    }
    if (!this.secret) return nothing
    return html`<div part="secret" role="status">
      <p>${msg(str`The secret of ${this.secret.name}, shown only this once:`, { id: 'keys.secretOnce' })}</p>
      <div class="secret" data-secret>${this.secret.key}</div>
      <button @click=${() => { void navigator.clipboard?.writeText(this.secret!.key) }}>${msg('Copy', { id: 'copy' })}</button>
      <button @click=${() => { this.secret = undefined }}>${msg('Done', { id: 'done' })}</button>
    </div>`
  }

  override render (): TemplateResult {
    if (this.opened) {
      return html`<section part="panel">
        <button @click=${() => { this.opened = undefined; void this.run(() => this.#loadKeys()) }}>${msg('Back to the keys', { id: 'keys.back' })}</button>
        <relay-key-detail .baseUrl=${this.baseUrl} .token=${this.token} .keyId=${this.opened.id} .refresh=${this.refresh} lang=${this.lang || ''}></relay-key-detail>
      </section>`
    }
    const items = this.list?.items ?? []
    return html`<section part="panel">
      <h2>${msg('API keys', { id: 'keys.title' })}</h2>
      <div class="toolbar">
        <form @submit=${this.#create} part="form">
          <label>${msg('Name', { id: 'name' })}<input name="name" required pattern="[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}" autocomplete="off"></label>
          <button class="primary" type="submit">${msg('Create key', { id: 'keys.create' })}</button>
        </form>
        <form @submit=${this.#createMany} part="form">
          <label>${msg('Names start with', { id: 'keys.prefix' })}<input name="prefix" required pattern="[A-Za-z0-9][A-Za-z0-9._\\-]{0,55}" autocomplete="off"></label>
          <label>${msg('How many', { id: 'keys.count' })}<input name="count" type="number" min="1" max="1000" required></label>
          <button type="submit">${msg('Create several', { id: 'keys.createMany' })}</button>
        </form>
      </div>
      ${this.#secrets()}
      ${this.#filters()}
      ${this.#bulkBar()}
      ${this.states(items.length === 0, () => html`<table part="table" class="stack">
        <thead><tr><th><span class="visually-hidden">${msg('Select', { id: 'keys.selectColumn' })}</span></th><th>${msg('Name', { id: 'name' })}</th><th>${msg('State', { id: 'state' })}</th><th>${msg('Bound to', { id: 'keys.bound' })}</th>
          <th>${msg('Today', { id: 'keys.today' })}</th><th>${msg('This month', { id: 'keys.month' })}</th><th>${msg('Nearest limit', { id: 'keys.nearest' })}</th><th>${msg('Last used', { id: 'keys.lastUsed' })}</th><th></th></tr></thead>
        <tbody>${items.map(k => this.#row(k))}</tbody></table>
        ${this.#pager()}`)}
      ${this.#editor()}
    </section>`
  }
}
