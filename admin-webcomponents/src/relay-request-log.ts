// <relay-request-log>: the newest requests first, filtered by key, model and status, paged by
// the API's cursor ("More"). `relayKey` switches to the caller's own requests.
import { html, type TemplateResult } from 'lit'
import { msg } from '@lit/localize'
import { formatCount, formatTime, formatUsd } from './format.ts'
import { RelayElement, themeStyles } from './base.ts'

interface Row { id: string, time: string, keyId: string, keyName?: string | null, accountName?: string | null, model: string | null, path: string, status: number, usage: Record<string, number | undefined>, costUsd: string | null, latencyMs: number, clientKind: string }

/**
 * The request log, newest first, with filters and more pages (admin, or a key's own with
 * `relayKey`).
 *
 * @tagname relay-request-log
 * @csspart panel - the widget
 * @csspart form - the filters
 * @csspart table - the requests
 * @csspart row - one request
 */
export class RelayRequestLog extends RelayElement {
  static override styles = themeStyles
  static override properties = { ...RelayElement.properties, relayKey: { type: String, attribute: false }, keyId: { type: String, attribute: 'key-id' }, model: { type: String }, rows: { state: true }, cursor: { state: true } }

  /** Self-service: show this relay key's own requests. A property only. */
  relayKey: string | undefined
  /** Admin: one key's requests only (its id or name; attribute `key-id`). */
  keyId = ''
  /** The model filter to start with (`claude-*` for a prefix; attribute `model`). */
  model = ''
  rows: Row[] = []
  cursor: string | null = null
  #filters: Record<string, string> = {}

  protected override get auth () {
    return { ...super.auth, relayKey: this.relayKey }
  }

  protected override firstUpdated (): void {
    if (this.model) this.#filters = { model: this.model }
    super.firstUpdated()
  }

  async reload (more = false): Promise<void> {
    const q = new URLSearchParams({ limit: '25', ...this.#filters, ...(this.keyId ? { key: this.keyId } : {}), ...(more && this.cursor ? { cursor: this.cursor } : {}) })
    const base = this.relayKey ? '/_relay/me/api/requests' : '/_relay/admin/api/requests'
    await this.run(async () => {
      const page = await this.api<{ items: Row[], nextCursor: string | null }>('GET', `${base}?${q}`)
      this.rows = more ? [...this.rows, ...page.items] : page.items
      this.cursor = page.nextCursor
    })
  }

  /** The newest page stays current; once the operator has paged on, the list is left alone. */
  protected override refreshNow (): void {
    if (this.rows.length <= 25) void this.reload()
  }

  #filter (e: SubmitEvent): void {
    e.preventDefault()
    const data = new FormData(e.target as HTMLFormElement)
    this.#filters = Object.fromEntries([...data.entries()].filter(([, v]) => v !== '').map(([k, v]) => [k, String(v)]))
    void this.reload()
  }

  override render (): TemplateResult {
    return html`<section part="panel">
      <h2>${msg('Requests', { id: 'log.title' })}</h2>
      <form @submit=${this.#filter} part="form">
        ${this.relayKey || this.keyId ? '' : html`<label>${msg('Key (name)', { id: 'log.key' })}<input name="key" autocomplete="off"></label>`}
        <label>${msg('Model (claude-* for a prefix)', { id: 'log.model' })}<input name="model" autocomplete="off" .value=${this.model}></label>
        <label>${msg('Status', { id: 'log.status' })}<input name="status" type="number" min="0" max="999"></label>
        <button type="submit">${msg('Filter', { id: 'log.filter' })}</button>
      </form>
      ${this.states(this.rows.length === 0, () => html`<table part="table">
        <thead><tr><th>${msg('Time', { id: 'log.time' })}</th>${this.relayKey ? '' : html`<th>${msg('Key', { id: 'keys.key' })}</th>`}<th>${msg('Model', { id: 'model' })}</th>
          <th>${msg('Status', { id: 'log.status' })}</th><th>${msg('Tokens in / out', { id: 'log.tokens' })}</th><th>${msg('Cost (USD)', { id: 'usage.costUsd' })}</th><th>${msg('Time taken', { id: 'log.latency' })}</th></tr></thead>
        <tbody>${this.rows.map(r => html`<tr part="row" data-request=${r.id}>
          <td><time datetime=${r.time}>${formatTime(r.time, true)}</time></td>${this.relayKey ? '' : html`<td>${r.keyName ?? html`<code>${r.keyId}</code>`}</td>`}<td>${r.model ?? '–'}</td>
          <td>${r.status}</td><td>${formatCount(r.usage.input)} / ${formatCount(r.usage.output)}</td><td>${formatUsd(r.costUsd)}</td><td>${formatCount(r.latencyMs)} ms</td></tr>`)}</tbody></table>
        <div class="pager" part="pager">${this.cursor ? html`<button @click=${() => this.reload(true)}>${msg('More', { id: 'log.more' })}</button>` : ''}</div>`)}
    </section>`
  }
}
