import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { addTerm } from '../calendar/service.ts'
import { testApp, textOf, html, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'

describe('the child’s page: clocks and possible duplicates', () => {
  let t: TestApp
  let officer: Agent
  const cleanups: (() => Promise<void>)[] = []
  const linkTo = async (q: string, name: string) => {
    const $ = html(await officer.get(`/register?q=${q}`))
    return $('[data-testid=register-table] a').filter((_, a) => $(a).text() === name).attr('href')!
  }
  const child = { forename: 'Pippa', surname: 'Loxleigh', 'dateOfBirth-day': '3', 'dateOfBirth-month': '5', 'dateOfBirth-year': '2015', sex: 'female', concern: 'Not in school.', whereaboutsKnown: 'yes' }

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    t.clock.now = new Date('2026-11-02T10:00:00Z')
    await addTerm(t.database.db, { laId: t.la.id, userId: null, label: 'test', ip: null }, { name: 'Autumn term 2026', startsOn: '2026-09-02', endsOn: '2026-12-18' }, t.clock.now)
    officer = (await t.signedIn(['cme_officer'])).agent
    await officer.post('/referrals', { ...child, 'dateLastSeen-day': '20', 'dateLastSeen-month': '10', 'dateLastSeen-year': '2026',
      'dateLastInEducation-day': '16', 'dateLastInEducation-month': '10', 'dateLastInEducation-year': '2026' })
    t.clock.now = new Date('2026-11-16T10:00:00Z')
    officer = (await t.signedIn(['cme_officer'])).agent
    await officer.post('/referrals', { ...child, forename: 'Pipa' })
  })
  after(async () => { for (const fn of cleanups) await fn() })

  it('shows school days missing education and days since last seen', async () => {
    const path = await linkTo('Pippa', 'Pippa Loxleigh')
    const page = await officer.get(path)
    // Last in education on Friday 16 October: 19 October to 16 November 2026 is 21 school days in this calendar.
    assert.match(textOf(page, '[data-testid=case]'), /Missing education 21 school days since 16 October 2026 \(12 weeks or less\)/)
    const other = await officer.get(await linkTo('Pipa', 'Pipa Loxleigh'))
    assert.match(textOf(other, '[data-testid=case]'), /Missing education 0 school days since 16 November 2026/, 'with no date last in education, the clock starts at the referral')
    assert.match(textOf(page, '[data-testid=case]'), /Last seen 20 October 2026 \(27 days ago\)/)
  })

  it('points out a child who may be the same, without merging them', async () => {
    const path = await linkTo('Pipa', 'Pipa Loxleigh')
    const page = await officer.get(path)
    assert.match(textOf(page, '[data-testid=duplicates]'), /This may be the same child as Pippa Loxleigh, born 3 May 2015: Similar name, Same date of birth/)
  })
})
