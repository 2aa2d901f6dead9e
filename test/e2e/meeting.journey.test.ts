import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { Browser } from 'playwright-core'
import { sql } from 'kysely'
import { withTenant } from '../../src/platform/db.ts'
import { addTerm } from '../../src/modules/calendar/service.ts'
import type { TestApp } from '../helpers/test-app.ts'
import { fillDate, signedInPage, startJourney, visit, type Journey } from '../helpers/browser.ts'

describe('meeting journey: an officer refers a case, the chair runs the meeting and approves the minutes, the partner updates the action, the next agenda shows what is still open', () => {
  let j: Journey
  let t: TestApp
  let browser: Browser
  let base: string
  let policeId: string

  before(async () => {
    j = await startJourney(async (app) => {
      app.clock.now = new Date('2026-11-25T10:00:00Z')
      await addTerm(app.database.db, { laId: app.la.id, userId: null, label: 'test', ip: null }, { name: 'Autumn term 2026', startsOn: '2026-09-02', endsOn: '2026-12-18' }, app.clock.now)
      policeId = await withTenant(app.database.db, { laId: app.la.id }, async (tx) => (await sql<{ id: string }>`insert into organisation (local_authority_id, name, kind)
        values (${app.la.id}, 'Northmoor Police Safeguarding Hub', 'police') returning id`.execute(tx)).rows[0].id)
    })
    ;({ t, browser, base } = j)
  })
  after(async () => { await j?.close() })


  it('works end to end with no accessibility violations', async () => {
    const chair = await t.signedIn(['cme_officer'])
    const officer = await t.signedIn(['cme_officer'])
    await officer.agent.post('/referrals', { forename: 'Tamsin', surname: 'Oakhollow', sex: 'female', concern: 'Not seen since half term', whereaboutsKnown: 'yes' })
    const { page } = await signedInPage(browser, base, officer.agent.cookies.lantern_session)

    // The officer sets up the weekly meeting, chaired by a colleague.
    await page.goto(`${base}/`)
    await page.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'Meetings', exact: true }).click()
    await visit(page, 'Meetings', 'meetings, none yet')
    await page.getByTestId('new-series').click()
    await visit(page, 'Set up a meeting series', 'new series')
    await page.getByTestId('save-series').click()
    await visit(page, 'Set up a meeting series', 'new series with errors')
    await page.getByLabel('Name').fill('Weekly CME officer meeting')
    await page.getByLabel('Weekly officer meeting').check()
    await page.getByLabel('Every week').check()
    await page.getByLabel('Chair', { exact: true }).selectOption(chair.userId)
    await page.locator(`input[name=memberIds][value="${officer.userId}"]`).check()
    await page.getByLabel('Quorum').fill('2')
    await page.getByTestId('save-series').click()
    await visit(page, 'Weekly CME officer meeting', 'series')

    // The officer refers the case from the child's record.
    const childId = await withTenant(t.database.db, { laId: t.la.id }, async (tx) => (await sql<{ id: string }>`select id from child where surname = 'Oakhollow'`.execute(tx)).rows[0].id)
    await page.goto(`${base}/children/${childId}`)
    await page.locator('a[href$="/refer-to-meeting"]').click()
    await visit(page, 'Refer to a meeting', 'refer to a meeting')
    await page.getByLabel('Meeting series').selectOption({ label: 'Weekly CME officer meeting' })
    await page.getByLabel('What the meeting should consider').fill('Family not answering; need a joint visit with police')
    await page.getByTestId('refer').click()
    await visit(page, 'Tamsin Oakhollow', 'child after referral to meeting')

    // The chair plans the meeting and runs it.
    const { page: chairPage } = await signedInPage(browser, base, chair.agent.cookies.lantern_session)
    await chairPage.goto(`${base}/meetings`)
    await chairPage.getByRole('link', { name: 'Weekly CME officer meeting' }).click()
    await fillDate(chairPage, 'heldOn', '2026-11-26')
    await chairPage.getByTestId('plan-meeting').click()
    await visit(chairPage, 'Meeting, 26 November 2026', 'meeting with its agenda')
    assert.match(await chairPage.getByTestId('agenda').textContent() ?? '', /Tamsin Oakhollow[\s\S]*Family not answering/)
    for (const id of [chair.userId, officer.userId]) await chairPage.locator(`#status-${id}-present`).check()
    await chairPage.getByTestId('save-attendance').click()
    await chairPage.getByRole('link', { name: 'Tamsin Oakhollow' }).click()
    await visit(chairPage, 'Tamsin Oakhollow', 'agenda item')
    await chairPage.getByLabel('Discussion notes').fill('No contact for three weeks.')
    await chairPage.getByLabel('The meeting made a decision').check()
    await chairPage.getByLabel('Decision', { exact: true }).fill('Joint visit with the police safeguarding hub')
    await chairPage.getByLabel('Why', { exact: true }).fill('Whereabouts unconfirmed for three weeks')
    await chairPage.getByLabel('What needs to be done').fill('Police to visit the address with the CME officer')
    await chairPage.getByLabel('Who will do it').selectOption({ label: 'Northmoor Police Safeguarding Hub' })
    await chairPage.getByLabel('On a date').check()
    await fillDate(chairPage, 'dueOn', '2026-11-27')
    await chairPage.getByTestId('save-item').click()
    await visit(chairPage, 'Meeting, 26 November 2026', 'meeting after the decision')
    await chairPage.getByTestId('close-meeting').click()
    await visit(chairPage, 'Minutes, 26 November 2026', 'closed meeting')
    await chairPage.getByTestId('approve').click()
    await visit(chairPage, 'Minutes, 26 November 2026', 'approved minutes')
    assert.match(await chairPage.locator('main').textContent() ?? '', /Minutes approved[\s\S]*Decision: Joint visit with the police safeguarding hub[\s\S]*Action: Police to visit the address/)

    // The partner signs in, sees the task and the minimum of the record, and sends an update.
    const partner = await t.signedIn(['partner_practitioner'], { organisationId: policeId })
    const { page: partnerPage } = await signedInPage(browser, base, partner.agent.cookies.lantern_session)
    await partnerPage.goto(`${base}/`)
    await partnerPage.getByRole('navigation', { name: 'Menu' }).getByRole('link', { name: 'Your tasks', exact: true }).click()
    await visit(partnerPage, 'Your tasks', 'partner tasks')
    await partnerPage.getByRole('link', { name: 'Police to visit the address with the CME officer' }).click()
    await visit(partnerPage, 'Police to visit the address with the CME officer', 'partner task')
    await partnerPage.getByLabel('Not yet: this is an update').check()
    await partnerPage.getByLabel('What has happened').fill('Visit arranged with the CME officer for Friday morning')
    await partnerPage.getByTestId('update-task').click()
    await visit(partnerPage, 'Your tasks', 'partner tasks after the update')

    // The action is still open and falls due by the next meeting: the next agenda shows it.
    await chairPage.goto(`${base}/meetings`)
    await chairPage.getByRole('link', { name: 'Weekly CME officer meeting' }).click()
    await fillDate(chairPage, 'heldOn', '2026-11-27')
    await chairPage.getByTestId('plan-meeting').click()
    await visit(chairPage, 'Meeting, 27 November 2026', 'next meeting')
    assert.match(await chairPage.getByTestId('agenda').textContent() ?? '', /Tamsin Oakhollow[\s\S]*1 action from an earlier meeting due or overdue/)
  })
})
