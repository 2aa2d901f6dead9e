import { Dictionaries, encodeTable, type Table } from './encode.ts'
import type { BlockingKey, FieldName, FileMapping } from './mapping.ts'
import type { AliasTable } from './nicknames.ts'
import type { LinkRecord } from './records.ts'
import { cannotReach, jaroWinkler, soundex, withinOneEdit } from './similarity.ts'

/** The level a pair reached when either side is unknown: it carries no evidence either way. */
export const NULL_LEVEL = -1

/**
 * One comparison: ordered levels, best first, the first that holds wins and the last is "else".
 * `uses` names the blocking keys that fix this comparison, so training on those keys must not learn it.
 * `compareAll` writes the level of each pair (record left[p] of table l against right[p] of table r, both
 * encoded with the same dictionaries) to out[p * stride + offset]. Each comparison runs its own loop over
 * the pairs, so the work inside it is one known piece of code the compiler can keep fast.
 */
export type Comparison = {
  name: string
  levels: string[]
  uses: BlockingKey[]
  compareAll: (l: Table, r: Table, left: Int32Array, right: Int32Array, out: Int8Array, stride: number, offset: number) => void
  /** The column whose value's frequency scales the weight of an exact match (a common surname counts for less). */
  tf?: (t: Table) => Int32Array
}

const oneLeft = new Int32Array(1)
const oneRight = new Int32Array(1)
const oneOut = new Int8Array(1)

/** The level of one pair of encoded records. */
export function compareOne(c: Comparison, l: Table, i: number, r: Table, j: number): number {
  oneLeft[0] = i
  oneRight[0] = j
  c.compareAll(l, r, oneLeft, oneRight, oneOut, 1, 0)
  return oneOut[0]
}

/** The level two records reach: for explaining one pair and for tests, not for comparing millions. */
export function compareRecords(c: Comparison, l: LinkRecord, r: LinkRecord): number {
  const dicts = new Dictionaries()
  return compareOne(c, encodeTable([l], dicts), 0, encodeTable([r], dicts), 0)
}

const firstWord = (name: string): string => {
  const space = name.indexOf(' ')
  return space < 0 ? name : name.slice(0, space)
}

function nameComparison(name: string, column: (t: Table) => Int32Array, aliases: AliasTable | null, uses: BlockingKey[]): Comparison {
  // Surnames have no alias level: a nickname table says nothing about family names.
  const shift = aliases ? 1 : 0
  const alias = (a: string, b: string): boolean => {
    const fa = firstWord(a)
    const fb = firstWord(b)
    return fa === fb || aliases!.areAliases(fa, fb)
  }
  const slow = (a: string, b: string): number => {
    if (aliases && alias(a, b)) return 1
    const jw = jaroWinkler(a, b)
    // Jaro-Winkler is harsh on short names: Ava typed Aav scores 0.56, though it is one slip of the keys.
    if (jw >= 0.92) return shift + 1
    if (jw >= 0.88 || withinOneEdit(a, b)) return shift + 2
    // Spelled as heard (Thompson and Tomson, Siobhan and Shevaun do not, Ashworth and Ashwerth do).
    return soundex(a) === soundex(b) ? shift + 3 : shift + 4
  }
  // Per value: a number for its first word, and whether the nickname table knows that word. Two names can
  // be aliases only if they share a first word or both are in the table.
  const aliasInfo = new WeakMap<Dictionaries, { first: Int32Array; known: Uint8Array }>()
  const aliasInfoOf = (dicts: Dictionaries) => {
    const values = dicts.names.values
    let info = aliasInfo.get(dicts)
    if (!info || info.first.length !== values.length) {
      const words = new Map<string, number>()
      const first = new Int32Array(values.length)
      const known = new Uint8Array(values.length)
      values.forEach((v, i) => {
        const w = firstWord(v)
        let n = words.get(w)
        if (n === undefined) words.set(w, (n = words.size))
        first[i] = n
        known[i] = aliases?.knows(w) ? 1 : 0
      })
      aliasInfo.set(dicts, (info = { first, known }))
    }
    return info
  }
  const different = (dicts: Dictionaries, a: number, b: number, masks: Int32Array, lengths: Int32Array, first: Int32Array, known: Uint8Array,
    sounds: Int32Array): number => {
    const values = dicts.names.values
    // Most different names are plainly different: too few letters in common to reach the lower Jaro-Winkler
    // level, more than one edit apart, not aliases and not alike in sound. That is settled without the cache.
    if (cannotReach(masks[a], lengths[a], masks[b], lengths[b], 0.88) && sounds[a] !== sounds[b] &&
      (Math.abs(lengths[a] - lengths[b]) > 1 || !withinOneEdit(values[a], values[b])) &&
      !(aliases && (first[a] === first[b] || (known[a] && known[b])))) return shift + 4
    return dicts.level(name, a, b, values, slow)
  }
  return {
    name,
    levels: [...(aliases ? ['exact', 'alias'] : ['exact']), 'jw>=0.92', 'jw>=0.88 or one edit', 'sounds alike', 'else'],
    uses,
    tf: column,
    compareAll(l, r, left, right, out, stride, offset) {
      const A = column(l)
      const B = column(r)
      const { masks, lengths } = l.dicts.names.letters()
      const { first, known } = aliasInfoOf(l.dicts)
      const sounds = l.dicts.names.soundex()
      for (let p = 0; p < left.length; p++) {
        const a = A[left[p]]
        const b = B[right[p]]
        out[p * stride + offset] = a < 0 || b < 0 ? NULL_LEVEL : a === b ? 0 : different(l.dicts, a, b, masks, lengths, first, known, sounds)
      }
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

/** Dates as yyyymmdd and as day numbers. */
function dateLevel(a: number, b: number, daysA: number, daysB: number): number {
  if (a < 0 || b < 0) return NULL_LEVEL
  if (a === b) return 0
  if (Math.floor(a / 10000) === Math.floor(b / 10000) && Math.floor(a / 100) % 100 === b % 100 && a % 100 === Math.floor(b / 100) % 100) return 1
  if (dateWithinOneEdit(a, b)) return 2
  // A day mistyped across a tens boundary (09 and 10) is more than one character but a day apart. A few days
  // out is much rarer between two different children than anywhere in a month, so it is a level of its own.
  const days = Math.abs(daysA - daysB)
  return days <= 7 ? 3 : days <= 31 ? 4 : days <= 366 ? 5 : 6
}

export const dateOfBirthComparison: Comparison = {
  name: 'date_of_birth',
  levels: ['exact', 'day-month swapped', 'one character', 'within a week', 'within a month', 'within a year', 'else'],
  uses: ['dateOfBirth', 'birthYear', 'birthMonthDay', 'birthYearMonth', 'birthDateAnyOrder'],
  compareAll(l, r, left, right, out, stride, offset) {
    for (let p = 0; p < left.length; p++) {
      const i = left[p]
      const j = right[p]
      out[p * stride + offset] = dateLevel(l.dob[i], r.dob[j], l.dobDays[i], r.dobDays[j])
    }
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
  compareAll(l, r, left, right, out, stride, offset) {
    for (let p = 0; p < left.length; p++) out[p * stride + offset] = postcodeLevel(l, left[p], r, right[p])
  },
}

const similarAddress = (a: string, b: string): number => (jaroWinkler(a, b) >= 0.9 ? 1 : 2)

function residenceLevel(l: Table, i: number, r: Table, j: number): number {
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
  return l.dicts.level('residence', a, b, l.dicts.address.values, similarAddress)
}

/**
 * Postcode and address together. They are not independent evidence: two children at one address share
 * its postcode too, so scoring them separately counts one fact twice and links siblings.
 */
export const residenceComparison: Comparison = {
  name: 'residence',
  levels: ['same address', 'similar address, same postcode', 'postcode unit', 'same address, other postcode', 'sector', 'district', 'area', 'else'],
  uses: ['postcode', 'postcodeSector', 'postcodeDistrict'],
  compareAll(l, r, left, right, out, stride, offset) {
    for (let p = 0; p < left.length; p++) out[p * stride + offset] = residenceLevel(l, left[p], r, right[p])
  },
}

function exactComparison(name: string, column: (t: Table) => Int32Array | Float64Array, uses: BlockingKey[]): Comparison {
  return {
    name,
    levels: ['exact', 'else'],
    uses,
    compareAll(l, r, left, right, out, stride, offset) {
      const A = column(l)
      const B = column(r)
      for (let p = 0; p < left.length; p++) {
        const a = A[left[p]]
        const b = B[right[p]]
        out[p * stride + offset] = a < 0 || b < 0 ? NULL_LEVEL : a === b ? 0 : 1
      }
    },
  }
}

function fuzzyComparison(name: string, column: (t: Table) => Int32Array, values: (t: Table) => string[], high: number, low: number): Comparison {
  const similarity = (a: string, b: string): number => {
    const jw = jaroWinkler(a, b)
    return jw >= high ? 1 : jw >= low ? 2 : 3
  }
  return {
    name,
    levels: ['exact', `jw>=${high}`, `jw>=${low}`, 'else'],
    uses: [],
    compareAll(l, r, left, right, out, stride, offset) {
      const A = column(l)
      const B = column(r)
      const v = values(l)
      for (let p = 0; p < left.length; p++) {
        const a = A[left[p]]
        const b = B[right[p]]
        out[p * stride + offset] = a < 0 || b < 0 ? NULL_LEVEL : a === b ? 0 : l.dicts.level(`fuzzy:${name}`, a, b, v, similarity)
      }
    },
  }
}

/** The comparisons a mapping allows: a field is compared only when both files map it. */
export function buildComparisons(left: FileMapping, right: FileMapping, aliases: AliasTable): Comparison[] {
  const has = (f: FieldName) => Boolean(left.fields[f]?.length && right.fields[f]?.length)
  const list: Comparison[] = []
  if (has('forename')) list.push(nameComparison('forename', (t) => t.forename, aliases, ['forename', 'forenameInitial', 'forenameSoundex']))
  if (has('surname')) list.push(nameComparison('surname', (t) => t.surname, null, ['surname', 'surnameInitial', 'surnameSoundex']))
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
