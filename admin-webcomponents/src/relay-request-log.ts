// <relay-request-log>: the newest requests first, filtered by key, account, provider, model
// (a glob: `claude-*`), status (or a class: `5xx`), client and time range, paged by the API's
// cursor ("More"); a row opens its detail (accounts tried, who sent it, tokens and cost by
// kind). `relayKey` switches to the caller's own requests.
import { html, nothing, type TemplateResult } from 'lit'
import { msg, str } from '@lit/localize'
import { formatCount, formatTime, formatUsd } from './format.ts'
import { RelayElement, themeStyles } from './base.ts'
import { CLIENT_KINDS } from './key-policy-form.ts'

interface Row {
  id: string, time: string, keyId: string, keyName?: string | null, accountName?: string | null, provider: string, model: string | null, path: string, status: number,
  usage: Record<string, number | undefined>, costUsd: string | null, latencyMs: number, ttfbMs: number | null, clientKind: string, state: string, stream: boolean
}
interface Detail extends Row {
  accountsTried: { id: string, name: string | null, errors: string[] }[], userAgent: string | null, clientIp: string | null, upstreamRequestId: string | null, bridge?: string | null, requestedModel?: string | null, attempts: number,
  flags: string | null, partial: boolean, repeats: number, unpriced: boolean,
  cost: { totalUsd: string | null, pricedAs: string | null, priceVersion: string | null, byKind: Record<string, string> | null }
}

const TOKEN_KINDS = ['input', 'output', 'cacheWrite5m', 'cacheWrite1h', 'cacheRead'] as const

/**
 * The request log, newest first, with filters, more pages and each request's detail (admin),
 * or a key's own requests with `relayKey`.
 *
 * @tagname relay-request-log
 * @csspart panel - the widget
 * @csspart form - the filters
 * @csspart table - the requests
 * @csspart row - one request
 * @csspart detail - the request opened
 */
export class RelayRequestLog extends RelayElement {
  static override styles = themeStyles
  static override properties = {
    ...RelayElement.properties, relayKey: { type: String, attribute: false }, keyId: { type: String, attribute: 'key-id' }, model: { type: String },
    rows: { state: true }, cursor: { state: true }, detail: { state: true },
  }

  /** Self-service: show this relay key's own requests. A property only. */
  relayKey: string | undefined
  /** Admin: one key's requests only (its id or name; attribute `key-id`). */
  keyId = ''
  /** The model filter to start with (`claude-*` for a glob; attribute `model`). */
  model = ''
  rows: Row[] = []
  cursor: string | null = null
  /** The request opened. */
  detail: Detail | undefined
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

  /** The newest page stays current; once the operator has paged on or opened a row, the list is left alone. */
  protected override refreshNow (): void {
    if (this.rows.length <= 25 && !this.detail) void this.reload()
  }

  #filter (e: SubmitEvent): void {
    e.preventDefault()
    const data = new FormData(e.target as HTMLFormElement)
    const filters: Record<string, string> = {}
    for (const [k, v] of data.entries()) {
      const value = String(v).trim()
      if (value === '') continue
      // datetime-local is the reader's local time; the API takes an instant.
      filters[k] = k === 'since' || k === 'until' ? new Date(value).toISOString() : value
    }
    this.#filters = filters
    this.detail = undefined
    void this.reload()
  }

  async #open (r: Row): Promise<void> {
    if (this.relayKey) return
    await this.run(async () => { this.detail = await this.api<Detail>('GET', `/_relay/admin/api/requests/${encodeURIComponent(r.id)}`) })
    await this.updateComplete
    this.renderRoot.querySelector<HTMLElement>('[part~=detail] h3')?.focus()
  }

  /** Closes the detail and puts focus back on the row it was opened from. */
  async #close (): Promise<void> {
    const id = this.detail?.id
    this.detail = undefined
    await this.updateComplete
    if (id !== undefined) this.renderRoot.querySelector<HTMLElement>(`tr[data-request="${CSS.escape(id)}"] button`)?.focus()
  }

  #detail (): TemplateResult | typeof nothing {
    const d = this.detail
    if (!d) return nothing
    const kindLabel = (k: typeof TOKEN_KINDS[number]) => k === 'input' ? msg('input', { id: 'log.input' }) : k === 'output' ? msg('output', { id: 'log.output' })
      : k === 'cacheWrite5m' ? msg('cache write (5 min)', { id: 'log.cw5' }) : k === 'cacheWrite1h' ? msg('cache write (1 h)', { id: 'log.cw1' }) : msg('cache read', { id: 'log.cacheRead' })
    return html`<div part="detail" class="card" role="region" aria-label=${msg('Request detail', { id: 'log.detail' })}>
      <h3 tabindex="-1">${msg(str`Request ${d.id}`, { id: 'log.request' })}</h3>
      <dl class="detail">
        <dt>${msg('Time', { id: 'log.time' })}</dt><dd>${formatTime(d.time, true)}</dd>
        <dt>${msg('Key', { id: 'keys.key' })}</dt><dd>${d.keyName ?? d.keyId}</dd>
        <dt>${msg('Accounts tried', { id: 'log.tried' })}</dt><dd>${d.accountsTried.length === 0 ? '–' : html`<ol class="tried">${d.accountsTried.map(a => html`<li>${a.name ?? a.id}${a.errors.length > 0 ? html`: <span class="error">${a.errors.join('; ')}</span>` : nothing}</li>`)}</ol>`}</dd>
        <dt>${msg('Provider and model', { id: 'log.providerModel' })}</dt><dd>${d.provider} · ${d.model ?? '–'}${d.requestedModel ? ` (${msg(str`asked for ${d.requestedModel}`, { id: 'log.requestedModel' })})` : ''} ${d.stream ? msg('(stream)', { id: 'log.stream' }) : ''}${d.bridge ? html` · ${msg(str`translated by ${d.bridge}`, { id: 'log.bridge' })}` : nothing}</dd>
        <dt>${msg('Status', { id: 'log.status' })}</dt><dd>${d.status} ${d.state !== 'done' ? `(${d.state})` : ''} ${d.partial ? msg('(cut short)', { id: 'log.partial' }) : ''} ${d.flags ?? ''}</dd>
        <dt>${msg('Client', { id: 'log.client' })}</dt><dd>${d.clientKind}${d.userAgent ? html` · <code>${d.userAgent}</code>` : nothing}${d.clientIp ? ` · ${d.clientIp}` : ''}</dd>
        <dt>${msg('Time taken', { id: 'log.latency' })}</dt><dd>${formatCount(d.latencyMs)} ms${d.ttfbMs === null ? '' : ` (${msg(str`first byte ${formatCount(d.ttfbMs)} ms`, { id: 'log.ttfb' })})`}</dd>
        <dt>${msg('Provider request id', { id: 'log.upstreamId' })}</dt><dd>${d.upstreamRequestId ?? '–'}</dd>
      </dl>
      <table part="table"><thead><tr><th>${msg('Tokens', { id: 'usage.tokens' })}</th><th>${msg('Count', { id: 'log.count' })}</th><th>${msg('Cost (USD)', { id: 'usage.costUsd' })}</th></tr></thead>
        <tbody>${TOKEN_KINDS.map(k => html`<tr><td>${kindLabel(k)}</td><td>${formatCount(d.usage[k] ?? 0)}</td><td>${d.cost.byKind ? formatUsd(d.cost.byKind[k]) : '–'}</td></tr>`)}
        <tr><th>${msg('Total', { id: 'log.total' })}</th><td></td><th>${d.cost.totalUsd === null ? msg('unpriced', { id: 'log.unpriced' }) : formatUsd(d.cost.totalUsd)}</th></tr></tbody></table>
      <p>${msg(str`Priced as ${d.cost.pricedAs ?? '–'} (price table ${d.cost.priceVersion ?? '–'})`, { id: 'log.pricedAs' })}</p>
      <button @click=${this.#close}>${msg('Close', { id: 'log.close' })}</button>
    </div>`
  }

  #filterForm (): TemplateResult {
    const f = this.#filters
    const admin = !this.relayKey
    return html`<form @submit=${this.#filter} part="form" role="search">
      ${admin && !this.keyId ? html`<label>${msg('Key (name)', { id: 'log.key' })}<input name="key" autocomplete="off" .value=${f.key ?? ''}></label>` : nothing}
      ${admin ? html`<label>${msg('Account (name)', { id: 'log.account' })}<input name="account" autocomplete="off" .value=${f.account ?? ''}></label>
        <label>${msg('Provider', { id: 'keys.provider' })}<input name="provider" autocomplete="off" .value=${f.provider ?? ''} placeholder="claude"></label>` : nothing}
      <label>${msg('Model (claude-* for a prefix)', { id: 'log.model' })}<input name="model" autocomplete="off" .value=${f.model ?? this.model}></label>
      <label>${msg('Status (200, 4xx, 5xx)', { id: 'log.statusFilter' })}<input name="status" autocomplete="off" pattern="[1-5]xx|[0-9]{1,3}" .value=${f.status ?? ''}></label>
      ${admin ? html`<label>${msg('Client', { id: 'log.client' })}<select name="client"><option value="">${msg('any', { id: 'any' })}</option>
        ${CLIENT_KINDS.map(c => html`<option value=${c} ?selected=${f.client === c}>${c}</option>`)}</select></label>` : nothing}
      <label>${msg('From', { id: 'usage.from' })}<input name="since" type="datetime-local"></label>
      <label>${msg('Until', { id: 'log.until' })}<input name="until" type="datetime-local"></label>
      <button type="submit">${msg('Filter', { id: 'log.filter' })}</button>
    </form>`
  }

  override render (): TemplateResult {
    const admin = !this.relayKey
    return html`<section part="panel">
      <h2>${msg('Requests', { id: 'log.title' })}</h2>
      ${this.#filterForm()}
      ${this.#detail()}
      ${this.states(this.rows.length === 0, () => html`<table part="table" class="stack">
        <thead><tr><th>${msg('Time', { id: 'log.time' })}</th>${admin ? html`<th>${msg('Key', { id: 'keys.key' })}</th><th>${msg('Account', { id: 'account' })}</th>` : nothing}<th>${msg('Model', { id: 'model' })}</th>
          <th>${msg('Status', { id: 'log.status' })}</th><th>${msg('Tokens in / out', { id: 'log.tokens' })}</th><th>${msg('Cost (USD)', { id: 'usage.costUsd' })}</th><th>${msg('Time taken', { id: 'log.latency' })}</th></tr></thead>
        <tbody>${this.rows.map(r => html`<tr part="row" data-request=${r.id}>
          <td data-label=${msg('Time', { id: 'log.time' })}>${admin
            ? html`<button class="link" @click=${() => this.#open(r)} aria-label=${msg(str`Open the request of ${formatTime(r.time, true)}`, { id: 'log.open' })}><time datetime=${r.time}>${formatTime(r.time, true)}</time></button>`
            : html`<time datetime=${r.time}>${formatTime(r.time, true)}</time>`}</td>
          ${admin ? html`<td data-label=${msg('Key', { id: 'keys.key' })}>${r.keyName ?? html`<code>${r.keyId}</code>`}</td><td data-label=${msg('Account', { id: 'account' })}>${r.accountName ?? '–'}</td>` : nothing}
          <td data-label=${msg('Model', { id: 'model' })}>${r.model ?? '–'}</td>
          <td data-label=${msg('Status', { id: 'log.status' })}>${r.status}</td><td data-label=${msg('Tokens in / out', { id: 'log.tokens' })}>${formatCount(r.usage.input)} / ${formatCount(r.usage.output)}</td>
          <td data-label=${msg('Cost (USD)', { id: 'usage.costUsd' })}>${formatUsd(r.costUsd)}</td><td data-label=${msg('Time taken', { id: 'log.latency' })}>${formatCount(r.latencyMs)} ms</td></tr>`)}</tbody></table>
        <div class="pager" part="pager">${this.cursor ? html`<button @click=${() => this.reload(true)}>${msg('More', { id: 'log.more' })}</button>` : ''}</div>`)}
    </section>`
  }
}
