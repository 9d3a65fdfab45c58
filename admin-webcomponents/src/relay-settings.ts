// <relay-settings>: the configuration in force, read-only, with its secrets redacted by the
// server; a test message to every notification target, with each target's answer; and a
// reload of the config file (an invalid file changes nothing, and its problems are shown).
import { html, nothing, type TemplateResult } from 'lit'
import { msg, str } from '@lit/localize'
import { RelayElement, themeStyles } from './base.ts'
import { ApiError } from './api.ts'

interface TestResult { type: string, ok: boolean, error: string | null }
interface ReloadResult { ok: boolean, restartNeeded: string[], problems: string[] }

/**
 * The effective configuration (secrets redacted), a test notification, a config reload.
 *
 * @tagname relay-settings
 * @csspart panel - the widget
 * @csspart config - the configuration, as YAML
 * @csspart result - the answer of a test or a reload
 */
export class RelaySettings extends RelayElement {
  static override styles = themeStyles
  static override properties = { ...RelayElement.properties, yaml: { state: true }, file: { state: true }, tested: { state: true }, reloaded: { state: true } }

  yaml = ''
  file = ''
  tested: TestResult[] | undefined
  reloaded: ReloadResult | undefined
  /** The config changes only when a file is reloaded (here or by SIGHUP): a slow refresh. */
  override refresh = 60

  async reload (): Promise<void> {
    await this.run(async () => {
      const r = await this.api<{ file: string, yaml: string }>('GET', '/_relay/admin/api/config')
      this.yaml = r.yaml
      this.file = r.file
    })
  }

  async #test (): Promise<void> {
    await this.run(async () => { this.tested = (await this.api<{ items: TestResult[] }>('POST', '/_relay/admin/api/notifications/test')).items })
  }

  async #reloadFile (): Promise<void> {
    await this.run(async () => {
      try {
        this.reloaded = await this.api<ReloadResult>('POST', '/_relay/admin/api/reload')
      } catch (err) {
        // 422: the file is invalid; its problems come in the body, nothing changed.
        const body = err instanceof ApiError ? err.body as ReloadResult | undefined : undefined
        if (err instanceof ApiError && err.status === 422 && body) this.reloaded = body
        else throw err
      }
      await this.reload()
    })
  }

  override render (): TemplateResult {
    return html`<section part="panel">
      <h2>${msg('Settings', { id: 'settings.title' })}</h2>
      <h3>${msg('Notifications', { id: 'settings.notifications' })}</h3>
      <div class="toolbar"><button @click=${this.#test}>${msg('Send a test notification', { id: 'settings.test' })}</button></div>
      ${this.tested ? html`<div part="result" role="status">${this.tested.length === 0
        ? msg('No notification target is configured (notifications.targets).', { id: 'settings.noTargets' })
        : this.tested.map(t => html`<div class=${t.ok ? '' : 'error'}>${t.type}: ${t.ok ? msg('delivered', { id: 'settings.delivered' }) : msg(str`failed: ${t.error ?? ''}`, { id: 'settings.failed' })}</div>`)}</div>` : nothing}
      <h3>${msg('Configuration in force', { id: 'settings.config' })}</h3>
      <p>${msg(str`From ${this.file}; secrets are shown as [redacted]. Edit the file, then reload it:`, { id: 'settings.configHelp' })}
        <button @click=${this.#reloadFile}>${msg('Reload the config file', { id: 'settings.reload' })}</button></p>
      ${this.reloaded ? html`<div part="result" role="status" class=${this.reloaded.ok ? '' : 'error'}>${this.reloaded.ok
        ? html`${msg('Reloaded.', { id: 'settings.reloaded' })}${this.reloaded.restartNeeded.length > 0 ? html` ${msg(str`These take a restart: ${this.reloaded.restartNeeded.join(', ')}`, { id: 'settings.restartNeeded' })}` : nothing}`
        : html`${msg('The file was not applied:', { id: 'settings.notApplied' })}<ul>${this.reloaded.problems.map(p => html`<li>${p}</li>`)}</ul>`}</div>` : nothing}
      ${this.states(this.yaml === '', () => html`<pre part="config" class="config" tabindex="0" aria-label=${msg('Configuration in force', { id: 'settings.config' })}>${this.yaml}</pre>`)}
    </section>`
  }
}
