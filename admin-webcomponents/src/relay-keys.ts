// <relay-keys>: the relay keys, with create (the secret shown once), disable / enable, rotate
// and delete. Config-declared keys are listed read-only.
import { html, type TemplateResult } from 'lit'
import { msg, str } from '@lit/localize'
import { RelayElement, themeStyles, pager, PAGE_SIZE } from './base.ts'

interface Key { id: string, name: string, hint: string, disabled: boolean, source: string, account: string | null, group: string | null, expiresAt: string | null, lastUsedAt: string | null }

export class RelayKeys extends RelayElement {
  static override styles = themeStyles
  static override properties = { ...RelayElement.properties, keys: { state: true }, secret: { state: true }, page: { state: true } }

  keys: Key[] = []
  secret: { name: string, key: string } | undefined
  page = 0

  override connectedCallback (): void {
    super.connectedCallback()
    void this.reload()
  }

  async reload (): Promise<void> {
    await this.run(async () => {
      this.keys = (await this.api<{ items: Key[] }>('GET', '/_relay/admin/api/keys')).items
    })
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
      this.keys = (await this.api<{ items: Key[] }>('GET', '/_relay/admin/api/keys')).items
    })
  }

  async #act (key: Key, action: 'disable' | 'enable' | 'rotate' | 'delete'): Promise<void> {
    if (action === 'delete' && !confirm(msg(str`Delete key ${key.name}? Its usage history stays.`, { id: 'keys.confirmDelete' }))) return
    await this.run(async () => {
      if (action === 'delete') {
        await this.api('DELETE', `/_relay/admin/api/keys/${encodeURIComponent(key.id)}`)
      } else {
        const r = await this.api<Key & { key?: string }>('POST', `/_relay/admin/api/keys/${encodeURIComponent(key.id)}/${action}`)
        if (r.key) this.secret = { name: r.name, key: r.key }
      }
      this.emit('relay-key-changed', { id: key.id, action })
      this.keys = (await this.api<{ items: Key[] }>('GET', '/_relay/admin/api/keys')).items
    })
  }

  #row (k: Key): TemplateResult {
    const readOnly = k.source === 'config'
    return html`<tr part="row" data-key=${k.name}>
      <td>${k.name}</td><td><code>${k.hint}</code></td>
      <td>${k.disabled ? msg('disabled', { id: 'state.disabled' }) : msg('active', { id: 'state.active' })}</td>
      <td>${k.account ?? k.group ?? msg('shared pool', { id: 'keys.pool' })}</td>
      <td>${k.lastUsedAt ?? '–'}</td>
      <td>${readOnly
        ? msg('from the config file', { id: 'readOnly' })
        : html`
          <button @click=${() => this.#act(k, k.disabled ? 'enable' : 'disable')}>${k.disabled ? msg('Enable', { id: 'enable' }) : msg('Disable', { id: 'disable' })}</button>
          <button @click=${() => this.#act(k, 'rotate')}>${msg('New secret', { id: 'keys.rotate' })}</button>
          <button class="danger" @click=${() => this.#act(k, 'delete')}>${msg('Delete', { id: 'delete' })}</button>`}
      </td></tr>`
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
        ${pager(this.page, this.keys.length, p => { this.page = p })}`)}
    </section>`
  }
}
