import type { BlockingKey, FieldName, FileMapping } from './mapping.ts'
import type { AliasTable } from './nicknames.ts'
import type { LinkRecord } from './records.ts'
import { jaroWinkler, withinOneEdit } from './similarity.ts'

/** The level a pair reached when either side is unknown: it carries no evidence either way. */
export const NULL_LEVEL = -1

/**
 * One comparison: ordered levels, best first, the first that holds wins and the last is "else".
 * `uses` names the blocking keys that fix this comparison, so training on those keys must not learn it.
 */
export type Comparison = {
  name: string
  levels: string[]
  uses: BlockingKey[]
  compare: (l: LinkRecord, r: LinkRecord) => number
  /** The value whose frequency scales the weight of an exact match (a common surname counts for less). */
  tfValue?: (r: LinkRecord) => string | null
}

function nameComparison(name: string, pick: (r: LinkRecord) => string | null, first: (r: LinkRecord) => string | null,
  aliases: AliasTable | null, uses: BlockingKey[]): Comparison {
  // Surnames have no alias level: a nickname table says nothing about family names.
  const shift = aliases ? 1 : 0
  return {
    name,
    levels: aliases ? ['exact', 'alias', 'jw>=0.92', 'jw>=0.88 or one edit', 'else'] : ['exact', 'jw>=0.92', 'jw>=0.88 or one edit', 'else'],
    uses,
    tfValue: pick,
    compare(l, r) {
      const a = pick(l)
      const b = pick(r)
      if (a === null || b === null) return NULL_LEVEL
      if (a === b) return 0
      if (aliases) {
        const fa = first(l)!
        const fb = first(r)!
        if (fa === fb || aliases.areAliases(fa, fb)) return 1
      }
      const jw = jaroWinkler(a, b)
      // Jaro-Winkler is harsh on short names: Ava typed Aav scores 0.56, though it is one slip of the keys.
      return jw >= 0.92 ? shift + 1 : jw >= 0.88 || withinOneEdit(a, b) ? shift + 2 : shift + 3
    },
  }
}

export const dateOfBirthComparison: Comparison = {
  name: 'date_of_birth',
  levels: ['exact', 'day-month swapped', 'one character', 'within a month', 'within a year', 'else'],
  uses: ['dateOfBirth', 'birthYear', 'birthMonthDay', 'birthYearMonth'],
  compare(l, r) {
    const a = l.dob
    const b = r.dob
    if (a === null || b === null) return NULL_LEVEL
    if (a === b) return 0
    if (a.slice(0, 4) === b.slice(0, 4) && a.slice(5, 7) === b.slice(8, 10) && a.slice(8, 10) === b.slice(5, 7)) return 1
    if (withinOneEdit(a, b)) return 2
    // A day mistyped across a tens boundary (09 and 10) is more than one character but a day apart.
    const days = Math.abs(l.dobDays! - r.dobDays!)
    return days <= 31 ? 3 : days <= 366 ? 4 : 5
  },
}

export const postcodeComparison: Comparison = {
  name: 'postcode',
  levels: ['unit', 'sector', 'district', 'area', 'else'],
  uses: ['postcode', 'postcodeSector', 'postcodeDistrict'],
  compare(l, r) {
    const a = l.postcode
    const b = r.postcode
    if (a === null || b === null) return NULL_LEVEL
    if (a.value === b.value) return 0
    if (!a.isUk || !b.isUk) return 4
    return a.sector === b.sector ? 1 : a.district === b.district ? 2 : a.area === b.area ? 3 : 4
  },
}

/**
 * Postcode and address together. They are not independent evidence: two children at one address share
 * its postcode too, so scoring them separately counts one fact twice and links siblings.
 */
export const residenceComparison: Comparison = {
  name: 'residence',
  levels: ['same address', 'similar address, same postcode', 'postcode unit', 'same address, other postcode', 'sector', 'district', 'area', 'else'],
  uses: ['postcode', 'postcodeSector', 'postcodeDistrict'],
  compare(l, r) {
    const level = postcodeComparison.compare(l, r)
    if (level === NULL_LEVEL) return NULL_LEVEL
    if (level > 0) {
      // The same house and street under another postcode is a mistyped postcode far more often than a move
      // to an identically named address elsewhere in the area.
      if (l.address !== null && l.address === r.address) return 3
      return level + 3
    }
    if (l.address === null || r.address === null) return 2
    if (l.address === r.address) return 0
    return jaroWinkler(l.address, r.address) >= 0.9 ? 1 : 2
  },
}

function exactComparison(name: string, pick: (r: LinkRecord) => string | null, uses: BlockingKey[]): Comparison {
  return {
    name,
    levels: ['exact', 'else'],
    uses,
    compare(l, r) {
      const a = pick(l)
      const b = pick(r)
      return a === null || b === null ? NULL_LEVEL : a === b ? 0 : 1
    },
  }
}

function fuzzyComparison(name: string, pick: (r: LinkRecord) => string | null, high: number, low: number): Comparison {
  return {
    name,
    levels: ['exact', `jw>=${high}`, `jw>=${low}`, 'else'],
    uses: [],
    compare(l, r) {
      const a = pick(l)
      const b = pick(r)
      if (a === null || b === null) return NULL_LEVEL
      if (a === b) return 0
      const jw = jaroWinkler(a, b)
      return jw >= high ? 1 : jw >= low ? 2 : 3
    },
  }
}

/** The comparisons a mapping allows: a field is compared only when both files map it. */
export function buildComparisons(left: FileMapping, right: FileMapping, aliases: AliasTable): Comparison[] {
  const has = (f: FieldName) => Boolean(left.fields[f]?.length && right.fields[f]?.length)
  const list: Comparison[] = []
  if (has('forename')) list.push(nameComparison('forename', (r) => r.forename, (r) => r.forenameFirst, aliases, ['forename', 'forenameInitial']))
  if (has('surname')) list.push(nameComparison('surname', (r) => r.surname, (r) => r.surname, null, ['surname', 'surnameInitial']))
  if (has('dateOfBirth')) list.push(dateOfBirthComparison)
  if (has('sex')) list.push(exactComparison('sex', (r) => r.sex, ['sex']))
  if (has('postcode') && has('address')) list.push(residenceComparison)
  else if (has('postcode')) list.push(postcodeComparison)
  else if (has('address')) list.push(fuzzyComparison('address', (r) => r.address, 0.9, 0.8))
  if (has('nhsNumber')) list.push(exactComparison('nhs_number', (r) => r.nhsNumber, ['nhsNumber']))
  if (has('upn')) list.push(exactComparison('upn', (r) => r.upn, ['upn']))
  left.extra.forEach((e, i) => {
    const pick = (r: LinkRecord) => r.extra[i]
    list.push(e.compare === 'exact' ? exactComparison(e.name, pick, []) : fuzzyComparison(e.name, pick, 0.92, 0.88))
  })
  return list
}
