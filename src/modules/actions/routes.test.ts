import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { withTenant } from '../../platform/db.ts'
import { addTerm } from '../calendar/service.ts'
import { escalateOverdueActions } from './service.ts'
import { testApp, dateFields, textOf, html, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'

const date = dateFields

describe('case actions: owners, due dates in school or working days, My work and escalation', () => {
  let t: TestApp
  let officer: Agent
  let officerId: string
  let manager: { userId: string; email: string }
  let childPath: string
  let caseId: string
  const cleanups: (() => Promise<void>)[] = []
  const inTenant = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(t.database.db, { laId: t.la.id }, fn)
  const actionLinks = async () => {
    const page = html(await officer.get(childPath))
    return page('[data-testid=actions] a').map((_, a) => page(a).attr('href')).get()
  }

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    t.clock.now = new Date('2026-11-25T10:00:00Z')
    await addTerm(t.database.db, { laId: t.la.id, userId: null, label: 'test', ip: null }, { name: 'Autumn term 2026', startsOn: '2026-09-02', endsOn: '2026-12-18' }, t.clock.now)
    const signed = await t.signedIn(['cme_officer'])
    officer = signed.agent
    officerId = signed.userId
    manager = await t.createUser(['cme_officer'], { email: 'manager@northmoor.example' })
    await inTenant((tx) => sql`update app_user set status = 'active' where id = ${manager.userId}`.execute(tx))
    await inTenant((tx) => sql`update register_setting set team_manager_user_id = ${manager.userId}, overdue_escalation_working_days = 2`.execute(tx))
    await officer.post('/referrals', { forename: 'Juno', surname: 'Ashgrove', sex: 'female', concern: 'Not seen at school since October.', whereaboutsKnown: 'yes' })
    childPath = html(await officer.get('/register?q=Juno'))('[data-testid=register-table] a').attr('href')!
    caseId = html(await officer.get(childPath))('[data-testid=case]').attr('id')!.replace('case-', '')
  })
  after(async () => { for (const fn of cleanups) await fn() })

  it('warns when an open case has no next action', async () => {
    assert.match(textOf(await officer.get(childPath), '[data-testid=no-next-action]'), /This case has no next action/)
    assert.match(textOf(await officer.get('/my-work'), '[data-testid=no-next-action]'), /Juno Ashgrove/)
  })

  it('explains what is wrong with an action', async () => {
    let res = await officer.post(`/cases/${caseId}/actions`, {})
    assert.equal(res.statusCode, 400)
    assert.match(textOf(res, '.govuk-error-summary'), /Enter what needs to be done[\s\S]*Select who will do this[\s\S]*Select how to set the due date/)
    res = await officer.post(`/cases/${caseId}/actions`, { title: 'Home visit', owner: `user:${officerId}`, dueMode: 'date', ...date('dueOn', '2026-11-20'), priority: 'normal' })
    assert.match(textOf(res, '.govuk-error-summary'), /The due date must be today or in the future/)
    res = await officer.post(`/cases/${caseId}/actions`, { title: 'Home visit', owner: `user:${officerId}`, dueMode: 'school_days', dueDays: '40', priority: 'normal' })
    assert.match(textOf(res, '.govuk-error-summary'), /The school calendar has no term dates after 18 December 2026/)
    res = await officer.post(`/cases/${caseId}/actions`, { title: 'Home visit', owner: 'user:not-a-user', dueMode: 'school_days', dueDays: '5', priority: 'normal' })
    assert.match(textOf(res, '.govuk-error-summary'), /Select who will do this/)
    res = await officer.post(`/cases/${caseId}/actions`, { title: 'Home visit', owner: `user:${officerId}`, dueMode: 'school_days', dueDays: 'five', priority: 'normal' })
    assert.match(textOf(res, '.govuk-error-summary'), /Enter a whole number of days from 0 to 200/)
  })

  it('counts a due date in school days from today, and puts the action in its owner’s queue', async () => {
    // Wednesday 25 November plus 5 school days is Wednesday 2 December.
    const res = await officer.post(`/cases/${caseId}/actions`, { title: 'Home visit within 5 school days', owner: `user:${officerId}`, dueMode: 'school_days', dueDays: '5', priority: 'high' })
    assert.equal(res.statusCode, 303)
    const page = await officer.get(childPath)
    assert.match(textOf(page, '[data-testid=actions]'), /Home visit within 5 school days .* due 2 December 2026/)
    assert.equal(html(page)('[data-testid=no-next-action]').length, 0)
    assert.match(textOf(await officer.get('/my-work'), '[data-testid=actions-table]'), /Home visit within 5 school days Juno Ashgrove .* 2 December 2026 High/)
    assert.match(textOf(page, '[data-testid=chronology]'), /Action added: Home visit within 5 school days/)
  })

  it('lets an organisation own an action, and counts working days', async () => {
    const res = await officer.post(`/cases/${caseId}/actions`, { title: 'Check health registration', owner: `org:${t.la.organisationId}`, dueMode: 'working_days', dueDays: '10', priority: 'normal' })
    assert.equal(res.statusCode, 303)
    assert.match(textOf(await officer.get(childPath), '[data-testid=actions]'), /Check health registration Northmoor Borough Council, due 9 December 2026/)
  })

  it('changes an action only with a reason, and refuses a stale change', async () => {
    const [first] = await actionLinks()
    const version = html(await officer.get(first))('input[name=version]').first().val() as string
    let res = await officer.post(`${first}/change`, { owner: `user:${manager.userId}`, dueMode: 'date', ...date('dueOn', '2026-12-04'), version })
    assert.match(textOf(res, '.govuk-error-summary'), /Enter why the action is changing/)
    res = await officer.post(`${first}/change`, { owner: `user:${manager.userId}`, dueMode: 'date', ...date('dueOn', '2026-12-04'), reason: 'Manager will visit with the family worker', version })
    assert.equal(res.statusCode, 303)
    res = await officer.post(`${first}/change`, { owner: `user:${officerId}`, dueMode: 'date', ...date('dueOn', '2026-12-05'), reason: 'x', version })
    assert.equal(res.statusCode, 409)
    assert.match(textOf(await officer.get(childPath), '[data-testid=chronology]'), /Action changed: Home visit within 5 school days, now for Test cme_officer, due 2026-12-04\. Reason: Manager will visit/)
  })

  it('escalates actions overdue by more than the LA’s working days to the team manager, once', async () => {
    t.clock.now = new Date('2026-12-09T10:00:00Z')
    officer = (await t.signedIn(['cme_officer'])).agent // two weeks on, the old session has timed out
    const first = await escalateOverdueActions(t.database.db, t.clock.now, 'http://lantern.test')
    // Due 4 December: by 9 December it is 3 working days overdue, more than the 2 set. The 9 December one is not overdue.
    assert.equal(first.escalated, 1)
    assert.equal((await escalateOverdueActions(t.database.db, t.clock.now, 'http://lantern.test')).escalated, 0, 'escalated once only')
    const mail = await inTenant(async (tx) => (await sql<{ to: string; subject: string; body: string }>`select to_address as to, subject, body from email_outbox order by created_at desc limit 1`.execute(tx)).rows[0])
    assert.equal(mail.to, 'manager@northmoor.example')
    assert.match(mail.body, /1 action is overdue by more than 2 working days[\s\S]*http:\/\/lantern.test\/actions\/overdue/)
    assert.doesNotMatch(mail.body, /Juno|Ashgrove/, 'no child’s details in an email')
    assert.match(textOf(await officer.get('/actions/overdue'), '[data-testid=actions-table]'), /Home visit within 5 school days Juno Ashgrove/)
    assert.match(textOf(await officer.get(childPath), '[data-testid=chronology]'), /Overdue action escalated to the team manager/)
  })

  it('records the outcome when an action is finished', async () => {
    const [first] = await actionLinks()
    const version = html(await officer.get(first))('input[name=version]').first().val() as string
    let res = await officer.post(`${first}/finish`, { status: 'done', version })
    assert.match(textOf(res, '.govuk-error-summary'), /Enter what happened/)
    res = await officer.post(`${first}/finish`, { status: 'done', outcome: 'Visited: family at home, application for Hillside made.', version })
    assert.equal(res.statusCode, 303)
    const page = await officer.get(childPath)
    assert.match(textOf(page, '[data-testid=actions]'), /Done: Visited: family at home/)
    assert.equal((await officer.post(`${first}/finish`, { status: 'done', outcome: 'again', version: String(Number(version) + 1) })).statusCode, 409)
  })

  it('escalates a referral about a child with a child protection plan to the MASH at once', async () => {
    await officer.post('/referrals', { forename: 'Orla', surname: 'Brindlecombe', sex: 'female', concern: 'On a protection plan; not at school.', whereaboutsKnown: 'no', concerns: 'child_protection_plan' })
    const path = html(await officer.get('/register?q=Orla'))('[data-testid=register-table] a').attr('href')!
    const page = await officer.get(path)
    assert.match(textOf(page, '[data-testid=actions]'), /Tell the multi-agency safeguarding hub \(MASH\) about this child today Escalation .*Test cme_officer, due 9 December 2026/)
    assert.match(textOf(page, '[data-testid=flags]'), /Child protection plan/)
    const mail = await inTenant(async (tx) => (await sql<{ to: string; body: string }>`select to_address as to, body from email_outbox order by created_at desc limit 1`.execute(tx)).rows[0])
    assert.equal(mail.to, 'manager@northmoor.example')
    assert.doesNotMatch(mail.body, /Orla|Brindlecombe/)
  })

  it('keeps actions to CME officers', async () => {
    const school = (await t.signedIn(['school_user'])).agent
    assert.equal((await school.get('/my-work')).statusCode, 403)
    assert.equal((await school.post(`/cases/${caseId}/actions`, { title: 'x' })).statusCode, 403)
  })
})
