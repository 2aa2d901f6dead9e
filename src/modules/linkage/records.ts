import type { FileMapping } from './mapping.ts'
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

/**
 * The normalised form of each distinct raw value, worked out once: a file of a hundred thousand children
 * has a few thousand distinct names, dates and postcodes, and normalising is most of the cost of reading it.
 */
export class Normaliser {
  private readonly names = new Map<string, string | null>()
  private readonly postcodes = new Map<string, Postcode | null>()
  private readonly dates = new Map<string, string | null>()
  private readonly addresses = new Map<string, string | null>()
  private readonly sexes = new Map<string, string | null>()
  constructor(private readonly dateFormat: FileMapping['dateFormat']) {}
  private static memo<T>(map: Map<string, T>, raw: string, work: (raw: string) => T): T {
    let v = map.get(raw)
    if (v === undefined && !map.has(raw)) {
      v = work(raw)
      // A column of unique values (an address list) would only fill the memory.
      if (map.size < 500_000) map.set(raw, v)
    }
    return v as T
  }
  name(raw: string) { return Normaliser.memo(this.names, raw, normaliseName) }
  postcode(raw: string) { return Normaliser.memo(this.postcodes, raw, normalisePostcode) }
  date(raw: string) { return Normaliser.memo(this.dates, raw, (v) => normaliseDate(v, this.dateFormat)) }
  address(raw: string) { return Normaliser.memo(this.addresses, raw, normaliseAddress) }
  sex(raw: string) { return Normaliser.memo(this.sexes, raw, normaliseSex) }
}

const firstWord = (name: string): string => {
  const space = name.indexOf(' ')
  return space < 0 ? name : name.slice(0, space)
}

/** Where each mapped column is in a row, worked out once per file rather than once per row. */
type Positions = { id: number; fields: Partial<Record<keyof FileMapping['fields'], number[]>>; extra: number[][] }

function positionsOf(m: FileMapping, header: string[]): Positions {
  const at = (c: string) => header.indexOf(c)
  return {
    id: at(m.id),
    fields: Object.fromEntries(Object.entries(m.fields).map(([k, cols]) => [k, (cols ?? []).map(at)])),
    extra: m.extra.map((e) => e.columns.map(at)),
  }
}

const cell = (row: string[], i: number): string => (i < 0 ? '' : row[i] ?? '')

function joined(row: string[], at: number[] | undefined): string {
  if (!at?.length) return ''
  if (at.length === 1) return cell(row, at[0]).trim()
  return at.map((i) => cell(row, i).trim()).filter(Boolean).join(' ')
}

function recordFrom(row: string[], m: FileMapping, p: Positions, n: Normaliser): LinkRecord {
  const f = p.fields
  const forename = n.name(joined(row, f.forename))
  let dob: string | null = null
  for (const i of f.dateOfBirth ?? []) {
    const raw = cell(row, i)
    if (raw.trim()) { dob = n.date(raw); break }
  }
  return {
    id: cell(row, p.id),
    forename,
    forenameFirst: forename ? firstWord(forename) : null,
    surname: n.name(joined(row, f.surname)),
    dob,
    dobDays: dob ? daysSinceEpoch(dob) : null,
    sex: n.sex(joined(row, f.sex)),
    postcode: n.postcode(joined(row, f.postcode)),
    address: n.address(joined(row, f.address)),
    nhsNumber: f.nhsNumber ? normaliseNhsNumber(joined(row, f.nhsNumber)) : null,
    upn: f.upn ? normaliseUpn(joined(row, f.upn)) : null,
    extra: m.extra.map((e, k) => {
      const v = joined(row, p.extra[k])
      if (!v) return null
      return e.compare === 'fuzzy' ? n.name(v) : v
    }),
  }
}

export function toLinkRecord(row: Row, m: FileMapping, n = new Normaliser(m.dateFormat)): LinkRecord {
  const header = Object.keys(row)
  return recordFrom(header.map((h) => row[h]), m, positionsOf(m, header), n)
}
