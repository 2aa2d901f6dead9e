import { Dictionaries, encodeTable, type Table } from './encode.ts'
import type { BlockingKey, FieldName, FileMapping } from './mapping.ts'
import type { AliasTable } from './nicknames.ts'
import type { LinkRecord } from './records.ts'
import { bitCount, cannotReachApart, jaroWinkler, soundex, withinOneEdit } from './similarity.ts'

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
  // Per value: a number for its first word, and the nickname table's family bits for that word. Two names
  // can be aliases only if they share a first word or a family bit.
  const aliasInfo = new WeakMap<Dictionaries, { first: Int32Array; families: Int32Array }>()
  const aliasInfoOf = (dicts: Dictionaries) => {
    const values = dicts.names.values
    let info = aliasInfo.get(dicts)
    if (!info || info.first.length !== values.length) {
      const words = new Map<string, number>()
      const first = new Int32Array(values.length)
      const families = new Int32Array(values.length)
      values.forEach((v, i) => {
        const w = firstWord(v)
        let n = words.get(w)
        if (n === undefined) words.set(w, (n = words.size))
        first[i] = n
        families[i] = aliases?.familyMask(w) ?? 0
      })
      aliasInfo.set(dicts, (info = { first, families }))
    }
    return info
  }
  const different = (dicts: Dictionaries, a: number, b: number, masks: Int32Array, lengths: Int32Array, first: Int32Array, families: Int32Array,
    sounds: Int32Array): number => {
    const values = dicts.names.values
    // Most different names are plainly different: too few letters in common to reach the lower Jaro-Winkler
    // level, and not aliases. Their level (one edit, alike in sound, or else) is settled without the cache,
    // and mostly without reading the names themselves (each a memory access of its own).
    if (!(aliases && (first[a] === first[b] || (families[a] & families[b]) !== 0))) {
      // Letters each has that the other lacks: one edit leaves at most one either way.
      const onlyA = bitCount(masks[a] & ~masks[b])
      const onlyB = bitCount(masks[b] & ~masks[a])
      if (cannotReachApart(lengths[a], onlyA, lengths[b], onlyB, 0.88)) {
        // As `slow` would find: below 0.88, so one edit, then sound, decide.
        if (onlyA <= 1 && onlyB <= 1 && Math.abs(lengths[a] - lengths[b]) <= 1 && withinOneEdit(values[a], values[b])) return shift + 2
        return sounds[a] === sounds[b] ? shift + 3 : shift + 4
      }
    }
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
      const { first, families } = aliasInfoOf(l.dicts)
      const sounds = l.dicts.names.soundex()
      for (let p = 0; p < left.length; p++) {
        const a = A[left[p]]
        const b = B[right[p]]
        out[p * stride + offset] = a < 0 || b < 0 ? NULL_LEVEL : a === b ? 0 : different(l.dicts, a, b, masks, lengths, first, families, sounds)
      }
    },
  }
}

/**
 * A date yyyymmdd as its eight digits, four bits each (2014-03-07 is 0x20140307), or -1: comparing two dates
 * digit by digit is then a few operations on one number, where dividing by ten for each digit was most of
 * the cost of the comparison over millions of pairs.
 */
function dateDigits(ymd: number): number {
  if (ymd < 0) return -1
  let digits = 0
  for (let k = 0, v = ymd; k < 8; k++, v = Math.floor(v / 10)) digits |= (v % 10) << (4 * k)
  return digits
}

// Each table's dates as digits, worked out the first time a table is compared (its `dob` column is the key).
const digitsOfColumn = new WeakMap<Int32Array, Int32Array>()
function digitsOf(t: Table): Int32Array {
  let digits = digitsOfColumn.get(t.dob)
  if (!digits) {
    digits = new Int32Array(t.dob.length)
    for (let i = 0; i < digits.length; i++) digits[i] = dateDigits(t.dob[i])
    digitsOfColumn.set(t.dob, digits)
  }
  return digits
}

// Which neighbouring digits of yyyymmdd may be swapped as one slip, by the left one's place (from the left):
// those side by side in the written date (2014-03-07). A swap across a dash is not one slip.
const SWAPPABLE = [true, true, true, false, true, false, true]

/**
 * The level of two dates as digits (`dateDigits`) and as day numbers. One character different is one digit,
 * or two neighbouring digits of one part swapped, as one edit of the ISO string.
 */
function dateLevel(a: number, b: number, daysA: number, daysB: number): number {
  if (a < 0 || b < 0) return NULL_LEVEL
  if (a === b) return 0
  // Year the same, and the month of each is the day of the other.
  if (a >>> 16 === b >>> 16 && ((a >>> 8) & 0xff) === (b & 0xff) && (a & 0xff) === ((b >>> 8) & 0xff)) return 1
  // A bit for each digit that differs, at the bottom of its four; their count is the top four bits of the product.
  const diff = a ^ b
  const differs = (diff | (diff >>> 1) | (diff >>> 2) | (diff >>> 3)) & 0x11111111
  const count = Math.imul(differs, 0x11111111) >>> 28
  if (count === 1) return 2
  if (count === 2) {
    // Two digits: side by side, swappable there, and each the other's.
    const low = 31 - Math.clz32(differs & -differs)
    const place = 6 - (low >>> 2)
    if (differs === (0x11 << low) && SWAPPABLE[place] && ((a >>> low) & 15) === ((b >>> (low + 4)) & 15) && ((a >>> (low + 4)) & 15) === ((b >>> low) & 15)) return 2
  }
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
    const A = digitsOf(l)
    const B = digitsOf(r)
    const daysA = l.dobDays
    const daysB = r.dobDays
    for (let p = 0; p < left.length; p++) {
      const i = left[p]
      const j = right[p]
      out[p * stride + offset] = dateLevel(A[i], B[j], daysA[i], daysB[j])
    }
  },
}

/** The columns a postcode comparison reads, taken out of the table once per run of pairs. */
const placeOf = (t: Table) => ({ unit: t.postcode, uk: t.postcodeIsUk, sector: t.sector, district: t.district, area: t.area })
type Place = ReturnType<typeof placeOf>

function postcodeLevel(l: Place, i: number, r: Place, j: number): number {
  const a = l.unit[i]
  const b = r.unit[j]
  if (a < 0 || b < 0) return NULL_LEVEL
  if (a === b) return 0
  if (!l.uk[i] || !r.uk[j]) return 4
  return l.sector[i] === r.sector[j] ? 1 : l.district[i] === r.district[j] ? 2 : l.area[i] === r.area[j] ? 3 : 4
}

export const postcodeComparison: Comparison = {
  name: 'postcode',
  levels: ['unit', 'sector', 'district', 'area', 'else'],
  uses: ['postcode', 'postcodeSector', 'postcodeDistrict'],
  compareAll(l, r, left, right, out, stride, offset) {
    const pl = placeOf(l)
    const pr = placeOf(r)
    for (let p = 0; p < left.length; p++) out[p * stride + offset] = postcodeLevel(pl, left[p], pr, right[p])
  },
}

const similarAddress = (a: string, b: string): number => (jaroWinkler(a, b) >= 0.9 ? 1 : 2)

/**
 * Postcode and address together. They are not independent evidence: two children at one address share
 * its postcode too, so scoring them separately counts one fact twice and links siblings.
 */
export const residenceComparison: Comparison = {
  name: 'residence',
  levels: ['same address', 'similar address, same postcode', 'postcode unit', 'same address, other postcode', 'sector', 'district', 'area', 'else'],
  uses: ['postcode', 'postcodeSector', 'postcodeDistrict'],
  compareAll(l, r, left, right, out, stride, offset) {
    const pl = placeOf(l)
    const pr = placeOf(r)
    const A = l.address
    const B = r.address
    const dicts = l.dicts
    const values = dicts.address.values
    for (let p = 0; p < left.length; p++) {
      const i = left[p]
      const j = right[p]
      const level = postcodeLevel(pl, i, pr, j)
      let result: number
      if (level === NULL_LEVEL) result = NULL_LEVEL
      else {
        const a = A[i]
        const b = B[j]
        // The same house and street under another postcode is a mistyped postcode far more often than a move
        // to an identically named address elsewhere in the area.
        if (level > 0) result = a >= 0 && a === b ? 3 : level + 3
        else if (a < 0 || b < 0) result = 2
        else if (a === b) result = 0
        else result = dicts.level('residence', a, b, values, similarAddress)
      }
      out[p * stride + offset] = result
    }
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
