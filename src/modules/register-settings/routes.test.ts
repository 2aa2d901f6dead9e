import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { withTenant } from '../../platform/db.ts'
import { testApp, textOf, html, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'

describe('register settings: escalation, reasons and the enquiries checklist', () => {
  let t: TestApp
  let admin: Agent
  const cleanups: (() => Promise<void>)[] = []
  const inTenant = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(t.database.db, { laId: t.la.id }, fn)

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    admin = (await t.signedIn(['la_admin'])).agent
  })
  after(async () => { for (const fn of cleanups) await fn() })

  it('validates and saves the escalation settings', async () => {
    let res = await admin.post('/admin/register/settings', { overdueEscalationWorkingDays: 'soon', placementTargetSchoolDays: '0' })
    assert.equal(res.statusCode, 400)
    assert.match(textOf(res, '.govuk-error-summary'), /Enter the number of working days as a whole number[\s\S]*The number of school days must be 1 or more/)
    res = await admin.post('/admin/register/settings', { overdueEscalationWorkingDays: '3', placementTargetSchoolDays: '15', teamManagerUserId: '00000000-0000-4000-8000-000000000000' })
    assert.match(textOf(res, '.govuk-error-summary'), /Select a CME officer from the list/)
    const { userId } = await t.createUser(['cme_officer'])
    await inTenant((tx) => sql`update app_user set status = 'active' where id = ${userId}`.execute(tx))
    res = await admin.post('/admin/register/settings', { overdueEscalationWorkingDays: '3', placementTargetSchoolDays: '15', teamManagerUserId: userId })
    assert.equal(res.statusCode, 303)
    const saved = await inTenant(async (tx) => (await sql<{ d: number; p: number; m: string }>`select overdue_escalation_working_days as d, placement_target_school_days as p, team_manager_user_id as m from register_setting`.execute(tx)).rows[0])
    assert.deepEqual(saved, { d: 3, p: 15, m: userId })
  })

  it('adds and retires reasons, which officers then see', async () => {
    let res = await admin.post('/admin/register/reasons', { label: '' })
    assert.match(textOf(res, '.govuk-error-summary'), /Enter the reason/)
    res = await admin.post('/admin/register/reasons', { label: 'Awaiting a Fair Access panel decision' })
    assert.equal(res.statusCode, 303)
    res = await admin.post('/admin/register/reasons', { label: 'Awaiting a Fair Access panel decision!' })
    assert.match(textOf(res, '.govuk-error-summary'), /There is already a reason like this one/)
    assert.equal((await admin.post('/admin/register/reasons/moved_abroad/toggle', {})).statusCode, 303)
    const officer = (await t.signedIn(['cme_officer'])).agent
    const register = textOf(await officer.get('/register'), '#reason')
    assert.match(register, /Awaiting a Fair Access panel decision/)
    assert.doesNotMatch(register, /Believed to have moved out of the country/)
  })

  it('changes the checklist for new cases only', async () => {
    const officer = (await t.signedIn(['cme_officer'])).agent
    await officer.post('/referrals', { forename: 'Una', surname: 'Beforehand', sex: 'female', concern: 'Not in school.', whereaboutsKnown: 'yes' })
    let res = await admin.post('/admin/register/enquiries', { label: 'Checked the Traveller education service' })
    assert.match(textOf(res, '.govuk-error-summary'), /Select whether a case can close without it/)
    res = await admin.post('/admin/register/enquiries', { label: 'Checked the Traveller education service', required: 'yes' })
    assert.equal(res.statusCode, 303)
    const page = await admin.get('/admin/register')
    const homeVisit = html(page)('[data-testid=template] tr').filter((_, tr) => /Made a home visit/.test(html(page)(tr).text())).find('form[action$="/required"]').attr('action')!
    assert.equal((await admin.post(homeVisit, {})).statusCode, 303)
    await officer.post('/referrals', { forename: 'Vic', surname: 'Afterwards', sex: 'male', concern: 'Not in school.', whereaboutsKnown: 'yes' })
    const lists = await inTenant(async (tx) => (await sql<{ surname: string; label: string; required: boolean }>`select ch.surname, e.label, e.required from case_enquiry e
      join cme_case c on c.id = e.case_id join child ch on ch.id = c.child_id where e.label in ('Checked the Traveller education service', 'Made a home visit')`.execute(tx)).rows)
    assert.deepEqual(lists.filter((r) => r.surname === 'Beforehand').map((r) => [r.label, r.required]), [['Made a home visit', true]])
    assert.deepEqual(lists.filter((r) => r.surname === 'Afterwards').map((r) => [r.label, r.required]).sort(), [['Checked the Traveller education service', true], ['Made a home visit', false]])
    const audit = await inTenant(async (tx) => (await sql<{ action: string }>`select distinct action from audit_event where action like 'register.%'`.execute(tx)).rows.map((r) => r.action).sort())
    assert.deepEqual(audit, ['register.enquiry_added', 'register.enquiry_changed', 'register.reason_added', 'register.reason_retired', 'register.settings_changed'])
  })

  it('is for administrators only', async () => {
    const officer = (await t.signedIn(['cme_officer'])).agent
    assert.equal((await officer.get('/admin/register')).statusCode, 403)
  })
})
