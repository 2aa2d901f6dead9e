import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { testApp, textOf, html, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'

describe('working a case: enquiries, the closure gate, risk and conflicts', () => {
  let t: TestApp
  let officer: Agent
  let childPath: string
  let caseId: string
  const cleanups: (() => Promise<void>)[] = []

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    t.clock.now = new Date('2026-11-28T10:00:00Z')
    officer = (await t.signedIn(['cme_officer'])).agent
    await officer.post('/referrals', { forename: 'Sol', surname: 'Inventedson', sex: 'male', concern: 'Not seen since October.', whereaboutsKnown: 'yes' })
    childPath = html(await officer.get('/register?q=Sol'))('[data-testid=register-table] a').attr('href')!
    caseId = html(await officer.get(childPath))('[data-testid=case]').attr('id')!.replace('case-', '')
  })
  after(async () => { for (const fn of cleanups) await fn() })

  const enquiryLinks = async () => {
    const page = await officer.get(childPath)
    return html(page)('[data-testid=enquiries] a').map((_, a) => ({ href: html(page)(a).attr('href')!, label: html(page)(a).text().trim() })).get()
  }
  const versionOf = async (path: string) => html(await officer.get(path))('input[name=version]').val() as string

  it('gives each new case the LA checklist of reasonable enquiries', async () => {
    const links = await enquiryLinks()
    assert.equal(links.length, 11)
    assert.equal(links[0].label, 'Contacted the last known school and checked its records and staff')
  })

  it('explains what is missing when recording an enquiry', async () => {
    const [first] = await enquiryLinks()
    let res = await officer.post(first.href, {})
    assert.match(textOf(res, '.govuk-error-summary'), /Select whether the enquiry was made/)
    res = await officer.post(first.href, { state: 'done', 'doneOn-day': '1', 'doneOn-month': '12', 'doneOn-year': '2026' })
    assert.match(textOf(res, '.govuk-error-summary'), /The date must be today or in the past[\s\S]*Enter what the enquiry found/)
    res = await officer.post(first.href, { state: 'exception' })
    assert.match(textOf(res, '.govuk-error-summary'), /Enter why this enquiry cannot be made/)
  })

  it('will not close the case while required enquiries are outstanding, and says which', async () => {
    const [first] = await enquiryLinks()
    await officer.post(first.href, { state: 'done', 'doneOn-day': '27', 'doneOn-month': '11', 'doneOn-year': '2026', outcome: 'School has no forwarding details.' })

    const res = await officer.post(`/cases/${caseId}/status`, { status: 'placed', note: 'Started at Hillside Primary', version: await versionOf(`/cases/${caseId}/status`) })

    assert.equal(res.statusCode, 400)
    const message = textOf(res, '.govuk-error-summary')
    assert.match(message, /You cannot close the case until these required enquiries are done/)
    assert.match(message, /Made a home visit/)
    assert.doesNotMatch(message, /Contacted the last known school/, 'the done enquiry is not listed')
    assert.doesNotMatch(message, /Searched social media/, 'optional enquiries do not block closure')
  })

  it('asks how the case was resolved before closing it', async () => {
    const res = await officer.post(`/cases/${caseId}/status`, { status: 'placed', version: await versionOf(`/cases/${caseId}/status`) })
    assert.match(textOf(res, '.govuk-error-summary'), /Enter how the case was resolved/)
  })

  it('moves through open statuses without the gate', async () => {
    const res = await officer.post(`/cases/${caseId}/status`, { status: 'making_enquiries', version: await versionOf(`/cases/${caseId}/status`) })
    assert.equal(res.statusCode, 303)
    assert.match(textOf(await officer.get(childPath), '[data-testid=chronology]'), /Status changed: Referred to Making enquiries/)
  })

  it('moves the case between registers on the same record, and records the reason and officer', async () => {
    const page = await officer.get(`/cases/${caseId}/details`)
    const officerId = html(page)('#assignedOfficerId option').filter((_, o) => html(page)(o).attr('value') !== '').first().attr('value')!
    const version = html(page)('input[name=version]').val() as string
    const bad = await officer.post(`/cases/${caseId}/details`, { registerType: 'cme', cmeReasonCode: 'made_up', version })
    assert.equal(bad.statusCode, 400)
    assert.match(textOf(bad, '.govuk-error-summary'), /Select a reason from the list/)
    const res = await officer.post(`/cases/${caseId}/details`, { registerType: 'ehe', cmeReasonCode: 'moved_destination_unknown', assignedOfficerId: officerId, note: 'Parent says they are home educating', version })
    assert.equal(res.statusCode, 303)
    const child = await officer.get(childPath)
    assert.match(textOf(child, '[data-testid=case]'), /Elective home education: Making enquiries/)
    assert.match(textOf(child, '[data-testid=chronology]'), /Case moved from Children missing education to Elective home education; reason set to Moved away, destination unknown; officer set to Test cme_officer\. Parent says they are home educating/)
    const back = await officer.post(`/cases/${caseId}/details`, { registerType: 'cme', cmeReasonCode: 'moved_destination_unknown', assignedOfficerId: officerId, version: html(await officer.get(`/cases/${caseId}/details`))('input[name=version]').val() as string })
    assert.equal(back.statusCode, 303)
    assert.equal(html(await officer.get(childPath))('[data-testid=enquiries] a').length, 11, 'the same case and its enquiries carry on')
  })

  it('refuses a change made on a stale page rather than overwrite someone else', async () => {
    const stale = await versionOf(`/cases/${caseId}/risk`)
    await officer.post(`/cases/${caseId}/risk`, { level: 'high', reason: 'Sibling known to social care', version: stale })

    const res = await officer.post(`/cases/${caseId}/risk`, { level: 'standard', reason: 'Looks fine', version: stale })

    assert.equal(res.statusCode, 409)
    assert.match(textOf(res, 'main'), /Someone else changed this case/)
    const page = await officer.get(childPath)
    assert.match(textOf(page, '[data-testid=case]'), /High Sibling known to social care/)
    assert.match(textOf(page, '[data-testid=chronology]'), /Risk changed from standard to high\. Reason: Sibling known to social care/)
  })

  it('closes the case once every required enquiry is done or excepted, and then freezes it', async () => {
    const links = (await enquiryLinks()).slice(1)
    for (const [i, link] of links.entries()) {
      const form: Record<string, string> = i % 2
        ? { state: 'exception', exceptionReason: 'Not relevant: no siblings and no other LA link' }
        : { state: 'done', 'doneOn-day': '28', 'doneOn-month': '11', 'doneOn-year': '2026', outcome: 'Nothing new found.' }
      if (/social media|police|housing/.test(link.label)) continue
      assert.equal((await officer.post(link.href, form)).statusCode, 303, link.label)
    }

    const res = await officer.post(`/cases/${caseId}/status`, { status: 'placed', note: 'Started at Hillside Primary on 1 December', version: await versionOf(`/cases/${caseId}/status`) })

    assert.equal(res.statusCode, 303)
    const page = await officer.get(childPath)
    assert.match(textOf(page, '[data-testid=chronology]'), /Case closed: Making enquiries to Placed in school\. Started at Hillside Primary/)
    assert.equal(html(page)('[data-testid=enquiries] a').length, 0, 'a closed case cannot be edited')
    assert.match(textOf(await officer.get('/register?status=placed'), 'tbody'), /Sol Inventedson/)
    const again = await officer.post(`/cases/${caseId}/risk`, { level: 'high', reason: 'x', version: '99' })
    assert.equal(again.statusCode, 409)
  })
})
