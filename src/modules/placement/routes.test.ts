import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { withTenant } from '../../platform/db.ts'
import { addTerm } from '../calendar/service.ts'
import { escalatePlacementWaits } from './service.ts'
import { testApp, dateFields, textOf, html, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'

const date = dateFields

describe('placement barriers: refusals, directions, the academy clock and the wait for a place', () => {
  let t: TestApp
  let officer: Agent
  let childPath: string
  let caseId: string
  const cleanups: (() => Promise<void>)[] = []
  const inTenant = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(t.database.db, { laId: t.la.id }, fn)

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    t.clock.now = new Date('2026-11-02T10:00:00Z')
    await addTerm(t.database.db, { laId: t.la.id, userId: null, label: 'test', ip: null }, { name: 'Autumn term 2026', startsOn: '2026-09-02', endsOn: '2026-12-18' }, t.clock.now)
    officer = (await t.signedIn(['cme_officer'])).agent
    await officer.post('/referrals', { forename: 'Idris', surname: 'Coldharbour', sex: 'male', concern: 'Arrived in the area; no school place.', whereaboutsKnown: 'yes' })
    childPath = html(await officer.get('/register?q=Idris'))('[data-testid=register-table] a').attr('href')!
    caseId = html(await officer.get(childPath))('[data-testid=case]').attr('id')!.replace('case-', '')
  })
  after(async () => { for (const fn of cleanups) await fn() })

  it('explains what a barrier needs', async () => {
    let res = await officer.post(`/cases/${caseId}/barriers`, {})
    assert.equal(res.statusCode, 400)
    assert.match(textOf(res, '.govuk-error-summary'), /Select what happened[\s\S]*Enter the date it happened[\s\S]*Enter the reason/)
    res = await officer.post(`/cases/${caseId}/barriers`, { kind: 'school_refusal', ...date('occurredOn', '2026-11-03'), reason: 'Full' })
    assert.match(textOf(res, '.govuk-error-summary'), /The date must be today or in the past/)
    res = await officer.post(`/cases/${caseId}/barriers`, { kind: 'school_refusal', ...date('occurredOn', '2026-11-02'), reason: 'Full' })
    assert.match(textOf(res, '.govuk-error-summary'), /Enter the school/)
  })

  it('records a refusal and an academy direction request with its 7-day clock', async () => {
    assert.equal((await officer.post(`/cases/${caseId}/barriers`, { kind: 'school_refusal', schoolName: 'Moorside High School', ...date('occurredOn', '2026-11-02'), reason: 'Year 9 is full.' })).statusCode, 303)
    assert.equal((await officer.post(`/cases/${caseId}/barriers`, { kind: 'direction_request_academy', schoolName: 'Riverside Academy', ...date('occurredOn', '2026-11-02'), reason: 'Asked the Secretary of State to direct admission.' })).statusCode, 303)
    const page = await officer.get(childPath)
    assert.match(textOf(page, '[data-testid=barriers]'), /School refused a place: Moorside High School, 2 November 2026/)
    assert.match(textOf(page, '[data-testid=barriers]'), /Asked the Secretary of State to direct an academy: Riverside Academy, 2 November 2026 Response due by 9 November 2026/)
    assert.match(textOf(page, '[data-testid=chronology]'), /School refused a place: Moorside High School on 2026-11-02\. Year 9 is full\./)
  })

  it('shows the academy’s response as overdue after 7 days, until the outcome is recorded', async () => {
    t.clock.now = new Date('2026-11-10T10:00:00Z')
    officer = (await t.signedIn(['cme_officer'])).agent
    const page = await officer.get(childPath)
    assert.match(textOf(page, '[data-testid=barriers]'), /Response due by 9 November 2026 Overdue/)
    const link = html(page)('[data-testid=barriers] a').last().attr('href')!
    const version = html(await officer.get(link))('input[name=version]').val() as string
    let res = await officer.post(`${link}/resolve`, { version })
    assert.match(textOf(res, '.govuk-error-summary'), /Enter the outcome[\s\S]*Enter the date it was resolved/)
    res = await officer.post(`${link}/resolve`, { outcome: 'Directed to admit from 16 November.', ...date('resolvedOn', '2026-11-10'), version })
    assert.equal(res.statusCode, 303)
    assert.match(textOf(await officer.get(childPath), '[data-testid=barriers]'), /Resolved 10 November 2026: Directed to admit from 16 November\./)
    assert.equal((await officer.post(`${link}/resolve`, { outcome: 'again', ...date('resolvedOn', '2026-11-10'), version })).statusCode, 409)
  })

  it('escalates once when the child has waited longer than the LA’s target in school days', async () => {
    await inTenant((tx) => sql`update register_setting set placement_target_school_days = 10`.execute(tx))
    // From 2 November, 10 school days run to 16 November: on the 16th the wait is not yet longer than the target.
    assert.equal((await escalatePlacementWaits(t.database.db, new Date('2026-11-16T07:00:00Z'), 'http://lantern.test')).escalated, 0)
    assert.equal((await escalatePlacementWaits(t.database.db, new Date('2026-11-17T07:00:00Z'), 'http://lantern.test')).escalated, 1)
    assert.equal((await escalatePlacementWaits(t.database.db, new Date('2026-11-18T07:00:00Z'), 'http://lantern.test')).escalated, 0, 'once only')
    const page = await officer.get(childPath)
    assert.match(textOf(page, '[data-testid=actions]'), /Child has waited more than 10 school days for a school place/)
    assert.match(textOf(page, '[data-testid=chronology]'), /Waiting for a school place since 2026-11-02, longer than the LA’s target of 10 school days/)
  })

  it('keeps barriers to CME officers', async () => {
    const auditor = (await t.signedIn(['auditor'])).agent
    assert.equal((await auditor.get(`/cases/${caseId}/barriers/new`)).statusCode, 403)
  })
})
