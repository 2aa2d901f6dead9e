import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { withTenant } from '../../platform/db.ts'
import { dateFields, html, postFile, testApp, textOf, type Agent, type TestApp } from '../../../test/helpers/test-app.ts'
import { generateLink, type SynthRow } from '../linkage/synth.ts'
import { checkCsv } from './service.ts'

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
    // The officer finds the child is home educated: the register child now carries a home education case.
    await inTenant((tx) => sql`update cme_case set register_type = 'ehe'`.execute(tx))

    const form = await officer.get('/find/runs/new')
    assert.equal(html(form)('input[name=sourceIds][checked]').length, 2, 'every ready source is offered and chosen; the unmapped file is not')
    const gpId = html(form)('input[name=sourceIds]').first().attr('value')!
    assert.match(html(form)(`label[for=population]`).text(), /GP registrations/)
    const noRoll = await officer.post('/find/runs', { ...dateFields('referenceDate', '2026-11-20'), sourceIds: [gpId] })
    assert.equal(noRoll.statusCode, 400)
    assert.match(textOf(noRoll, '.govuk-error-summary'), /Select at least one school roll/)
    const stale = await officer.post('/find/runs', { ...dateFields('referenceDate', '2025-09-01'), sourceIds: html(form)('input[name=sourceIds]').map((_, i) => html(form)(i).attr('value')).get() })
    assert.equal(stale.statusCode, 400)
    assert.match(textOf(stale, '.govuk-error-summary'), /from Northmoor test team was taken on 1 October 2026, more than a year from the reference date, so it does not show who (lived in the area|was on the roll) on that day/)

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
    assert.match(summary, /1 on the register, 1 of them home educated/)
    assert.ok(candidates >= expected.length * 0.95 && candidates <= expected.length * 1.3, `${candidates} candidates for ${expected.length} children on no roll`)
    assert.doesNotMatch(textOf(run, '[data-testid=candidates]'), new RegExp(`${known.forename} ${known.surname}`, 'i'))
    const viewed = await count('audit_event', sql`action = 'linkage.candidates_viewed'`)
    assert.equal(viewed, 1, 'the list of children is audited')

    const model = await officer.get('/find/model')
    assert.equal(html(model)('svg[role=img]').length >= 4, true)
    assert.match(textOf(model, '[data-testid=blocking]'), /First name, last name and year of birth/)
    assert.match(textOf(model, '[data-testid=household]'), /In this run \d+(\.\d)?% of pairs of different children at one address \(\d+ pairs\) shared a surname/)
    assert.equal(html(model)('svg[data-testid=mu-forename]').length, 1, 'm and u are drawn, not only the weights')
    // The roll has UPNs and the GP list NHS numbers, so no pair shares an identifier to check the run against.
    assert.match(textOf(model, '[data-testid=accuracy]'), /could not check itself against known matches/)
    const runModel = await auditor.get(`${runUrl}/model`)
    assert.equal(runModel.statusCode, 200)
    assert.match(textOf(runModel, 'h1'), /The linkage model of the run for 20 November 2026/)
    assert.match(textOf(run, 'main'), /How this run scored its matches/)
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

  it('audits the register child shown as a candidate’s nearest record as a view of that child', async () => {
    const childId = await inTenant(async (tx) => (await sql<{ id: string }>`select id from child limit 1`.execute(tx)).rows[0].id)
    const candidate = html(await officer.get(runUrl))('[data-testid=candidates] tbody a').last().attr('href')!
    const candidateId = candidate.split('/').pop()!
    // Made the nearest record here so the test does not depend on which record the model found closest.
    await inTenant((tx) => sql`update linkage_candidate set near_miss = jsonb_set(jsonb_set(near_miss, '{href}', to_jsonb(${`/children/${childId}`}::text)), '{label}', '"The register: a child"')
      where id = ${candidateId} and near_miss is not null`.execute(tx))
    const before = await count('audit_event', sql`action = 'child.viewed' and record_id = ${childId}`)
    assert.equal((await auditor.get(candidate)).statusCode, 200)
    assert.equal(await count('audit_event', sql`action = 'child.viewed' and record_id = ${childId}`), before + 1)
    assert.equal(await count('audit_event', sql`action = 'child.viewed' and record_id = ${childId} and details::jsonb->>'asNearMatchOf' = ${candidateId}`), 1)
  })

  it('takes a home education register kept outside Lantern as a list of children known to be educated', async () => {
    const onRoll = new Set(rollRows.map((r) => r.person_id))
    const atHome = gpRows.filter((r) => r.date_of_birth > '2012-01-01' && r.date_of_birth < '2019-01-01' && !onRoll.has(r.person_id)).slice(-3)
    assert.equal(atHome.length, 3)
    const list = ['Ref,First name,Last name,Date of birth,Postcode', ...atHome.map((r, i) => csvLine([`EHE-${i + 1}`, r.forename, r.surname, ukDate(r.date_of_birth), r.postcode]))].join('\n')
    const res = await upload(officer, 'ehe.csv', list, sourceFields('Home education register (kept outside Lantern)'))
    await officer.post(res.headers.location as string, { id: 'Ref', forename: 'First name', surname: 'Last name', dateOfBirth: 'Date of birth', dateFormat: 'DD/MM/YYYY', postcode: 'Postcode' })
    const index = await officer.get('/find')
    assert.match(textOf(index, 'main'), /Home education register/)
    const form = await officer.get('/find/runs/new')
    assert.match(textOf(form, 'main'), /School rolls and home education registers[\s\S]*Home education register \(kept outside Lantern\) from Northmoor test team/)
    const ids = html(form)('input[name=sourceIds]').map((_, i) => html(form)(i).attr('value')).get()
    const started = await officer.post('/find/runs', { ...dateFields('referenceDate', '2026-11-25'), sourceIds: ids })
    const run = await officer.get(started.headers.location as string)
    assert.match(textOf(run, '[data-testid=run-summary]'), /and 3 on home education lists kept outside Lantern/)
    assert.ok(html(run)('[data-testid=candidates] tbody tr').length < 50, 'every child to review is on this one page')
    const listed = textOf(run, '[data-testid=candidates]')
    for (const r of atHome) assert.doesNotMatch(listed, new RegExp(`${r.forename} ${r.surname}`, 'i'), `${r.id} is home educated, not on no roll`)
  })

  it('leaves out children who live outside the area an officer sets, and says so', async () => {
    const onRoll = new Set(rollRows.map((r) => r.person_id))
    const away = gpRows.find((r) => r.date_of_birth > '2012-01-01' && r.date_of_birth < '2019-01-01' && !onRoll.has(r.person_id) && r.postcode)!
    const district = away.postcode.split(' ')[0]
    const others = [...new Set(gpRows.map((r) => r.postcode.split(' ')[0]).filter((d) => d && d !== district))]
    assert.equal((await auditor.post('/find/area', { postcodes: others.join('\n') })).statusCode, 403)
    const bad = await officer.post('/find/area', { postcodes: `${others[0]}, SW1A 1AA, nonsense` })
    assert.equal(bad.statusCode, 400)
    assert.match(textOf(bad, '.govuk-error-summary'), /These are not postcode districts or sectors: “SW1A 1AA”, “NONSENSE”\. Write each like ZZ1/)
    assert.equal(await count('linkage_area'), 0, 'nothing is saved from a form with a mistake')
    assert.equal((await officer.post('/find/area', { postcodes: ` ${others.join(' ,\n')} ` })).statusCode, 303)
    assert.match(textOf(await auditor.get('/find/area'), '[data-testid=area-now]'), new RegExp(`The area is ${others.length} postcode districts or sectors`))
    assert.equal(await count('audit_event', sql`action = 'linkage.area_changed'`), 1)

    const form = await officer.get('/find/runs/new')
    const ids = html(form)('input[name=sourceIds]').map((_, i) => html(form)(i).attr('value')).get()
    const run = await follow(officer, await officer.post('/find/runs', { ...dateFields('referenceDate', '2026-11-25'), sourceIds: ids }))
    assert.match(textOf(run, '[data-testid=run-summary]'), /[1-9]\d* living outside the area/)
    assert.doesNotMatch(textOf(run, '[data-testid=candidates]'), new RegExp(`${away.forename} ${away.surname}`, 'i'))
    assert.equal(html(run)('[data-testid=no-area]').length, 0)

    // Emptied, the area is cleared and the next run counts everyone again.
    await officer.post('/find/area', { postcodes: '' })
    assert.match(textOf(await officer.get('/find/area'), '[data-testid=area-now]'), /No area is set/)
  })

  it('shows a run’s stage while it goes on, and its progress address says only the state and stage', async () => {
    const id = await inTenant(async (tx) => (await sql<{ id: string }>`insert into linkage_run (local_authority_id, reference_date, source_ids, threshold, started_by, created_at, progress, state)
      select local_authority_id, reference_date, source_ids, threshold, started_by, created_at, 'Linking 5 children with 7 roll and register records', 'running' from linkage_run limit 1 returning id`.execute(tx)).rows[0].id)
    const page = await auditor.get(`/find/runs/${id}`)
    assert.equal(html(page)('[data-lantern-run-progress][data-state=running]').attr('data-progress-url'), `/find/runs/${id}/progress`)
    assert.match(textOf(page, '[data-testid=progress]'), /Running Linking 5 children with 7 roll and register records\./)
    const progress = await auditor.get(`/find/runs/${id}/progress`)
    assert.deepEqual(JSON.parse(progress.body), { state: 'running', words: 'Linking 5 children with 7 roll and register records.' })
    assert.deepEqual(JSON.parse((await officer.get(`${runUrl}/progress`)).body), { state: 'done', words: '' })
    await inTenant((tx) => sql`update linkage_run set state = 'failed', progress = null, error = 'Stopped by the test' where id = ${id}`.execute(tx))
  })

  it('keeps each LA’s sources, runs and candidates to itself', async () => {
    const other = await t.addAuthority('991', 'Elsewhere Council')
    const outsider = (await t.signedIn(['cme_officer'], { laId: other.id })).agent
    const candidate = html(await officer.get(runUrl))('[data-testid=candidates] tbody a').first().attr('href')!
    assert.equal((await outsider.get(runUrl)).statusCode, 404)
    assert.equal((await outsider.get(candidate)).statusCode, 404)
    assert.equal((await outsider.get(`${runUrl}/model`)).statusCode, 404)
    assert.equal((await outsider.get(`${runUrl}/progress`)).statusCode, 404)
    assert.equal((await outsider.post(`${candidate}/dismiss`, { reason: 'moved_away' })).statusCode, 404)
    assert.match(textOf(await outsider.get('/find'), 'main'), /No sources yet/)
  })
})

describe('the progress of a source’s check', () => {
  let t: TestApp
  let officer: Agent
  const cleanups: (() => Promise<void>)[] = []
  const inTenant = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(t.database.db, { laId: t.la.id }, fn)
  const fields = (type: string) => ({ sourceType: type, ...dateFields('dataDate', '2026-10-01'), suppliedBy: 'Northmoor test team' })
  const HEADER = 'Pupil ref,Legal forename,Legal surname,DOB,Postcode'
  const MAPPING = { id: 'Pupil ref', forename: 'Legal forename', surname: 'Legal surname', dateOfBirth: 'DOB', dateFormat: 'DD/MM/YYYY', postcode: 'Postcode' }
  // Fictional pupils: invented names, ZZ99 postcodes, which no real address has.
  const FORENAMES = ['Ada', 'Bea', 'Cal', 'Dot', 'Eli', 'Fen', 'Gus', 'Ivy']
  const SURNAMES = ['Fernhollow', 'Quill', 'Rook', 'Wren', 'Testwood', 'Marrow']
  const pupilLine = (i: number) => `T${i},${FORENAMES[i % 8]},${SURNAMES[i % 6]},${String(1 + (i % 28)).padStart(2, '0')}/0${1 + (i % 9)}/${2011 + (i % 9)},ZZ99 ${i % 10}AB`
  const rollOf = (rows: number) => [HEADER, ...Array.from({ length: rows }, (_, i) => pupilLine(i + 1))].join('\n')
  const ctfOf = (pupils: number) => `<?xml version="1.0" encoding="utf-8"?>
<CTfile><Header><CTFversion>25.0</CTFversion><SourceSchool><LEA>990</LEA><Estab>4001</Estab></SourceSchool><DestSchool><LEA>990</LEA><Estab>4002</Estab></DestSchool></Header>
<CTFpupilData>${Array.from({ length: pupils }, (_, i) => `<Pupil><UPN>T99040012${String(i).padStart(5, '0')}</UPN><Surname>${SURNAMES[i % 6]}</Surname><Forename>${FORENAMES[i % 8]}</Forename><DOB>2015-03-27</DOB><Sex>F</Sex><Address><AddressLines><AddressLine1>${i} Example Road</AddressLine1></AddressLines><PostCode>ZZ99 3AB</PostCode></Address></Pupil>`).join('\n')}</CTFpupilData></CTfile>`

  /** Polls the progress address while `work` runs, as the page's script does, and returns everything it saw. */
  async function watch(url: string, work: Promise<unknown>): Promise<{ state: string; totalRows: number; processedRows: number }[]> {
    let finished = false
    const seen: { state: string; totalRows: number; processedRows: number }[] = []
    const polling = (async () => {
      while (!finished) {
        const res = await officer.get(url)
        assert.equal(res.statusCode, 200)
        seen.push(res.json())
        // Injected requests resolve without a turn of the event loop, where a browser's arrive as I/O.
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    })()
    await work
    finished = true
    await polling
    seen.push((await officer.get(url)).json())
    return seen
  }

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    t.clock.now = new Date('2026-11-25T10:00:00Z')
    officer = (await t.signedIn(['cme_officer'])).agent
  })
  after(async () => { for (const fn of cleanups) await fn() })

  it('gives the state and counts only, to the source’s own LA: auditors read it, school users do not', async () => {
    const res = await postFile(officer, '/find/sources', { filename: 'roll.csv', content: rollOf(3) }, fields('School census'))
    const url = (res.headers.location as string).replace(/mapping$/, 'progress')

    const own = await officer.get(url)
    const auditor = (await t.signedIn(['auditor'])).agent
    const school = (await t.signedIn(['school_user'])).agent
    const other = await t.addAuthority('991', 'Elsewhere Council')
    const outsider = (await t.signedIn(['cme_officer'], { laId: other.id })).agent

    assert.equal(own.statusCode, 200)
    assert.match(own.headers['content-type'] as string, /^application\/json/)
    assert.equal(own.headers['cache-control'], 'no-store')
    assert.deepEqual(own.json(), { state: 'mapping', totalRows: 0, processedRows: 0 })
    assert.deepEqual((await auditor.get(url)).json(), { state: 'mapping', totalRows: 0, processedRows: 0 })
    assert.equal((await school.get(url)).statusCode, 403)
    assert.equal((await outsider.get(url)).statusCode, 404)
    assert.equal((await officer.get('/find/sources/not-a-source/progress')).statusCode, 404)
  })

  it('shows a source being checked with its bar, counts and the address the page polls', async () => {
    const res = await postFile(officer, '/find/sources', { filename: 'roll.csv', content: rollOf(3) }, fields('School census'))
    const id = (res.headers.location as string).split('/')[3]
    await inTenant((tx) => sql`update linkage_source set state = 'processing', total_rows = 12000, processed_rows = 4500 where id = ${id}`.execute(tx))

    const page = await officer.get(`/find/sources/${id}`)

    const $ = html(page)
    assert.equal($('[data-testid=progress]').attr('data-progress-url'), `/find/sources/${id}/progress`)
    assert.equal($('[data-testid=progress] progress').attr('value'), '4500')
    assert.equal($('[data-testid=progress] progress').attr('max'), '12000')
    assert.equal(textOf(page, '[data-progress-text]'), 'Checked 4,500 of 12,000 rows.')
    assert.equal($('[data-progress-text]').attr('aria-live'), 'polite')
    assert.match(textOf(page, '[data-testid=progress]'), /Check progress again/)
    assert.equal(html(await officer.get('/find/sources/new'))('form[data-lantern-progress=upload]').length, 1)
  })

  it('records progress while a CSV of thousands of rows is checked, until every row is counted', async () => {
    const rows = 10_000
    const res = await postFile(officer, '/find/sources', { filename: 'census.csv', content: rollOf(rows) }, fields('School census'))
    const mappingUrl = res.headers.location as string

    const seen = await watch(mappingUrl.replace(/mapping$/, 'progress'), officer.post(mappingUrl, { ...MAPPING, saveAs: '' }))

    const during = seen.filter((p) => p.state === 'processing' && p.processedRows > 0 && p.processedRows < p.totalRows)
    assert.ok(during.length > 0, `the bar moved while the rows were checked: saw ${JSON.stringify(seen.map((p) => `${p.state} ${p.processedRows}/${p.totalRows}`))}`)
    assert.ok(during.every((p) => p.totalRows === rows))
    const counts = seen.map((p) => p.processedRows)
    assert.deepEqual(counts, [...counts].sort((a, b) => a - b), 'the count only goes up')
    assert.deepEqual(seen.at(-1), { state: 'ready', totalRows: rows, processedRows: rows })
  })

  it('records progress for a Common Transfer File, per pupil, once its pupils are read', async () => {
    const pupils = 1_500

    const upload = postFile(officer, '/find/sources', { filename: 'roll.xml', content: ctfOf(pupils) }, fields('Common Transfer File'))
    let id: string | undefined
    while (!id) {
      id = await inTenant(async (tx) => (await sql<{ id: string }>`select id from linkage_source where filename = 'roll.xml'`.execute(tx)).rows[0]?.id)
      await new Promise((resolve) => setImmediate(resolve))
    }

    const seen = await watch(`/find/sources/${id}/progress`, upload)

    assert.ok(seen.some((p) => p.state === 'processing' && p.totalRows === pupils), `the bar had its total before the end: saw ${JSON.stringify(seen.map((p) => `${p.state} ${p.processedRows}/${p.totalRows}`))}`)
    assert.deepEqual(seen.at(-1), { state: 'ready', totalRows: pupils, processedRows: pupils })
  })

  it('checks a big CSV in turns, so timers and requests run before it finishes, keeping every row whole', async () => {
    const rows = 20_000
    const text = rollOf(rows).split('\n')
    // The check reads the file in pieces, the first of 4,096 characters: it ends inside the next pupil's
    // surname, whose first character takes two UTF-16 units.
    const [before, after] = [`${HEADER}\nT0,`.length, '\nT1,Hana,'.length]
    text[1] = 'T1,Hana,𠮷田,01/02/2015,ZZ99 1AB'
    text.splice(1, 0, `T0,${'X'.repeat(4096 - 1 - before - after)}`)
    text[10_001] = 'T10000,Ada,,01/02/2015,ZZ99 1AB'
    const headers = HEADER.split(',')
    let timerFired = false
    let ticks = 0
    const timer = setInterval(() => { ticks++ }, 5)
    setTimeout(() => { timerFired = true }, 0)

    const checked = await checkCsv(Buffer.from(text.join('\n')), headers, MAPPING as Parameters<typeof checkCsv>[2], '2026-10-01', async () => {})
    const firedBeforeTheEnd = timerFired
    clearInterval(timer)

    assert.ok(firedBeforeTheEnd, 'a timer set before the check ran before it finished')
    assert.ok(ticks >= 5, `the event loop turned repeatedly (${ticks} ticks)`)
    assert.equal(checked.total, rows + 1)
    assert.deepEqual(checked.rejections.map((r) => r.label), ['Line 2', 'Line 10002'])
    assert.equal(checked.records.find((r) => r.recordRef === 'T1')?.surname, '𠮷田')
    assert.equal(checked.records.length, rows - 1)
  })
})
