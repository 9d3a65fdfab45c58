// <relay-key-detail>: one key's page: its state, limits with their use and reset times, its
// usage by model over time and its requests.
import { html, nothing, type TemplateResult } from 'lit'
import { msg, str } from '@lit/localize'
import { RelayElement, themeStyles } from './base.ts'
import { formatRelative, formatTime } from './format.ts'
import { limitLabel } from './limit-label.ts'
import { renderBindings, type Binding } from './key-bindings.ts'
import type { LimitUse } from './relay-keys.ts'
import './relay-usage.ts'
import './relay-request-log.ts'

interface Report { id: string, name: string, state: string, expiresAt: string | null, activatedAt: string | null, bindings: Record<string, Binding>, tags: string[], limits: LimitUse[] }

/**
 * One key: its limits with their current use, its usage by model over time and its requests.
 *
 * @tagname relay-key-detail
 * @csspart panel - the widget
 * @csspart table - the limits
 */
export class RelayKeyDetail extends RelayElement {
  static override styles = themeStyles
  static override properties = { ...RelayElement.properties, keyId: { type: String, attribute: 'key-id' }, report: { state: true } }

  /** The key's id or name (attribute `key-id`). */
  keyId = ''
  report: Report | undefined

  async reload (): Promise<void> {
    if (!this.keyId) return
    await this.run(async () => { this.report = await this.api<Report>('GET', `/_relay/admin/api/keys/${encodeURIComponent(this.keyId)}`) })
  }

  protected override willUpdate (changed: Map<PropertyKey, unknown>): void {
    super.willUpdate(changed)
    if (this.hasUpdated && changed.has('keyId')) void this.reload()
  }

  override render (): TemplateResult {
    const r = this.report
    return html`<section part="panel">
      <h2>${r ? msg(str`Key ${r.name}`, { id: 'keyPage.title' }) : msg('Key', { id: 'keys.key' })}</h2>
      ${this.states(!r, () => html`
        <p>${msg('State', { id: 'state' })}: ${r!.state} · ${msg('Bound to', { id: 'keys.bound' })}: ${renderBindings(r!.bindings)}
          · ${msg('Expires', { id: 'me.expires' })}: ${r!.expiresAt ? formatTime(r!.expiresAt) : msg('never', { id: 'never' })}
          ${r!.tags.length > 0 ? html` · ${msg('Tags', { id: 'keyPage.tags' })}: ${r!.tags.join(', ')}` : nothing}</p>
        <table part="table"><thead><tr><th>${msg('Limit', { id: 'me.limit' })}</th><th>${msg('Used', { id: 'me.used' })}</th><th>${msg('Max', { id: 'me.max' })}</th><th>${msg('Resets', { id: 'me.resets' })}</th></tr></thead>
        <tbody>${r!.limits.length === 0 ? html`<tr><td colspan="4">${msg('No limits', { id: 'me.noLimits' })}</td></tr>` : r!.limits.map(l => html`<tr><td>${limitLabel(l.limit)}</td><td>${l.used}</td><td>${l.max}</td><td>${l.resetsAt ? formatRelative(l.resetsAt) : '–'}</td></tr>`)}</tbody></table>
        <relay-usage .baseUrl=${this.baseUrl} .token=${this.token} .keyId=${r!.id} by="model" lang=${this.lang || ''}></relay-usage>
        <relay-request-log .baseUrl=${this.baseUrl} .token=${this.token} .keyId=${r!.id} .refresh=${this.refresh} lang=${this.lang || ''}></relay-request-log>`)}
    </section>`
  }
}
