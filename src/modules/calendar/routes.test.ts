import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { testApp, textOf, html, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'

const date = (prefix: string, iso: string) => {
  const [y, m, d] = iso.split('-')
  return { [`${prefix}-day`]: d, [`${prefix}-month`]: m, [`${prefix}-year`]: y }
}

describe('school calendar pages', () => {
  let t: TestApp
  let admin: Agent
  let officer: Agent

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    t.clock.now = new Date('2026-11-28T12:00:00Z')
    admin = (await t.signedIn(['la_admin'])).agent
    officer = (await t.signedIn(['cme_officer'])).agent
  })
  const cleanups: (() => Promise<void>)[] = []
  after(async () => { for (const fn of cleanups) await fn() })

  it('lets an administrator add a term, a half term and an INSET day, and audits each', async () => {
    let res = await admin.post('/calendar/terms', { name: 'Autumn term 2026', ...date('startsOn', '2026-09-02'), ...date('endsOn', '2026-12-18') })
    assert.equal(res.statusCode, 303)
    res = await admin.post('/calendar/closures', { kind: 'half_term', description: 'Autumn half term', ...date('startsOn', '2026-10-26'), ...date('endsOn', '2026-10-30') })
    assert.equal(res.statusCode, 303)
    res = await admin.post('/calendar/closures', { kind: 'inset', description: 'INSET day', ...date('startsOn', '2026-09-02'), ...date('endsOn', '2026-09-02') })
    assert.equal(res.statusCode, 303)

    const page = await admin.get('/calendar')

    assert.equal(page.statusCode, 200)
    assert.match(textOf(page, 'main'), /Academic year 2026 to 2027/)
    assert.match(textOf(page, 'main'), /Autumn term 2026 2 September 2026 18 December 2026/)
    assert.match(textOf(page, 'main'), /INSET day INSET day 2 September 2026/)
    const audit = await admin.get('/admin/audit?action=calendar.term_added')
    assert.match(textOf(audit, '[data-testid=audit-table]'), /calendar\.term_added/)
  })

  it('counts school days and working days for anyone signed in', async () => {
    const res = await officer.get(`/calendar?${new URLSearchParams({ ...date('from', '2026-09-01'), ...date('to', '2026-12-31'), days: '20' })}`)

    assert.equal(res.statusCode, 200)
    const result = textOf(res, '[data-testid=calculation]')
    assert.match(result, /School days 72/)
    assert.match(result, /Working days 86/)
    assert.match(result, /20 school days later 30 September 2026/)
    assert.match(result, /20 working days later 29 September 2026/)
    assert.equal(html(res)('a[href="/calendar/terms/new"]').length, 0, 'an officer cannot edit')
  })

  it('says plainly when a count runs past the last term entered', async () => {
    const res = await officer.get(`/calendar?${new URLSearchParams({ ...date('from', '2026-12-01'), days: '40' })}`)
    assert.match(textOf(res, '[data-testid=calculation]'), /no term dates after 18 December 2026/)
  })

  it('explains bad calculator input', async () => {
    const res = await officer.get('/calendar?from-day=31&from-month=2&from-year=2026&days=abc')
    assert.equal(res.statusCode, 400)
    assert.match(textOf(res, '.govuk-error-summary'), /The start date must be a real date/)
    assert.match(textOf(res, '.govuk-error-summary'), /Number of days must be a whole number/)
  })

  it('refuses overlapping terms, back-to-front dates and impossible dates with clear messages', async () => {
    let res = await admin.post('/calendar/terms', { name: 'Clash', ...date('startsOn', '2026-12-01'), ...date('endsOn', '2027-01-10') })
    assert.equal(res.statusCode, 400)
    assert.match(textOf(res, '.govuk-error-summary'), /These dates overlap Autumn term 2026/)
    res = await admin.post('/calendar/terms', { name: 'Backwards', ...date('startsOn', '2027-04-10'), ...date('endsOn', '2027-04-01') })
    assert.match(textOf(res, '.govuk-error-summary'), /The last day must be the same as or after the first day/)
    res = await admin.post('/calendar/bank-holidays', { title: 'Nonsense', 'date-day': '30', 'date-month': '2', 'date-year': '2027' })
    assert.match(textOf(res, '.govuk-error-summary'), /The date must be a real date/)
    assert.equal(html(res)('#title').val(), 'Nonsense', 'what was typed is kept')
  })

  it('lets an administrator add and remove a bank holiday', async () => {
    await admin.post('/calendar/bank-holidays', { title: 'Bank holiday for a royal occasion', ...date('date', '2027-06-07') })
    let page = await admin.get('/calendar?year=2026')
    assert.match(textOf(page, 'main'), /Bank holiday for a royal occasion 7 June 2027/)

    const res = await admin.post('/calendar/bank-holidays/2027-06-07/remove')
    assert.equal(res.statusCode, 303)
    page = await admin.get('/calendar?year=2026')
    assert.doesNotMatch(textOf(page, 'main'), /royal occasion/)
    assert.equal((await admin.post('/calendar/bank-holidays/2027-06-07/remove')).statusCode, 404)
  })

  it('does not let an officer change the calendar', async () => {
    const res = await officer.post('/calendar/terms', { name: 'Sneaky', ...date('startsOn', '2027-09-01'), ...date('endsOn', '2027-12-01') })
    assert.equal(res.statusCode, 403)
  })
})
