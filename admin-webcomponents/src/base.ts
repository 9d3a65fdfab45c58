// What every relay widget shares: `base-url` and a `token` property, the page's locale, themable
// styles (`--relay-*` custom properties, `::part`), typed events, and the loading / empty /
// error states. A widget loads after its first render, so `token` and `base-url` may be set in
// the page before or right after it upgrades, and loads again whenever either changes.
import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit'
import { msg, updateWhenLocaleChanges } from '@lit/localize'
import { applyLocale } from './localization.ts'
import { call, type ApiAuth } from './api.ts'
import { errorText } from './server-messages.ts'

export const themeStyles = css`
  /* Light by default, dark when the reader's system is (prefers-color-scheme); a page sets any
     --relay-* property to override either. Inputs and scrollbars follow (color-scheme). */
  :host {
    display: block;
    color-scheme: light dark;
    font-family: var(--relay-font, system-ui, sans-serif);
    --_text: var(--relay-text, #1b1f24);
    --_surface: var(--relay-surface, #fff);
    --_accent: var(--relay-accent, #2563eb);
    --_on-accent: var(--relay-on-accent, #fff);
    --_border: var(--relay-border, #d0d7de);
    --_muted: var(--relay-muted, #57606a);
    --_danger: var(--relay-danger, #b42318);
    --_button: var(--relay-button, #f6f8fa);
    --_code-bg: var(--relay-code-bg, #fff8c5);
    --_panel-bg: var(--relay-panel-bg, #f6f8fa);
    color: var(--_text);
    background: var(--_surface);
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --_text: var(--relay-text, #e6edf3);
      --_surface: var(--relay-surface, #0d1117);
      --_accent: var(--relay-accent, #4493f8);
      --_on-accent: var(--relay-on-accent, #0d1117);
      --_border: var(--relay-border, #3d444d);
      --_muted: var(--relay-muted, #9198a1);
      --_danger: var(--relay-danger, #ff7b72);
      --_button: var(--relay-button, #212830);
      --_code-bg: var(--relay-code-bg, #3d2e00);
      --_panel-bg: var(--relay-panel-bg, #151b23);
    }
  }
  input, select, textarea { background: var(--_surface); color: var(--_text); }
  h2 { font-size: 1.1rem; margin: 0 0 .75rem; }
  /* On a phone a wide table scrolls inside its widget, never the page sideways. */
  section { margin-bottom: 1.5rem; overflow-x: auto; }
  input, select { max-width: 100%; }
  table { border-collapse: collapse; width: 100%; font-size: .9rem; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--_border); vertical-align: top; }
  th { color: var(--_muted); font-weight: 600; }
  button { font: inherit; padding: .3rem .7rem; border: 1px solid var(--_border); border-radius: 6px; background: var(--_button); color: inherit; cursor: pointer; }
  button.primary { background: var(--_accent); border-color: var(--_accent); color: var(--_on-accent); }
  button.danger { color: var(--_danger); }
  button:focus-visible, input:focus-visible, select:focus-visible { outline: 2px solid var(--_accent); outline-offset: 1px; }
  input, select { font: inherit; padding: .3rem .5rem; border: 1px solid var(--_border); border-radius: 6px; }
  label { display: inline-flex; flex-direction: column; gap: .2rem; font-size: .85rem; color: var(--_muted); margin: 0 .5rem .5rem 0; }
  form, .toolbar { display: flex; flex-wrap: wrap; align-items: flex-end; gap: .25rem .5rem; margin-bottom: .75rem; }
  .state { padding: 1rem; color: var(--_muted); }
  .error { color: var(--_danger); }
  .secret { font-family: ui-monospace, monospace; background: var(--_code-bg); padding: .5rem; border-radius: 6px; word-break: break-all; }
  .pager { display: flex; gap: .5rem; align-items: center; margin-top: .5rem; }
  /* A style attribute would break a page's CSP (style-src without 'unsafe-inline'). */
  .spacer { flex: 1; }
  label.check { flex-direction: row; align-items: center; gap: .35rem; }
  fieldset { border: 1px solid var(--_border); border-radius: 6px; margin: 0 0 .75rem; display: flex; flex-wrap: wrap; gap: .25rem .5rem; }
  fieldset .row { display: flex; flex-wrap: wrap; gap: .25rem .5rem; width: 100%; }
  form.limits { display: block; }
  .choices { width: 100%; }
  label .error { font-size: .8rem; }
  .tablist { display: flex; flex-wrap: wrap; gap: .25rem; }
  code { font-family: ui-monospace, monospace; }
  button.link { border: none; background: none; padding: 0; color: var(--_accent); text-decoration: underline; }
  .tag { display: inline-block; font-size: .8rem; padding: 0 .4rem; border: 1px solid var(--_border); border-radius: 999px; }
  .use { white-space: nowrap; }
  progress { display: block; width: 6rem; }
  pre.config { font-family: ui-monospace, monospace; font-size: .8rem; background: var(--_panel-bg); padding: .75rem; border-radius: 6px; overflow-x: auto; max-height: 60vh; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: .75rem; margin-bottom: 1rem; }
  .card { border: 1px solid var(--_border); border-radius: 8px; padding: .5rem .75rem; }
  .card h3 { font-size: .95rem; margin: 0 0 .4rem; }
  .card.wide { grid-column: span 2; }
  @media (max-width: 40rem) { .card.wide { grid-column: auto; } }
  /* A table of class stack becomes one card per row on a phone, each cell with its column's name. */
  @media (max-width: 40rem) {
    table.stack thead { display: none; }
    table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; width: auto; }
    table.stack tr { border: 1px solid var(--_border); border-radius: 8px; margin-bottom: .5rem; padding: .25rem 0; }
    table.stack td { border: none; padding: .15rem .6rem; }
    table.stack td[data-label]::before { content: attr(data-label) ': '; color: var(--_muted); font-size: .8rem; }
  }
  dl.detail { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .75rem; margin: 0 0 .75rem; font-size: .9rem; }
  dl.detail dt { color: var(--_muted); }
  dl.detail dd { margin: 0; overflow-wrap: anywhere; }
  @media (max-width: 40rem) { dl.detail { grid-template-columns: 1fr; } }
  ol.tried { margin: 0; padding-left: 1.2rem; }
  ul.errors { margin: .25rem 0 0; padding-left: 1rem; font-size: .85rem; }
  label small { font-size: .75rem; color: var(--_muted); max-width: 22rem; }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
`

/** The console's views, as `relay-navigate` names them. */
export type RelayView = 'overview' | 'keys' | 'accounts' | 'usage' | 'log' | 'prices' | 'users' | 'settings'

export type RelayEventMap = {
  'relay-navigate': { view: RelayView, key?: string, model?: string }
  'relay-key-created': { id: string, name: string }
  'relay-key-changed': { id: string, action: 'disable' | 'enable' | 'rotate' | 'delete' | 'update' }
  'relay-account-created': { id: string, name: string }
  'relay-account-changed': { id: string, action: 'disable' | 'enable' | 'delete' | 'test' | 'reset' | 'update' }
  'relay-login': { user: string }
  'relay-logout': Record<string, never>
  'relay-error': { message: string, status: number }
}

/**
 * What every relay widget has: where the relay is, how to authenticate, the language, and the
 * loading, empty and error states.
 *
 * @fires relay-error - `{ message, status }`: a call to the relay failed (the widget shows it too)
 * @csspart loading - the loading state
 * @csspart empty - the empty state
 * @csspart error - the error message (role=alert)
 * @csspart pager - the previous/next page buttons of a long list
 * @cssprop --relay-font - the font (default system-ui)
 * @cssprop --relay-text - the text colour
 * @cssprop --relay-surface - the background
 * @cssprop --relay-accent - primary buttons, focus rings
 * @cssprop --relay-border - borders and table rules
 * @cssprop --relay-muted - labels and secondary text
 * @cssprop --relay-danger - errors and destructive buttons
 * @cssprop --relay-button - the background of ordinary buttons
 * @cssprop --relay-code-bg - the background of a secret shown once
 * @cssprop --relay-on-accent - text on primary buttons
 * @cssprop --relay-panel-bg - the background of the configuration view
 */
export abstract class RelayElement extends LitElement {
  static override properties = {
    baseUrl: { type: String, attribute: 'base-url' },
    token: { type: String, attribute: false },
    lang: { type: String, reflect: true },
    refresh: { type: Number },
    loading: { state: true },
    error: { state: true },
  }

  /** The relay's origin (`https://ai.example.com`); empty for the page's own. Attribute `base-url`. */
  baseUrl = ''
  /** An admin token (`admin.tokens` in the config), instead of a login: a property only, never an attribute (it would show in the page). */
  token: string | undefined
  loading = false
  error: string | undefined

  constructor () {
    super()
    updateWhenLocaleChanges(this)
  }

  override connectedCallback (): void {
    super.connectedCallback()
    applyLocale(this.lang)
    if (this.hasUpdated) this.#schedule()
  }

  /** Seconds between reloads while the page is visible (attribute `refresh`; 0: never). */
  refresh = 15
  #timer: ReturnType<typeof setInterval> | undefined

  /** Loads what the widget shows. */
  abstract reload (): Promise<void>

  /** What a periodic refresh does (a widget that pages may skip it). */
  protected refreshNow (): void {
    void this.reload()
  }

  protected override firstUpdated (): void {
    void this.reload()
  }

  protected override updated (changed: PropertyValues): void {
    if (changed.has('refresh')) this.#schedule()
  }

  override disconnectedCallback (): void {
    super.disconnectedCallback()
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  #schedule (): void {
    clearInterval(this.#timer)
    this.#timer = undefined
    if (!this.isConnected || !(this.refresh > 0)) return
    // A hidden tab, a load in flight or an error the operator has not seen yet: not now.
    this.#timer = setInterval(() => { if (!document.hidden && !this.loading && !this.error) this.refreshNow() }, Math.max(1, this.refresh) * 1000)
  }

  protected override willUpdate (changed: PropertyValues): void {
    if (changed.has('lang')) applyLocale(this.lang)
    // The first load comes after the first render; later changes of who or where load again.
    if (this.hasUpdated && (changed.has('token') || changed.has('baseUrl'))) void this.reload()
  }

  protected get auth (): ApiAuth {
    return { baseUrl: this.baseUrl.replace(/\/+$/, ''), token: this.token }
  }

  protected api<T> (method: string, path: string, body?: unknown): Promise<T> {
    return call<T>(this.auth, method, path, body)
  }

  /** Typed, bubbling, composed: a portal can listen on any ancestor. */
  protected emit<K extends keyof RelayEventMap> (type: K, detail: RelayEventMap[K]): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }))
  }

  /** Runs `work`, showing loading and errors; an error is also emitted. */
  protected async run (work: () => Promise<void>): Promise<void> {
    this.loading = true
    this.error = undefined
    try {
      await work()
    } catch (err) {
      this.error = errorText(err)
      this.emit('relay-error', { message: this.error, status: (err as { status?: number }).status ?? 0 })
    } finally {
      this.loading = false
    }
  }

  protected states (empty: boolean, content: () => TemplateResult): TemplateResult {
    if (this.error) return html`<div class="state error" role="alert" part="error">${this.error}</div>${content()}`
    if (this.loading && empty) return html`<div class="state" role="status" part="loading">${msg('Loading…', { id: 'loading' })}</div>`
    if (empty) return html`<div class="state" part="empty">${msg('Nothing here yet.', { id: 'empty' })}</div>`
    return content()
  }
}

export const PAGE_SIZE = 20

/** Buttons for client-side pages of a long list. */
export function pager (page: number, total: number, go: (page: number) => void): TemplateResult | typeof nothing {
  const pages = Math.ceil(total / PAGE_SIZE)
  if (pages <= 1) return nothing
  return html`<div class="pager" part="pager">
    <button ?disabled=${page === 0} @click=${() => go(page - 1)}>${msg('Previous', { id: 'previous' })}</button>
    <span>${page + 1} / ${pages}</span>
    <button ?disabled=${page >= pages - 1} @click=${() => go(page + 1)}>${msg('Next', { id: 'next' })}</button>
  </div>`
}
