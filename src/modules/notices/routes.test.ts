import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { withTenant } from '../../platform/db.ts'
import { upnCheckLetter } from '../children/identifiers.ts'
import { addTerm } from '../calendar/service.ts'
import { testApp, dateFields, textOf, html, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'

// Fictional pupils only. UPNs must carry a real LA code (201-938) to pass the check, so these use
// 820 with made-up serial numbers.
const upn = (n: string) => { const rest = `820${n.padStart(9, '0')}`; return `${upnCheckLetter(rest)}${rest}` }
const date = dateFields
const pupil = (over: Record<string, string> = {}) => ({
  forename: 'Wren', surname: 'Mossgate', ...date('dateOfBirth', '2013-04-09'), sex: 'female', upn: upn('100000001'),
  addressLine1: '8 Fennel Row', town: 'Northmoor', postcode: 'ZZ99 3WR', parent1Name: 'Ash Mossgate', parent1Phone: '01632 960 111', ...over,
})

describe('school notices: removal from roll and new pupils', () => {
  let t: TestApp
  let school: Agent
  let otherSchool: Agent
  let officer: Agent
  const cleanups: (() => Promise<void>)[] = []
  const db = () => t.database.db
  const inTenant = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(db(), { laId: t.la.id }, fn)
  const latestNotice = async () => (await inTenant(async (tx) => (await sql<{ id: string; version: number }>`select id, version from school_notice order by created_at desc limit 1`.execute(tx)).rows[0]))

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    t.clock.now = new Date('2026-11-25T10:00:00Z')
    const actor = { laId: t.la.id, userId: null, label: 'test', ip: null }
    await addTerm(db(), actor, { name: 'Autumn term 2026', startsOn: '2026-09-02', endsOn: '2026-12-18' }, t.clock.now)
    const [riverside, hillside] = await inTenant(async (tx) => (await sql<{ id: string }>`insert into organisation (local_authority_id, name, kind, urn)
      values (${t.la.id}, 'Riverside Academy', 'school', '990001'), (${t.la.id}, 'Hillside Primary School', 'school', '990002') returning id`.execute(tx)).rows.map((r) => r.id))
    school = (await t.signedIn(['school_user'], { organisationId: riverside })).agent
    otherSchool = (await t.signedIn(['school_user'], { organisationId: hillside })).agent
    officer = (await t.signedIn(['cme_officer'])).agent
  })
  after(async () => { for (const fn of cleanups) await fn() })

  it('refuses a deletion dated before the notice: no retrospective deletions', async () => {
    const res = await school.post('/notices/removal', { ...pupil(), ground: 'g', ...date('deletionDate', '2026-11-24') })
    assert.equal(res.statusCode, 400)
    assert.match(textOf(res, '.govuk-error-summary'), /The date of deletion cannot be in the past/)
  })

  it('lists every missing reg 13(4) detail in one error summary, in page order', async () => {
    const res = await school.post('/notices/removal', {})
    const summary = textOf(res, '.govuk-error-summary')
    for (const message of ['Enter the pupil’s first name', 'Enter the pupil’s date of birth', 'Enter the first line of the pupil’s address',
      'Enter the name of a parent the pupil lives with', 'Enter an emergency phone number for the parent', 'Select the ground', 'Enter the date the pupil’s name will be deleted']) {
      assert.ok(summary.includes(message), message)
    }
    const bad = await school.post('/notices/removal', { ...pupil({ upn: 'A123', postcode: 'NOT A CODE', parent1Phone: '12', parent2Name: 'Second Parent' }), ground: 'z', ...date('deletionDate', '2026-13-40') })
    const errors = textOf(bad, '.govuk-error-summary')
    assert.match(errors, /UPN/)
    assert.match(errors, /postcode/i)
    assert.match(errors, /Enter a phone number/)
    assert.match(errors, /Date of deletion must be a real date/)
    assert.equal(html(bad)('#forename').val(), 'Wren', 'what was typed is kept')
    const secondParent = await school.post('/notices/removal', { ...pupil({ parent2Name: 'Second Parent' }), ground: 'g', ...date('deletionDate', '2026-11-30') })
    assert.match(textOf(secondParent, '.govuk-error-summary'), /Enter an emergency phone number for the second parent/)
  })

  it('needs the joint reasonable enquiries before grounds (h) and (i)', async () => {
    for (const ground of ['h', 'i']) {
      const res = await school.post('/notices/removal', { ...pupil(), ground, ...date('deletionDate', '2026-11-30') })
      const summary = textOf(res, '.govuk-error-summary')
      assert.match(summary, new RegExp(`Ground \\(${ground}\\) needs the school and the LA to have made reasonable enquiries together first`))
      assert.match(summary, /Enter the name of the LA officer/)
    }
    const future = await school.post('/notices/removal', { ...pupil(), ground: 'h', ...date('deletionDate', '2026-11-30'), ...date('jointEnquiriesOn', '2026-11-26'), jointEnquiriesLaContact: 'Casey Officer', jointEnquiriesSummary: 'Visits, calls' })
    assert.match(textOf(future, '.govuk-error-summary'), /The joint enquiries must already have been made/)
  })

  it('needs 20 continuous school days coded only G, N or O for ground (i), counted in the LA calendar', async () => {
    const joint = { ...date('jointEnquiriesOn', '2026-11-24'), jointEnquiriesLaContact: 'Casey Officer', jointEnquiriesSummary: 'Home visits, calls to every contact, sibling schools checked.' }
    // 2 to 20 November 2026 is 15 school days.
    let res = await school.post('/notices/removal', { ...pupil(), ground: 'i', ...date('deletionDate', '2026-11-30'), ...joint, ...date('absenceFrom', '2026-11-02'), ...date('absenceTo', '2026-11-20'), attendanceCodes: 'N'.repeat(15) })
    assert.match(textOf(res, '.govuk-error-summary'), /at least 20 continuous school days of absence: 2 November 2026 to 20 November 2026 is 15 school days/)
    // 19 October to 20 November: the half term (26 to 30 October) is not in the calendar here, so 25 school days.
    const period = { ...date('absenceFrom', '2026-10-19'), ...date('absenceTo', '2026-11-20') }
    res = await school.post('/notices/removal', { ...pupil(), ground: 'i', ...date('deletionDate', '2026-11-30'), ...joint, ...period, attendanceCodes: 'N'.repeat(24) + 'U' })
    assert.match(textOf(res, '.govuk-error-summary'), /cannot be used if any code other than G, N or O/)
    res = await school.post('/notices/removal', { ...pupil(), ground: 'i', ...date('deletionDate', '2026-11-30'), ...joint, ...period, attendanceCodes: 'N'.repeat(20) })
    assert.match(textOf(res, '.govuk-error-summary'), /Enter one code for each of the 25 school days \(or each of the 50 sessions\)/)
    res = await school.post('/notices/removal', { ...pupil({ forename: 'Ivo', surname: 'Tallowmere', upn: upn('100000002') }), ground: 'i', ...date('deletionDate', '2026-11-30'), ...joint, ...period, attendanceCodes: 'NNNNN GGGGG OOOOO NNNNN GGGGG' })
    assert.equal(res.statusCode, 303)
    const stored = await inTenant(async (tx) => (await sql<{ days: number; codes: string }>`select absence_school_days as days, attendance_codes as codes from school_notice where surname = 'Tallowmere'`.execute(tx)).rows[0])
    assert.deepEqual(stored, { days: 25, codes: 'NNNNNGGGGGOOOOONNNNNGGGGG' })
  })

  it('takes a notice from a school, shows it to the CME team, and tells the school what happened', async () => {
    const res = await school.post('/notices/removal', { ...pupil(), ground: 'g', ...date('deletionDate', '2026-11-27'), notes: 'Family said they were moving; no new address.' })
    assert.equal(res.statusCode, 303)
    assert.equal(res.headers.location, '/notices?sent=1')
    const list = await school.get('/notices?sent=1')
    assert.match(textOf(list, '[data-testid=notices-table]'), /Wren Mossgate Removal from roll \(g\).*Received, not yet looked at/)
    assert.match(textOf(await officer.get('/notices/inbox'), '[data-testid=notices-table]'), /Wren Mossgate.*Riverside Academy/)

    const notice = await latestNotice()
    const page = await officer.get(`/notices/${notice.id}`)
    assert.match(textOf(page, 'main'), /Lantern found no child who could be this pupil/)
    assert.match(textOf(page, 'main'), /a case opened from this notice starts at high risk/)
    const done = await officer.post(`/notices/${notice.id}/process`, { child: 'new', action: 'open_case', registerType: 'cme', version: String(notice.version) })
    assert.equal(done.statusCode, 303)
    const child = await officer.get(done.headers.location as string)
    assert.match(textOf(child, '[data-testid=case]'), /High Removed from roll under ground \(g\)/)
    assert.match(textOf(child, '[data-testid=chronology]'), /Removal from roll notice from Riverside Academy \(ground \(g\) No longer lives within reasonable distance of the school\): case opened/)
    assert.match(textOf(child, 'main'), /8 Fennel Row, Northmoor, ZZ99 3WR/)

    const outcome = await school.get('/notices')
    assert.match(textOf(outcome, '[data-testid=notices-table]'), /Case opened by the CME team: Referred/)
    const audit = await inTenant(async (tx) => (await sql<{ action: string }>`select action from audit_event where action like 'notice.%' order by occurred_at`.execute(tx)).rows.map((r) => r.action))
    assert.ok(audit.includes('notice.submitted') && audit.includes('notice.viewed') && audit.includes('notice.processed'))
  })

  it('keeps each school to its own notices, and the inbox to the CME team', async () => {
    const notice = await inTenant(async (tx) => (await sql<{ id: string }>`select id from school_notice where surname = 'Mossgate'`.execute(tx)).rows[0])
    assert.equal((await otherSchool.get(`/notices/${notice.id}`)).statusCode, 404)
    assert.doesNotMatch(textOf(await otherSchool.get('/notices'), 'main'), /Mossgate/)
    assert.equal((await school.get(`/notices/${notice.id}`)).statusCode, 200)
    assert.equal((await school.get('/notices/inbox')).statusCode, 403)
    assert.equal((await school.post(`/notices/${notice.id}/process`, { child: 'new', action: 'record', outcome: 'x', version: '1' })).statusCode, 403)
    const notASchool = (await t.signedIn(['school_user'])).agent
    const refused = await notASchool.get('/notices/removal/new')
    assert.equal(refused.statusCode, 403)
    assert.match(textOf(refused, 'main'), /not a school/)
  })

  it('finds the child already known by UPN, and will not open a second case for them', async () => {
    await school.post('/notices/removal', { ...pupil({ forename: 'Wrenna', addressLine1: '2 New Lane', postcode: 'ZZ99 3XY' }), ground: 'o', ...date('deletionDate', '2026-11-26') })
    const notice = await latestNotice()
    const page = await officer.get(`/notices/${notice.id}`)
    const first = html(page)('input[name=child]').first()
    const known = await inTenant(async (tx) => (await sql<{ id: string }>`select id from child where surname = 'Mossgate'`.execute(tx)).rows[0].id)
    assert.equal(first.val(), known)
    assert.match(textOf(page, 'main'), /Certain match: Same UPN/)

    const twice = await officer.post(`/notices/${notice.id}/process`, { child: known, action: 'open_case', version: String(notice.version) })
    assert.equal(twice.statusCode, 400)
    assert.match(textOf(twice, '.govuk-error-summary'), /already has an open case/)
    const added = await officer.post(`/notices/${notice.id}/process`, { child: known, action: 'add_to_case', version: String(notice.version) })
    assert.equal(added.statusCode, 303)
    const children = await inTenant(async (tx) => (await sql<{ n: number }>`select count(*)::int as n from child where upn = ${upn('100000001')}`.execute(tx)).rows[0].n)
    assert.equal(children, 1, 'no second record for the same child')
    const child = await officer.get(`/children/${known}`)
    assert.match(textOf(child, 'main'), /2 New Lane/)

    const again = await officer.post(`/notices/${notice.id}/process`, { child: known, action: 'add_to_case', version: String(notice.version) })
    assert.equal(again.statusCode, 409)
  })

  it('closes a known destination without a case only once the officer confirms it', async () => {
    const missing = await school.post('/notices/removal', { ...pupil({ forename: 'Pax', surname: 'Lindqvale', upn: upn('100000003') }), ground: 'a', ...date('deletionDate', '2026-11-26') })
    assert.match(textOf(missing, '.govuk-error-summary'), /Enter the school the pupil is going to: ground \(a\) needs it/)
    await school.post('/notices/removal', { ...pupil({ forename: 'Pax', surname: 'Lindqvale', upn: upn('100000003') }), ground: 'a', ...date('deletionDate', '2026-11-26'), futureSchool: 'Hillside Primary School' })
    const notice = await latestNotice()
    const unconfirmed = await officer.post(`/notices/${notice.id}/process`, { child: 'new', action: 'record', outcome: 'On roll at Hillside from 30 November', version: String(notice.version) })
    assert.match(textOf(unconfirmed, '.govuk-error-summary'), /Confirm that Hillside Primary School has the child on its roll/)
    const noOutcome = await officer.post(`/notices/${notice.id}/process`, { child: 'new', action: 'record', destinationConfirmed: 'yes', version: String(notice.version) })
    assert.match(textOf(noOutcome, '.govuk-error-summary'), /Enter why no case is needed/)
    const recorded = await officer.post(`/notices/${notice.id}/process`, { child: 'new', action: 'record', destinationConfirmed: 'yes', outcome: 'On roll at Hillside from 30 November', version: String(notice.version) })
    assert.equal(recorded.statusCode, 303)
    const cases = await inTenant(async (tx) => (await sql<{ n: number }>`select count(*)::int as n from cme_case c join child ch on ch.id = c.child_id where ch.surname = 'Lindqvale'`.execute(tx)).rows[0].n)
    assert.equal(cases, 0)
    assert.match(textOf(await school.get(`/notices/${notice.id}`), '[data-testid=outcome]'), /On roll at Hillside from 30 November/)
  })

  it('offers a new pupil’s open case for closure, with the notice as the evidence', async () => {
    const res = await otherSchool.post('/notices/new-pupil', { ...pupil(), ...date('startDate', '2026-11-30') })
    assert.equal(res.statusCode, 303)
    const notice = await latestNotice()
    const known = await inTenant(async (tx) => (await sql<{ id: string }>`select id from child where surname = 'Mossgate'`.execute(tx)).rows[0].id)
    const page = await officer.get(`/notices/${notice.id}`)
    assert.match(textOf(page, 'main'), /Open case: Referred/)
    const closed = await officer.post(`/notices/${notice.id}/process`, { child: known, action: 'close_case', version: String(notice.version) })
    assert.equal(closed.statusCode, 303)
    const child = await officer.get(`/children/${known}`)
    assert.match(textOf(child, '[data-testid=case]'), /Placed in school/)
    assert.match(textOf(child, '[data-testid=enquiries]'), /Not possible: Not needed: the child was admitted to Hillside Primary School/)
    assert.match(textOf(await otherSchool.get('/notices'), '[data-testid=notices-table]'), /The child’s case was closed: Placed in school/)
  })

  it('opens an escalation to the MASH when the child is looked after', async () => {
    await school.post('/notices/removal', { ...pupil({ forename: 'Rafe', surname: 'Kestrelby', upn: upn('100000004') }), ground: 'o', ...date('deletionDate', '2026-11-26') })
    const notice = await latestNotice()
    const childId = await inTenant(async (tx) => {
      const id = (await sql<{ id: string }>`insert into child (local_authority_id, forename, surname) values (${t.la.id}, 'Rafe', 'Kestrelby') returning id`.execute(tx)).rows[0].id
      await sql`insert into child_flag (local_authority_id, child_id, flag, source, recorded_by_label) values (${t.la.id}, ${id}, 'looked_after', 'Children’s social care', 'test')`.execute(tx)
      return id
    })
    const res = await officer.post(`/notices/${notice.id}/process`, { child: childId, action: 'open_case', version: String(notice.version) })
    assert.equal(res.statusCode, 303)
    const page = await officer.get(`/children/${childId}`)
    assert.match(textOf(page, '[data-testid=actions]'), /Tell the multi-agency safeguarding hub \(MASH\) about this child today Escalation/)
    assert.match(textOf(page, '[data-testid=chronology]'), /Escalation to the multi-agency safeguarding hub opened: looked after/)
    assert.match(textOf(page, '[data-testid=flags]'), /Looked after/)
  })

  it('never shows one LA’s notices to another', async () => {
    const other = await t.addAuthority('991', 'Southmoor Council')
    const officerThere = (await t.signedIn(['cme_officer'], { laId: other.id })).agent
    assert.doesNotMatch(textOf(await officerThere.get('/notices/inbox'), 'main'), /Mossgate|Lindqvale/)
    const notice = await latestNotice()
    assert.equal((await officerThere.get(`/notices/${notice.id}`)).statusCode, 404)
  })
})
