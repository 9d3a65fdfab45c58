// The admin console for everyone: axe-core finds nothing critical or serious on any tab, in
// English and Chinese, at 1280 px in the light scheme and at 390 px (a phone) in the dark one
// (prefers-color-scheme: contrast is checked in both), where nothing scrolls sideways; the tabs
// follow the ARIA tabs pattern (arrow keys, Home/End); focus lands on the tabs after login.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Page } from 'playwright-core'
import { ROOT, requireBinary } from '../helpers/processes.ts'
import { request } from 'undici'
import { ADMIN_TOKEN, adminRelay, PASSWORD } from '../helpers/admin.ts'
import { ALICE_KEY } from '../helpers/relay-harness.ts'

const AXE = readFileSync(join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8')

interface Violation { id: string, impact: string, help: string, nodes: { target: string[] }[] }

/** axe-core's serious and critical findings on the page as it is now. */
async function audit (page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the page's CSP (no inline script) does not apply.
  await page.evaluate(AXE)
  const found = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run (ctx: Document, opts: unknown): Promise<{ violations: Violation[] }> } }).axe
    return (await axe.run(document, { resultTypes: ['violations'] })).violations
  }) as Violation[]
  return found.filter(v => v.impact === 'critical' || v.impact === 'serious').map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')})`)
}

/** The text of the element that has the focus, through the widgets' shadow roots. */
async function focusedText (page: Page): Promise<string> {
  return page.evaluate(() => {
    let el: Element | null = document.activeElement
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement
    return el?.textContent?.trim() ?? ''
  })
}

async function sideways (page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
}

test('every tab passes axe (no critical or serious) in both languages at 1280 and 390 px, with no sideways scroll; tabs by keyboard; focus after login', { timeout: 180_000 }, async t => {
  const executablePath = requireBinary(t, 'chromium')
  if (!executablePath) return
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-dev-shm-usage'] })
  t.after(() => browser.close())
  const relay = await adminRelay(t)
  // A stored key (it has an Edit form) and a request (it has a detail), for the views behind the tabs.
  await (await request(`${relay.url}/_relay/admin/api/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'carol' }) })).body.dump()
  await (await request(`${relay.url}/claude/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ALICE_KEY, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
  })).body.dump()
  await relay.settled()
  const problems: string[] = []
  for (const width of [1280, 390]) {
    const page = await browser.newPage({ viewport: { width, height: 850 }, colorScheme: width === 390 ? 'dark' : 'light' })
    await page.goto(`${relay.url}/_relay/admin`)
    await page.getByLabel('User').waitFor()
    for (const p of await audit(page)) problems.push(`${width}px login: ${p}`)
    if (width === 1280) {
      // The auditor works: an image without a text alternative is found.
      await page.evaluate(() => { const img = document.createElement('img'); img.id = 'probe'; document.body.append(img) })
      assert.ok((await audit(page)).some(p => p.startsWith('critical image-alt')))
      await page.evaluate(() => document.getElementById('probe')!.remove())
    }
    await page.getByLabel('User').fill('root')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Log in' }).click()
    const first = page.getByRole('tab', { name: 'Overview' })
    await first.waitFor()
    assert.equal(await first.getAttribute('aria-selected'), 'true', 'the console opens on the overview')
    // Focus goes to the selected tab, not back to the page.
    assert.equal(await page.evaluate(() => {
      let el: Element | null = document.activeElement
      while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement
      return el?.getAttribute('role')
    }), 'tab', 'focus on the tabs after login')
    for (const lang of ['en', 'zh']) {
      if (lang === 'zh') await page.getByRole('button', { name: '中文' }).click()
      const names = lang === 'en' ? ['Overview', 'API keys', 'Upstream accounts', 'Usage', 'Requests', 'Prices', 'Admin users', 'Settings'] : ['概览', 'API 密钥', '上游账号', '用量', '请求记录', '价格', '管理员', '设置']
      for (const name of names) {
        await page.getByRole('tab', { name }).click()
        await page.getByRole('tabpanel').waitFor()
        await page.waitForTimeout(300)
        for (const p of await audit(page)) problems.push(`${width}px ${lang} ${name}: ${p}`)
        mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true })
        await page.screenshot({ path: join(ROOT, 'test-artifacts', `a11y-${width}-${lang}-${names.indexOf(name)}.png`), fullPage: true })
        const over = await sideways(page)
        if (over > 0) problems.push(`${width}px ${lang} ${name}: scrolls ${over} px sideways`)
      }
    }
    // The tabs pattern: arrows move and select, Home and End go to the ends.
    const tab = (n: string) => page.getByRole('tab', { name: n })
    await tab('API 密钥').click()
    await page.keyboard.press('ArrowRight')
    assert.equal(await tab('上游账号').getAttribute('aria-selected'), 'true')
    await page.keyboard.press('End')
    assert.equal(await tab('设置').getAttribute('aria-selected'), 'true')
    await page.keyboard.press('ArrowRight')
    assert.equal(await tab('概览').getAttribute('aria-selected'), 'true', 'wraps around')
    // The views behind the tabs, with focus moved into each as it opens: a key's page, its limits
    // form, a request's detail, an account's edit form (in Chinese, where the loop left off).
    const views: [string, () => Promise<void>][] = [
      ['key page', async () => { await tab('API 密钥').click(); await page.locator('relay-keys').getByRole('button', { name: 'carol' }).click(); await page.getByRole('heading', { name: '密钥 carol' }).waitFor() }],
      ['limits form', async () => {
        await page.getByRole('button', { name: '返回密钥列表' }).click()
        await page.locator('relay-keys tr[data-key="carol"]').getByRole('button', { name: '编辑' }).click()
        await page.locator('relay-keys form.limits').waitFor()
        assert.equal(await focusedText(page), 'carol 的限额', 'focus on the opened form')
      }],
      ['request detail', async () => { await tab('请求记录').click(); await page.locator('relay-request-log tbody tr button').first().click(); await page.locator('relay-request-log [part~=detail]').waitFor() }],
    ]
    for (const [name, open] of views) {
      await open()
      await page.waitForTimeout(200)
      for (const p of await audit(page)) problems.push(`${width}px zh ${name}: ${p}`)
      const over = await sideways(page)
      if (over > 0) problems.push(`${width}px zh ${name}: scrolls ${over} px sideways`)
    }
    await page.close()
  }
  assert.deepEqual(problems, [])
})
