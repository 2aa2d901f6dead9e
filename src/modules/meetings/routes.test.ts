import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { withTenant } from '../../platform/db.ts'
import { addTerm } from '../calendar/service.ts'
import { dateFields, html, testApp, textOf, type Agent, type TestApp } from '../../../test/helpers/test-app.ts'

// Fictional children and people only.
describe('CME meetings: agendas that build themselves, decisions that reach the child', () => {
  let t: TestApp
  let chair: Agent
  let chairId: string
  let officer: Agent
  let officerId: string
  let partnerOrg: string
  let seriesId = ''
  let meetingId = ''
  const cleanups: (() => Promise<void>)[] = []
  const inTenant = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(t.database.db, { laId: t.la.id }, fn)
  const one = async <T>(query: ReturnType<typeof sql<T>>) => inTenant(async (tx) => (await query.execute(tx)).rows[0])
  const refer = (agent: Agent, f: Record<string, string | string[]>) => agent.post('/referrals', { sex: 'female', concern: 'Not seen at school this term', whereaboutsKnown: 'yes', ...f })
  const caseOf = async (surname: string) => (await one(sql<{ id: string; childId: string }>`select c.id, c.child_id as "childId" from cme_case c join child ch on ch.id = c.child_id where ch.surname = ${surname}`))!
  const agendaNames = (res: Awaited<ReturnType<Agent['get']>>) => html(res)('[data-testid=agenda] > li h3 a').map((_, a) => html(res)(a).text()).get()
  const itemId = async (surname: string) => (await one(sql<{ id: string }>`select i.id from meeting_item i join child ch on ch.id = i.child_id where ch.surname = ${surname} and i.meeting_id = ${meetingId}`))!.id

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    t.clock.now = new Date('2026-11-25T10:00:00Z')
    await addTerm(t.database.db, { laId: t.la.id, userId: null, label: 'test', ip: null }, { name: 'Autumn term 2026', startsOn: '2026-09-02', endsOn: '2026-12-18' }, t.clock.now)
    ;({ agent: chair, userId: chairId } = await t.signedIn(['cme_officer']))
    ;({ agent: officer, userId: officerId } = await t.signedIn(['cme_officer']))
    partnerOrg = await inTenant(async (tx) => (await sql<{ id: string }>`insert into organisation (local_authority_id, name, kind) values (${t.la.id}, 'Northmoor Health Visiting', 'health') returning id`.execute(tx)).rows[0].id)
    // Three cases: one high risk (a child protection plan), one missing since September, one ordinary and new.
    await refer(officer, { forename: 'Ada', surname: 'Fernhollow', concerns: ['child_protection_plan'] })
    await refer(officer, { forename: 'Bea', surname: 'Cindermoss', ...dateFields('dateLastInEducation', '2026-09-10') })
    await refer(officer, { forename: 'Cal', surname: 'Dunmere' })
  })
  after(async () => { for (const fn of cleanups) await fn() })

  it('sets up a series, checking what it needs', async () => {
    const bad = await officer.post('/meetings/series', { name: '', quorum: '9', missingSchoolDays: '0' })
    assert.equal(bad.statusCode, 400)
    assert.match(textOf(bad, '.govuk-error-summary'), /Enter a name[\s\S]*Select the type[\s\S]*Select how often[\s\S]*Select the chair[\s\S]*whole number of school days/)
    const res = await officer.post('/meetings/series', { name: 'Weekly CME officer meeting', kind: 'weekly_officer', schedule: 'weekly', chairUserId: chairId,
      memberIds: [officerId], quorum: '2', missingSchoolDays: '20', referred: 'on', newCases: 'on', highRisk: 'on', missingLong: 'on', protection: 'on', openActions: 'on' })
    assert.equal(res.statusCode, 303)
    seriesId = (res.headers.location as string).split('/').pop()!
    const again = await officer.post('/meetings/series', { name: 'weekly cme officer meeting', kind: 'weekly_officer', schedule: 'weekly', chairUserId: chairId, quorum: '1', missingSchoolDays: '20' })
    assert.match(textOf(again, '.govuk-error-summary'), /already a meeting series with this name/)
    const school = (await t.signedIn(['school_user'])).agent
    assert.equal((await school.get('/meetings')).statusCode, 403)
  })

  it('builds the agenda from the rules and from referrals, once per case with every reason', async () => {
    const { id: caseId } = await caseOf('Dunmere')
    const bad = await officer.post(`/cases/${caseId}/refer-to-meeting`, { seriesId, reason: '' })
    assert.match(textOf(bad, '.govuk-error-summary'), /Say why the case should go to the meeting/)
    assert.equal((await officer.post(`/cases/${caseId}/refer-to-meeting`, { seriesId, reason: 'Family has refused two school offers' })).statusCode, 303)
    const past = await officer.post(`/meetings/series/${seriesId}/meetings`, dateFields('heldOn', '2026-11-01'))
    assert.match(textOf(past, '.govuk-error-summary'), /today or in the future/)
    const res = await officer.post(`/meetings/series/${seriesId}/meetings`, dateFields('heldOn', '2026-11-26'))
    assert.equal(res.statusCode, 303)
    meetingId = (res.headers.location as string).split('/').pop()!
    const page = await officer.get(`/meetings/${meetingId}`)
    assert.deepEqual(agendaNames(page), ['Cal Dunmere', 'Ada Fernhollow', 'Bea Cindermoss'])
    const agenda = textOf(page, '[data-testid=agenda]')
    assert.match(agenda, /Cal Dunmere.*Referred to the panel by .*Family has refused two school offers; New case since the last meeting/)
    assert.match(agenda, /Ada Fernhollow.*Child protection plan; High risk/)
    assert.match(agenda, /Bea Cindermoss.*Missing \d+ school days/)
    assert.equal((await officer.post(`/meetings/series/${seriesId}/meetings`, dateFields('heldOn', '2026-11-26'))).statusCode, 400, 'one meeting a day per series')
  })

  it('lets only the chair reorder or remove items, with a reason', async () => {
    const cal = await itemId('Dunmere')
    assert.equal((await officer.post(`/meetings/${meetingId}/items/${cal}/move`, { direction: 'down' })).statusCode, 403)
    await chair.post(`/meetings/${meetingId}/items/${cal}/move`, { direction: 'down' })
    assert.deepEqual(agendaNames(await chair.get(`/meetings/${meetingId}`)), ['Ada Fernhollow', 'Cal Dunmere', 'Bea Cindermoss'])
    const noReason = await chair.post(`/meetings/${meetingId}/items/${cal}/remove`, { reason: '' })
    assert.match(textOf(noReason, '.govuk-error-summary'), /Say why the item is being taken off the agenda/)

    // The chair adds any open case, with a reason; no one else can.
    await refer(officer, { forename: 'Dot', surname: 'Ebberley' })
    const { id: dotCase } = await caseOf('Ebberley')
    const found = await chair.get(`/meetings/${meetingId}?find=Ebberley`)
    assert.equal(html(found)(`input[name=caseId][value="${dotCase}"]`).length, 1)
    assert.equal(html(await officer.get(`/meetings/${meetingId}?find=Ebberley`))('input[name=caseId]').length, 0)
    assert.equal((await officer.post(`/meetings/${meetingId}/items`, { caseId: dotCase, reason: 'Asked by the school' })).statusCode, 403)
    const bare = await chair.post(`/meetings/${meetingId}/items`, { caseId: dotCase, reason: '' })
    assert.match(textOf(bare, '.govuk-error-summary'), /Say why the case is being added/)
    assert.equal((await chair.post(`/meetings/${meetingId}/items`, { caseId: dotCase, reason: 'Asked by the school' })).statusCode, 303)
    assert.match(textOf(await chair.get(`/meetings/${meetingId}`), '[data-testid=agenda]'), /Dot Ebberley.*Added by the chair: Asked by the school/)
    await chair.post(`/meetings/${meetingId}/items/${await itemId('Ebberley')}/remove`, { reason: 'Dealt with by the school this morning' })
    assert.match(textOf(await chair.get(`/meetings/${meetingId}`), '[data-testid=removed]'), /Dot Ebberley: Dealt with by the school this morning/)
  })

  it('records a decision with an action for a partner, on the child’s chronology, and refuses an action without an owner or date', async () => {
    const ada = await itemId('Fernhollow')
    const form = await officer.get(`/meetings/${meetingId}/items/${ada}`)
    assert.match(textOf(form, '[data-testid=summary]'), /High/)
    const version = html(form)('input[name=version]').attr('value')!
    const incomplete = await officer.post(`/meetings/${meetingId}/items/${ada}`, { version, outcome: 'decided', decision: '', rationale: '', title: 'Health visitor to visit the family', dueMode: 'date', priority: 'normal' })
    assert.equal(incomplete.statusCode, 400)
    assert.match(textOf(incomplete, '.govuk-error-summary'), /Enter the decision[\s\S]*Enter why[\s\S]*Select who will do this/)
    const noDate = await officer.post(`/meetings/${meetingId}/items/${ada}`, { version, outcome: 'decided', decision: 'Visit', rationale: 'Not seen', title: 'Health visitor to visit the family', owner: `org:${partnerOrg}`, dueMode: 'date', priority: 'normal' })
    assert.match(textOf(noDate, '.govuk-error-summary'), /Enter the date the action is due/)
    const saved = await officer.post(`/meetings/${meetingId}/items/${ada}`, { version, outcome: 'decided', decision: 'Joint home visit with health this week', rationale: 'Not seen by any agency since October',
      title: 'Health visitor to visit the family', owner: `org:${partnerOrg}`, dueMode: 'date', ...dateFields('dueOn', '2026-11-30'), priority: 'high' })
    assert.equal(saved.statusCode, 303)
    const stale = await chair.post(`/meetings/${meetingId}/items/${ada}`, { version, outcome: 'not_discussed' })
    assert.equal(stale.statusCode, 409)
    assert.match(textOf(stale, '.govuk-error-summary'), /Someone else recorded this item/)
    // A second action on the same decision: saved again, the decision is not repeated on the chronology.
    const again = html(await officer.get(`/meetings/${meetingId}/items/${ada}`))('input[name=version]').attr('value')!
    assert.equal((await officer.post(`/meetings/${meetingId}/items/${ada}`, { version: again, outcome: 'decided', decision: 'Joint home visit with health this week', rationale: 'Not seen by any agency since October',
      title: 'CME officer to check the GP registration', owner: `user:${officerId}`, dueMode: 'date', ...dateFields('dueOn', '2026-11-30'), priority: 'normal' })).statusCode, 303)
    const decisions = await one(sql<{ n: number }>`select count(*)::int as n from child_event where kind = 'meeting' and summary like '%decided Joint home visit%'`)
    assert.equal(decisions!.n, 1)
    const { childId } = await caseOf('Fernhollow')
    const child = textOf(await officer.get(`/children/${childId}`), 'main')
    assert.match(child, /Weekly CME officer meeting, 26\/11\/2026: decided Joint home visit with health this week/)
    assert.match(child, /Action set at Weekly CME officer meeting.*Health visitor to visit the family, for Northmoor Health Visiting, due 2026-11-30/)
    const action = await one(sql<{ n: number }>`select count(*)::int as n from case_action where meeting_item_id = ${ada} and owner_organisation_id = ${partnerOrg}`)
    assert.equal(action!.n, 1)
  })

  it('gives the partner organisation task-shaped access: their task and the minimum of the record, every view audited', async () => {
    const partner = (await t.signedIn(['partner_practitioner'], { organisationId: partnerOrg })).agent
    const list = await partner.get('/tasks')
    assert.match(textOf(list, '[data-testid=tasks]'), /Health visitor to visit the family.*Ada Fernhollow/)
    const href = html(list)('[data-testid=tasks] a').attr('href')!
    const page = await partner.get(href)
    const task = textOf(page, '[data-testid=task]')
    assert.match(task, /Ada Fernhollow[\s\S]*Weekly CME officer meeting, 26 November 2026[\s\S]*Joint home visit with health this week/)
    assert.doesNotMatch(textOf(page, 'main'), /Not seen at school this term/, 'the referral concern is not part of the task')
    assert.equal((await partner.get(`/children/${(await caseOf('Fernhollow')).childId}`)).statusCode, 403)
    assert.equal((await one(sql<{ n: number }>`select count(*)::int as n from audit_event where action = 'task.viewed'`))!.n, 1)

    const elsewhere = await inTenant(async (tx) => (await sql<{ id: string }>`insert into organisation (local_authority_id, name, kind) values (${t.la.id}, 'Another Agency', 'voluntary_sector') returning id`.execute(tx)).rows[0].id)
    const stranger = (await t.signedIn(['partner_practitioner'], { organisationId: elsewhere })).agent
    assert.equal((await stranger.get(href)).statusCode, 404)
    assert.equal((await stranger.post(href, { kind: 'done', note: 'Not mine', version: '1' })).statusCode, 404)

    const version = html(page)('input[name=version]').attr('value')!
    assert.equal((await partner.post(href, { kind: 'progress', note: '', version })).statusCode, 400)
    assert.equal((await partner.post(href, { kind: 'progress', note: 'Visit booked for Friday', version })).statusCode, 303)
    assert.equal((await partner.post(href, { kind: 'done', note: 'Stale form', version })).statusCode, 409)
    const fresh = html(await partner.get(href))('input[name=version]').attr('value')!
    assert.equal((await partner.post(href, { kind: 'done', note: 'Visited; the family has moved to Elsewhere', version: fresh })).statusCode, 303)
    const child = textOf(await officer.get(`/children/${(await caseOf('Fernhollow')).childId}`), 'main')
    assert.match(child, /Progress on “Health visitor to visit the family”: Visit booked for Friday/)
    assert.match(child, /Action done: Health visitor to visit the family\. Visited; the family has moved to Elsewhere/)
  })

  it('will not close with an undecided item or without a quorum, then carries "not discussed" to the next meeting', async () => {
    let res = await officer.post(`/meetings/${meetingId}/close`, {})
    assert.equal(res.statusCode, 400)
    assert.match(textOf(res, '.govuk-error-summary'), /2 items have neither a decision nor “not discussed”: .*[\s\S]*not quorate: 0 members recorded as present, and 2 are needed/)
    for (const surname of ['Dunmere', 'Cindermoss']) {
      const id = await itemId(surname)
      const v = html(await officer.get(`/meetings/${meetingId}/items/${id}`))('input[name=version]').attr('value')!
      await officer.post(`/meetings/${meetingId}/items/${id}`, { version: v, outcome: surname === 'Dunmere' ? 'decided' : 'not_discussed', decision: 'Offer a place at the nearest school with room', rationale: 'Two refusals already' })
    }
    await officer.post(`/meetings/${meetingId}/attendance`, { [`status-${chairId}`]: 'present', [`status-${officerId}`]: 'present', [`declaration-${officerId}`]: 'Knows the family as a neighbour' })
    res = await officer.post(`/meetings/${meetingId}/close`, {})
    assert.equal(res.statusCode, 303)
    assert.match(textOf(await officer.get(`/meetings/${meetingId}`), '[data-testid=attendance]'), /present\. Declared: Knows the family as a neighbour/)

    const next = await officer.post(`/meetings/series/${seriesId}/meetings`, dateFields('heldOn', '2026-12-03'))
    const page = await officer.get(next.headers.location as string)
    const agenda = textOf(page, '[data-testid=agenda]')
    assert.match(agenda, /Bea Cindermoss.*Not discussed at the last meeting/)
    assert.doesNotMatch(agenda, /Cal Dunmere/, 'a decided case that meets no rule does not come back')
    // A referral once the next meeting is planned goes straight onto its agenda.
    await officer.post(`/cases/${(await caseOf('Dunmere')).id}/refer-to-meeting`, { seriesId, reason: 'New information from the school' })
    assert.match(textOf(await officer.get(next.headers.location as string), '[data-testid=agenda]'), /Cal Dunmere.*Referred to the panel by .*New information from the school/)
  })

  it('has minutes that only the chair approves, and that are read only afterwards', async () => {
    assert.equal((await officer.post(`/meetings/${meetingId}/approve`, {})).statusCode, 403)
    assert.equal((await officer.get(`/meetings/${meetingId}/minutes.pdf`)).statusCode, 409, 'no minutes PDF before approval')
    const agendaPdf = await officer.get(`/meetings/${meetingId}/agenda.pdf`)
    assert.equal(agendaPdf.headers['content-type'], 'application/pdf')
    assert.equal(agendaPdf.rawPayload.subarray(0, 5).toString(), '%PDF-')
    assert.equal((await chair.post(`/meetings/${meetingId}/approve`, {})).statusCode, 303)
    const minutesPdf = await chair.get(`/meetings/${meetingId}/minutes.pdf`)
    assert.equal(minutesPdf.statusCode, 200)
    assert.ok(minutesPdf.rawPayload.length > 1000)
    assert.equal((await one(sql<{ n: number }>`select count(*)::int as n from audit_event where action = 'meeting.pdf_exported'`))!.n, 2)
    const page = await chair.get(`/meetings/${meetingId}`)
    assert.match(textOf(page, 'main'), /Minutes approved.*read only/)
    const ada = await itemId('Fernhollow')
    const late = await officer.post(`/meetings/${meetingId}/items/${ada}`, { version: '2', outcome: 'not_discussed' })
    assert.equal(late.statusCode, 409)
    assert.match(textOf(late, '.govuk-error-summary'), /approved and cannot be changed/)
    assert.equal((await chair.post(`/meetings/${meetingId}/approve`, {})).statusCode, 409)
    // Approval circulates a link to every member; the email names no child.
    const mail = await inTenant(async (tx) => (await sql<{ body: string }>`select body from email_outbox where subject = 'Lantern: meeting minutes approved'`.execute(tx)).rows)
    assert.equal(mail.length, 2)
    assert.match(mail[0].body, new RegExp(`/meetings/${meetingId}`))
    assert.doesNotMatch(mail.map((m) => m.body).join(' '), /Fernhollow|Cindermoss|Dunmere/)
    // A correction is an amendment with a reason, on the minutes and the child's chronology.
    const noReason = await officer.post(`/meetings/${meetingId}/amendments`, { itemId: ada, correction: 'The visit is with health and the police', reason: '' })
    assert.match(textOf(noReason, '.govuk-error-summary'), /Enter why the minutes need correcting/)
    assert.equal((await officer.post(`/meetings/${meetingId}/amendments`, { itemId: ada, correction: 'The visit is with health and the police', reason: 'Police agreed after the meeting' })).statusCode, 303)
    assert.match(textOf(await officer.get(`/meetings/${meetingId}`), '[data-testid=amendments]'), /Ada Fernhollow: The visit is with health and the police \(reason: Police agreed after the meeting/)
    const csv = await officer.get(`/meetings/${meetingId}/actions.csv`)
    assert.match(csv.headers['content-type'] as string, /text\/csv/)
    assert.match(csv.body, /Ada Fernhollow,Joint home visit with health this week,Health visitor to visit the family,Northmoor Health Visiting,2026-11-30,high,done/)
    const audit = await one(sql<{ n: number }>`select count(*)::int as n from audit_event where action in ('meeting.viewed', 'meeting.item_viewed', 'meeting.item_recorded', 'meeting.minutes_approved')`)
    assert.ok(audit!.n >= 8)
  })

  it('places a formal panel once in each school term', async () => {
    await addTerm(t.database.db, { laId: t.la.id, userId: null, label: 'test', ip: null }, { name: 'Spring term 2027', startsOn: '2027-01-05', endsOn: '2027-03-26' }, t.clock.now)
    const created = await officer.post('/meetings/series', { name: 'CME panel', kind: 'cme_panel', schedule: 'termly', chairUserId: chairId, quorum: '1', missingSchoolDays: '20', highRisk: 'on' })
    const panel = created.headers.location as string
    const holiday = await officer.post(`${panel}/meetings`, dateFields('heldOn', '2026-12-28'))
    assert.match(textOf(holiday, '.govuk-error-summary'), /meets once a term: choose a date inside a school term/)
    assert.equal((await officer.post(`${panel}/meetings`, dateFields('heldOn', '2026-12-10'))).statusCode, 303)
    const twice = await officer.post(`${panel}/meetings`, dateFields('heldOn', '2026-12-17'))
    assert.match(textOf(twice, '.govuk-error-summary'), /already meets in the Autumn term 2026, on 10\/12\/2026/)
    const terms = textOf(await officer.get(panel), '[data-testid=terms]')
    assert.match(terms, /Autumn term 2026.*10 December 2026.*Spring term 2027.*Not planned yet/)
  })

  it('has a statistics pack: the register as the DfE return counts it, what changed, and actions done on time', async () => {
    const page = await officer.get(`/meetings/${meetingId}/statistics`)
    assert.equal(page.statusCode, 200)
    const headline = textOf(page, '[data-testid=headline]')
    assert.match(headline, /Children on the register 4 New cases 4 Cases closed 0 Actions due 1 Done by their due date 0 \(0%\)/)
    // The one action due so far is the MASH escalation for the child with a protection plan, still open.
    assert.equal(html(page)('svg[role=img]').length, 4)
    assert.match(textOf(page, 'main'), /Length of time missing education[\s\S]*Sex[\s\S]*Female[\s\S]*4/)
    assert.doesNotMatch(textOf(page, 'main'), /Fernhollow|Cindermoss|Dunmere|Ebberley/, 'counts only')
  })

  it('shows a partner on a panel only the series they sit on', async () => {
    const member = await t.signedIn(['panel_member'], { organisationId: partnerOrg })
    const other = (await t.signedIn(['panel_member'], { organisationId: partnerOrg })).agent
    const created = await officer.post('/meetings/series', { name: 'Fair Access panel', kind: 'other', schedule: 'as_needed', chairUserId: chairId,
      memberIds: [member.userId], quorum: '1', missingSchoolDays: '20', placement: 'on' })
    const fairAccess = created.headers.location as string
    const list = html(await member.agent.get('/meetings'))
    assert.deepEqual(list('[data-testid=series] a').map((_, a) => list(a).text()).get(), ['Fair Access panel'])
    assert.equal((await member.agent.get(fairAccess)).statusCode, 200)
    assert.equal((await member.agent.get(`/meetings/${meetingId}`)).statusCode, 404, 'not a member of the weekly meeting')
    assert.equal((await other.get(fairAccess)).statusCode, 404)
    assert.equal((await other.get(`/meetings/${meetingId}/statistics`)).statusCode, 404)
  })

  it('points each person to what they can use from the home page', async () => {
    const links = async (agent: Agent) => { const page = html(await agent.get('/')); return page('main a').map((_, a) => page(a).attr('href')).get() }
    const mine = await links(officer)
    assert.ok(mine.includes('/find') && mine.includes('/meetings') && mine.includes('/tasks'))
    const school = await links((await t.signedIn(['school_user'])).agent)
    assert.ok(!school.includes('/find') && !school.includes('/meetings') && school.includes('/tasks'))
  })

  it('keeps other LAs out', async () => {
    const other = await t.addAuthority('993', 'Distant Council')
    const outsider = (await t.signedIn(['cme_officer'], { laId: other.id })).agent
    assert.equal((await outsider.get(`/meetings/${meetingId}`)).statusCode, 404)
    assert.equal((await outsider.get(`/meetings/series/${seriesId}`)).statusCode, 404)
    assert.equal((await outsider.post(`/meetings/series/${seriesId}/meetings`, dateFields('heldOn', '2026-12-10'))).statusCode, 404)
  })
})
