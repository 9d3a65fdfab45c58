// <relay-key-usage>: self-service. The holder enters their relay key (kept in this tab's
// sessionStorage only) and sees its limits with current use and reset times, its usage over
// time and its recent requests.
import { html, type TemplateResult } from 'lit'
import { msg } from '@lit/localize'
import { RelayElement, themeStyles } from './base.ts'
import './relay-usage.ts'
import './relay-request-log.ts'

interface Report { name: string, state: string, expiresAt: string | null, limits: { limit: string, used: number | string, max: number | string, resetsAt: string | null }[] }

const STORAGE = 'relay-self-service-key'

/**
 * Self-service: a key holder enters their relay key and sees its limits, their current use and
 * reset times (nothing of anyone else's).
 *
 * @tagname relay-key-usage
 * @csspart panel - the widget
 * @csspart table - the limits
 */
export class RelayKeyUsage extends RelayElement {
  static override styles = themeStyles
  static override properties = { ...RelayElement.properties, relayKey: { type: String, attribute: false }, report: { state: true } }

  /** The holder's relay key (kept in sessionStorage once entered). A property only. */
  relayKey: string | undefined = sessionStorage.getItem(STORAGE) ?? undefined
  report: Report | undefined

  protected override get auth () {
    return { ...super.auth, relayKey: this.relayKey }
  }

  async reload (): Promise<void> {
    // Nothing to show until the holder gives their key.
    if (!this.relayKey) return
    await this.run(async () => { this.report = await this.api<Report>('GET', '/_relay/me/api/key') })
  }

  #enter (e: SubmitEvent): void {
    e.preventDefault()
    this.relayKey = ((e.target as HTMLFormElement).elements.namedItem('key') as HTMLInputElement).value.trim()
    sessionStorage.setItem(STORAGE, this.relayKey)
    void this.reload()
  }

  #forget (): void {
    sessionStorage.removeItem(STORAGE)
    this.relayKey = undefined
    this.report = undefined
  }

  override render (): TemplateResult {
    if (!this.relayKey || (!this.report && this.error)) {
      return html`<section part="panel"><h2>${msg('Your API key', { id: 'me.title' })}</h2>
        ${this.error ? html`<div class="state error" role="alert">${this.error}</div>` : ''}
        <form @submit=${this.#enter}><label>${msg('Your relay key', { id: 'me.key' })}<input name="key" type="password" required autocomplete="off"></label>
        <button class="primary" type="submit">${msg('Show my usage', { id: 'me.show' })}</button></form></section>`
    }
    const r = this.report
    return html`<section part="panel">
      <h2>${msg('Your API key', { id: 'me.title' })}${r ? html`: ${r.name}` : ''}</h2>
      <button @click=${this.#forget}>${msg('Forget this key', { id: 'me.forget' })}</button>
      ${this.states(!r, () => html`<p>${msg('State', { id: 'state' })}: ${r!.state} · ${msg('Expires', { id: 'me.expires' })}: ${r!.expiresAt ?? msg('never', { id: 'never' })}</p>
        <table part="table"><thead><tr><th>${msg('Limit', { id: 'me.limit' })}</th><th>${msg('Used', { id: 'me.used' })}</th><th>${msg('Max', { id: 'me.max' })}</th><th>${msg('Resets', { id: 'me.resets' })}</th></tr></thead>
        <tbody>${r!.limits.length === 0 ? html`<tr><td colspan="4">${msg('No limits', { id: 'me.noLimits' })}</td></tr>` : r!.limits.map(l => html`<tr><td>${l.limit}</td><td>${l.used}</td><td>${l.max}</td><td>${l.resetsAt ?? '–'}</td></tr>`)}</tbody></table>
        <relay-usage .baseUrl=${this.baseUrl} .relayKey=${this.relayKey} lang=${this.lang || ''}></relay-usage>
        <relay-request-log .baseUrl=${this.baseUrl} .relayKey=${this.relayKey} lang=${this.lang || ''}></relay-request-log>`)}
    </section>`
  }
}
