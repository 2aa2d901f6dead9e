import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../../../platform/paths.ts'
import { upnCheckLetter } from '../../children/identifiers.ts'
import { parseCtf } from './ctf.ts'
import { type ParseResult } from './fields.ts'

// All people, schools and addresses here are invented: LA 990 and the ZZ99 postcode area do not exist.
const fixture = (name: string) => readFileSync(join(ROOT, 'test/fixtures/ctf', name))
const CTF25 = fixture('ctf25-two-pupils.xml')
const CTF24 = fixture('ctf24-gender-bs7666.xml')
const LOST = fixture('lost-pupil-xxx.xml')

function ctf(pupils: string, { version = '<CTFversion>25.0</CTFversion>', dest = '<LEA>990</LEA><Estab>4002</Estab>' } = {}): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<CTfile>
  <Header>
    <DocumentName>Common Transfer File</DocumentName>${version}
    <SourceSchool><LEA>990</LEA><Estab>4001</Estab></SourceSchool>
    <DestSchool>${dest}</DestSchool>
  </Header>
  <CTFpupilData>${pupils}</CTFpupilData>
</CTfile>`
}
const pupil = (inner = '') => `<Pupil><Surname>Testington</Surname><Forename>Amara</Forename><DOB>2015-03-27</DOB>${inner}</Pupil>`

function rows(result: ParseResult) {
  assert.ok(result.ok, `expected the file to be read, got ${JSON.stringify(result)}`)
  return result.rows
}
function errors(result: ParseResult) {
  assert.ok(!result.ok, 'expected the file to be refused')
  return result.errors
}

test('the fixtures carry UPNs with correct check letters', () => {
  for (const upn of ['T990400125001', 'G990400125002', 'W990400125003', 'Z990400124004']) {
    assert.equal(upn[0], upnCheckLetter(upn.slice(1)), upn)
  }
})

test('reads the header of a CTF 25 file', () => {
  const result = parseCtf(CTF25)

  assert.ok(result.ok)
  assert.deepEqual(result.header, {
    version: '25.0', sourceLea: '990', sourceEstab: '4001', sourceUrn: '999001',
    schoolName: 'Lanternfield Primary School', destLea: '990', destEstab: '4002',
  })
})

test('reads a CTF 25 pupil with Sex, address lines, contacts in Order and the leaving date from this school', () => {
  const [first] = rows(parseCtf(CTF25))

  assert.equal(first.line, 1)
  assert.equal(first.label, 'Pupil 1 (UPN T990400125001)')
  assert.deepEqual(first.values, {
    upn: 'T990400125001', forename: 'Amara', surname: 'Testington', dateOfBirth: '2015-03-27', sex: 'female',
    addressLine1: '12 Example Road', town: 'Sampleton', postcode: 'ZZ99 3AB',
    parent1Name: 'Jo Testington', parent1Address: 'Same as the pupil', parent1Phone: '07700 900001',
    parent2Name: 'Robin Testington', parent2Address: 'Flat 4, 7 Imaginary Street, Sampleton, ZZ99 4CD', parent2Phone: '07700 900982',
    deletionDate: '2026-11-19',
  })
})

test('reads Postcode as well as PostCode, prefers PostTown to the last address line, and maps other Sex codes to unknown', () => {
  const [, second] = rows(parseCtf(CTF25))

  assert.equal(second.line, 2)
  assert.deepEqual(second.values, {
    upn: 'G990400125002', forename: 'Sam', surname: 'O\'Example', dateOfBirth: '2016-01-09', sex: 'unknown',
    addressLine1: '3 Placeholder Lane', town: 'Sampleton', postcode: 'ZZ99 5EF',
  })
})

test('reads a CTF 24 file with CTFVersion, Gender and a BS7666 address', () => {
  const result = parseCtf(CTF24)

  assert.ok(result.ok)
  assert.equal(result.header?.version, '24.0')
  assert.deepEqual(result.rows[0].values, {
    upn: 'W990400125003', forename: 'Kit', surname: 'Placeholder', dateOfBirth: '2013-11-30', sex: 'male',
    addressLine1: 'Flat 2, 14 Example Road', town: 'Sampleton Spa', postcode: 'ZZ99 6GH',
    parent1Name: 'Lee Placeholder', parent1Address: 'Rose Cottage, Fictional Way, Sampleton, ZZ99 7JK', parent1Phone: '07700 900123',
    deletionDate: '2025-05-23',
  })
})

test('a BS7666 address without PostTown takes its Town', () => {
  const xml = ctf(pupil('<Gender>F</Gender><Address><BS7666Address><PAON>9</PAON><Street>Sample Street</Street><Town>Sampleton</Town></BS7666Address></Address>'))

  const [row] = rows(parseCtf(Buffer.from(xml)))

  assert.equal(row.values.addressLine1, '9 Sample Street')
  assert.equal(row.values.town, 'Sampleton')
  assert.equal(row.values.sex, 'female')
})

test('a file sent to XXX/XXXX marks the header and every pupil as destination unknown', () => {
  const result = parseCtf(LOST)

  assert.ok(result.ok)
  assert.equal(result.header?.lostPupil, 'destination_unknown')
  assert.deepEqual(result.rows.map((r) => r.values.lostPupil), ['destination_unknown'])
  assert.equal(result.rows[0].values.futureSchool, undefined)
  assert.equal(result.rows[0].values.deletionDate, '2026-09-30')
})

test('a file sent to MMM/MMMM marks the header and every pupil as moved abroad', () => {
  const xml = ctf(pupil() + pupil(), { dest: '<LEA>MMM</LEA><Estab>MMMM</Estab>' })

  const result = parseCtf(Buffer.from(xml))

  assert.ok(result.ok)
  assert.equal(result.header?.lostPupil, 'moved_abroad')
  assert.deepEqual(result.rows.map((r) => r.values.lostPupil), ['moved_abroad', 'moved_abroad'])
})

test('a pupil without a UPN is labelled by position only, and a contact without Order comes after those with one', () => {
  const contacts = '<Contacts><Contact><Forename>Una</Forename><Surname>Ordered</Surname></Contact>' +
    '<Contact><Order>3</Order><Forename>Tre</Forename><Surname>Third</Surname></Contact></Contacts>'

  const [row] = rows(parseCtf(Buffer.from(ctf(pupil(contacts)))))

  assert.equal(row.label, 'Pupil 1')
  assert.equal(row.values.parent1Name, 'Tre Third')
  assert.equal(row.values.parent2Name, 'Una Ordered')
  assert.equal(row.values.sex, 'unknown')
})

test('reads UTF-8 with a byte order mark the same as without', () => {
  const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), CTF25])

  assert.deepEqual(parseCtf(withBom), parseCtf(CTF25))
})

test('reads UTF-16 little-endian and big-endian files with a byte order mark', () => {
  const text = CTF25.toString('utf8').replace('encoding="utf-8"', 'encoding="UTF-16"')
  const little = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
  const big = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()])

  assert.deepEqual(parseCtf(little), parseCtf(CTF25))
  assert.deepEqual(parseCtf(big), parseCtf(CTF25))
})

test('reads a file that is not UTF-8 as Latin-1', () => {
  const xml = ctf(pupil().replace('Amara', 'Zoë')).replace('encoding="utf-8"', 'encoding="ISO-8859-1"')

  const [row] = rows(parseCtf(Buffer.from(xml, 'latin1')))

  assert.equal(row.values.forename, 'Zoë')
})

const DOCTYPE_ERROR = 'The file contains a document type declaration, which a Common Transfer File never has'

test('refuses an external entity (XXE) and nothing from /etc/passwd reaches the result', () => {
  const xml = `<?xml version="1.0"?>
<!DOCTYPE CTfile [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
${ctf(pupil().replace('Amara', '&xxe;')).replace(/^<\?xml[^>]*>/, '')}`

  const result = parseCtf(Buffer.from(xml))

  assert.deepEqual(errors(result), [DOCTYPE_ERROR])
  assert.doesNotMatch(JSON.stringify(result), /root:|nologin|\/bin\/(ba)?sh/)
})

test('refuses a parameter-entity XXE and one in a UTF-16 file', () => {
  const xml = `<?xml version="1.0"?>
<!DOCTYPE CTfile [ <!ENTITY % remote SYSTEM "file:///etc/passwd"> %remote; ]>
<CTfile><Header><CTFversion>25.0</CTFversion></Header></CTfile>`
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')])

  for (const input of [Buffer.from(xml), utf16]) {
    const result = parseCtf(input)

    assert.deepEqual(errors(result), [DOCTYPE_ERROR])
    assert.doesNotMatch(JSON.stringify(result), /root:|nologin/)
  }
})

test('refuses a "billion laughs" entity expansion at once', () => {
  const entities = ['<!ENTITY lol0 "lol">']
  for (let i = 1; i <= 9; i++) entities.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`)
  const xml = `<?xml version="1.0"?>\n<!DOCTYPE CTfile [ ${entities.join('\n')} ]>\n${ctf(pupil().replace('Amara', '&lol9;')).replace(/^<\?xml[^>]*>/, '')}`
  const started = Date.now()

  const result = parseCtf(Buffer.from(xml))

  assert.deepEqual(errors(result), [DOCTYPE_ERROR])
  assert.ok(Date.now() - started < 1000)
  assert.ok(JSON.stringify(result).length < 500)
})

test('refuses an entity that was never declared rather than guessing at it', () => {
  const result = parseCtf(Buffer.from(ctf(pupil().replace('Amara', '&xxe;'))))

  assert.match(errors(result)[0], /^The file is not valid XML: line \d+, column \d+: .*entity/)
  assert.doesNotMatch(JSON.stringify(result), /root:/)
})

test('refuses files that are not Common Transfer Files', () => {
  const admissions = '<?xml version="1.0"?><ATfile><Header><ATFversion>25.0</ATFversion></Header></ATfile>'

  for (const input of [admissions, 'Forename,Surname\nAmara,Testington\n', '<html><body>Hello</body></html>']) {
    assert.deepEqual(errors(parseCtf(Buffer.from(input))), ['This is not a Common Transfer File'], input)
  }
})

test('refuses XML that is not well formed, naming the line', () => {
  const broken = ctf(pupil('<Sex>F</Sexx>'))

  assert.match(errors(parseCtf(Buffer.from(broken)))[0], /^The file is not valid XML: line 8, column \d+: unexpected close tag/)
})

test('refuses an empty file', () => {
  assert.deepEqual(errors(parseCtf(Buffer.from(''))), ['The file is empty'])
  assert.deepEqual(errors(parseCtf(Buffer.from([0xef, 0xbb, 0xbf, 0x0a]))), ['The file is empty'])
})

test('accepts CTF versions 20 to 26 and refuses others', () => {
  for (const v of ['20.0', '21.0', '23.0', '24.0', '25.0', '26.0', '25']) {
    const result = parseCtf(Buffer.from(ctf(pupil(), { version: `<CTFversion>${v}</CTFversion>` })))
    assert.ok(result.ok, v)
    assert.equal(result.header?.version, v)
  }
  for (const v of ['19.0', '27.0', '12.0', 'twenty-five', '25.0.1']) {
    const [message] = errors(parseCtf(Buffer.from(ctf(pupil(), { version: `<CTFversion>${v}</CTFversion>` }))))
    assert.equal(message, `The file is CTF version “${v}”. Lantern reads CTF versions 20 to 26: ask the school to export the file again from its MIS`)
  }
})

test('refuses a file whose header has no CTF version', () => {
  assert.deepEqual(errors(parseCtf(Buffer.from(ctf(pupil(), { version: '' })))),
    ['The file does not say which CTF version it is: it has no CTFversion in its header'])
})

test('refuses a file with no pupils', () => {
  assert.deepEqual(errors(parseCtf(Buffer.from(ctf('')))), ['The file has no pupils in it'])
  assert.deepEqual(errors(parseCtf(Buffer.from('<CTfile><Header><CTFversion>25.0</CTFversion></Header></CTfile>'))), ['The file has no pupils in it'])
})

test('accepts 5,000 pupils and refuses 5,001', () => {
  const small = '<Pupil><Surname>T</Surname></Pupil>'

  assert.equal(rows(parseCtf(Buffer.from(ctf(small.repeat(5000))))).length, 5000)
  assert.deepEqual(errors(parseCtf(Buffer.from(ctf(small.repeat(5001))))),
    ['The file has more than 5,000 pupils. Split it into files of 5,000 pupils or fewer'])
})
