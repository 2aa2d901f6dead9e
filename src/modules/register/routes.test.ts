import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { testApp, textOf, html, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'
import { suggestRisk } from './service.ts'

const referral = (overrides: Record<string, string | string[]> = {}) => ({
  forename: 'Jaden', surname: 'Fictional', 'dateOfBirth-day': '14', 'dateOfBirth-month': '3', 'dateOfBirth-year': '2013', sex: 'male',
  upn: 'H801200001001', nhsNumber: '943 476 5919', addressLine1: '1 Imaginary Row', town: 'Northmoor', postcode: 'ne1 4st',
  concern: 'Left Riverside Academy in September; family say he is at a school in another area but none has asked for his file.',
  whereaboutsKnown: 'yes', ...overrides,
})

describe('referrals and the register', () => {
  let t: TestApp
  let school: Agent
  let officer: Agent
  const cleanups: (() => Promise<void>)[] = []
  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    t.clock.now = new Date('2026-11-28T10:00:00Z')
    school = (await t.signedIn(['school_user'])).agent
    officer = (await t.signedIn(['cme_officer'])).agent
  })
  after(async () => { for (const fn of cleanups) await fn() })

  it('explains every problem with a referral and keeps what was typed', async () => {
    const empty = await school.post('/referrals', {})
    assert.equal(empty.statusCode, 400)
    assert.deepEqual(html(empty)('.govuk-error-summary a').map((_, a) => html(empty)(a).text()).get(), [
      'Enter the child’s first name', 'Enter the child’s last name', 'Select the child’s sex, or not known',
      'Tell us why you think the child is not receiving an education', 'Select whether you know where the child is now',
    ])
    const bad = await school.post('/referrals', referral({ upn: 'B207000016049', nhsNumber: '9434765918', postcode: '12345', 'dateOfBirth-year': '2030', town: 'Northmoor', addressLine1: '' }))
    const summary = textOf(bad, '.govuk-error-summary')
    assert.match(summary, /Date of birth must be in the past/)
    assert.match(summary, /UPN invalid \(wrong check letter at character 1\)/)
    assert.match(summary, /Enter a real NHS number/)
    assert.match(summary, /Enter a real UK postcode/)
    assert.equal(html(bad)('#forename').val(), 'Jaden')
  })

  it('lets any practitioner refer a child and follow the referral, but not read the register', async () => {
    const res = await school.post('/referrals', referral())
    assert.equal(res.headers.location, '/referrals?done=1')
    const mine = await school.get('/referrals?done=1')
    assert.match(textOf(mine, '[data-testid=my-referrals]'), /Jaden Fictional 28 November 2026 Referred/)
    assert.equal((await school.get('/register')).statusCode, 403)
  })

  it('puts the referral on the register for CME officers, high risk first', async () => {
    await school.post('/referrals', referral({ forename: 'Amira', surname: 'Imagined', upn: '', nhsNumber: '', whereaboutsKnown: 'no', concerns: ['child_protection_plan'] }))

    const page = await officer.get('/register')

    const rows = html(page)('[data-testid=register-table] tbody tr').map((_, tr) => html(page)(tr).text().replace(/\s+/g, ' ').trim()).get()
    assert.match(rows[0], /^Amira Imagined .* Children missing education Referred High/)
    assert.match(rows[1], /^Jaden Fictional 14 March 2013 Children missing education Referred Standard/)
  })

  it('finds children by a misspelt name, by UPN and by risk', async () => {
    assert.match(textOf(await officer.get('/register?q=Jayden+Fictional'), 'tbody'), /Jaden Fictional/)
    assert.match(textOf(await officer.get('/register?q=h801+2000+0100+1'), 'tbody'), /Jaden Fictional/)
    const high = await officer.get('/register?risk=high')
    assert.match(textOf(high, 'tbody'), /Amira Imagined/)
    assert.doesNotMatch(textOf(high, 'tbody'), /Jaden/)
    assert.match(textOf(await officer.get('/register?q=Nobody+Atall'), 'main'), /No cases match these filters/)
  })

  it('shows the child page with the case and chronology, and records the view', async () => {
    const register = await officer.get('/register?q=Jaden')
    const href = html(register)('[data-testid=register-table] a').attr('href')!

    const page = await officer.get(href)

    assert.equal(page.statusCode, 200)
    assert.match(textOf(page, 'main'), /UPN H801200001001/)
    assert.match(textOf(page, 'main'), /1 Imaginary Row, Northmoor, NE1 4ST/)
    assert.match(textOf(page, '[data-testid=chronology]'), /Referred as possibly missing education/)
    const audit = await (await t.signedIn(['la_admin'])).agent.get(`/admin/audit?action=child.viewed&recordId=${href.split('/').pop()}`)
    assert.match(textOf(audit, '[data-testid=audit-table]'), /child\.viewed/)
  })

  it('keeps each LA register to itself', async () => {
    const other = await t.addAuthority('996', 'Westmoor Council')
    const { agent: elsewhere } = await t.signedIn(['cme_officer'], { laId: other.id })
    assert.match(textOf(await elsewhere.get('/register'), 'main'), /No cases match these filters/)
    const href = html(await officer.get('/register?q=Jaden'))('[data-testid=register-table] a').attr('href')!
    assert.equal((await elsewhere.get(href)).statusCode, 404)
  })
})

describe('suggested risk', () => {
  it('is high with its reasons for a protection plan, care, safety or exploitation concerns, or unknown whereabouts', () => {
    assert.deepEqual(suggestRisk({ concerns: [], whereaboutsKnown: 'yes' }), { level: 'standard', reasons: [] })
    assert.deepEqual(suggestRisk({ concerns: [], whereaboutsKnown: 'no' }), { level: 'high', reasons: ['Whereabouts unknown'] })
    assert.deepEqual(suggestRisk({ concerns: ['looked_after'], whereaboutsKnown: 'yes' }).reasons, ['The child is looked after (in care)'])
  })
})
