// <relay-overview>: the console's first view. Requests, tokens and cost today / 7 / 30 days;
// what is happening now; accounts by state; keys near a limit; the top keys and models;
// models served without a price; the store and the notification targets. Every number is a
// link: it fires `relay-navigate` with the view behind it, which <relay-admin> opens (a portal
// embedding this widget alone can route it anywhere).
import { html, nothing, type TemplateResult } from 'lit'
import { msg, str } from '@lit/localize'
import { RelayElement, themeStyles, type RelayView } from './base.ts'
import { formatCount, formatRelative, formatUsd } from './format.ts'
import { limitLabel } from './limit-label.ts'
import { accountStateLabel } from './account-state.ts'

interface Totals { requests: number, tokens: Record<string, number>, costUsd: string, unpricedRequests: number }
interface Overview {
  time: string
  periods: { today: Totals, last7Days: Totals, last30Days: Totals }
  live: { requestsLastMinute: number, inflight: number, eventLoopLag: { meanMs: number, p99Ms: number, maxMs: number } }
  accounts: { total: number, byState: Record<string, number>, needAttention: { id: string, name: string, provider: string, state: string, reason: string | null, cooldownUntil: string | null }[] }
  keys: { total: number, byState: Record<string, number>, nearLimit: { id: string, name: string, limit: string, ratio: number }[], nearLimitCount: number }
  topKeys: { id: string | null, name: string | null, requests: number, costUsd: string }[]
  topModels: { model: string | null, requests: number, costUsd: string }[]
  unpriced: { provider: string, model: string, unpriced: number, fallback: number, lastAt: string }[]
  store: { kind: string, status: string, pendingRecords?: number, spilled?: boolean, storeFailingSince?: string }
  notifications: { type: string, sent: number, failed: number, lastSentAt: string | null, lastFailedAt: string | null, lastError: string | null }[]
}

const tokensOf = (t: Totals) => Object.values(t.tokens).reduce((a, b) => a + b, 0)

/**
 * The overview: spend by period, live load, accounts and keys needing attention, top keys and
 * models, unpriced models, store and notification health. Each number links to its view.
 *
 * @tagname relay-overview
 * @fires relay-navigate - `{ view, key?, model? }`: a number was clicked; `view` is the tab behind it
 * @csspart panel - the widget
 * @csspart card - one group of numbers
 * @csspart table - a list (keys near a limit, top keys and models, unpriced models)
 */
export class RelayOverview extends RelayElement {
  static override styles = themeStyles
  static override properties = { ...RelayElement.properties, data: { state: true } }

  data: Overview | undefined
  /** Seconds between reloads: the live numbers move. */
  override refresh = 10

  async reload (): Promise<void> {
    await this.run(async () => { this.data = await this.api<Overview>('GET', '/_relay/admin/api/overview') })
  }

  #go (view: RelayView, detail: { key?: string, model?: string } = {}): void {
    this.emit('relay-navigate', { view, ...detail })
  }

  /** A number that opens the view behind it. */
  #link (text: string, view: RelayView, detail: { key?: string, model?: string } = {}): TemplateResult {
    return html`<button class="link" @click=${() => this.#go(view, detail)}>${text}</button>`
  }

  #period (label: string, t: Totals): TemplateResult {
    return html`<div part="card" class="card"><h3>${label}</h3>
      <div>${msg('Requests', { id: 'usage.requests' })}: ${this.#link(formatCount(t.requests), 'log')}</div>
      <div>${msg('Tokens', { id: 'usage.tokens' })}: ${this.#link(formatCount(tokensOf(t)), 'usage')}</div>
      <div>${msg('Cost', { id: 'usage.cost' })}: ${this.#link(formatUsd(t.costUsd), 'usage')}</div>
      ${t.unpricedRequests > 0 ? html`<div class="error">${msg('Unpriced requests', { id: 'overview.unpricedRequests' })}: ${this.#link(formatCount(t.unpricedRequests), 'prices')}</div>` : nothing}
    </div>`
  }

  override render (): TemplateResult {
    const d = this.data
    return html`<section part="panel">
      <h2>${msg('Overview', { id: 'overview.title' })}</h2>
      ${this.states(!d, () => html`
        <div class="cards">
          ${this.#period(msg('Today', { id: 'keys.today' }), d!.periods.today)}
          ${this.#period(msg('Last 7 days', { id: 'usage.week' }), d!.periods.last7Days)}
          ${this.#period(msg('Last 30 days', { id: 'overview.month' }), d!.periods.last30Days)}
          <div part="card" class="card"><h3>${msg('Now', { id: 'overview.now' })}</h3>
            <div>${msg('Requests in the last minute', { id: 'overview.perMinute' })}: ${this.#link(formatCount(d!.live.requestsLastMinute), 'log')}</div>
            <div>${msg('In flight', { id: 'overview.inflight' })}: ${formatCount(d!.live.inflight)}</div>
            <div>${msg('Event loop delay (p99)', { id: 'overview.lag' })}: ${formatCount(d!.live.eventLoopLag.p99Ms)} ms</div>
          </div>
          <div part="card" class="card"><h3>${msg('Accounts', { id: 'overview.accounts' })}</h3>
            ${Object.entries(d!.accounts.byState).map(([state, n]) => html`<div>${accountStateLabel(state)}: ${this.#link(formatCount(n), 'accounts')}</div>`)}
            ${d!.accounts.total === 0 ? html`<div>${this.#link(msg('Add an account', { id: 'overview.addAccount' }), 'accounts')}</div>` : nothing}
          </div>
          <div part="card" class="card"><h3>${msg('Keys', { id: 'overview.keys' })}</h3>
            ${Object.entries(d!.keys.byState).map(([state, n]) => html`<div>${state === 'disabled' ? msg('disabled', { id: 'state.disabled' }) : state === 'expired' ? msg('expired', { id: 'state.expired' }) : msg('active', { id: 'state.active' })}: ${this.#link(formatCount(n), 'keys')}</div>`)}
            <div>${msg('Near a limit', { id: 'overview.nearLimit' })}: ${this.#link(formatCount(d!.keys.nearLimitCount), 'keys')}</div>
          </div>
          <div part="card" class="card"><h3>${msg('Health', { id: 'overview.health' })}</h3>
            <div>${msg('Store', { id: 'overview.store' })} (${d!.store.kind}): <span class=${d!.store.status === 'ok' ? '' : 'error'}>${d!.store.status === 'ok' ? msg('writing', { id: 'overview.storeOk' }) : msg(str`not writing since ${formatRelative(d!.store.storeFailingSince)}; usage is kept and retried`, { id: 'overview.storeFailing' })}</span></div>
            ${d!.notifications.length === 0 ? html`<div>${msg('Notifications: none configured', { id: 'overview.noNotifications' })}</div>`
              : d!.notifications.map(n => html`<div>${n.type}: ${this.#link(n.failed > 0 && (n.lastSentAt === null || (n.lastFailedAt ?? '') > n.lastSentAt) ? msg(str`failing (${n.lastError ?? ''})`, { id: 'overview.notifyFailing' }) : msg(str`${formatCount(n.sent)} sent`, { id: 'overview.notifySent' }), 'settings')}</div>`)}
          </div>
        </div>
        ${this.#lists(d!)}`)}
    </section>`
  }

  #lists (d: Overview): TemplateResult {
    return html`
      ${d.accounts.needAttention.length > 0 ? html`<h3>${msg('Accounts needing attention', { id: 'overview.attention' })}</h3>
        <table part="table"><tbody>${d.accounts.needAttention.map(a => html`<tr><td>${this.#link(a.name, 'accounts')}</td><td>${a.provider}</td><td>${accountStateLabel(a.state, a.cooldownUntil)}</td><td>${a.reason ?? ''}</td></tr>`)}</tbody></table>` : nothing}
      ${d.keys.nearLimit.length > 0 ? html`<h3>${msg('Keys near a limit', { id: 'overview.keysNear' })}</h3>
        <table part="table"><tbody>${d.keys.nearLimit.map(k => html`<tr><td>${this.#link(k.name, 'keys', { key: k.id })}</td><td>${limitLabel(k.limit)}</td><td class=${k.ratio >= 1 ? 'error' : ''}>${formatCount(Math.round(k.ratio * 100))}%</td></tr>`)}</tbody></table>` : nothing}
      <div class="cards">
        <div part="card" class="card wide"><h3>${msg('Top keys, 7 days', { id: 'overview.topKeys' })}</h3>
          <table part="table"><tbody>${d.topKeys.map(k => html`<tr><td>${k.id ? this.#link(k.name ?? k.id, 'keys', { key: k.id }) : '–'}</td><td>${formatCount(k.requests)}</td><td>${formatUsd(k.costUsd)}</td></tr>`)}</tbody></table></div>
        <div part="card" class="card wide"><h3>${msg('Top models, 7 days', { id: 'overview.topModels' })}</h3>
          <table part="table"><tbody>${d.topModels.map(m => html`<tr><td>${this.#link(m.model ?? '–', 'log', { model: m.model ?? undefined })}</td><td>${formatCount(m.requests)}</td><td>${formatUsd(m.costUsd)}</td></tr>`)}</tbody></table></div>
      </div>
      ${d.unpriced.length > 0 ? html`<h3 class="error">${msg('Models served without a price (30 days)', { id: 'overview.unpriced' })}</h3>
        <table part="table"><tbody>${d.unpriced.map(u => html`<tr><td>${this.#link(u.model, 'prices')}</td><td>${u.provider}</td><td>${formatCount(u.unpriced + u.fallback)}</td><td>${formatRelative(u.lastAt)}</td></tr>`)}</tbody></table>` : nothing}`
  }
}
