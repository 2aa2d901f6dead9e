import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { withTenant } from '../../platform/db.ts'
import { upnCheckLetter } from './identifiers.ts'
import { findPossibleMatches } from './matching.ts'
import { testApp, textOf, html, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'

// Fictional children; UPNs carry LA code 820 (a real code is needed to pass the check) and made-up serials.
const upn = (n: string) => { const rest = `820${n.padStart(9, '0')}`; return `${upnCheckLetter(rest)}${rest}` }

describe('keeping the child’s record: identity, names, parents and carers, flags, schools and siblings', () => {
  let t: TestApp
  let officer: Agent
  let childId: string
  let otherId: string
  const cleanups: (() => Promise<void>)[] = []
  const inTenant = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(t.database.db, { laId: t.la.id }, fn)
  const identity = async () => {
    const page = await officer.get(`/children/${childId}/identity`)
    const $ = html(page)
    const fields = $('form input[name]:not([type=radio]), form input[type=radio]:checked').filter((_, i) => $(i).attr('name') !== '_csrf')
    return Object.fromEntries(fields.map((_, i) => [[$(i).attr('name')!, String($(i).val() ?? '')]]).get()) as Record<string, string>
  }

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    t.clock.now = new Date('2026-11-28T10:00:00Z')
    officer = (await t.signedIn(['cme_officer'])).agent
    await officer.post('/referrals', { forename: 'Nell', surname: 'Quarrington', sex: 'female', upn: upn('300000001'), concern: 'Not in school since moving.', whereaboutsKnown: 'yes' })
    await officer.post('/referrals', { forename: 'Ossie', surname: 'Quarrington', sex: 'male', upn: upn('300000002'), concern: 'Brother of Nell.', whereaboutsKnown: 'yes' })
    const ids = await inTenant(async (tx) => (await sql<{ id: string; forename: string }>`select id, forename from child order by forename`.execute(tx)).rows)
    childId = ids.find((r) => r.forename === 'Nell')!.id
    otherId = ids.find((r) => r.forename === 'Ossie')!.id
  })
  after(async () => { for (const fn of cleanups) await fn() })

  it('checks identifiers, refuses another child’s UPN, and keeps a replaced UPN as a former one', async () => {
    const values = await identity()
    let res = await officer.post(`/children/${childId}/identity`, { ...values, uln: '1234567890', nhsNumber: '123' })
    assert.equal(res.statusCode, 400)
    assert.match(textOf(res, '.govuk-error-summary'), /Enter a real ULN[\s\S]*NHS number must be 10 digits/)
    res = await officer.post(`/children/${childId}/identity`, { ...values, upn: upn('300000002') })
    assert.match(textOf(res, '.govuk-error-summary'), /Ossie Quarrington already has this UPN/)
    res = await officer.post(`/children/${childId}/identity`, { ...values, upn: upn('300000003'), preferredName: 'Nellie', consistentId: 'CCI-any-format-42', laReference: 'NM/2026/0042' })
    assert.equal(res.statusCode, 303)
    const page = await officer.get(`/children/${childId}`)
    assert.match(textOf(page, '[data-testid=identity]'), new RegExp(`UPN ${upn('300000003')} \\(formerly ${upn('300000001')}\\)`))
    assert.match(textOf(page, '[data-testid=identity]'), /Consistent child identifier CCI-any-format-42/)
    assert.match(textOf(page, '[data-testid=chronology]'), /Details changed: preferred name, UPN, LA reference, consistent child identifier, former UPNs/)
    const stale = await officer.post(`/children/${childId}/identity`, values)
    assert.equal(stale.statusCode, 409, 'a form loaded before the change cannot overwrite it')
    const matches = await inTenant((tx) => findPossibleMatches(tx, { forename: 'N', surname: 'Q', upn: upn('300000001') }))
    assert.equal(matches[0]?.childId, childId, 'the former UPN still finds the child')
  })

  it('records other names, and matching finds the child by them', async () => {
    let res = await officer.post(`/children/${childId}/names`, { kind: 'alias' })
    assert.match(textOf(res, '.govuk-error-summary'), /Enter a first name, a last name or both/)
    res = await officer.post(`/children/${childId}/names`, { kind: 'former_name', forename: 'Eleanor', surname: 'Blackwater' })
    assert.equal(res.statusCode, 303)
    assert.match(textOf(await officer.get(`/children/${childId}/names`), '[data-testid=aliases]'), /Former name: Eleanor Blackwater/)
    const matches = await inTenant((tx) => findPossibleMatches(tx, { forename: 'Eleanor', surname: 'Blackwater', dateOfBirth: null }))
    assert.equal(matches[0]?.childId, childId)
  })

  it('records parents and carers with clear errors', async () => {
    let res = await officer.post(`/children/${childId}/contacts`, { name: 'Morgan Quarrington', phone: '12', email: 'not-an-email' })
    const errors = textOf(res, '.govuk-error-summary')
    assert.match(errors, /Enter their relationship[\s\S]*Select whether they have parental responsibility[\s\S]*Select whether the child lives with them[\s\S]*Enter a phone number[\s\S]*Enter an email address in the correct format/)
    res = await officer.post(`/children/${childId}/contacts`, { name: 'Morgan Quarrington', relationship: 'Mother', parentalResponsibility: 'yes', livesWith: 'yes',
      phone: '07700 900 321', language: 'Polish', interpreterNeeded: 'yes' })
    assert.equal(res.statusCode, 303)
    const page = await officer.get(`/children/${childId}`)
    assert.match(textOf(page, '[data-testid=contacts]'), /Morgan Quarrington, Mother, parental responsibility, lives with the child 07700 900 321 · Polish · needs an interpreter/)
    assert.doesNotMatch(textOf(page, '[data-testid=chronology]'), /07700/, 'phone numbers stay out of the chronology')
  })

  it('opens a MASH escalation when a child protection plan is added to a child with an open case, and ends flags', async () => {
    let res = await officer.post(`/children/${childId}/flags`, { flag: 'child_protection_plan' })
    assert.match(textOf(res, '.govuk-error-summary'), /Enter where this comes from/)
    res = await officer.post(`/children/${childId}/flags`, { flag: 'child_protection_plan', source: 'Children’s social care', 'startsOn-day': '1', 'startsOn-month': '11', 'startsOn-year': '2026' })
    assert.equal(res.statusCode, 303)
    let page = await officer.get(`/children/${childId}`)
    assert.match(textOf(page, '[data-testid=actions]'), /Tell the multi-agency safeguarding hub \(MASH\) about this child today/)
    await officer.post(`/children/${childId}/flags`, { flag: 'looked_after', source: 'Children’s social care' })
    const escalations = await inTenant(async (tx) => (await sql<{ n: number }>`select count(*)::int as n from case_action where child_id = ${childId} and kind = 'mash_escalation'`.execute(tx)).rows[0].n)
    assert.equal(escalations, 1, 'one open escalation is enough')

    const flagId = await inTenant(async (tx) => (await sql<{ id: string }>`select id from child_flag where child_id = ${childId} and flag = 'child_protection_plan'`.execute(tx)).rows[0].id)
    res = await officer.post(`/children/${childId}/flags/${flagId}/end`, { 'endsOn-day': '1', 'endsOn-month': '10', 'endsOn-year': '2026', flagId })
    assert.match(textOf(res, '.govuk-error-summary'), /The end date must be on or after the start date/)
    res = await officer.post(`/children/${childId}/flags/${flagId}/end`, { 'endsOn-day': '27', 'endsOn-month': '11', 'endsOn-year': '2026', flagId })
    assert.equal(res.statusCode, 303)
    page = await officer.get(`/children/${childId}`)
    assert.match(textOf(page, '[data-testid=flags]'), /Child protection plan Children’s social care, from 1 November 2026 to 27 November 2026/)
  })

  it('keeps an address history with dates, checking postcodes', async () => {
    let res = await officer.post(`/children/${childId}/addresses`, { line1: '', postcode: 'nowhere' })
    assert.match(textOf(res, '.govuk-error-summary'), /Enter the first line of the address[\s\S]*Enter a real UK postcode/)
    res = await officer.post(`/children/${childId}/addresses`, { line1: '9 Heron Way', town: 'Northmoor', postcode: 'zz993hw',
      'fromDate-day': '1', 'fromDate-month': '9', 'fromDate-year': '2025', 'toDate-day': '1', 'toDate-month': '8', 'toDate-year': '2025' })
    assert.match(textOf(res, '.govuk-error-summary'), /The date they moved out must be on or after the date they moved in/)
    res = await officer.post(`/children/${childId}/addresses`, { line1: '9 Heron Way', town: 'Northmoor', postcode: 'zz993hw', 'fromDate-day': '1', 'fromDate-month': '9', 'fromDate-year': '2025' })
    assert.equal(res.statusCode, 303)
    assert.match(textOf(await officer.get(`/children/${childId}`), 'main'), /9 Heron Way, Northmoor, ZZ99 3HW \(1 September 2025 to now/)
  })

  it('keeps school history and links siblings both ways', async () => {
    let res = await officer.post(`/children/${childId}/schools`, { schoolName: 'Brackenfold Primary School', 'fromDate-day': '5', 'fromDate-month': '9', 'fromDate-year': '2022', 'toDate-day': '1', 'toDate-month': '9', 'toDate-year': '2021' })
    assert.match(textOf(res, '.govuk-error-summary'), /The end date must be on or after the start date/)
    res = await officer.post(`/children/${childId}/schools`, { schoolName: 'Brackenfold Primary School', 'fromDate-day': '5', 'fromDate-month': '9', 'fromDate-year': '2022', howEnded: 'Family moved away' })
    assert.equal(res.statusCode, 303)

    const search = await officer.get(`/children/${childId}/siblings?q=Ossie`)
    assert.match(textOf(search, '[data-testid=sibling-results]'), /Ossie Quarrington/)
    assert.equal((await officer.post(`/children/${childId}/siblings`, { siblingId: childId })).statusCode, 400)
    assert.equal((await officer.post(`/children/${childId}/siblings`, { siblingId: otherId })).statusCode, 303)
    const again = await officer.post(`/children/${otherId}/siblings`, { siblingId: childId })
    assert.match(textOf(again, 'main'), /Nell Quarrington is already linked as a sibling/)
    assert.match(textOf(await officer.get(`/children/${otherId}`), '[data-testid=sibling-list]'), /Nell Quarrington/)
    const page = await officer.get(`/children/${childId}`)
    assert.match(textOf(page, '[data-testid=school-history]'), /Brackenfold Primary School, from 5 September 2022 ?Family moved away/)
    assert.equal((await officer.post(`/children/${childId}/siblings/${otherId}/remove`, {})).statusCode, 303)
    assert.match(textOf(await officer.get(`/children/${otherId}`), 'main'), /Siblings None linked/)
  })

  it('filters the chronology by kind, and audits every change', async () => {
    const page = await officer.get(`/children/${childId}?events=record`)
    const entries = html(page)('[data-testid=chronology] li').length
    assert.ok(entries >= 5)
    assert.doesNotMatch(textOf(page, '[data-testid=chronology]'), /Referred as possibly missing education/)
    const actions = await inTenant(async (tx) => (await sql<{ action: string }>`select distinct action from audit_event where record_id = ${childId}`.execute(tx)).rows.map((r) => r.action))
    for (const a of ['child.updated', 'child.alias_added', 'child.address_added', 'child.contact_added', 'child.flag_added', 'child.flag_ended', 'child.school_added', 'child.sibling_linked', 'child.sibling_unlinked']) {
      assert.ok(actions.includes(a), a)
    }
  })

  it('lets only CME officers change the record', async () => {
    const auditor = (await t.signedIn(['auditor'])).agent
    assert.equal((await auditor.get(`/children/${childId}/contacts`)).statusCode, 403)
    assert.equal((await auditor.post(`/children/${childId}/names`, { kind: 'alias', forename: 'X' })).statusCode, 403)
    assert.equal(html(await auditor.get(`/children/${childId}`))('a[href$="/contacts"]').length, 0, 'no change links for readers')
  })
})
