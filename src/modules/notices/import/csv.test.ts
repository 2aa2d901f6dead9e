import { test } from 'node:test'
import assert from 'node:assert/strict'
import { upnCheckLetter } from '../../children/identifiers.ts'
import { CSV_HEADINGS, csvHeadingField, normaliseGround, ukDateToIso, parseNoticeCsv } from './csv.ts'
import { NOTICE_FIELDS, type ParseResult } from './fields.ts'

// All people and addresses here are invented: LA 990 and the ZZ99 postcode area do not exist.
const UPN = upnCheckLetter('990400125001') + '990400125001'
const HEAD = 'Forename,Surname,Ground,Deletion date'
const csv = (...lines: string[]) => Buffer.from(lines.join('\n'))

function rows(result: ParseResult) {
  assert.ok(result.ok, `expected the file to be read, got ${JSON.stringify(result)}`)
  return result.rows
}
function errors(result: ParseResult) {
  assert.ok(!result.ok, 'expected the file to be refused')
  return result.errors
}

test('reads a row under the canonical field names', () => {
  const values = {
    forename: 'Amara', surname: 'Testington', dateOfBirth: '2015-03-27', sex: 'female', upn: UPN,
    addressLine1: '12 Example Road', town: 'Sampleton', postcode: 'ZZ99 3AB',
    parent1Name: 'Jo Testington', parent1Address: 'Same as the pupil', parent1Phone: '07700 900001',
    parent2Name: 'Robin Testington', parent2Address: '7 Imaginary Street, Sampleton, ZZ99 4CD', parent2Phone: '07700 900982',
    ground: 'i', deletionDate: '2026-12-04', futureAddress: 'Not known', futureSchool: 'Not known', futureSchoolStart: '2027-01-05',
    lostPupil: 'destination_unknown', jointEnquiriesOn: '2026-11-30', jointEnquiriesLaContact: 'Pat Officer',
    jointEnquiriesSummary: 'Home visit, no answer; neighbours say the family left', absenceFrom: '2026-10-01', absenceTo: '2026-11-27',
    attendanceCodes: 'NNNNNOOOOO', notes: 'Sibling at Sampleton Academy',
  }
  const quoted = (v: string) => `"${v}"`

  const [row] = rows(parseNoticeCsv(csv(NOTICE_FIELDS.join(','), NOTICE_FIELDS.map((f) => quoted(values[f])).join(','))))

  assert.deepEqual(row, { line: 2, label: 'Row 2', values })
})

test('accepts human headings in any case and spacing', () => {
  const head = ' FIRST NAME ,last_name,DOB,Gender,unique pupil number,Address line 1,Town,Post code,Parent 1 name,Parent 1 phone,' +
    'Parent/carer 2 name,Parent 2 telephone,Ground for removal,Date of deletion,New school,Start date at new school,Lost pupil,Notes'
  const row = `Amara,Testington,27/03/2015,F,${UPN},12 Example Road,Sampleton,ZZ99 3AB,Jo Testington,07700 900001,` +
    'Robin Testington,07700 900982,(a),04/12/2026,Sampleton Academy,5/1/2027,,'

  const [parsed] = rows(parseNoticeCsv(csv(head, row)))

  assert.deepEqual(parsed.values, {
    forename: 'Amara', surname: 'Testington', dateOfBirth: '2015-03-27', sex: 'female', upn: UPN,
    addressLine1: '12 Example Road', town: 'Sampleton', postcode: 'ZZ99 3AB', parent1Name: 'Jo Testington', parent1Phone: '07700 900001',
    parent2Name: 'Robin Testington', parent2Phone: '07700 900982', ground: 'a', deletionDate: '2026-12-04',
    futureSchool: 'Sampleton Academy', futureSchoolStart: '2027-01-05',
  })
})

test('every heading, and every field name, stands for its own field and no other', () => {
  for (const field of NOTICE_FIELDS) {
    assert.equal(csvHeadingField(field), field)
    for (const heading of CSV_HEADINGS[field]) assert.equal(csvHeadingField(heading), field, heading)
  }
  assert.equal(csvHeadingField('Date of birth (DD/MM/YYYY)'), 'dateOfBirth')
  assert.equal(csvHeadingField('parent-1-phone'), 'parent1Phone')
  assert.equal(csvHeadingField('Favourite colour'), undefined)
})

test('strips a UTF-8 byte order mark from the first heading', () => {
  const input = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), csv(HEAD, 'Amara,Testington,i,04/12/2026')])

  assert.deepEqual(rows(parseNoticeCsv(input))[0].values, { forename: 'Amara', surname: 'Testington', ground: 'i', deletionDate: '2026-12-04' })
})

test('reads a file saved by Excel as plain CSV (Windows-1252)', () => {
  const input = Buffer.from(`${HEAD}\nZoë,O’Example,i,04/12/2026\n`.replace('’', '\x92'), 'latin1')

  const [row] = rows(parseNoticeCsv(input))

  assert.equal(row.values.forename, 'Zoë')
  assert.equal(row.values.surname, 'O’Example')
})

test('converts D/M/YYYY dates and leaves anything else for validation to report', () => {
  assert.equal(ukDateToIso('27/03/2012'), '2012-03-27')
  assert.equal(ukDateToIso('7/3/2012'), '2012-03-07')
  assert.equal(ukDateToIso('29/02/2024'), '2024-02-29')
  for (const untouched of ['31/02/2026', '29/02/2025', '13/13/2026', '2012-03-27', '27-03-2012', '27/03/12', 'March 2012', '0/1/2026']) {
    assert.equal(ukDateToIso(untouched), untouched)
  }
})

test('converts dates only in date columns', () => {
  const [row] = rows(parseNoticeCsv(csv(`${HEAD},Notes,Absence from,Absence to,Joint enquiries on`, 'Amara,Testington,i,4/12/2026,Seen 1/2/2026,1/10/2026,27/11/2026,30/11/2026')))

  assert.deepEqual(row.values, {
    forename: 'Amara', surname: 'Testington', ground: 'i', deletionDate: '2026-12-04', notes: 'Seen 1/2/2026',
    absenceFrom: '2026-10-01', absenceTo: '2026-11-27', jointEnquiriesOn: '2026-11-30',
  })
})

test('reads the ground however the regulation is written', () => {
  for (const [input, expected] of [
    ['(i)', 'i'], ['9(1)(i)', 'i'], ['I', 'i'], ['i', 'i'], ['reg 9(1)(h)', 'h'], ['Regulation 9 (1) (h)', 'h'],
    ['Ground (o)', 'o'], ['a)', 'a'], ['(i) Absent for 20 or more continuous school days', 'i'], ['9(1)(i) Absent', 'i'],
    ['(p)', '(p)'], ['9(1)', '9(1)'], ['i am not sure', 'i am not sure'], ['EHE', 'EHE'],
  ]) {
    assert.equal(normaliseGround(input), expected, input)
  }
})

test('reads the sex and lost pupil columns in their usual spellings', () => {
  const head = `${HEAD},Sex,Lost pupil`
  const lines = ['M,Moved abroad', 'F,destination unknown', 'Male,', 'female,', 'U,', 'Not known,', 'X,maybe']

  const parsed = rows(parseNoticeCsv(csv(head, ...lines.map((l) => `Amara,Testington,i,04/12/2026,${l}`))))

  assert.deepEqual(parsed.map((r) => [r.values.sex, r.values.lostPupil]), [
    ['male', 'moved_abroad'], ['female', 'destination_unknown'], ['male', undefined], ['female', undefined],
    ['unknown', undefined], ['unknown', undefined], ['X', 'maybe'],
  ])
})

test('trims cells and leaves empty ones out', () => {
  const [row] = rows(parseNoticeCsv(csv(`${HEAD},Town,Postcode`, '  Amara , Testington ,  i  , 04/12/2026 ,   ," "')))

  assert.deepEqual(row.values, { forename: 'Amara', surname: 'Testington', ground: 'i', deletionDate: '2026-12-04' })
  assert.ok(!('town' in row.values) && !('postcode' in row.values))
})

test('skips blank lines but numbers rows by the file’s physical lines', () => {
  const input = Buffer.from(`${HEAD},Notes\r\nAmara,Testington,i,04/12/2026,\r\n\r\n,,,,\r\nSam,Example,h,04/12/2026,"Two\r\nlines"\r\nKit,Placeholder,f,04/12/2026,\r\n\r\n`)

  const parsed = rows(parseNoticeCsv(input))

  assert.deepEqual(parsed.map((r) => [r.line, r.label, r.values.forename]), [[2, 'Row 2', 'Amara'], [5, 'Row 5', 'Sam'], [7, 'Row 7', 'Kit']])
  assert.equal(parsed[1].values.notes, 'Two\r\nlines')
})

test('labels rows without the child’s name', () => {
  const [row] = rows(parseNoticeCsv(csv(HEAD, 'Amara,Testington,i,04/12/2026')))

  assert.doesNotMatch(row.label, /Amara|Testington/)
})

test('refuses an empty file', () => {
  for (const input of [Buffer.from(''), Buffer.from('\n\n  \n'), Buffer.from([0xef, 0xbb, 0xbf])]) {
    assert.deepEqual(errors(parseNoticeCsv(input)), ['The file is empty'])
  }
})

test('refuses a file whose first line is not a header row', () => {
  assert.deepEqual(errors(parseNoticeCsv(csv('Amara,Testington,i,04/12/2026'))),
    ['The first line must be a header row naming the columns, such as Forename, Surname, Ground, Deletion date'])
})

test('refuses a header with no rows under it', () => {
  assert.deepEqual(errors(parseNoticeCsv(csv(HEAD, ''))), ['The file has a header row but no pupils under it'])
})

test('lists unknown, duplicate and missing columns together', () => {
  const result = parseNoticeCsv(csv('Forename,First name,Favourite colour,Ground,Year group', 'Amara,Amara,Blue,i,6'))

  assert.deepEqual(errors(result), [
    'Rename or remove the columns Lantern does not recognise: “Favourite colour”, “Year group”',
    'The columns “Forename” and “First name” are both the Forename column. Remove one of them',
    'Add the missing columns: “Surname”, “Deletion date”',
  ])
})

test('names a single missing column', () => {
  assert.deepEqual(errors(parseNoticeCsv(csv('Forename,Surname,Ground', 'Amara,Testington,i'))), ['Add the missing column: “Deletion date”'])
})

test('names each line with the wrong number of cells, up to ten', () => {
  const good = 'Amara,Testington,i,04/12/2026'
  const few = parseNoticeCsv(csv(HEAD, good, 'Amara,Testington,i', good, `${good},extra`))

  assert.deepEqual(errors(few), [
    'Line 3 has 3 cells, but the header row has 4 columns',
    'Line 5 has 5 cells, but the header row has 4 columns',
  ])

  const many = errors(parseNoticeCsv(csv(HEAD, ...Array.from({ length: 13 }, () => 'Amara'))))
  assert.equal(many.length, 11)
  assert.equal(many[0], 'Line 2 has 1 cell, but the header row has 4 columns')
  assert.equal(many[10], '3 more lines have the wrong number of cells')
})

test('ignores an empty column with no heading, but not one with values in it', () => {
  assert.equal(rows(parseNoticeCsv(csv(`${HEAD},`, 'Amara,Testington,i,04/12/2026,'))).length, 1)
  assert.deepEqual(errors(parseNoticeCsv(csv(`${HEAD},`, 'Amara,Testington,i,04/12/2026,', 'Sam,Example,i,04/12/2026,oops'))),
    ['Column 5 has no heading, but line 3 has a value in it. Add a heading or remove the column'])
})

test('refuses more rows than the limit, blank lines aside', () => {
  const row = 'Amara,Testington,i,04/12/2026'

  assert.equal(rows(parseNoticeCsv(csv(HEAD, row, '', row, row), { maxRows: 3 })).length, 3)
  assert.deepEqual(errors(parseNoticeCsv(csv(HEAD, row, row, row, row), { maxRows: 3 })),
    ['The file has more than 3 rows. Split it into files of 3 rows or fewer'])
})

test('allows 50,000 rows by default', () => {
  const body = 'Amara,Testington,i,04/12/2026\n'

  assert.equal(rows(parseNoticeCsv(Buffer.from(`${HEAD}\n${body.repeat(50_000)}`))).length, 50_000)
  assert.deepEqual(errors(parseNoticeCsv(Buffer.from(`${HEAD}\n${body.repeat(50_001)}`))),
    ['The file has more than 50,000 rows. Split it into files of 50,000 rows or fewer'])
})

test('names the line of a quotation mark that is never closed', () => {
  const result = parseNoticeCsv(csv(HEAD, 'Amara,Testington,i,04/12/2026', 'Sam,"Example,i,04/12/2026', 'Kit,Placeholder,f,04/12/2026'))

  assert.deepEqual(errors(result), ['Line 3 opens a quotation mark that is never closed. Put quotation marks only around a whole cell, and write a quotation mark inside a cell as two ("")'])
})

test('names the line of a quotation mark in the wrong place', () => {
  for (const bad of ['Sam,"Ex"ample,i,04/12/2026', 'Sam,Ex"ample",i,04/12/2026']) {
    const [message] = errors(parseNoticeCsv(csv(HEAD, 'Amara,Testington,i,04/12/2026', bad)))

    assert.match(message, /^Line 3 has a quotation mark in the wrong place\./, bad)
  }
})
