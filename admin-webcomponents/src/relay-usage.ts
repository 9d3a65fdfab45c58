// <relay-usage>: tokens and cost over time per key, model or account (uPlot), with the totals of
// the range below. `self` switches to the caller's own key (self-service, by model only).
import { html, nothing, unsafeCSS, type PropertyValues, type TemplateResult } from 'lit'
import { msg, str } from '@lit/localize'
import uPlot from 'uplot'
import uplotCss from 'uplot/dist/uPlot.min.css'
import { formatAxisTime, formatCompact, formatCount, formatTime, formatUsd } from './format.ts'
import { OTHERS, topLines } from './usage-series.ts'

/** Lines drawn before the rest become one "others" line. */
const TOP_LINES = 8
const HOUR_S = 3600
const DAY_S = 86_400
/** The spacings a time axis may use, by the chart's buckets (seconds). */
const TICKS: Record<'hour' | 'day' | 'month', number[]> = {
  hour: [HOUR_S, 2 * HOUR_S, 3 * HOUR_S, 6 * HOUR_S, 12 * HOUR_S, DAY_S, 2 * DAY_S, 7 * DAY_S],
  day: [DAY_S, 2 * DAY_S, 7 * DAY_S, 14 * DAY_S, 28 * DAY_S, 91 * DAY_S],
  month: [31 * DAY_S, 92 * DAY_S, 183 * DAY_S, 365 * DAY_S],
}
/** Totals listed below the chart (the biggest; the rest are in the CSV). */
const TOTALS_SHOWN = 200
import { RelayElement, themeStyles, pager, PAGE_SIZE } from './base.ts'

export interface Total { group: string | null, name?: string, requests: number, tokens: { input: number, output: number, cacheWrite5m: number, cacheWrite1h: number, cacheRead: number }, costUsd: string }
interface Report { since: string, until: string, groups?: number, totals: Total[], series: (Total & { bucket: string })[] }

const COLORS = ['#2563eb', '#16a34a', '#d97706', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#dc2626']

export const tokensOf = (t: Total) => t.tokens.input + t.tokens.output + t.tokens.cacheWrite5m + t.tokens.cacheWrite1h + t.tokens.cacheRead

/**
 * Tokens and cost over time per key, model or account, with the totals of the period (admin, or
 * a key's own with `relayKey`).
 *
 * @tagname relay-usage
 * @csspart panel - the widget
 * @csspart chart - the chart
 * @csspart table - the totals
 * @csspart row - one key, model or account
 */
export class RelayUsage extends RelayElement {
  static override styles = [themeStyles, unsafeCSS(uplotCss)]
  static override properties = {
    ...RelayElement.properties,
    by: { type: String }, granularity: { type: String }, days: { type: Number }, since: { type: String }, until: { type: String }, relayKey: { type: String, attribute: false }, keyId: { type: String, attribute: 'key-id' },
    report: { state: true }, metric: { state: true }, page: { state: true },
  }

  /** Series per `key`, `model`, `account`, `provider` or `client` (kind). */
  by: 'key' | 'model' | 'account' | 'provider' | 'client' = 'model'
  /** Buckets of an `hour`, `day` or `month`. */
  granularity: 'hour' | 'day' | 'month' = 'day'
  /** How many days back (when no `since` is set). */
  days = 7
  /** A range of the operator's choosing: its first and last day (`yyyy-mm-dd`, local), instead of `days`. */
  since = ''
  until = ''
  page = 0
  /** Seconds between reloads (a chart moves slowly). */
  override refresh = 60
  /** Admin: one key's usage only (its id or name; attribute `key-id`). */
  keyId = ''
  /** Self-service: the caller's own relay key. */
  relayKey: string | undefined
  report: Report | undefined
  metric: 'tokens' | 'cost' = 'tokens'
  #plot: uPlot | undefined

  override disconnectedCallback (): void {
    super.disconnectedCallback()
    this.#plot?.destroy()
    this.#plot = undefined
  }

  protected override get auth () {
    return { ...super.auth, relayKey: this.relayKey }
  }

  /** The range asked for: the chosen days (local midnight to the midnight after `until`), else the last `days`. */
  #range (): { since: string, until?: string } {
    if (this.since) {
      const until = this.until ? new Date(`${this.until}T00:00`) : undefined
      if (until) until.setDate(until.getDate() + 1)
      return { since: new Date(`${this.since}T00:00`).toISOString(), ...(until ? { until: until.toISOString() } : {}) }
    }
    return { since: new Date(Date.now() - this.days * 86_400_000).toISOString() }
  }

  /** The report's address; `whole`: every group's series (the CSV), else the chart's lines and the biggest totals. */
  #path (whole: boolean): string {
    const q = new URLSearchParams({ granularity: this.granularity, ...this.#range() })
    if (!whole) { q.set('top', String(TOP_LINES)); q.set('limit', String(TOTALS_SHOWN)) }
    if (!this.relayKey) q.set('by', this.by)
    if (this.keyId) q.set('key', this.keyId)
    return this.relayKey ? `/_relay/me/api/usage?${q}` : `/_relay/admin/api/usage?${q}`
  }

  async reload (): Promise<void> {
    await this.run(async () => { this.report = await this.api<Report>('GET', this.#path(false)) })
  }

  /** The series (every bucket and group) as a CSV file: what the chart and the table show. */
  async #export (): Promise<void> {
    let r: Report | undefined
    await this.run(async () => { r = await this.api<Report>('GET', this.#path(true)) })
    if (!r) return
    const cell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)
    const rows = [['bucket', this.by, 'requests', 'input', 'output', 'cache_write_5m', 'cache_write_1h', 'cache_read', 'cost_usd'].join(',')]
    for (const p of r.series) {
      rows.push([p.bucket, p.name ?? p.group ?? '', p.requests, p.tokens.input, p.tokens.output, p.tokens.cacheWrite5m, p.tokens.cacheWrite1h, p.tokens.cacheRead, p.costUsd].map(v => cell(String(v))).join(','))
    }
    const url = URL.createObjectURL(new Blob([`${rows.join('\n')}\n`], { type: 'text/csv' }))
    const a = document.createElement('a')
    a.href = url
    a.download = `relay-usage-${this.by}-${r.since.slice(0, 10)}-${r.until.slice(0, 10)}.csv`
    a.click()
    setTimeout(() => URL.revokeObjectURL(url), 1000)
  }

  #period (e: Event): void {
    const v = (e.target as HTMLSelectElement).value
    if (v === 'custom') {
      this.since ||= new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10)
      this.granularity = 'day'
    } else {
      [this.days, this.granularity] = JSON.parse(v) as [number, never]
      this.since = ''
      this.until = ''
    }
    void this.reload()
  }

  #groupLabel (): string {
    if (this.relayKey || this.by === 'model') return msg('Model', { id: 'model' })
    if (this.by === 'key') return msg('Key', { id: 'keys.key' })
    if (this.by === 'provider') return msg('Provider', { id: 'keys.provider' })
    if (this.by === 'client') return msg('Client', { id: 'log.client' })
    return msg('Account', { id: 'account' })
  }

  protected override updated (changed: PropertyValues): void {
    super.updated(changed)
    if (changed.has('report') || changed.has('metric')) this.#draw()
  }

  /** One line per group over the buckets of the range. */
  #draw (): void {
    const host = this.renderRoot.querySelector<HTMLElement>('.chart')
    this.#plot?.destroy()
    this.#plot = undefined
    if (!host || !this.report || this.report.series.length === 0) return
    const value = (t: Total) => (this.metric === 'tokens' ? tokensOf(t) : Number(t.costUsd))
    const { buckets, lines } = topLines(this.report.series, value, TOP_LINES, msg('others', { id: 'usage.others' }))
    const data: uPlot.AlignedData = [buckets, ...lines.map(l => l.values)]
    // The axes in the widget's own colours (light or dark scheme, or the page's --relay-*).
    const style = getComputedStyle(this)
    const ink = style.color
    const rule = style.getPropertyValue('--_border').trim() || '#d0d7de'
    const tick = this.metric === 'tokens' ? (v: number) => formatCompact(v) : (v: number) => formatUsd(String(v))
    this.#plot = new uPlot({
      width: Math.max(320, host.clientWidth || 640), height: 240,
      // The whole range asked for, so one bucket is a point in its place, not a zoomed-in axis.
      scales: { x: { time: true, range: [Date.parse(this.report.since) / 1000, Date.parse(this.report.until) / 1000] } },
      series: [{ label: msg('Time', { id: 'log.time' }), value: (_u: uPlot, v: number | null) => (v === null ? '–' : formatTime(new Date(v * 1000).toISOString())) }, ...lines.map((l, i) => ({ label: l.label, stroke: l.group === OTHERS ? '#8c959f' : COLORS[i % COLORS.length], width: 2, points: { show: true }, value: (_u: uPlot, v: number | null) => (v === null ? '–' : tick(v)) }))],
      // Room for the ticks beside the axis title, in the language's own number format.
      // Ticks no finer than the buckets (a day chart never labels noon), far enough apart to read.
      axes: [{ stroke: ink, grid: { stroke: rule }, space: 80, incrs: TICKS[this.granularity], values: (_u: uPlot, splits: number[]) => splits.map(v => formatAxisTime(v * 1000, splits.length > 1 ? (splits[1]! - splits[0]!) * 1000 : 86_400_000)) }, { stroke: ink, grid: { stroke: rule }, label: this.metric === 'tokens' ? msg('Tokens', { id: 'usage.tokens' }) : msg('Cost (USD)', { id: 'usage.costUsd' }), size: 80, labelGap: 8, values: (_u: uPlot, splits: number[]) => splits.map(tick) }],
    }, data, host)
  }

  override render (): TemplateResult {
    const totals = this.report?.totals ?? []
    return html`<section part="panel">
      <h2>${msg('Usage', { id: 'usage.title' })}</h2>
      <div class="toolbar">
        ${this.relayKey ? nothing : html`<label>${msg('Group by', { id: 'usage.by' })}<select @change=${(e: Event) => { this.by = (e.target as HTMLSelectElement).value as never; this.page = 0; void this.reload() }}>
          <option value="model" ?selected=${this.by === 'model'}>${msg('Model', { id: 'model' })}</option>
          <option value="key" ?selected=${this.by === 'key'}>${msg('Key', { id: 'keys.key' })}</option>
          <option value="account" ?selected=${this.by === 'account'}>${msg('Account', { id: 'account' })}</option>
          <option value="provider" ?selected=${this.by === 'provider'}>${msg('Provider', { id: 'keys.provider' })}</option>
          <option value="client" ?selected=${this.by === 'client'}>${msg('Client', { id: 'log.client' })}</option></select></label>`}
        <label>${msg('Period', { id: 'usage.period' })}<select @change=${this.#period}>
          <option value="[1,&quot;hour&quot;]" ?selected=${!this.since && this.days === 1}>${msg('Last 24 hours', { id: 'usage.day' })}</option>
          <option value="[7,&quot;day&quot;]" ?selected=${!this.since && this.days === 7}>${msg('Last 7 days', { id: 'usage.week' })}</option>
          <option value="[30,&quot;day&quot;]" ?selected=${!this.since && this.days === 30}>${msg('Last 30 days', { id: 'overview.month' })}</option>
          <option value="[90,&quot;day&quot;]" ?selected=${!this.since && this.days === 90}>${msg('Last 90 days', { id: 'usage.quarter' })}</option>
          <option value="custom" ?selected=${this.since !== ''}>${msg('Choose dates…', { id: 'usage.custom' })}</option></select></label>
        ${this.since ? html`<label>${msg('From', { id: 'usage.from' })}<input type="date" .value=${this.since} @change=${(e: Event) => { this.since = (e.target as HTMLInputElement).value; void this.reload() }}></label>
          <label>${msg('To (inclusive)', { id: 'usage.to' })}<input type="date" .value=${this.until} @change=${(e: Event) => { this.until = (e.target as HTMLInputElement).value; void this.reload() }}></label>
          <label>${msg('Buckets', { id: 'usage.granularity' })}<select @change=${(e: Event) => { this.granularity = (e.target as HTMLSelectElement).value as never; void this.reload() }}>
            ${(['hour', 'day', 'month'] as const).map(g => html`<option value=${g} ?selected=${this.granularity === g}>${g === 'hour' ? msg('hours', { id: 'usage.hours' }) : g === 'day' ? msg('days', { id: 'usage.days' }) : msg('months', { id: 'usage.months' })}</option>`)}</select></label>` : nothing}
        <label>${msg('Show', { id: 'usage.show' })}<select @change=${(e: Event) => { this.metric = (e.target as HTMLSelectElement).value as never }}>
          <option value="tokens">${msg('Tokens', { id: 'usage.tokens' })}</option><option value="cost">${msg('Cost', { id: 'usage.cost' })}</option></select></label>
        <button @click=${() => this.reload()}>${msg('Refresh', { id: 'refresh' })}</button>
        <button @click=${this.#export} ?disabled=${!this.report || this.report.series.length === 0}>${msg('Export CSV', { id: 'usage.export' })}</button>
      </div>
      <div class="chart" part="chart" role="img" aria-label=${msg('Usage over time', { id: 'usage.chart' })}></div>
      ${this.states(totals.length === 0, () => html`<table part="table">
        <thead><tr><th>${this.#groupLabel()}</th>
          <th>${msg('Requests', { id: 'usage.requests' })}</th><th>${msg('Tokens', { id: 'usage.tokens' })}</th><th>${msg('Cost (USD)', { id: 'usage.costUsd' })}</th></tr></thead>
        <tbody>${totals.slice(this.page * PAGE_SIZE, (this.page + 1) * PAGE_SIZE).map(t => html`<tr part="row" data-group=${t.group ?? ''}><td>${t.name ?? t.group ?? '–'}</td><td>${formatCount(t.requests)}</td><td>${formatCount(tokensOf(t))}</td><td>${formatUsd(t.costUsd)}</td></tr>`)}</tbody></table>
        ${pager(this.page, totals.length, p => { this.page = p })}
        ${(this.report?.groups ?? 0) > totals.length ? html`<p>${msg(str`The ${totals.length} biggest of ${formatCount(this.report!.groups!)}; the CSV has them all.`, { id: 'usage.biggest' })}</p>` : nothing}`)}
    </section>`
  }
}
