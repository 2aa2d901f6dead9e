import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { AxeBuilder } from '@axe-core/playwright'
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { testApp, type TestApp } from './test-app.ts'

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
  })
}

/** Runs axe for WCAG 2.2 AA on the page and fails with the list of violations, if any. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze()
  const problems = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`)
  assert.deepEqual(problems, [], `Accessibility violations on ${label} (${page.url()})`)
}

/** Waits for the page, checks its main heading, and runs axe on it. */
export async function visit(page: Page, heading: string, label: string): Promise<void> {
  await page.waitForLoadState('load')
  assert.equal((await page.locator('h1').first().textContent())?.trim(), heading, label)
  await expectAccessible(page, label)
}

/** A browser page already signed in with a session cookie (sign-in itself is covered by the platform journey). */
export async function signedInPage(browser: Browser, base: string, sessionToken: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext()
  await context.addCookies([{ name: 'lantern_session', value: sessionToken, url: base }])
  return { context, page: await context.newPage() }
}

/** Types an ISO date into a GOV.UK date input's day, month and year boxes. */
export async function fillDate(page: Page, id: string, iso: string): Promise<void> {
  const [y, m, d] = iso.split('-')
  await page.locator(`#${id}-day`).fill(d)
  await page.locator(`#${id}-month`).fill(m)
  await page.locator(`#${id}-year`).fill(y)
}

export type Journey = { t: TestApp; browser: Browser; base: string; close(): Promise<void> }

/** The real app on a free port and a browser, for one journey file: `setup` runs before the app listens. */
export async function startJourney(setup?: (t: TestApp) => Promise<void>): Promise<Journey> {
  const cleanups: (() => Promise<void>)[] = []
  const t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
  if (setup) await setup(t)
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
  const browser = await launchBrowser()
  return { t, browser, base, async close() { await browser.close(); for (const fn of cleanups) await fn() } }
}
