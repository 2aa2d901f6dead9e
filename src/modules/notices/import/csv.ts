import { CsvError, parse } from 'csv-parse/sync'
import { decodeText } from './decode.ts'
import { LOST_PUPIL, NOTICE_FIELDS, type NoticeField, type NoticeRow, type ParseResult } from './fields.ts'

// Schools export these files from their MIS or a spreadsheet, so headings vary. The first heading
// for each field is the one named in error messages; the camelCase field name is always accepted too.
export const CSV_HEADINGS: Readonly<Record<NoticeField, readonly string[]>> = {
  forename: ['Forename', 'First name', 'Given name', 'Legal forename', 'Pupil forename', 'Pupil first name'],
  surname: ['Surname', 'Last name', 'Family name', 'Legal surname', 'Pupil surname', 'Pupil last name'],
  dateOfBirth: ['Date of birth', 'DOB', 'Birth date'],
  sex: ['Sex', 'Gender'],
  upn: ['UPN', 'Unique pupil number'],
  addressLine1: ['Address line 1', 'Address 1', 'Address'],
  town: ['Town', 'Town or city', 'City', 'Post town'],
  postcode: ['Postcode', 'Post code'],
  parent1Name: ['Parent 1 name', 'Parent or carer 1 name', 'Parent/carer 1 name', 'Contact 1 name'],
  parent1Address: ['Parent 1 address', 'Parent or carer 1 address', 'Parent/carer 1 address', 'Contact 1 address'],
  parent1Phone: ['Parent 1 phone', 'Parent 1 telephone', 'Parent 1 phone number', 'Parent/carer 1 phone', 'Contact 1 phone'],
  parent2Name: ['Parent 2 name', 'Parent or carer 2 name', 'Parent/carer 2 name', 'Contact 2 name'],
  parent2Address: ['Parent 2 address', 'Parent or carer 2 address', 'Parent/carer 2 address', 'Contact 2 address'],
  parent2Phone: ['Parent 2 phone', 'Parent 2 telephone', 'Parent 2 phone number', 'Parent/carer 2 phone', 'Contact 2 phone'],
  ground: ['Ground', 'Ground for deletion', 'Ground for removal', 'Deletion ground', 'Removal ground', 'Regulation 9 ground'],
  deletionDate: ['Deletion date', 'Date of deletion', 'Removal date', 'Date of removal', 'Date removed from roll', 'Off roll date'],
  futureAddress: ['Future address', 'New address'],
  futureSchool: ['Future school', 'New school', 'Destination school', 'Next school'],
  futureSchoolStart: ['Future school start', 'Future school start date', 'New school start date', 'Start date at new school'],
  lostPupil: ['Lost pupil'],
  jointEnquiriesOn: ['Joint enquiries on', 'Joint enquiries date', 'Date of joint enquiries'],
  jointEnquiriesLaContact: ['Joint enquiries LA contact', 'LA contact', 'LA officer'],
  jointEnquiriesSummary: ['Joint enquiries summary', 'Summary of enquiries', 'Enquiries summary', 'Enquiries made'],
  absenceFrom: ['Absence from', 'First day of absence', 'Absence start date'],
  absenceTo: ['Absence to', 'Last day of absence', 'Absence end date'],
  attendanceCodes: ['Attendance codes'],
  notes: ['Notes', 'Comments'],
}

const REQUIRED: NoticeField[] = ['forename', 'surname', 'ground', 'deletionDate']
const DATE_FIELDS = new Set<NoticeField>(['dateOfBirth', 'deletionDate', 'futureSchoolStart', 'jointEnquiriesOn', 'absenceFrom', 'absenceTo'])
const DEFAULT_MAX_ROWS = 50_000
const MAX_LINES_LISTED = 10

// "Date of birth (DD/MM/YYYY)" and "date_of_birth" both become "dateofbirth".
const headingKey = (heading: string) => heading.toLowerCase().replace(/\([^)]*\)/g, '').replace(/[^a-z0-9]/g, '')

const HEADING_FIELDS: ReadonlyMap<string, NoticeField> = new Map(
  NOTICE_FIELDS.flatMap((field) => [field, ...CSV_HEADINGS[field]].map((h) => [headingKey(h), field] as const)),
)

/** The field a column heading stands for, ignoring case, spaces, punctuation and bracketed hints. */
export const csvHeadingField = (heading: string): NoticeField | undefined => HEADING_FIELDS.get(headingKey(heading))

class TooManyRows extends Error {}

type CsvRecord = { cells: string[]; line: number }

/**
 * Reads a CSV of removal from roll notices into rows named by NOTICE_FIELDS. Only the file's shape is
 * checked here; each row's values still need the notice schema.
 */
export function parseNoticeCsv(input: Buffer, options: { maxRows?: number } = {}): ParseResult {
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS
  const text = decodeText(input)
  if (!text.trim()) return fail('The file is empty')
  const read = readRecords(text, maxRows)
  if ('error' in read) return fail(read.error)
  const [head, ...data] = read.records
  if (!head) return fail('The file is empty')
  const columns = mapHeader(head)
  if ('errors' in columns) return { ok: false, errors: columns.errors }
  const shapeErrors = checkShape(head, data, columns.fields)
  if (shapeErrors.length) return { ok: false, errors: shapeErrors }
  if (!data.length) return fail('The file has a header row but no pupils under it')
  return { ok: true, rows: data.map((record) => toRow(record, columns.fields)) }
}

const fail = (error: string): ParseResult => ({ ok: false, errors: [error] })

const isBlank = (cells: string[]) => cells.every((c) => !c.trim())

/** Non-blank records with the physical line each starts on, so a user can find it in a text editor. */
function readRecords(text: string, maxRows: number): { records: CsvRecord[] } | { error: string } {
  const bytes = Buffer.from(text)
  const records: CsvRecord[] = []
  // csv-parse's own line count goes wrong after a CRLF inside quotes, so count from its byte offsets.
  let consumed = 0
  let line = 1
  try {
    parse(bytes, {
      trim: true,
      relax_column_count: true,
      skip_empty_lines: false,
      on_record: (cells: string[], context) => {
        if (!isBlank(cells)) records.push({ cells, line })
        line += lineBreaks(bytes, consumed, context.bytes)
        consumed = context.bytes
        // Stop early: the header plus maxRows is the most a file may hold.
        if (records.length > maxRows + 1) throw new TooManyRows()
        return null
      },
    })
  } catch (error) {
    if (error instanceof TooManyRows) {
      return { error: `The file has more than ${maxRows.toLocaleString('en-GB')} rows. Split it into files of ${maxRows.toLocaleString('en-GB')} rows or fewer` }
    }
    if (error instanceof CsvError) {
      const at = typeof error.bytes === 'number' ? line + lineBreaks(bytes, consumed, error.bytes) : line
      return { error: quotingMessage(error, line, at) }
    }
    throw error
  }
  return { records }
}

function lineBreaks(bytes: Buffer, from: number, to: number): number {
  let count = 0
  for (let i = from; i < to && i < bytes.length; i++) {
    if (bytes[i] === 0x0a || (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a)) count++
  }
  return count
}

function quotingMessage(error: CsvError, recordLine: number, errorLine: number): string {
  const advice = 'Put quotation marks only around a whole cell, and write a quotation mark inside a cell as two ("")'
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') return `Line ${recordLine} opens a quotation mark that is never closed. ${advice}`
  return `Line ${errorLine} has a quotation mark in the wrong place. ${advice}`
}

type Columns = { fields: (NoticeField | undefined)[] } | { errors: string[] }

function mapHeader(head: CsvRecord): Columns {
  const headings = head.cells.map((c) => c.trim())
  const fields = headings.map((h) => (h ? csvHeadingField(h) : undefined))
  if (fields.every((f) => !f)) {
    return { errors: [`The first line must be a header row naming the columns, such as ${REQUIRED.map(display).join(', ')}`] }
  }
  const errors: string[] = []
  const unknown = headings.filter((h, i) => h && !fields[i])
  if (unknown.length) errors.push(`Rename or remove the columns Lantern does not recognise: ${unknown.map(quote).join(', ')}`)
  const seen = new Map<NoticeField, string>()
  headings.forEach((h, i) => {
    const field = fields[i]
    if (!field) return
    const first = seen.get(field)
    if (first !== undefined) errors.push(`The columns ${quote(first)} and ${quote(h)} are both the ${display(field)} column. Remove one of them`)
    else seen.set(field, h)
  })
  const missing = REQUIRED.filter((f) => !seen.has(f))
  if (missing.length) errors.push(`Add the missing column${missing.length > 1 ? 's' : ''}: ${missing.map(display).map(quote).join(', ')}`)
  return errors.length ? { errors } : { fields }
}

function checkShape(head: CsvRecord, data: CsvRecord[], fields: (NoticeField | undefined)[]): string[] {
  const wrong = data.filter((r) => r.cells.length !== head.cells.length)
  const errors = wrong.slice(0, MAX_LINES_LISTED).map((r) =>
    `Line ${r.line} has ${r.cells.length} cell${r.cells.length === 1 ? '' : 's'}, but the header row has ${head.cells.length} columns`)
  if (wrong.length > MAX_LINES_LISTED) errors.push(`${wrong.length - MAX_LINES_LISTED} more lines have the wrong number of cells`)
  // A column with no heading is spreadsheet debris unless something was typed into it.
  fields.forEach((field, i) => {
    if (field || head.cells[i].trim()) return
    const used = data.find((r) => r.cells[i]?.trim())
    if (used) errors.push(`Column ${i + 1} has no heading, but line ${used.line} has a value in it. Add a heading or remove the column`)
  })
  return errors
}

function toRow(record: CsvRecord, fields: (NoticeField | undefined)[]): NoticeRow {
  const values: NoticeRow['values'] = {}
  fields.forEach((field, i) => {
    const cell = record.cells[i]?.trim()
    if (field && cell) values[field] = normalise(field, cell)
  })
  return { line: record.line, label: `Row ${record.line}`, values }
}

function normalise(field: NoticeField, value: string): string {
  if (DATE_FIELDS.has(field)) return ukDateToIso(value)
  if (field === 'ground') return normaliseGround(value)
  if (field === 'sex') return SEXES[value.toLowerCase()] ?? value
  if (field === 'lostPupil') {
    const key = value.toLowerCase().replace(/[\s-]+/g, '_')
    return (LOST_PUPIL as readonly string[]).includes(key) ? key : value
  }
  return value
}

const SEXES: Record<string, string> = {
  m: 'male', male: 'male', boy: 'male',
  f: 'female', female: 'female', girl: 'female',
  u: 'unknown', unknown: 'unknown', 'not known': 'unknown',
}

/** UK spreadsheets write 27/03/2012; anything that is not a real D/M/YYYY date is left for the schema to reject. */
export function ukDateToIso(value: string): string {
  const match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value)
  if (!match) return value
  const [day, month, year] = match.slice(1).map(Number)
  const date = new Date(Date.UTC(year, month - 1, day))
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return value
  return `${match[3]}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
}

/** "(i)", "9(1)(i)", "reg 9(1)(i)", "I" and "(i) Absent for 20 days…" all mean ground (i) of SI 2024/208 reg 9(1). */
export function normaliseGround(value: string): string {
  const bare = /^(?:(?:ground|reg(?:ulation)?)\s*)?(?:9\s*\(\s*1\s*\)\s*)?\(?\s*([a-o])\s*\)?$/i.exec(value)
  const labelled = /^(?:9\s*\(\s*1\s*\)\s*)?\(([a-o])\)\s/i.exec(value)
  const letter = bare?.[1] ?? labelled?.[1]
  return letter ? letter.toLowerCase() : value
}

const display = (field: NoticeField) => CSV_HEADINGS[field][0]
const quote = (s: string) => `“${s}”`
