import { readFileSync } from 'node:fs'
import { parse } from 'csv-parse/sync'
import { MappingError, requiredColumns, type FileMapping } from './mapping.ts'
import {
  daysSinceEpoch, normaliseAddress, normaliseDate, normaliseName, normaliseNhsNumber, normalisePostcode, normaliseSex,
  normaliseUpn, type Postcode,
} from './normalise.ts'

/** One person's record, normalised once so that comparing a pair does no parsing. Null means unknown. */
export type LinkRecord = {
  id: string
  forename: string | null
  forenameFirst: string | null
  surname: string | null
  dob: string | null
  dobDays: number | null
  sex: string | null
  postcode: Postcode | null
  address: string | null
  nhsNumber: string | null
  upn: string | null
  extra: (string | null)[]
  truth?: string | null
}

type Row = Record<string, string>

const joined = (row: Row, cols: string[] | undefined): string =>
  (cols ?? []).map((c) => (row[c] ?? '').trim()).filter(Boolean).join(' ')

export function toLinkRecord(row: Row, m: FileMapping): LinkRecord {
  const f = m.fields
  const forename = normaliseName(joined(row, f.forename))
  const dobRaw = (f.dateOfBirth ?? []).map((c) => row[c] ?? '').find((v) => v.trim())
  const dob = dobRaw ? normaliseDate(dobRaw, m.dateFormat) : null
  return {
    id: row[m.id] ?? '',
    forename,
    forenameFirst: forename ? forename.split(' ')[0] : null,
    surname: normaliseName(joined(row, f.surname)),
    dob,
    dobDays: dob ? daysSinceEpoch(dob) : null,
    sex: normaliseSex(joined(row, f.sex)),
    postcode: normalisePostcode(joined(row, f.postcode)),
    address: normaliseAddress(joined(row, f.address)),
    nhsNumber: normaliseNhsNumber(joined(row, f.nhsNumber)),
    upn: normaliseUpn(joined(row, f.upn)),
    extra: m.extra.map((e) => {
      const v = joined(row, e.columns)
      if (!v) return null
      return e.compare === 'fuzzy' ? normaliseName(v) : v
    }),
  }
}

export function parseRecords(text: string, m: FileMapping, label: string, truthColumn?: string): LinkRecord[] {
  const rows = parse(text, { columns: true, skip_empty_lines: true, bom: true, relax_column_count: true, trim: false }) as Row[]
  const header = rows.length ? Object.keys(rows[0]) : []
  const missing = [...requiredColumns(m), ...(truthColumn ? [truthColumn] : [])].filter((c) => !header.includes(c))
  if (rows.length && missing.length) {
    throw new MappingError(`${label} has no column ${missing.map((c) => `"${c}"`).join(', ')} (it has ${header.join(', ')})`)
  }
  return rows.map((row) => {
    const record = toLinkRecord(row, m)
    if (truthColumn) record.truth = row[truthColumn]?.trim() || null
    return record
  })
}

export function readRecords(path: string, m: FileMapping, truthColumn?: string): LinkRecord[] {
  return parseRecords(readFileSync(path, 'utf8'), m, path, truthColumn)
}
