// <relay-admin-users>: the admin pages' local users: add one or set a new password (its sessions
// end), sign a user out everywhere, delete one. What `ai-relay admin users` does.
import { html, type TemplateResult } from 'lit'
import { msg, str } from '@lit/localize'
import { RelayElement, themeStyles } from './base.ts'
import { formatTime } from './format.ts'

interface User { name: string, createdAt: string }

/**
 * The local admin users: add or set a password, sign out everywhere, delete.
 *
 * @tagname relay-admin-users
 * @csspart panel - the widget
 * @csspart form - the add / new password form
 * @csspart table - the users
 * @csspart row - one user (`data-user` holds its name)
 * @csspart result - what the last action did
 */
export class RelayAdminUsers extends RelayElement {
  static override styles = themeStyles
  static override properties = { ...RelayElement.properties, users: { state: true }, done: { state: true } }

  users: User[] = []
  done: string | undefined

  override async reload (): Promise<void> {
    await this.run(() => this.#loadUsers())
  }

  async #put (e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const value = (n: string) => (form.elements.namedItem(n) as HTMLInputElement).value
    const name = value('name').trim()
    await this.run(async () => {
      const r = await this.api<{ created: boolean }>('PUT', `/_relay/admin/api/users/${encodeURIComponent(name)}`, { password: value('password') })
      this.done = r.created ? msg(str`Added ${name}.`, { id: 'users.added' }) : msg(str`New password for ${name}; its sessions were ended.`, { id: 'users.changed' })
      form.reset()
      await this.#loadUsers()
    })
  }

  async #act (u: User, action: 'sign-out' | 'delete'): Promise<void> {
    const question = action === 'delete' ? msg(str`Delete admin user ${u.name}? Its sessions end.`, { id: 'users.confirmDelete' }) : msg(str`Sign ${u.name} out everywhere?`, { id: 'users.confirmSignOut' })
    if (!confirm(question)) return
    await this.run(async () => {
      if (action === 'delete') await this.api('DELETE', `/_relay/admin/api/users/${encodeURIComponent(u.name)}`)
      else await this.api('POST', `/_relay/admin/api/users/${encodeURIComponent(u.name)}/sign-out`)
      this.done = action === 'delete' ? msg(str`Deleted ${u.name}.`, { id: 'users.deleted' }) : msg(str`${u.name} is signed out everywhere.`, { id: 'users.signedOut' })
      await this.#loadUsers()
    })
  }

  async #loadUsers (): Promise<void> {
    this.users = (await this.api<{ items: User[] }>('GET', '/_relay/admin/api/users')).items
  }

  override render (): TemplateResult {
    return html`<section part="panel">
      <h2>${msg('Admin users', { id: 'users.title' })}</h2>
      <form part="form" @submit=${this.#put}>
        <label>${msg('Name', { id: 'name' })}<input name="name" required pattern="[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}" autocomplete="off"></label>
        <label>${msg('Password (12 characters or more)', { id: 'users.password' })}<input name="password" type="password" required minlength="12" maxlength="256" autocomplete="new-password"></label>
        <button class="primary" type="submit">${msg('Add, or set a new password', { id: 'users.put' })}</button>
      </form>
      ${this.done ? html`<p role="status" part="result">${this.done}</p>` : ''}
      ${this.states(this.users.length === 0, () => html`<table part="table">
        <thead><tr><th>${msg('Name', { id: 'name' })}</th><th>${msg('Created', { id: 'users.created' })}</th><th></th></tr></thead>
        <tbody>${this.users.map(u => html`<tr part="row" data-user=${u.name}><td>${u.name}</td><td>${formatTime(u.createdAt)}</td>
          <td><button @click=${() => this.#act(u, 'sign-out')}>${msg('Sign out everywhere', { id: 'users.signOut' })}</button>
            <button class="danger" @click=${() => this.#act(u, 'delete')}>${msg('Delete', { id: 'delete' })}</button></td></tr>`)}</tbody></table>`)}
    </section>`
  }
}
