import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import type { Browser } from 'playwright-core'
import { sql } from 'kysely'
import { withTenant } from '../../src/platform/db.ts'
import { addTerm } from '../../src/modules/calendar/service.ts'
import { testApp, type TestApp } from '../helpers/test-app.ts'
import { fillDate, launchBrowser, signedInPage, visit } from '../helpers/browser.ts'
import type { Role } from '../../src/platform/access.ts'

describe('notice journey: a school removes a pupil from roll, the CME team finds a place and closes the case', () => {
  let t: TestApp
  let browser: Browser
  let base: string
  let schoolId: string
  const cleanups: (() => Promise<void>)[] = []

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    t.clock.now = new Date('2026-11-25T10:00:00Z')
    await addTerm(t.database.db, { laId: t.la.id, userId: null, label: 'test', ip: null }, { name: 'Autumn term 2026', startsOn: '2026-09-02', endsOn: '2026-12-18' }, t.clock.now)
    schoolId = await withTenant(t.database.db, { laId: t.la.id }, async (tx) => (await sql<{ id: string }>`insert into organisation (local_authority_id, name, kind, urn)
      values (${t.la.id}, 'Riverside Academy', 'school', '990001') returning id`.execute(tx)).rows[0].id)
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    for (const fn of cleanups) await fn()
  })

  const as = async (roles: Role[], organisationId?: string) =>
    signedInPage(browser, base, (await t.signedIn(roles, organisationId ? { organisationId } : {})).agent.cookies.lantern_session)


  it('works end to end with no accessibility violations', async () => {
    const { page: school } = await as(['school_user'], schoolId)
    await school.goto(`${base}/`)
    await school.getByRole('link', { name: 'Notices', exact: true }).click()
    await visit(school, 'Notices to the LA', 'school notices, empty')
    await school.getByRole('link', { name: 'Tell the LA about a pupil leaving your roll' }).click()
    await visit(school, 'Tell the LA about a pupil leaving your roll', 'removal notice form')
    await school.getByTestId('send-notice').click()
    await visit(school, 'Tell the LA about a pupil leaving your roll', 'removal notice with errors')
    await school.getByLabel('First name').fill('Tamsin')
    await school.getByLabel('Last name').fill('Oakhollow')
    await fillDate(school, 'dateOfBirth', '2014-02-11')
    await school.getByLabel('Female').check()
    await school.getByLabel('Address line 1').fill('3 Larch Walk')
    await school.getByLabel('Postcode').fill('zz99 3tl')
    await school.locator('#parent1Name').fill('Robin Oakhollow')
    await school.locator('#parent1Phone').fill('07700 900 123')
    await school.getByLabel('(g) No longer lives within reasonable distance of the school').check()
    await fillDate(school, 'deletionDate', '2026-11-20')
    await school.getByTestId('send-notice').click()
    await visit(school, 'Tell the LA about a pupil leaving your roll', 'retrospective deletion refused')
    assert.match(await school.locator('.govuk-error-summary').textContent() ?? '', /The date of deletion cannot be in the past/)
    await fillDate(school, 'deletionDate', '2026-11-27')
    await school.getByTestId('send-notice').click()
    await visit(school, 'Notices to the LA', 'school notices after sending')
    assert.match(await school.getByTestId('notices-table').textContent() ?? '', /Tamsin Oakhollow[\s\S]*Received, not yet looked at/)

    const { page: officer } = await as(['cme_officer'])
    await officer.goto(`${base}/`)
    await officer.getByRole('link', { name: 'Notices', exact: true }).click()
    await visit(officer, 'Notices from schools', 'notices inbox')
    await officer.getByRole('link', { name: 'Tamsin Oakhollow' }).click()
    await visit(officer, 'Tamsin Oakhollow', 'notice to decide')
    await officer.getByTestId('process-notice').click()
    await visit(officer, 'Tamsin Oakhollow', 'notice decision with errors')
    await officer.getByLabel('This is a child Lantern does not know yet').check()
    await officer.getByLabel('Open a case').check()
    await officer.getByTestId('process-notice').click()
    await visit(officer, 'Tamsin Oakhollow', 'child page from the notice')
    assert.match(await officer.getByTestId('case').textContent() ?? '', /Removed from roll under ground \(g\)/)

    await officer.getByRole('link', { name: 'Add an action to this case' }).click()
    await visit(officer, 'Add an action', 'add an action')
    await officer.getByLabel('What needs to be done').fill('Home visit with the family')
    await officer.getByLabel('A number of school days from today').check()
    await officer.getByLabel('Number of days, if counted in days').fill('5')
    await officer.getByRole('button', { name: 'Add action' }).click()
    await visit(officer, 'Tamsin Oakhollow', 'child page with an action')
    await officer.getByRole('link', { name: 'My work' }).click()
    await visit(officer, 'My work', 'my work')
    assert.match(await officer.getByTestId('actions-table').textContent() ?? '', /Home visit with the family/)
    await officer.getByRole('link', { name: 'Tamsin Oakhollow' }).click()
    await visit(officer, 'Tamsin Oakhollow', 'child page from my work')

    const caseId = (await officer.getByTestId('case').getAttribute('id'))!.replace('case-', '')
    await officer.getByRole('link', { name: 'Change status of this case' }).click()
    await visit(officer, 'Change the case status', 'status form')
    await officer.getByLabel('Placed in school').check()
    await officer.getByLabel('Note').fill('Started at Hillside Primary School on 1 December.')
    await officer.getByTestId('save-status').click()
    await visit(officer, 'Change the case status', 'closure refused by the enquiries gate')
    assert.match(await officer.locator('.govuk-error-summary').textContent() ?? '', /You cannot close the case until these required enquiries are done/)

    // Work every required enquiry: the first through its page in full, the rest recorded the same way.
    await officer.goto(`${base}/children/${(await childIdOf(caseId))}`)
    const links = await officer.getByTestId('enquiries').locator('a').evaluateAll((as) => as.map((a) => ({ href: a.getAttribute('href')!, label: a.textContent!.trim() })))
    for (const [i, link] of links.entries()) {
      if (/social media|police|housing/i.test(link.label)) continue
      await officer.goto(`${base}${link.href}`)
      if (i === 0) await visit(officer, link.label, 'enquiry form')
      await officer.getByLabel('Yes, it was made').check()
      await fillDate(officer, 'doneOn', '2026-11-25')
      await officer.getByLabel('What did it find?').fill('Family found: they have moved across town and applied to Hillside Primary School.')
      await officer.getByTestId('save-enquiry').click()
      await officer.waitForLoadState('load')
    }
    await visit(officer, 'Tamsin Oakhollow', 'child page with enquiries done')
    await officer.getByRole('link', { name: 'Change status of this case' }).click()
    await officer.getByLabel('Placed in school').check()
    await officer.getByLabel('Note').fill('Started at Hillside Primary School on 1 December.')
    await officer.getByTestId('save-status').click()
    await visit(officer, 'Tamsin Oakhollow', 'child page with the case closed')
    assert.match(await officer.getByTestId('chronology').textContent() ?? '', /Case closed: Referred to Placed in school/)

    await school.goto(`${base}/notices`)
    await visit(school, 'Notices to the LA', 'school sees the outcome')
    assert.match(await school.getByTestId('notices-table').textContent() ?? '', /Case opened by the CME team: Placed in school/)
    await school.getByRole('link', { name: 'Tamsin Oakhollow' }).click()
    await visit(school, 'Tamsin Oakhollow', 'school reads its notice')
  })

  const childIdOf = async (caseId: string) => withTenant(t.database.db, { laId: t.la.id }, async (tx) =>
    (await sql<{ id: string }>`select child_id as id from cme_case where id = ${caseId}`.execute(tx)).rows[0].id)
})
