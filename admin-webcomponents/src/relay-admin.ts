// <relay-admin>: the whole admin UI. Without a `token`, it asks who is logged in and shows the
// login form if nobody is (local users; with SSO the proxy has already said who); then keys,
// accounts, usage and the request log as tabs, with a language switch.
import { html, nothing, type TemplateResult } from 'lit'
import { msg } from '@lit/localize'
import { RelayElement, themeStyles } from './base.ts'
import { ApiError, call, resetSession } from './api.ts'
import { getLocale } from './localization.ts'
import './relay-keys.ts'
import './relay-accounts.ts'
import './relay-usage.ts'
import './relay-request-log.ts'
import './relay-prices.ts'
import './relay-admin-users.ts'
import './relay-overview.ts'
import './relay-settings.ts'
import type { RelayEventMap, RelayView } from './base.ts'

type Tab = RelayView

/**
 * The whole admin console: the login form (without a `token`), then keys, accounts, usage and
 * the request log as tabs, with a language switch.
 *
 * @tagname relay-admin
 * @fires relay-login - `{ user }`: a local user logged in
 * @fires relay-logout - `{}`: the user logged out
 * @csspart admin - the console once logged in
 * @csspart tabs - the bar with the tabs, the user and the language and log-out buttons
 * @csspart tabpanel - the selected tab's widget
 * @csspart panel - the login panel
 * @csspart login - the login panel
 */
export class RelayAdmin extends RelayElement {
  static override styles = [themeStyles]
  static override properties = { ...RelayElement.properties, user: { state: true }, tab: { state: true }, checked: { state: true }, target: { state: true } }

  user: string | undefined
  tab: Tab = 'overview'
  checked = false
  /** What a link of the overview asked the next view to open (a key's page, a model's requests). */
  target: { key?: string, model?: string } = {}

  constructor () {
    super()
    // A number of the overview opens the view behind it.
    this.addEventListener('relay-navigate', e => {
      const { view, key, model } = (e as CustomEvent<RelayEventMap['relay-navigate']>).detail
      this.target = { key, model }
      this.tab = view
      void this.updateComplete.then(() => this.#selectedTab()?.focus())
    })
  }

  /** Who is logged in (or whom the token is for). */
  async reload (): Promise<void> {
    try {
      this.user = (await this.api<{ user: string }>('GET', '/_relay/admin/api/session')).user
    } catch {
      this.user = undefined
    }
    this.checked = true
  }

  async #login (e: SubmitEvent): Promise<void> {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const value = (n: string) => (form.elements.namedItem(n) as HTMLInputElement).value
    await this.run(async () => {
      const r = await call<{ user: string }>({ baseUrl: this.auth.baseUrl }, 'POST', '/_relay/admin/login', { name: value('name'), password: value('password') })
      resetSession(this.auth.baseUrl)
      // On a page of another site the browser may keep the session cookie to itself (it is
      // SameSite=Strict; some browsers block every third-party cookie): say so, not "log in".
      const back = await call<{ user: string }>({ baseUrl: this.auth.baseUrl }, 'GET', '/_relay/admin/api/session').catch((err: unknown) => err)
      if (back instanceof ApiError && back.status === 401) {
        throw new ApiError(401, 'RELAY_WIDGET_COOKIE_BLOCKED', msg('The password was right, but this browser does not send the relay\'s session cookie from this page: the page and the relay are on different sites. Serve this page from the relay\'s site (for example portal.example.com beside ai.example.com), or give the widget an admin token (its token property).', { id: 'admin.cookieBlocked' }))
      }
      this.user = r.user
      this.emit('relay-login', { user: r.user })
    })
    // Focus follows the user into the console, not back to the top of the page.
    if (this.user) {
      await this.updateComplete
      this.#selectedTab()?.focus()
    }
  }

  #selectedTab (): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>('[role=tab][aria-selected=true]')
  }

  /** The ARIA tabs pattern: arrows move (and select, wrapping), Home and End go to the ends. */
  async #tabKey (e: KeyboardEvent, tabs: readonly Tab[]): Promise<void> {
    const i = tabs.indexOf(this.tab)
    const next = e.key === 'ArrowRight' ? (i + 1) % tabs.length : e.key === 'ArrowLeft' ? (i - 1 + tabs.length) % tabs.length : e.key === 'Home' ? 0 : e.key === 'End' ? tabs.length - 1 : -1
    if (next < 0) return
    e.preventDefault()
    this.tab = tabs[next]!
    await this.updateComplete
    this.#selectedTab()?.focus()
  }

  async #logout (): Promise<void> {
    await this.run(async () => {
      await this.api('POST', '/_relay/admin/api/logout')
      resetSession(this.auth.baseUrl)
      this.user = undefined
      this.emit('relay-logout', {})
    })
  }

  #switchLanguage (): void {
    this.lang = getLocale() === 'zh-Hans' ? 'en' : 'zh-Hans'
  }

  override render (): TemplateResult {
    if (!this.checked) return html`<div class="state" role="status">${msg('Loading…', { id: 'loading' })}</div>`
    if (!this.user) {
      return html`<section part="panel login">
        <h2>${msg('Relay admin: log in', { id: 'admin.login' })}</h2>
        ${this.error ? html`<div class="state error" role="alert">${this.error}</div>` : nothing}
        <form @submit=${this.#login}>
          <label>${msg('User', { id: 'admin.user' })}<input name="name" required autocomplete="username"></label>
          <label>${msg('Password', { id: 'admin.password' })}<input name="password" type="password" required autocomplete="current-password"></label>
          <button class="primary" type="submit">${msg('Log in', { id: 'admin.doLogin' })}</button>
        </form>
        <button @click=${this.#switchLanguage}>${msg('中文', { id: 'admin.otherLanguage' })}</button>
      </section>`
    }
    const tabs: [Tab, string][] = [
      ['overview', msg('Overview', { id: 'overview.title' })], ['keys', msg('API keys', { id: 'keys.title' })], ['accounts', msg('Upstream accounts', { id: 'accounts.title' })],
      ['usage', msg('Usage', { id: 'usage.title' })], ['log', msg('Requests', { id: 'log.title' })], ['prices', msg('Prices', { id: 'prices.title' })], ['users', msg('Admin users', { id: 'users.title' })],
      ['settings', msg('Settings', { id: 'settings.title' })],
    ]
    const props = { baseUrl: this.baseUrl, token: this.token, lang: this.lang }
    const ids = tabs.map(([id]) => id)
    return html`<div part="admin">
      <div class="toolbar" part="tabs">
        <div role="tablist" class="tablist" aria-label=${msg('Sections', { id: 'admin.sections' })}>
          ${tabs.map(([id, label]) => html`<button role="tab" id=${`tab-${id}`} aria-controls="panel" aria-selected=${this.tab === id ? 'true' : 'false'} tabindex=${this.tab === id ? 0 : -1}
            class=${this.tab === id ? 'primary' : ''} @click=${() => { this.tab = id; this.target = {} }} @keydown=${(e: KeyboardEvent) => this.#tabKey(e, ids)}>${label}</button>`)}
        </div>
        <span class="spacer"></span>
        <span>${this.user}</span>
        <button @click=${this.#switchLanguage}>${msg('中文', { id: 'admin.otherLanguage' })}</button>
        ${this.token ? nothing : html`<button @click=${this.#logout}>${msg('Log out', { id: 'admin.logout' })}</button>`}
      </div>
      <div role="tabpanel" id="panel" aria-labelledby=${`tab-${this.tab}`} part="tabpanel">
      ${this.tab === 'overview' ? html`<relay-overview .baseUrl=${props.baseUrl} .token=${props.token} lang=${props.lang || ''}></relay-overview>` : nothing}
      ${this.tab === 'keys' ? html`<relay-keys .baseUrl=${props.baseUrl} .token=${props.token} .refresh=${this.refresh} .openKey=${this.target.key ?? ''} lang=${props.lang || ''}></relay-keys>` : nothing}
      ${this.tab === 'settings' ? html`<relay-settings .baseUrl=${props.baseUrl} .token=${props.token} lang=${props.lang || ''}></relay-settings>` : nothing}
      ${this.tab === 'accounts' ? html`<relay-accounts .baseUrl=${props.baseUrl} .token=${props.token} .refresh=${this.refresh} lang=${props.lang || ''}></relay-accounts>` : nothing}
      ${this.tab === 'usage' ? html`<relay-usage .baseUrl=${props.baseUrl} .token=${props.token} .refresh=${this.refresh} lang=${props.lang || ''} by="key"></relay-usage>` : nothing}
      ${this.tab === 'users' ? html`<relay-admin-users .baseUrl=${props.baseUrl} .token=${props.token} .refresh=${this.refresh} lang=${props.lang || ''}></relay-admin-users>` : nothing}
      ${this.tab === 'prices' ? html`<relay-prices .baseUrl=${props.baseUrl} .token=${props.token} .refresh=${this.refresh} lang=${props.lang || ''}></relay-prices>` : nothing}
      ${this.tab === 'log' ? html`<relay-request-log .baseUrl=${props.baseUrl} .token=${props.token} .refresh=${this.refresh} .model=${this.target.model ?? ''} lang=${props.lang || ''}></relay-request-log>` : nothing}
      </div>
    </div>`
  }
}
