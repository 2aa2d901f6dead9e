import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { withTenant } from '../../platform/db.ts'
import { upnCheckLetter } from '../children/identifiers.ts'
import { postFile, testApp, textOf, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'

// Fictional pupils; UPNs carry LA code 820 (a real code is needed to pass the check) and made-up serials.
const upn = (n: string) => { const rest = `820${n.padStart(9, '0')}`; return `${upnCheckLetter(rest)}${rest}` }

const HEADER = 'First name,Last name,Date of birth,Sex,UPN,Address line 1,Postcode,Parent 1 name,Parent 1 phone,Ground,Deletion date,New school'
const row = (first: string, last: string, extra: Partial<Record<'dob' | 'upn' | 'ground' | 'deletion' | 'school' | 'phone', string>> = {}) =>
  [first, last, extra.dob ?? '14/03/2013', 'F', extra.upn ?? '', '1 Test Row', 'ZZ99 3AB', 'Parent Person', extra.phone ?? '07700 900 001', extra.ground ?? 'g', extra.deletion ?? '30/11/2026', extra.school ?? ''].join(',')

const ctf = (opts: { urn?: string; destLea?: string; destEstab?: string; pupils: string }) => `<?xml version="1.0" encoding="UTF-8"?>
<CTfile><Header><DocumentName>Common Transfer File</DocumentName><CTFversion>25.0</CTFversion><DateTime>2026-11-24T09:00:00</DateTime>
<DocumentQualifier>partial</DocumentQualifier><SupplierID>Test</SupplierID>
<SourceSchool><LEA>990</LEA><Estab>4001</Estab>${opts.urn ? `<URN>${opts.urn}</URN>` : ''}<SchoolName>Riverside Academy</SchoolName><AcademicYear>2026</AcademicYear></SourceSchool>
<DestSchool><LEA>${opts.destLea ?? 'XXX'}</LEA><Estab>${opts.destEstab ?? 'XXXX'}</Estab></DestSchool></Header>
<CTFpupilData>${opts.pupils}</CTFpupilData></CTfile>`
const ctfPupil = (first: string, last: string, n: string) => `<Pupil><UPN>${upn(n)}</UPN><Surname>${last}</Surname><Forename>${first}</Forename><DOB>2012-07-01</DOB><Sex>M</Sex>
<Address><AddressLines><AddressLine1>5 Quarry Close</AddressLine1><AddressLine2>Northmoor</AddressLine2></AddressLines><PostCode>ZZ99 3DB</PostCode></Address>
<Contacts><Contact><Order>1</Order><Surname>${last}</Surname><Forename>Dale</Forename><Address><AddressAsPupil>true</AddressAsPupil></Address>
<Phones><Phone><TelephoneType>M</TelephoneType><PhoneNo>07700 900 456</PhoneNo></Phone></Phones></Contact></Contacts></Pupil>`

describe('importing notices from CSV and Common Transfer Files', () => {
  let t: TestApp
  let school: Agent
  const cleanups: (() => Promise<void>)[] = []
  const inTenant = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(t.database.db, { laId: t.la.id }, fn)
  const countNotices = () => inTenant(async (tx) => (await sql<{ n: number }>`select count(*)::int as n from school_notice`.execute(tx)).rows[0].n)

  const upload = async (agent: Agent, filename: string | null, content: string | Buffer, fields: Record<string, string> = {}, csrf = true) => {
    const res = await postFile(agent, '/notices/import', { filename, content }, fields, csrf)
    return res.statusCode === 303 ? { res, page: await agent.get(res.headers.location as string) } : { res, page: res }
  }

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    t.clock.now = new Date('2026-11-25T10:00:00Z')
    const schoolId = await inTenant(async (tx) => (await sql<{ id: string }>`insert into organisation (local_authority_id, name, kind, urn)
      values (${t.la.id}, 'Riverside Academy', 'school', '990001') returning id`.execute(tx)).rows[0].id)
    school = (await t.signedIn(['school_user'], { organisationId: schoolId })).agent
  })
  after(async () => { for (const fn of cleanups) await fn() })

  it('asks for a file, and refuses an upload without the form’s token', async () => {
    const { res } = await upload(school, null, '')
    assert.equal(res.statusCode, 400)
    assert.match(textOf(res, '.govuk-error-summary'), /Select a CSV or Common Transfer File/)
    const empty = await upload(school, 'notices.csv', '')
    assert.match(textOf(empty.res, '.govuk-error-summary'), /The selected file is empty/)
    const forged = await upload(school, 'notices.csv', `${HEADER}\n${row('Ada', 'Fernhollow')}`, {}, false)
    assert.equal(forged.res.statusCode, 403)
    assert.equal(await countNotices(), 0)
  })

  it('reports every rejected row and saves nothing from the file', async () => {
    const csv = [HEADER, row('Ada', 'Fernhollow'), row('Bea', 'Cindermoss', { deletion: '01/11/2026' }), row('Cal', 'Dunmere', { ground: 'q', phone: '12' }), row('Dot', 'Ebberley', { dob: '31/02/2013' })].join('\n')
    const { page } = await upload(school, 'notices.csv', csv)
    const rejections = textOf(page, '[data-testid=rejections]')
    assert.match(textOf(page, '.govuk-error-summary'), /Nothing from notices.csv was saved[\s\S]*3 rows have problems, out of 4/)
    assert.match(rejections, /Row 3 .*Deletion date: The date of deletion cannot be in the past/)
    assert.match(rejections, /Row 4 .*Parent 1 phone: Enter a phone number.*Ground: Select the ground/)
    assert.match(rejections, /Row 5 .*Date of birth: Date of birth must be a real date/)
    assert.doesNotMatch(rejections, /Row 2/)
    assert.equal(await countNotices(), 0, 'all or nothing: the good row was not saved either')
  })

  it('refuses a file that is not a CSV it can read, with the reason', async () => {
    const { page } = await upload(school, 'notices.csv', 'Name,Shoe size\nAda,5')
    assert.match(textOf(page, '[data-testid=rejections]'), /The file The first line must be a header row naming the columns/)
  })

  it('applies a good CSV whole, and the notices reach the CME team', async () => {
    const csv = [HEADER, row('Ada', 'Fernhollow', { upn: upn('200000001') }), row('Bea', 'Cindermoss', { ground: 'a', school: 'Hillside Primary School' })].join('\r\n')
    const { page } = await upload(school, 'notices.csv', csv)
    assert.match(textOf(page, '.govuk-panel'), /Notices sent 2 notices from notices.csv reached the CME team/)
    assert.equal(await countNotices(), 2)
    assert.match(textOf(await school.get('/notices'), '[data-testid=notices-table]'), /Ada Fernhollow[\s\S]*Bea Cindermoss/)
    const officer = (await t.signedIn(['cme_officer'])).agent
    assert.match(textOf(await officer.get('/notices/inbox'), '[data-testid=notices-table]'), /Ada Fernhollow/)
  })

  it('takes a lost pupil CTF with the ground and joint enquiries given on the form', async () => {
    const file = ctf({ urn: '990001', pupils: ctfPupil('Eli', 'Gorsebrook', '200000002') })
    const missing = await upload(school, 'lost.xml', file)
    assert.match(textOf(missing.page, '[data-testid=rejections]'), /Pupil 1 .*Ground: Select the ground[\s\S]*Deletion date: Enter the date/)
    const { page } = await upload(school, 'lost.xml', file, { ground: 'h', 'deletionDate-day': '26', 'deletionDate-month': '11', 'deletionDate-year': '2026',
      'jointEnquiriesOn-day': '20', 'jointEnquiriesOn-month': '11', 'jointEnquiriesOn-year': '2026', jointEnquiriesLaContact: 'Casey Officer', jointEnquiriesSummary: 'Calls, visits and sibling schools: no trace.' })
    assert.match(textOf(page, '.govuk-panel'), /1 notice from lost.xml/, textOf(page, 'main'))
    const stored = await inTenant(async (tx) => (await sql<{ lost: string; source: string; ground: string }>`select lost_pupil as lost, source, ground from school_notice where surname = 'Gorsebrook'`.execute(tx)).rows[0])
    assert.deepEqual(stored, { lost: 'destination_unknown', source: 'ctf', ground: 'h' })
  })

  it('refuses a CTF from another school, and one with a document type declaration', async () => {
    const other = await upload(school, 'other.xml', ctf({ urn: '990555', pupils: ctfPupil('Fen', 'Hartwell', '200000003') }), { ground: 'g', 'deletionDate-day': '30', 'deletionDate-month': '11', 'deletionDate-year': '2026' })
    assert.match(textOf(other.page, '[data-testid=rejections]'), /from the school with URN 990555, but your school’s URN is 990001/)
    const xxe = `<?xml version="1.0"?><!DOCTYPE CTfile [<!ENTITY x SYSTEM "file:///etc/passwd">]><CTfile><Header><CTFversion>25.0</CTFversion></Header><CTFpupilData><Pupil><Surname>&x;</Surname></Pupil></CTFpupilData></CTfile>`
    const refused = await upload(school, 'evil.xml', xxe)
    const text = textOf(refused.page, 'main')
    assert.match(text, /document type declaration/)
    assert.doesNotMatch(text, /root:/)
  })

  it('shows an import only to the school that sent it', async () => {
    const id = await inTenant(async (tx) => (await sql<{ id: string }>`select id from notice_import limit 1`.execute(tx)).rows[0].id)
    const otherSchoolId = await inTenant(async (tx) => (await sql<{ id: string }>`insert into organisation (local_authority_id, name, kind, urn)
      values (${t.la.id}, 'Hillside Primary School', 'school', '990002') returning id`.execute(tx)).rows[0].id)
    const other = (await t.signedIn(['school_user'], { organisationId: otherSchoolId })).agent
    assert.equal((await other.get(`/notices/imports/${id}`)).statusCode, 404)
    assert.equal((await school.get(`/notices/imports/${id}`)).statusCode, 200)
  })
})
