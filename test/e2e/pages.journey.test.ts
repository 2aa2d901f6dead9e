import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import type { Browser } from 'playwright-core'
import { sql } from 'kysely'
import { withTenant } from '../../src/platform/db.ts'
import { addTerm } from '../../src/modules/calendar/service.ts'
import { testApp, html, type TestApp } from '../helpers/test-app.ts'
import { launchBrowser, expectAccessible } from '../helpers/browser.ts'
import type { Role } from '../../src/platform/access.ts'

// Every page of the register's work, opened in a browser by the role that uses it, with an axe scan,
// and again with each form sent empty so the error states are scanned too.
describe('register pages: each one accessible, with and without errors', () => {
  let t: TestApp
  let browser: Browser
  let base: string
  const cleanups: (() => Promise<void>)[] = []
  const ids: Record<string, string> = {}

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    t.clock.now = new Date('2026-11-25T10:00:00Z')
    await addTerm(t.database.db, { laId: t.la.id, userId: null, label: 'test', ip: null }, { name: 'Autumn term 2026', startsOn: '2026-09-02', endsOn: '2026-12-18' }, t.clock.now)
    const orgs = await withTenant(t.database.db, { laId: t.la.id }, async (tx) => (await sql<{ id: string }>`insert into organisation (local_authority_id, name, kind, urn)
      values (${t.la.id}, 'Riverside Academy', 'school', '990001'), (${t.la.id}, 'Northmoor Police Safeguarding Hub', 'police', null) returning id`.execute(tx)).rows.map((r) => r.id))
    ids.school = orgs[0]
    ids.police = orgs[1]
    const officer = (await t.signedIn(['cme_officer'])).agent
    await officer.post('/referrals', { forename: 'Romy', surname: 'Ashbury', sex: 'female', concern: 'Not in school.', whereaboutsKnown: 'yes' })
    ids.child = html(await officer.get('/register?q=Romy'))('[data-testid=register-table] a').attr('href')!.split('/').pop()!
    ids.case = html(await officer.get(`/children/${ids.child}`))('[data-testid=case]').attr('id')!.replace('case-', '')
    await officer.post(`/cases/${ids.case}/actions`, { title: 'Home visit', owner: `org:${t.la.organisationId}`, dueMode: 'school_days', dueDays: '3', priority: 'normal' })
    await officer.post(`/cases/${ids.case}/barriers`, { kind: 'school_refusal', schoolName: 'Moorside High', 'occurredOn-day': '24', 'occurredOn-month': '11', 'occurredOn-year': '2026', reason: 'Full' })
    await officer.post(`/cases/${ids.case}/shares`, { organisationId: ids.police, reason: 'Police may know where the family is.' })
    const page = html(await officer.get(`/children/${ids.child}`))
    ids.action = page('[data-testid=actions] a').attr('href')!.split('/').pop()!
    ids.barrier = page('[data-testid=barriers] a').attr('href')!.split('/').pop()!
    const school = (await t.signedIn(['school_user'], { organisationId: ids.school })).agent
    await school.post('/notices/removal', { forename: 'Sid', surname: 'Crowhurst', 'dateOfBirth-day': '1', 'dateOfBirth-month': '2', 'dateOfBirth-year': '2013', sex: 'male',
      addressLine1: '2 Elm Row', parent1Name: 'Pat Crowhurst', parent1Phone: '07700 900 555', ground: 'g', 'deletionDate-day': '27', 'deletionDate-month': '11', 'deletionDate-year': '2026' })
    ids.notice = html(await school.get('/notices'))('[data-testid=notices-table] a').attr('href')!.split('/').pop()!
    ids.share = await withTenant(t.database.db, { laId: t.la.id }, async (tx) => (await sql<{ id: string }>`select id from case_share limit 1`.execute(tx)).rows[0].id)
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    for (const fn of cleanups) await fn()
  })

  const visits: { roles: Role[]; org?: 'school' | 'police'; paths: string[] }[] = [
    { roles: ['cme_officer'], paths: ['/dashboard', '/register?risk=high&sort=name', '/children/{child}', '/children/{child}/identity', '/children/{child}/names', '/children/{child}/addresses',
      '/children/{child}/contacts', '/children/{child}/flags', '/children/{child}/schools', '/children/{child}/siblings?q=Romy', '/cases/{case}/details',
      '/cases/{case}/actions/new', '/actions/{action}', '/cases/{case}/barriers/new', '/barriers/{barrier}', '/cases/{case}/shares', '/my-work', '/actions/overdue',
      '/notices/inbox', '/notices/{notice}', '/reports/dfe-return', '/register/export?status=open'] },
    { roles: ['school_user'], org: 'school', paths: ['/notices', '/notices/removal/new', '/notices/new-pupil/new', '/notices/import', '/notices/{notice}'] },
    { roles: ['partner_practitioner'], org: 'police', paths: ['/shared', '/shared/{share}'] },
    { roles: ['la_admin'], paths: ['/admin/register'] },
  ]

  for (const visit of visits) {
    it(`has no accessibility violations for a ${visit.roles.join(', ')}`, async () => {
      const { agent } = await t.signedIn(visit.roles, visit.org ? { organisationId: ids[visit.org] } : {})
      const context = await browser.newContext()
      await context.addCookies([{ name: 'lantern_session', value: agent.cookies.lantern_session, url: base }])
      const page = await context.newPage()
      for (const template of visit.paths) {
        const path = template.replace(/\{(\w+)\}/g, (_, k: string) => ids[k])
        const res = await page.goto(`${base}${path}`)
        assert.equal(res?.status(), 200, path)
        await expectAccessible(page, path)
        // Send the page's first form that posts, empty of anything typed, to scan its error state as well.
        const form = page.locator('main form[method=post]:not([action$="/remove"]):not([action$="/revoke"]):not([action$="/delete"]):not([action$="/toggle"]):not([action$="/active"]):not([action$="/required"])').first()
        if (await form.count() && !/\/notices\/import/.test(path)) {
          const button = form.locator('button[type=submit], button:not([type])').last()
          await button.click()
          await page.waitForLoadState('load')
          await expectAccessible(page, `${path} after sending the form empty`)
        }
      }
      await context.close()
    })
  }
})
