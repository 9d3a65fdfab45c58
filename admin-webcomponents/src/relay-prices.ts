// <relay-prices>: the price table in force with where each price came from (a plugin, a file, a
// live source, the config), the live sources' state, the models served without a price of their
// own in the last 30 days, and "update now" with what changed.
import { html, nothing, type TemplateResult } from 'lit'
import { msg, str } from '@lit/localize'
import { RelayElement, themeStyles, pager, PAGE_SIZE } from './base.ts'
import { formatCount, formatRelative, formatTime } from './format.ts'

interface Entry { model: string, from: string, rates: string }
interface Source { url: string, copy: { fetchedAt: string | null, models: number } | null, checkedAt: string | null, lastError: { at: string, reason: string } | null }
interface Unpriced { provider: string, model: string, unpriced: number, fallback: number, lastAt: string, nowPricedAs: string | null }
interface Update { version: string, sources: { url: string, outcome: string, reason?: string }[], added: Entry[], changed: { model: string, before: Entry, after: Entry }[], removed: Entry[] }

/**
 * The effective price table with each price's origin, the live price sources, the unpriced
 * models, and an update on demand.
 *
 * @tagname relay-prices
 * @csspart panel - the widget
 * @csspart form - the search and the update button
 * @csspart table - the prices, the sources and the unpriced models
 * @csspart row - one price
 * @csspart result - what an update changed
 */
export class RelayPrices extends RelayElement {
  static override styles = themeStyles
  static override properties = { ...RelayElement.properties, entries: { state: true }, version: { state: true }, sources: { state: true }, unpriced: { state: true }, query: { state: true }, page: { state: true }, outcome: { state: true } }

  entries: Entry[] = []
  version = ''
  sources: Source[] = []
  unpriced: Unpriced[] = []
  query = ''
  page = 0
  outcome: Update | undefined

  override async reload (): Promise<void> {
    await this.run(async () => {
      const [list, sources, unpriced] = await Promise.all([
        this.api<{ version: string, items: Entry[] }>('GET', '/_relay/admin/api/prices/list'),
        this.api<{ items: Source[] }>('GET', '/_relay/admin/api/prices/sources'),
        this.api<{ items: Unpriced[] }>('GET', '/_relay/admin/api/prices/unpriced'),
      ])
      this.entries = list.items
      this.version = list.version
      this.sources = sources.items
      this.unpriced = unpriced.items
    })
  }

  async #updateNow (): Promise<void> {
    await this.run(async () => {
      this.outcome = await this.api<Update>('POST', '/_relay/admin/api/prices/update')
    })
    await this.reload()
  }

  #updateResult (): TemplateResult | typeof nothing {
    const u = this.outcome
    if (!u) return nothing
    const failed = u.sources.filter(s => s.outcome === 'failed')
    return html`<div role="status" part="result">
      <p>${msg(str`Prices now: ${u.version}. ${u.added.length} added, ${u.changed.length} changed, ${u.removed.length} removed.`, { id: 'prices.updated' })}</p>
      ${failed.map(s => html`<p class="error">${s.url}: ${s.reason ?? ''}</p>`)}
      <ul>${u.changed.slice(0, 20).map(c => html`<li>${c.model}: ${c.before.rates} → ${c.after.rates}</li>`)}
        ${u.added.slice(0, 20).map(e => html`<li>+ ${e.model}: ${e.rates}</li>`)}${u.removed.slice(0, 20).map(e => html`<li>− ${e.model}</li>`)}</ul>
    </div>`
  }

  override render (): TemplateResult {
    const q = this.query.trim().toLowerCase()
    const matching = q ? this.entries.filter(e => e.model.toLowerCase().includes(q) || e.from.toLowerCase().includes(q)) : this.entries
    const shown = matching.slice(this.page * PAGE_SIZE, (this.page + 1) * PAGE_SIZE)
    return html`<section part="panel">
      <h2>${msg('Prices', { id: 'prices.title' })}</h2>
      <form part="form" @submit=${(e: Event) => e.preventDefault()}>
        <label>${msg('Find a model', { id: 'prices.find' })}<input type="search" name="q" .value=${this.query} @input=${(e: Event) => { this.query = (e.target as HTMLInputElement).value; this.page = 0 }}></label>
        <button type="button" @click=${() => this.#updateNow()}>${msg('Update prices now', { id: 'prices.update' })}</button>
      </form>
      ${this.#updateResult()}
      ${this.states(this.entries.length === 0, () => html`
        <p>${msg(str`Table ${this.version}: ${formatCount(this.entries.length)} models priced.`, { id: 'prices.version' })}</p>
        <table part="table"><thead><tr><th>${msg('Model', { id: 'model' })}</th><th>${msg('Rates (USD per million tokens)', { id: 'prices.rates' })}</th><th>${msg('From', { id: 'prices.from' })}</th></tr></thead>
          <tbody>${shown.map(e => html`<tr part="row" data-model=${e.model}><td>${e.model}</td><td>${e.rates}</td><td>${e.from}</td></tr>`)}</tbody></table>
        ${pager(this.page, matching.length, p => { this.page = p })}
        <h3>${msg('Served without a price (30 days)', { id: 'prices.unpriced' })}</h3>
        ${this.unpriced.length === 0 ? html`<p>${msg('None: every request was priced.', { id: 'prices.allPriced' })}</p>` : html`<table part="table">
          <thead><tr><th>${msg('Model', { id: 'model' })}</th><th>${msg('Provider', { id: 'keys.provider' })}</th><th>${msg('Unpriced requests', { id: 'prices.unpricedCount' })}</th><th>${msg('Billed by a fallback', { id: 'prices.fallbackCount' })}</th><th>${msg('Last seen', { id: 'prices.lastSeen' })}</th><th>${msg('Priced now as', { id: 'prices.nowAs' })}</th></tr></thead>
          <tbody>${this.unpriced.map(u => html`<tr data-unpriced=${u.model}><td>${u.model}</td><td>${u.provider}</td><td>${formatCount(u.unpriced)}</td><td>${formatCount(u.fallback)}</td><td>${formatTime(u.lastAt)}</td><td>${u.nowPricedAs ?? '–'}</td></tr>`)}</tbody></table>`}
        <h3>${msg('Live price sources', { id: 'prices.sources' })}</h3>
        ${this.sources.length === 0 ? html`<p>${msg('None configured (pricing.sources): prices change with the relay\'s releases and the config.', { id: 'prices.noSources' })}</p>` : html`<table part="table">
          <thead><tr><th>URL</th><th>${msg('Copy in force', { id: 'prices.copy' })}</th><th>${msg('Last check', { id: 'prices.checked' })}</th><th>${msg('Last error', { id: 'accounts.lastError' })}</th></tr></thead>
          <tbody>${this.sources.map(s => html`<tr><td><code>${s.url}</code></td><td>${s.copy ? msg(str`${formatCount(s.copy.models)} models, fetched ${formatRelative(s.copy.fetchedAt)}`, { id: 'prices.copyOf' }) : '–'}</td>
            <td>${formatRelative(s.checkedAt)}</td><td>${s.lastError ? `${formatRelative(s.lastError.at)}: ${s.lastError.reason}` : '–'}</td></tr>`)}</tbody></table>`}`)}
    </section>`
  }
}
