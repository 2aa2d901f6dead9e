import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import type { LightMyRequestResponse } from 'fastify'
import { testApp, textOf, html, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'
import type { CurrentUser } from '../../platform/access.ts'
import { parseRegisterFilter } from '../register/filters.ts'
import { exportRegister } from './service.ts'

const TODAY = '2026-11-28T10:00:00Z'

/** Enough of RFC 4180 for these files: quoted fields with commas and doubled quotes. */
function parseCsv(text: string): string[][] {
  return text.replace(/^\uFEFF/, '').split('\r\n').filter(Boolean).map((line) => {
    const cells: string[] = []
    for (const m of line.matchAll(/(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g)) cells.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2])
    return cells
  })
}

const rowsOf = (res: LightMyRequestResponse, selector: string) => {
  const $ = html(res)
  return $(`${selector} tbody tr`).map((_, tr) => $(tr).text().replace(/\s+/g, ' ').trim()).get()
}

/** A summary list's rows as "key: value", leaving out text only screen readers get. */
const summaryOf = (res: LightMyRequestResponse, testid: string) => {
  const $ = html(res)
  $('.govuk-visually-hidden').remove()
  return $(`[data-testid=${testid}] .govuk-summary-list__row`).map((_, row) =>
    `${$(row).find('.govuk-summary-list__key').text().trim()}: ${$(row).find('.govuk-summary-list__value').text().trim()}`).get()
}
const headline = (res: LightMyRequestResponse) => {
  const $ = html(res)
  $('.govuk-visually-hidden').remove()
  return ['open-total', 'new-this-week', 'overdue-total', 'no-next-action-total'].map((id) => $(`[data-testid=${id}] .govuk-heading-xl`).text().trim())
}

type Made = { childId: string; caseId: string; agent: Agent }

describe('the CME dashboard, the termly DfE return and register exports', () => {
  let t: TestApp
  let officer: Agent
  let officerUser: CurrentUser
  let elsewhere: Agent
  const made: Record<string, Made> = {}
  const cleanups: (() => Promise<void>)[] = []
  const owner = () => t.database.db

  // A referral made at a given moment by a CME officer signed in then (sessions time out, so each gets its own).
  async function refer(at: string, fields: Record<string, string | string[]>, laId?: string): Promise<Made> {
    t.clock.now = new Date(at)
    const { agent } = await t.signedIn(['cme_officer'], laId ? { laId } : {})
    const res = await agent.post('/referrals', { concern: 'Not on any school roll since the family moved.', whereaboutsKnown: 'yes', sex: 'unknown', ...fields })
    assert.equal(res.statusCode, 303, textOf(res, '.govuk-error-summary'))
    const { rows } = await sql<{ childId: string; caseId: string }>`
      select c.child_id as "childId", c.id as "caseId" from cme_case c join child ch on ch.local_authority_id = c.local_authority_id and ch.id = c.child_id
      where ch.forename = ${fields.forename} and ch.surname = ${fields.surname}`.execute(owner())
    return { ...rows[0], agent }
  }
  const born = (iso: string) => {
    const [y, m, d] = iso.split('-')
    return { 'dateOfBirth-day': d, 'dateOfBirth-month': m, 'dateOfBirth-year': y }
  }
  const version = async (agent: Agent, path: string) => html(await agent.get(path))('input[name=version]').val() as string
  async function addAction(c: Made, laId: string, organisationId: string, dueOn: string, status: 'open' | 'done' = 'open') {
    await sql`insert into case_action (local_authority_id, case_id, child_id, title, owner_organisation_id, due_on, status, created_by_label, completed_at)
      values (${laId}, ${c.caseId}, ${c.childId}, ${`Visit the family (${dueOn})`}, ${organisationId}, ${dueOn}, ${status}, 'Test', ${status === 'open' ? null : new Date(TODAY)})`.execute(owner())
  }

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    const la = t.la
    await sql`insert into school_term (local_authority_id, name, starts_on, ends_on) values (${la.id}, 'Autumn 2026', '2026-09-02', '2026-12-18')`.execute(owner())

    made.a = await refer('2026-06-01T09:00:00Z', { forename: 'Ava', surname: 'Alpha', sex: 'female', ...born('2016-08-31'), whereaboutsKnown: 'no', upn: 'H801200001001' })
    await made.a.agent.post(`/cases/${made.a.caseId}/status`, { status: 'making_enquiries', version: await version(made.a.agent, `/cases/${made.a.caseId}/status`) })
    made.d = await refer('2026-07-01T09:00:00Z', { forename: 'Dan', surname: 'Delta', sex: 'male', ...born('2009-05-01') })
    made.c = await refer('2026-09-10T09:00:00Z', { forename: 'Cara', surname: 'Gamma' })
    made.e = await refer('2026-10-01T09:00:00Z', { forename: 'Eve', surname: 'Epsilon', sex: 'female', ...born('2014-03-03') })
    // 23:30 and 00:30 UK time either side of the end of the census day (1 October 2026).
    made.f = await refer('2026-10-01T22:30:00Z', { forename: 'Fay', surname: 'Zeta', sex: 'female', ...born('2016-09-01') })
    made.g = await refer('2026-10-01T23:30:00Z', { forename: '=Gus', surname: 'Eta', sex: 'male', ...born('2012-01-01') })

    // Closing needs every required enquiry done or excepted (the closure gate).
    t.clock.now = new Date('2026-10-15T09:00:00Z')
    made.d.agent = (await t.signedIn(['cme_officer'])).agent
    const page = await made.d.agent.get(`/children/${made.d.childId}`)
    for (const href of html(page)('[data-testid=enquiries] a').map((_, a) => html(page)(a).attr('href')).get()) {
      await made.d.agent.post(href, { state: 'exception', exceptionReason: 'Child found at a school in another LA' })
    }
    const closed = await made.d.agent.post(`/cases/${made.d.caseId}/status`, { status: 'placed', note: 'On roll at Hillside Primary', version: await version(made.d.agent, `/cases/${made.d.caseId}/status`) })
    assert.equal(closed.statusCode, 303)

    made.b = await refer('2026-11-25T09:00:00Z', { forename: 'Ben', surname: 'Beta', sex: 'male', ...born('2016-09-01') })

    // No routes set these yet: the register type, the date last in education, the reason and the officer.
    await sql`update cme_case set register_type = 'ehe' where id = ${made.e.caseId}`.execute(owner())
    await sql`update cme_case set date_last_in_education = '2026-05-20', cme_reason_code = 'moved_abroad' where id = ${made.a.caseId}`.execute(owner())
    await sql`update cme_case set cme_reason_code = 'other' where id = ${made.d.caseId}`.execute(owner())
    await addAction(made.a, la.id, la.organisationId, '2026-11-20')
    await addAction(made.b, la.id, la.organisationId, '2026-12-05')
    await addAction(made.c, la.id, la.organisationId, '2026-11-01', 'done')

    const west = await t.addAuthority('996', 'Westmoor Council')
    made.west = await refer('2026-06-01T09:00:00Z', { forename: 'Wes', surname: 'Otherplace', sex: 'male', ...born('2015-01-01'), whereaboutsKnown: 'no' }, west.id)
    await addAction(made.west, west.id, west.organisationId, '2026-11-01')

    t.clock.now = new Date(TODAY)
    const signedIn = await t.signedIn(['cme_officer'])
    officer = signedIn.agent
    await sql`update cme_case set assigned_officer_id = ${signedIn.userId} where id = ${made.a.caseId}`.execute(owner())
    officerUser = {
      id: signedIn.userId, laId: la.id, laName: la.name, email: signedIn.email, displayName: 'Test cme_officer',
      organisationId: la.organisationId, organisationName: la.name, roles: ['cme_officer'], sessionId: 'test',
    }
    elsewhere = (await t.signedIn(['cme_officer'], { laId: west.id })).agent
  })
  after(async () => { for (const fn of cleanups) await fn() })

  describe('the dashboard', () => {
    it('counts open cases by status and risk, new cases, overdue actions and cases with no next action', async () => {
      const res = await officer.get('/dashboard')

      assert.equal(res.statusCode, 200)
      assert.deepEqual(headline(res), ['6', '1', '1', '4'], 'open, new in the last 7 days, overdue actions, no next action')
      assert.deepEqual(summaryOf(res, 'by-status'), ['Referred: 5', 'Making enquiries: 1', 'Located, awaiting a place: 0'])
      assert.deepEqual(summaryOf(res, 'by-risk'), ['High: 1', 'Standard: 5'])
      assert.equal(html(res)('[data-testid=by-risk] a').first().attr('href'), '/register?risk=high')
      assert.deepEqual(rowsOf(res, '[data-testid=overdue]'), ['Ava Alpha Visit the family (2026-11-20) 20 November 2026 Northmoor Borough Council'])
      assert.equal(html(res)('[data-testid=overdue] a').attr('href'), `/children/${made.a.childId}`)
      assert.deepEqual(rowsOf(res, '[data-testid=no-next-action]').map((r) => r.split(' ').slice(0, 2).join(' ')), ['Cara Gamma', 'Eve Epsilon', 'Fay Zeta', '=Gus Eta'])
    })

    it('lists the longest-waiting open cases by time missing, with links to each child', async () => {
      const res = await officer.get('/dashboard')

      const rows = rowsOf(res, '[data-testid=longest-waiting]')
      assert.equal(rows.length, 6)
      // Ava was last in education on 20 May; 63 school days of the autumn term have passed since.
      assert.equal(rows[0], 'Ava Alpha Children missing education Making enquiries High 20 May 2026 63 school days More than 12 weeks')
      assert.deepEqual(rows.map((r) => r.split(' ')[0]), ['Ava', 'Cara', 'Eve', 'Fay', '=Gus', 'Ben'])
      assert.deepEqual(html(res)('[data-testid=longest-waiting] a').map((_, a) => html(res)(a).attr('href')).get().slice(0, 2),
        [`/children/${made.a.childId}`, `/children/${made.c.childId}`])
    })

    it('draws the register over 26 weeks as an SVG chart, with the figures as a table', async () => {
      const res = await officer.get('/dashboard')

      const $ = html(res)
      const svg = $('svg[data-testid=trend-chart]')
      assert.equal(svg.attr('role'), 'img')
      assert.equal(svg.find('title#trend-chart-title').text(), 'Open cases at the end of each week, for the last 26 weeks')
      assert.match(svg.find('desc').text(), /From 6 June 2026 to 28 November 2026, open cases went from 1 to 6\. The highest was 6/)
      assert.equal(svg.find('rect').length, 26)
      assert.equal(svg.find('script').length, 0, 'drawn without script')
      const table = rowsOf(res, '[data-testid=trend-table]')
      assert.equal(table.length, 26)
      assert.equal(table[0], '6 June 2026 1')
      assert.equal(table[4], '4 July 2026 2')
      assert.equal(table[16], '26 September 2026 3')
      assert.equal(table[17], '3 October 2026 6', 'Dan is still open')
      assert.equal(table[19], '17 October 2026 5', 'Dan closed on 15 October')
      assert.equal(table[25], '28 November 2026 6')
      assert.equal(textOf(res, '.govuk-details__summary'), 'Show the figures as a table')
    })

    it('says so in plain English when an LA has nothing on its register', async () => {
      const empty = await t.addAuthority('997', 'Eastmoor Council')
      const { agent } = await t.signedIn(['auditor'], { laId: empty.id })

      const res = await agent.get('/dashboard')

      assert.equal(res.statusCode, 200)
      assert.deepEqual(headline(res), ['0', '0', '0', '0'])
      assert.equal(textOf(res, '[data-testid=overdue]'), 'No overdue actions.')
      assert.equal(textOf(res, '[data-testid=longest-waiting]'), 'No open cases.')
      assert.equal(textOf(res, '[data-testid=no-next-action]'), 'Every open case has a next action.')
      assert.equal(html(res)('svg[data-testid=trend-chart] rect').length, 26)
    })

    it('is in the navigation for CME officers, before the register, and leads to the reports', async () => {
      const res = await officer.get('/dashboard')

      const items = html(res)('.govuk-service-navigation__item a').map((_, a) => html(res)(a).text().trim()).get()
      assert.deepEqual(items.slice(0, 3), ['Home', 'Dashboard', 'Register'])
      assert.deepEqual(html(res)('[data-testid=reports] a').map((_, a) => html(res)(a).attr('href')).get(), ['/reports/dfe-return', '/register/export', '/register'])
    })
  })

  it('refuses school users and LA administrators on every page', async () => {
    for (const role of ['school_user', 'la_admin'] as const) {
      const { agent } = await t.signedIn([role])
      for (const [method, url] of [['GET', '/dashboard'], ['GET', '/reports/dfe-return'], ['POST', '/reports/dfe-return'], ['GET', '/register/export'], ['POST', '/register/export']]) {
        const res = method === 'GET' ? await agent.get(url) : await agent.post(url, { 'census-day': '1', 'census-month': '10', 'census-year': '2026', reason: 'Checking access rules', format: 'csv' })

        assert.equal(res.statusCode, 403, `${role} ${method} ${url}`)
      }
    }
  })

  describe('the termly DfE return', () => {
    const census = { 'census-day': '1', 'census-month': '10', 'census-year': '2026' }

    it('offers the latest census date that is not in the future', async () => {
      const res = await officer.get('/reports/dfe-return')

      const $ = html(res)
      assert.deepEqual([$('#census-day').val(), $('#census-month').val(), $('#census-year').val()], ['1', '10', '2026'])
      assert.match(textOf(res, 'main'), /The DfE confirms the census dates each year/)
    })

    it('downloads the counts by length of time missing, reason, sex and year group, and audits the export', async () => {
      const res = await officer.post('/reports/dfe-return', { ...census, action: 'download' })

      assert.equal(res.statusCode, 200)
      assert.match(String(res.headers['content-type']), /^text\/csv/)
      assert.equal(res.headers['content-disposition'], 'attachment; filename="cme-return-2026-10-01.csv"')
      const rows = parseCsv(res.body)
      assert.deepEqual(rows[0], ['measure', 'category', 'count'])
      const count = (measure: string, category: string) => rows.find((r) => r[0] === measure && r[1] === category)?.[2]
      // Ava, Cara, Dan (closed later) and Fay (23:30 UK time); not Gus (00:30 the next day), Eve (EHE) or Ben (later).
      assert.equal(count('Children missing education on the census date', 'Total'), '4')
      assert.equal(count('Length of time missing education', '12 weeks or less'), '2')
      assert.equal(count('Length of time missing education', 'More than 12 weeks'), '2')
      assert.equal(count('Length of time missing education', 'Unknown'), '0')
      assert.equal(count('Primary reason for missing education', 'Believed to have moved out of the country'), '1')
      assert.equal(count('Primary reason for missing education', 'Other reason'), '1')
      assert.equal(count('Primary reason for missing education', 'School application awaiting outcome'), '0')
      assert.equal(count('Primary reason for missing education', 'Not recorded'), '2')
      assert.deepEqual(['Female', 'Male', 'Unknown'].map((s) => count('Sex', s)), ['2', '1', '1'])
      const years = rows.filter((r) => r[0] === 'National curriculum year group' && r[2] !== '0').map((r) => `${r[1]}: ${r[2]}`)
      assert.deepEqual(years, ['Year 5: 1', 'Year 6: 1', 'Not known: 1', 'Outside compulsory school age: 1'])
      assert.equal(rows.filter((r) => r[0] === 'National curriculum year group').length, 14)
      assert.ok(!/Ava|Alpha|Fay/.test(res.body), 'no child is named in an aggregate return')

      const { rows: audit } = await sql<{ details: string; recordType: string }>`
        select details, record_type as "recordType" from audit_event where action = 'register.dfe_return_exported' and local_authority_id = ${t.la.id}`.execute(owner())
      assert.equal(audit.length, 1)
      assert.equal(audit[0].recordType, 'report')
      assert.deepEqual(JSON.parse(audit[0].details), { censusDate: '2026-10-01', total: 4 })
    })

    it('previews the same figures on the page, without an audit entry', async () => {
      const before = await sql<{ n: number }>`select count(*)::int as n from audit_event where action like 'register.%'`.execute(owner())

      const submitted = await officer.post('/reports/dfe-return', { ...census, action: 'preview' })
      assert.equal(submitted.statusCode, 303)
      assert.equal(submitted.headers.location, '/reports/dfe-return?census=2026-10-01#figures')
      const res = await officer.get('/reports/dfe-return?census=2026-10-01')

      assert.equal(res.statusCode, 200)
      assert.equal(textOf(res, '[data-testid=return-total]'), '4 children missing education on the census date.')
      assert.match(textOf(res, '[data-testid=return-figures]'), /12 weeks or less 2 More than 12 weeks 2 Unknown 0/)
      assert.match(textOf(res, '[data-testid=return-figures]'), /Female 2 Male 1 Unknown 1/)
      const after = await sql<{ n: number }>`select count(*)::int as n from audit_event where action like 'register.%'`.execute(owner())
      assert.equal(after.rows[0].n, before.rows[0].n)
    })

    it('refuses a census date in the future, one that is not a real date, or none', async () => {
      const future = await officer.post('/reports/dfe-return', { 'census-day': '3', 'census-month': '12', 'census-year': '2026' })
      const unreal = await officer.post('/reports/dfe-return', { 'census-day': '31', 'census-month': '2', 'census-year': '2026' })
      const missing = await officer.post('/reports/dfe-return', {})
      const previewed = await officer.get('/reports/dfe-return?census=2027-01-21')

      assert.equal(future.statusCode, 400)
      assert.equal(textOf(future, '.govuk-error-summary__list'), 'The census date must be today or in the past')
      assert.equal(html(future)('.govuk-error-summary__list a').attr('href'), '#census-day')
      assert.equal(html(future)('#census-day').val(), '3', 'keeps what was typed')
      assert.equal(unreal.statusCode, 400)
      assert.equal(textOf(unreal, '.govuk-error-summary__list'), 'The census date must be a real date, like 2 10 2025')
      assert.equal(textOf(missing, '.govuk-error-summary__list'), 'Enter the census date')
      assert.equal(previewed.statusCode, 400)
      assert.equal(html(previewed)('[data-testid=return-figures]').length, 0)
      assert.equal(html(previewed)('#census-year').val(), '2027')
    })
  })

  describe('exporting the register', () => {
    const exports = async () => (await sql<{ reason: string; details: string; actorLabel: string }>`
      select reason, details, actor_label as "actorLabel" from audit_event where action = 'register.exported' order by seq`.execute(owner())).rows

    it('shows the filters and how many cases match, and carries the filters to the export', async () => {
      const res = await officer.get('/register/export?status=open&risk=high&q=ava')

      assert.equal(res.statusCode, 200)
      assert.equal(textOf(res, '[data-testid=export-filters]'), 'Status All open cases Register All registers Risk High Name, UPN or NHS number ava')
      assert.equal(textOf(res, '[data-testid=export-count]'), '1 case will be exported. Change the filters.')
      const $ = html(res)
      assert.deepEqual(['status', 'risk', 'q', 'type'].map((n) => $(`form input[type=hidden][name=${n}]`).val()), ['open', 'high', 'ava', undefined])
      assert.equal($('.govuk-back-link').attr('href'), '/register?status=open&risk=high&q=ava')
    })

    it('needs a reason of 10 to 500 characters and a format, and exports nothing without them', async () => {
      const none = await officer.post('/register/export', { status: 'open' })
      const short = await officer.post('/register/export', { status: 'open', reason: 'Because', format: 'csv' })
      const long = await officer.post('/register/export', { status: 'open', reason: 'x'.repeat(501), format: 'xlsx' })

      assert.equal(none.statusCode, 400)
      assert.deepEqual(html(none)('.govuk-error-summary__list a').map((_, a) => html(none)(a).text().trim()).get(),
        ['Enter why you are exporting these cases', 'Select a file format'])
      assert.equal(textOf(short, '.govuk-error-summary__list'), 'The reason must be 10 characters or more')
      assert.equal(html(short)('#reason').val(), 'Because')
      assert.equal(textOf(long, '.govuk-error-summary__list'), 'The reason must be 500 characters or fewer')
      assert.deepEqual(await exports(), [])
    })

    it('exports the matching cases as CSV, with formulas neutralised, and records who exported them and why', async () => {
      const res = await officer.post('/register/export', { status: 'open', type: 'cme', reason: 'List for the weekly CME officers meeting', format: 'csv' })

      assert.equal(res.statusCode, 200)
      assert.match(String(res.headers['content-type']), /^text\/csv/)
      assert.equal(res.headers['content-disposition'], 'attachment; filename="cme-register-2026-11-28.csv"')
      const rows = parseCsv(res.body)
      assert.deepEqual(rows[0], ['Child ID', 'Forename', 'Surname', 'Date of birth', 'Sex', 'UPN', 'Register', 'Status', 'Risk', 'CME reason',
        'Opened on', 'Date last seen', 'School days missing', 'DfE band', 'Assigned officer'])
      assert.deepEqual(rows.slice(1).map((r) => r[1]), ['Ava', 'Cara', 'Fay', "'=Gus", 'Ben'], 'high risk first, then open longest; no EHE, no closed case')
      assert.deepEqual(rows[1], [made.a.childId, 'Ava', 'Alpha', '2016-08-31', 'Female', 'H801200001001', 'Children missing education', 'Making enquiries', 'High',
        'Believed to have moved out of the country', '2026-06-01', '', '63', 'More than 12 weeks', 'Test cme_officer'])
      const audit = await exports()
      assert.equal(audit.length, 1)
      assert.equal(audit[0].reason, 'List for the weekly CME officers meeting')
      assert.deepEqual(JSON.parse(audit[0].details), { format: 'csv', risk: null, rows: 5, search: null, status: 'open', type: 'cme' })
    })

    it('exports Excel files as a real workbook', async () => {
      const res = await officer.post('/register/export', { status: 'open', risk: 'high', reason: 'Cases for the high-risk panel', format: 'xlsx' })

      assert.equal(res.statusCode, 200)
      assert.equal(res.headers['content-type'], 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      assert.equal(res.headers['content-disposition'], 'attachment; filename="cme-register-2026-11-28.xlsx"')
      const file = res.rawPayload
      assert.equal(file.subarray(0, 4).toString('latin1'), 'PK\u0003\u0004', 'a zip file')
      assert.ok(file.includes('xl/worksheets/sheet1.xml'))
      assert.ok(file.includes('[Content_Types].xml'))
      assert.equal((await exports()).at(-1)!.reason, 'Cases for the high-risk panel')
    })

    it('refuses an export past the limit, exporting and recording nothing', async () => {
      const before = (await exports()).length

      const result = await exportRegister(t.database.db, officerUser, '127.0.0.1', { filter: parseRegisterFilter({}), reason: 'Everything we have', format: 'csv' }, new Date(TODAY), 5)

      assert.deepEqual(result, { ok: false, matching: 6 })
      assert.equal((await exports()).length, before)
    })
  })

  it('keeps other LAs’ cases out of every figure and export', async () => {
    const dashboard = await officer.get('/dashboard')
    const theirs = await elsewhere.get('/dashboard')
    const csv = await officer.post('/register/export', { status: 'open', reason: 'Checking that exports stay in the LA', format: 'csv' })
    const theirCsv = await elsewhere.post('/register/export', { status: 'open', reason: 'Checking that exports stay in the LA', format: 'csv' })
    const theirReturn = await elsewhere.post('/reports/dfe-return', { 'census-day': '1', 'census-month': '10', 'census-year': '2026' })

    assert.doesNotMatch(dashboard.body, /Otherplace/)
    assert.deepEqual(headline(dashboard), ['6', '1', '1', '4'])
    assert.deepEqual(headline(theirs), ['1', '0', '1', '0'])
    assert.deepEqual(summaryOf(theirs, 'by-risk'), ['High: 1', 'Standard: 0'])
    assert.deepEqual(rowsOf(theirs, '[data-testid=longest-waiting]').map((r) => r.split(' ')[0]), ['Wes'])
    assert.doesNotMatch(theirs.body, /Alpha|Gamma|Zeta/)
    assert.equal(rowsOf(theirs, '[data-testid=trend-table]')[25], '28 November 2026 1')
    assert.doesNotMatch(csv.body, /Otherplace/)
    assert.deepEqual(parseCsv(theirCsv.body).slice(1).map((r) => r[2]), ['Otherplace'])
    assert.equal(parseCsv(theirReturn.body).find((r) => r[1] === 'Total')?.[2], '1')
  })
})
