import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { withTenant } from '../../platform/db.ts'
import { dateFields, html, postFile, testApp, textOf, type Agent, type TestApp } from '../../../test/helpers/test-app.ts'
import { generateLink, type SynthRow } from '../linkage/synth.ts'

// A generated town: a school census roll and a GP list that holds most of the same children, with
// typing errors, and some children on no roll. Every name and number is fictional.
const { left: rollRows, right: gpRows } = generateLink({ people: 400, duplicateRate: 0, errorRate: 0.05, seed: 11, overlap: 0.85 })
const ukDate = (iso: string) => (iso ? iso.split('-').reverse().join('/') : '')
const csvLine = (values: string[]) => values.map((v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(',')
const ROLL_HEADER = 'Pupil ref,Legal forename,Legal surname,DOB,Gender,Postcode,UPN'
const rollCsv = (rows: SynthRow[]) => [ROLL_HEADER, ...rows.map((r) => csvLine([r.id, r.forename, r.surname, ukDate(r.date_of_birth), r.sex, r.postcode, r.upn]))].join('\n')
const GP_HEADER = 'Patient,First name,Last name,Date of birth,Sex,House,Postcode,NHS no'
const gpCsv = (rows: SynthRow[]) => [GP_HEADER, ...rows.filter((r) => r.date_of_birth).map((r) => csvLine([r.id, r.forename, r.surname, r.date_of_birth, r.sex, r.address, r.postcode, r.nhs_number]))].join('\n')

describe('finding children on no roll', () => {
  let t: TestApp
  let officer: Agent
  let auditor: Agent
  const cleanups: (() => Promise<void>)[] = []
  const inTenant = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(t.database.db, { laId: t.la.id }, fn)
  const count = (table: string, where = sql`true`) => inTenant(async (tx) => (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where ${where}`.execute(tx)).rows[0].n)
  const follow = async (agent: Agent, res: Awaited<ReturnType<Agent['get']>>) => (res.statusCode === 303 ? agent.get(res.headers.location as string) : res)
  const upload = (agent: Agent, filename: string | null, content: string, fields: Record<string, string>) => postFile(agent, '/find/sources', { filename, content }, fields)
  const sourceFields = (type: string, extra: Record<string, string> = {}) => ({ sourceType: type, ...dateFields('dataDate', '2026-10-01'), suppliedBy: 'Northmoor test team', ...extra })

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    t.clock.now = new Date('2026-11-25T10:00:00Z')
    officer = (await t.signedIn(['cme_officer'])).agent
    auditor = (await t.signedIn(['auditor'])).agent
  })
  after(async () => { for (const fn of cleanups) await fn() })

  it('is for CME officers; auditors read it; others are refused', async () => {
    const school = (await t.signedIn(['school_user'])).agent
    assert.equal((await school.get('/find')).statusCode, 403)
    const empty = await auditor.get('/find')
    assert.equal(empty.statusCode, 200)
    assert.match(textOf(empty, 'main'), /No runs yet[\s\S]*No sources yet/)
    assert.equal(html(empty)('[data-testid=add-source]').length, 0, 'auditors get no buttons to change anything')
    assert.equal((await upload(auditor, 'roll.csv', rollCsv(rollRows), sourceFields('School census'))).statusCode, 403)
    assert.equal((await auditor.get('/find/model')).statusCode, 200)
  })

  it('checks the upload form and the file before keeping anything', async () => {
    const none = await upload(officer, null, '', { ...sourceFields(''), ...dateFields('dataDate', '2027-01-01'), suppliedBy: '' })
    assert.equal(none.statusCode, 400)
    const summary = textOf(none, '.govuk-error-summary')
    assert.match(summary, /Select the type of source[\s\S]*must be today or in the past[\s\S]*Enter who supplied the data[\s\S]*Select a CSV file/)
    const ctfAsGp = await upload(officer, 'roll.xml', '<CTfile/>', sourceFields('GP registrations'))
    assert.match(textOf(ctfAsGp, '.govuk-error-summary'), /A Common Transfer File is a school roll/)
    const repeated = await upload(officer, 'gp.csv', 'Id,Name,Name,DOB\n1,a,b,2014-01-01', sourceFields('GP registrations'))
    assert.match(textOf(repeated, '.govuk-error-summary'), /The column heading “Name” appears more than once/)
    assert.equal(await count('linkage_source'), 0)
  })

  it('maps a CSV’s columns, and reports every rejected row with nothing kept', async () => {
    const bad = [GP_HEADER, 'G1,Ada,Quill,2014-03-02,F,1 Lane,ZZ99 3AB,', 'G2,Bea,,2014-13-40,F,,,', 'G1,Cal,Rook,,M,,,', 'G4,Dot,Wren,2026-10-05,F,,,'].join('\n')
    const res = await upload(officer, 'gp.csv', bad, sourceFields('GP registrations'))
    assert.equal(res.statusCode, 303)
    const mappingUrl = res.headers.location as string
    assert.match(mappingUrl, /\/find\/sources\/[0-9a-f-]+\/mapping$/)
    const page = await officer.get(mappingUrl)
    assert.deepEqual(html(page)('#forename option').map((_, o) => html(page)(o).text()).get(), ['Choose a column', ...GP_HEADER.split(',')])
    const missing = await officer.post(mappingUrl, { id: 'Patient', surname: 'Last name', dateOfBirth: 'Not a column', dateFormat: 'ISO' })
    assert.equal(missing.statusCode, 400)
    assert.match(textOf(missing, '.govuk-error-summary'), /Select the column with the first name[\s\S]*Select a column from the file/)
    const checked = await follow(officer, await officer.post(mappingUrl, { id: 'Patient', forename: 'First name', surname: 'Last name', dateOfBirth: 'Date of birth', dateFormat: 'ISO', saveAs: '' }))
    const rejections = textOf(checked, '[data-testid=rejections]')
    assert.match(textOf(checked, '.govuk-error-summary'), /Nothing from gp.csv was kept[\s\S]*3 rows have problems, out of 4/)
    assert.match(rejections, /Line 3 Last name \(Last name\) is empty; Date of birth \(Date of birth\) “2014-13-40” is not a date written YYYY-MM-DD/)
    assert.match(rejections, /Line 4 Id \(Patient\) is the same as on line 2; Date of birth \(Date of birth\) is empty/)
    assert.match(rejections, /Line 5 Date of birth \(Date of birth\) is after the date the data was taken/)
    assert.doesNotMatch(rejections, /Ada|Quill|Line 2/, 'names are not repeated, and the good row is not listed')
    assert.equal(await count('linkage_record'), 0)
    assert.equal(await inTenant(async (tx) => (await sql<{ n: number }>`select count(*)::int as n from linkage_source where payload is not null`.execute(tx)).rows[0].n), 0, 'the file is dropped once read')
  })

  let runUrl = ''
  it('links the sources, lists the children on no roll, and keeps the model', async () => {
    const roll = await upload(officer, 'census.csv', rollCsv(rollRows), sourceFields('School census'))
    await officer.post(roll.headers.location as string, { id: 'Pupil ref', forename: 'Legal forename', surname: 'Legal surname', dateOfBirth: 'DOB', dateFormat: 'DD/MM/YYYY',
      sex: 'Gender', postcode: 'Postcode', upn: 'UPN', saveAs: 'Census from the MIS' })
    const gp = await upload(officer, 'gp.csv', gpCsv(gpRows), sourceFields('GP registrations'))
    await officer.post(gp.headers.location as string, { id: 'Patient', forename: 'First name', surname: 'Last name', dateOfBirth: 'Date of birth', dateFormat: 'ISO',
      sex: 'Sex', address1: 'House', postcode: 'Postcode', nhsNumber: 'NHS no', saveAs: 'GP list' })
    assert.equal(await count('linkage_source', sql`state = 'ready'`), 2)

    // The next census file with the same columns is filled in from the saved match.
    const again = await upload(officer, 'census-2.csv', rollCsv(rollRows.slice(0, 5)), sourceFields('School census'))
    const mapping = await officer.get(again.headers.location as string)
    assert.match(textOf(mapping, '[data-testid=suggested]'), /Census from the MIS/)
    assert.equal(html(mapping)('#dateOfBirth option[selected]').text(), 'DOB')

    // A child on the GP list and on no roll, but already on the register, is known: no candidate.
    const known = gpRows.find((r) => r.date_of_birth >= '2012-01-01' && r.date_of_birth <= '2019-01-01' && !rollRows.some((l) => l.person_id === r.person_id))!
    await officer.post('/referrals', { forename: known.forename, surname: known.surname, ...dateFields('dateOfBirth', known.date_of_birth), sex: known.sex === 'F' ? 'female' : 'male',
      concern: 'Not seen at school this term', whereaboutsKnown: 'yes' })
    assert.equal(await count('child'), 1)

    const form = await officer.get('/find/runs/new')
    assert.equal(html(form)('input[name=sourceIds][checked]').length, 2, 'every ready source is offered and chosen; the unmapped file is not')
    const gpId = html(form)('input[name=sourceIds]').first().attr('value')!
    assert.match(html(form)(`label[for=population]`).text(), /GP registrations/)
    const noRoll = await officer.post('/find/runs', { ...dateFields('referenceDate', '2026-11-20'), sourceIds: [gpId] })
    assert.equal(noRoll.statusCode, 400)
    assert.match(textOf(noRoll, '.govuk-error-summary'), /Select at least one school roll/)

    const rollId = await inTenant(async (tx) => (await sql<{ id: string }>`select id from linkage_source where filename = 'census.csv'`.execute(tx)).rows[0].id)
    const gpSource = await inTenant(async (tx) => (await sql<{ id: string }>`select id from linkage_source where filename = 'gp.csv' and state = 'ready'`.execute(tx)).rows[0].id)
    const started = await officer.post('/find/runs', { ...dateFields('referenceDate', '2026-11-20'), sourceIds: [rollId, gpSource] })
    assert.equal(started.statusCode, 303)
    runUrl = started.headers.location as string
    const run = await officer.get(runUrl)
    assert.equal(run.statusCode, 200)
    const summary = textOf(run, '[data-testid=run-summary]')
    const inAge = gpRows.filter((r) => r.date_of_birth && r.date_of_birth > '2010-08-31' && r.date_of_birth < '2021-04-01')
    const onRoll = new Set(rollRows.map((r) => r.person_id))
    const expected = inAge.filter((r) => !onRoll.has(r.person_id) && r.person_id !== known.person_id)
    const candidates = html(run)('[data-testid=candidates] tbody tr').length
    assert.match(summary, /On no roll \d+/)
    assert.ok(candidates >= expected.length * 0.95 && candidates <= expected.length * 1.3, `${candidates} candidates for ${expected.length} children on no roll`)
    assert.doesNotMatch(textOf(run, '[data-testid=candidates]'), new RegExp(`${known.forename} ${known.surname}`, 'i'))
    const viewed = await count('audit_event', sql`action = 'linkage.candidates_viewed'`)
    assert.equal(viewed, 1, 'the list of children is audited')

    const model = await officer.get('/find/model')
    assert.equal(html(model)('svg[role=img]').length >= 4, true)
    assert.match(textOf(model, '[data-testid=blocking]'), /First name, last name and year of birth/)
    assert.match(textOf(model, '[data-testid=household]'), /In this run \d+(\.\d)?% of pairs of different children at one address \(\d+ pairs\) shared a surname/)
  })

  it('explains a candidate, accepts one as a referral, and dismisses another, remembered by the next run', async () => {
    const run = await officer.get(runUrl)
    const links = html(run)('[data-testid=candidates] tbody a').map((_, a) => html(run)(a).attr('href')).get()
    const [first, second] = links
    const page = await officer.get(first)
    assert.equal(page.statusCode, 200)
    assert.match(textOf(page, '[data-testid=evidence]'), /GP registrations/)
    assert.ok(textOf(page, '[data-testid=near-miss]').length > 0)
    assert.equal(await count('audit_event', sql`action = 'linkage.candidate_viewed'`), 1)

    const blank = await officer.post(`${first}/accept`, { concern: '', whereaboutsKnown: '' })
    assert.equal(blank.statusCode, 400)
    assert.match(textOf(blank, '.govuk-error-summary'), /Say why this child needs a referral[\s\S]*Select whether you know where the child is now/)
    const accepted = await officer.post(`${first}/accept`, { concern: html(page)('#concern').text(), whereaboutsKnown: 'yes' })
    assert.equal(accepted.statusCode, 303)
    const child = await officer.get(accepted.headers.location as string)
    assert.match(textOf(child, 'main'), /Found by the linkage run for 20\/11\/2026: resident by GP registrations/)
    assert.equal(await count('cme_case', sql`source = 'linkage'`), 1)
    const twice = await officer.post(`${first}/accept`, { concern: 'Again', whereaboutsKnown: 'yes' })
    assert.match(textOf(await follow(officer, twice), '.govuk-notification-banner'), /Someone else decided about this child/)
    assert.equal(await count('cme_case', sql`source = 'linkage'`), 1, 'accepting twice makes one referral')

    const noNote = await officer.post(`${second}/dismiss`, { reason: 'other', note: '' })
    assert.equal(noNote.statusCode, 400)
    assert.match(textOf(noNote, '.govuk-error-summary'), /Say why this child does not need a referral/)
    assert.equal((await officer.post(`${second}/dismiss`, { reason: 'independent_school', note: 'On the roll of a fictional independent school' })).statusCode, 303)
    const dismissed = await officer.get(`${runUrl}?state=dismissed`)
    assert.match(textOf(dismissed, '[data-testid=candidates]'), /On the roll of an independent school/)

    // The next run: the referred child is now on the register, and the dismissed child is not asked about again.
    const form = await officer.get('/find/runs/new')
    const ids = html(form)('input[name=sourceIds]').map((_, i) => html(form)(i).attr('value')).get()
    const next = await officer.post('/find/runs', { ...dateFields('referenceDate', '2026-11-25'), sourceIds: ids })
    const nextRun = await officer.get(`${next.headers.location}?state=dismissed_before`)
    assert.equal(html(nextRun)('[data-testid=candidates] tbody tr').length, 1)
    assert.match(textOf(nextRun, '[data-testid=candidates]'), /On the roll of an independent school/)
    const firstName = textOf(page, 'h1')
    const open = await officer.get(next.headers.location as string)
    assert.doesNotMatch(textOf(open, '[data-testid=candidates]'), new RegExp(firstName, 'i'), 'the accepted child now matches the register')
  })

  it('keeps each LA’s sources, runs and candidates to itself', async () => {
    const other = await t.addAuthority('991', 'Elsewhere Council')
    const outsider = (await t.signedIn(['cme_officer'], { laId: other.id })).agent
    const candidate = html(await officer.get(runUrl))('[data-testid=candidates] tbody a').first().attr('href')!
    assert.equal((await outsider.get(runUrl)).statusCode, 404)
    assert.equal((await outsider.get(candidate)).statusCode, 404)
    assert.equal((await outsider.post(`${candidate}/dismiss`, { reason: 'moved_away' })).statusCode, 404)
    assert.match(textOf(await outsider.get('/find'), 'main'), /No sources yet/)
  })
})
