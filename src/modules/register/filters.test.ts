import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { withTenant } from '../../platform/db.ts'
import { testApp, textOf, html, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'
import { birthRangeForYear, parseRegisterFilter } from './filters.ts'

const names = (page: Awaited<ReturnType<Agent['get']>>) => html(page)('[data-testid=register-table] tbody tr td:first-child').map((_, td) => html(page)(td).text().trim()).get()

describe('register filters and order', () => {
  let t: TestApp
  let officer: Agent
  let officerId: string
  const cleanups: (() => Promise<void>)[] = []
  const refer = (forename: string, surname: string, dob: string, extra: Record<string, string | string[]> = {}) => {
    const [y, m, d] = dob.split('-')
    return officer.post('/referrals', { forename, surname, 'dateOfBirth-day': d, 'dateOfBirth-month': m, 'dateOfBirth-year': y, sex: 'female', concern: 'Not in school.', whereaboutsKnown: 'yes', ...extra })
  }

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    t.clock.now = new Date('2026-06-01T10:00:00Z')
    const signed = await t.signedIn(['cme_officer'])
    officer = signed.agent
    officerId = signed.userId
    await refer('Alma', 'Yarrowby', '2019-01-15')
    t.clock.now = new Date('2026-11-20T10:00:00Z')
    officer = (await t.signedIn(['cme_officer'])).agent
    await refer('Bryn', 'Wexcombe', '2014-10-03', { concerns: 'looked_after' }) // Year 7 in 2026/27
    t.clock.now = new Date('2026-11-20T10:05:00Z')
    await refer('Cora', 'Applethwaite', '2020-08-31') // 6 on 31 August 2026: Year 2 in 2026/27
    await withTenant(t.database.db, { laId: t.la.id }, (tx) => sql`update cme_case c set assigned_officer_id = ${officerId}, cme_reason_code = 'new_to_area'
      from child ch where ch.id = c.child_id and ch.surname = 'Wexcombe'`.execute(tx))
    t.clock.now = new Date('2026-11-28T10:00:00Z')
    officer = (await t.signedIn(['cme_officer'])).agent
  })
  after(async () => { for (const fn of cleanups) await fn() })

  it('works out the dates of birth of each year group for the academic year', () => {
    assert.deepEqual(birthRangeForYear(0, '2026-11-28'), { from: '2021-09-01', to: '2022-08-31' })
    assert.deepEqual(birthRangeForYear(7, '2026-11-28'), { from: '2014-09-01', to: '2015-08-31' })
    assert.deepEqual(birthRangeForYear(11, '2026-07-31'), { from: '2009-09-01', to: '2010-08-31' }, 'July is still the year that began the September before')
  })

  it('ignores filter values it does not know', () => {
    const f = parseRegisterFilter({ status: 'deleted', year: '12', officer: 'robert', flag: 'royal', band: 'forever', sort: 'random', school: "1' or 1=1" }, '2026-11-28')
    assert.deepEqual({ ...f, today: undefined }, { status: 'open', registerType: undefined, risk: undefined, search: undefined, reason: undefined, officer: undefined,
      school: undefined, year: undefined, flag: undefined, band: undefined, sort: 'priority', today: undefined })
  })

  it('filters by year group, flag, officer, reason and time missing', async () => {
    assert.deepEqual(names(await officer.get('/register?year=7')), ['Bryn Wexcombe'])
    assert.deepEqual(names(await officer.get('/register?year=1')), [], 'born 31 August 2020 is Year 2, not Year 1, in 2026/27')
    assert.deepEqual(names(await officer.get('/register?year=2')), ['Cora Applethwaite'])
    assert.deepEqual(names(await officer.get('/register?year=3')), ['Alma Yarrowby'])
    assert.deepEqual(names(await officer.get('/register?flag=looked_after')), ['Bryn Wexcombe'])
    assert.deepEqual(names(await officer.get(`/register?officer=${officerId}`)), ['Bryn Wexcombe'])
    assert.deepEqual(names(await officer.get('/register?officer=none&sort=name')), ['Cora Applethwaite', 'Alma Yarrowby'])
    assert.deepEqual(names(await officer.get('/register?reason=new_to_area')), ['Bryn Wexcombe'])
    assert.deepEqual(names(await officer.get('/register?band=over_12_weeks')), ['Alma Yarrowby'])
    assert.deepEqual(names(await officer.get('/register?band=up_to_12_weeks&sort=name')), ['Cora Applethwaite', 'Bryn Wexcombe'])
  })

  it('sorts as asked, and keeps the filters in the export link', async () => {
    assert.deepEqual(names(await officer.get('/register?sort=newest')), ['Cora Applethwaite', 'Bryn Wexcombe', 'Alma Yarrowby'])
    assert.deepEqual(names(await officer.get('/register?sort=longest')), ['Alma Yarrowby', 'Bryn Wexcombe', 'Cora Applethwaite'])
    assert.deepEqual(names(await officer.get('/register')), ['Bryn Wexcombe', 'Alma Yarrowby', 'Cora Applethwaite'], 'high risk first by default')
    const page = await officer.get('/register?flag=looked_after&sort=name')
    assert.equal(html(page)('a:contains("Export these cases")').attr('href'), '/register/export?status=open&flag=looked_after&sort=name')
    assert.match(textOf(page, 'main'), /Last name, A to Z/)
  })
})

describe('saved views', () => {
  let t: TestApp
  const cleanups: (() => Promise<void>)[] = []
  before(async () => { t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) }) })
  after(async () => { for (const fn of cleanups) await fn() })

  it('saves the current filters under a name, for that officer only, and deletes them', async () => {
    const officer = (await t.signedIn(['cme_officer'])).agent
    const other = (await t.signedIn(['cme_officer'])).agent
    let res = await officer.post('/register/views', { name: '', risk: 'high' })
    assert.equal(res.statusCode, 400)
    assert.match(textOf(res, '.govuk-error-summary'), /Enter a name for the view/)
    res = await officer.post('/register/views', { name: 'High risk, Year 10', risk: 'high', year: '10', status: 'open', junk: 'x' })
    assert.equal(res.statusCode, 303)
    assert.equal(res.headers.location, '/register?status=open&risk=high&year=10')
    const page = await officer.get('/register')
    assert.equal(html(page)('[data-testid=saved-views] a').attr('href'), '/register?status=open&risk=high&year=10')
    const twice = await officer.post('/register/views', { name: 'High risk, Year 10', risk: 'high' })
    assert.match(textOf(twice, '.govuk-error-summary'), /You already have a view with this name/)
    assert.equal(html(await other.get('/register'))('[data-testid=saved-views]').length, 0, 'views are personal')
    const deleteAction = html(page)('[data-testid=saved-views] form').attr('action')!
    assert.equal((await other.post(deleteAction, {})).statusCode, 404, 'nobody else can delete it')
    assert.equal((await officer.post(deleteAction, {})).statusCode, 303)
    assert.match(textOf(await officer.get('/register'), 'main'), /You have no saved views yet/)
  })
})
