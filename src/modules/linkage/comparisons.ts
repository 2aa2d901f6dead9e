import { Dictionaries, encodeTable, type Table } from './encode.ts'
import type { BlockingKey, FieldName, FileMapping } from './mapping.ts'
import type { AliasTable } from './nicknames.ts'
import type { LinkRecord } from './records.ts'
import { jaroWinkler, withinOneEdit } from './similarity.ts'

/** The level a pair reached when either side is unknown: it carries no evidence either way. */
export const NULL_LEVEL = -1

/**
 * One comparison: ordered levels, best first, the first that holds wins and the last is "else".
 * `uses` names the blocking keys that fix this comparison, so training on those keys must not learn it.
 * `compare` reads record i of one table and record j of another (encoded with the same dictionaries).
 */
export type Comparison = {
  name: string
  levels: string[]
  uses: BlockingKey[]
  compare: (l: Table, i: number, r: Table, j: number) => number
  /** The column whose value's frequency scales the weight of an exact match (a common surname counts for less). */
  tf?: (t: Table) => Int32Array
}

/** The level two records reach: for explaining one pair and for tests, not for comparing millions. */
export function compareRecords(c: Comparison, l: LinkRecord, r: LinkRecord): number {
  const dicts = new Dictionaries()
  return c.compare(encodeTable([l], dicts), 0, encodeTable([r], dicts), 0)
}

const firstWord = (name: string): string => {
  const space = name.indexOf(' ')
  return space < 0 ? name : name.slice(0, space)
}

function nameComparison(name: string, column: (t: Table) => Int32Array, aliases: AliasTable | null, uses: BlockingKey[]): Comparison {
  // Surnames have no alias level: a nickname table says nothing about family names.
  const shift = aliases ? 1 : 0
  const slow = (a: string, b: string): number => {
    if (aliases) {
      const fa = firstWord(a)
      const fb = firstWord(b)
      if (fa === fb || aliases.areAliases(fa, fb)) return 1
    }
    const jw = jaroWinkler(a, b)
    // Jaro-Winkler is harsh on short names: Ava typed Aav scores 0.56, though it is one slip of the keys.
    return jw >= 0.92 ? shift + 1 : jw >= 0.88 || withinOneEdit(a, b) ? shift + 2 : shift + 3
  }
  return {
    name,
    levels: aliases ? ['exact', 'alias', 'jw>=0.92', 'jw>=0.88 or one edit', 'else'] : ['exact', 'jw>=0.92', 'jw>=0.88 or one edit', 'else'],
    uses,
    tf: column,
    compare(l, i, r, j) {
      const a = column(l)[i]
      const b = column(r)[j]
      if (a < 0 || b < 0) return NULL_LEVEL
      if (a === b) return 0
      const values = l.dicts.names.values
      return l.dicts.level(name, a, b, () => slow(values[a], values[b]))
    },
  }
}

// Digits of yyyymmdd that are side by side in the written date (2014-03-07): a swap across a dash is not one slip.
const SWAPPABLE = [true, true, true, false, true, false, true]

/** One digit different, or two neighbouring digits of one part swapped, as one edit of the ISO string. */
function dateWithinOneEdit(a: number, b: number): boolean {
  let first = -1
  let diffs = 0
  for (let k = 0, x = a, y = b; k < 8; k++, x = Math.floor(x / 10), y = Math.floor(y / 10)) {
    if (x % 10 !== y % 10) {
      if (++diffs > 2) return false
      first = 7 - k
    }
  }
  if (diffs === 1) return true
  // `first` is now the leftmost differing digit, counting from the left.
  if (!SWAPPABLE[first]) return false
  const digit = (v: number, k: number) => Math.floor(v / 10 ** (7 - k)) % 10
  return digit(a, first) === digit(b, first + 1) && digit(a, first + 1) === digit(b, first)
}

export const dateOfBirthComparison: Comparison = {
  name: 'date_of_birth',
  levels: ['exact', 'day-month swapped', 'one character', 'within a month', 'within a year', 'else'],
  uses: ['dateOfBirth', 'birthYear', 'birthMonthDay', 'birthYearMonth'],
  compare(l, i, r, j) {
    const a = l.dob[i]
    const b = r.dob[j]
    if (a < 0 || b < 0) return NULL_LEVEL
    if (a === b) return 0
    const ya = Math.floor(a / 10000)
    const ma = Math.floor(a / 100) % 100
    const da = a % 100
    if (ya === Math.floor(b / 10000) && ma === b % 100 && da === Math.floor(b / 100) % 100) return 1
    if (dateWithinOneEdit(a, b)) return 2
    // A day mistyped across a tens boundary (09 and 10) is more than one character but a day apart.
    const days = Math.abs(l.dobDays[i] - r.dobDays[j])
    return days <= 31 ? 3 : days <= 366 ? 4 : 5
  },
}

function postcodeLevel(l: Table, i: number, r: Table, j: number): number {
  const a = l.postcode[i]
  const b = r.postcode[j]
  if (a < 0 || b < 0) return NULL_LEVEL
  if (a === b) return 0
  if (!l.postcodeIsUk[i] || !r.postcodeIsUk[j]) return 4
  return l.sector[i] === r.sector[j] ? 1 : l.district[i] === r.district[j] ? 2 : l.area[i] === r.area[j] ? 3 : 4
}

export const postcodeComparison: Comparison = {
  name: 'postcode',
  levels: ['unit', 'sector', 'district', 'area', 'else'],
  uses: ['postcode', 'postcodeSector', 'postcodeDistrict'],
  compare: postcodeLevel,
}

/**
 * Postcode and address together. They are not independent evidence: two children at one address share
 * its postcode too, so scoring them separately counts one fact twice and links siblings.
 */
export const residenceComparison: Comparison = {
  name: 'residence',
  levels: ['same address', 'similar address, same postcode', 'postcode unit', 'same address, other postcode', 'sector', 'district', 'area', 'else'],
  uses: ['postcode', 'postcodeSector', 'postcodeDistrict'],
  compare(l, i, r, j) {
    const level = postcodeLevel(l, i, r, j)
    if (level === NULL_LEVEL) return NULL_LEVEL
    const a = l.address[i]
    const b = r.address[j]
    if (level > 0) {
      // The same house and street under another postcode is a mistyped postcode far more often than a move
      // to an identically named address elsewhere in the area.
      if (a >= 0 && a === b) return 3
      return level + 3
    }
    if (a < 0 || b < 0) return 2
    if (a === b) return 0
    const values = l.dicts.address.values
    return l.dicts.level('residence', a, b, () => (jaroWinkler(values[a], values[b]) >= 0.9 ? 1 : 2))
  },
}

function exactComparison(name: string, column: (t: Table) => Int32Array, uses: BlockingKey[]): Comparison {
  return {
    name,
    levels: ['exact', 'else'],
    uses,
    compare(l, i, r, j) {
      const a = column(l)[i]
      const b = column(r)[j]
      return a < 0 || b < 0 ? NULL_LEVEL : a === b ? 0 : 1
    },
  }
}

function fuzzyComparison(name: string, column: (t: Table) => Int32Array, values: (t: Table) => string[], high: number, low: number): Comparison {
  return {
    name,
    levels: ['exact', `jw>=${high}`, `jw>=${low}`, 'else'],
    uses: [],
    compare(l, i, r, j) {
      const a = column(l)[i]
      const b = column(r)[j]
      if (a < 0 || b < 0) return NULL_LEVEL
      if (a === b) return 0
      const v = values(l)
      return l.dicts.level(`fuzzy:${name}`, a, b, () => {
        const jw = jaroWinkler(v[a], v[b])
        return jw >= high ? 1 : jw >= low ? 2 : 3
      })
    },
  }
}

/** The comparisons a mapping allows: a field is compared only when both files map it. */
export function buildComparisons(left: FileMapping, right: FileMapping, aliases: AliasTable): Comparison[] {
  const has = (f: FieldName) => Boolean(left.fields[f]?.length && right.fields[f]?.length)
  const list: Comparison[] = []
  if (has('forename')) list.push(nameComparison('forename', (t) => t.forename, aliases, ['forename', 'forenameInitial']))
  if (has('surname')) list.push(nameComparison('surname', (t) => t.surname, null, ['surname', 'surnameInitial']))
  if (has('dateOfBirth')) list.push(dateOfBirthComparison)
  if (has('sex')) list.push(exactComparison('sex', (t) => t.sex, ['sex']))
  if (has('postcode') && has('address')) list.push(residenceComparison)
  else if (has('postcode')) list.push(postcodeComparison)
  else if (has('address')) list.push(fuzzyComparison('address', (t) => t.address, (t) => t.dicts.address.values, 0.9, 0.8))
  if (has('nhsNumber')) list.push(exactComparison('nhs_number', (t) => t.nhsNumber, ['nhsNumber']))
  if (has('upn')) list.push(exactComparison('upn', (t) => t.upn, ['upn']))
  left.extra.forEach((e, k) => {
    const column = (t: Table) => t.extra[k]
    list.push(e.compare === 'exact' ? exactComparison(e.name, column, []) : fuzzyComparison(e.name, column, (t) => t.dicts.extra.values, 0.92, 0.88))
  })
  return list
}
