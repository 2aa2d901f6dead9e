import { NumberMap, StringTable } from './hash-tables.ts'
import type { Postcode } from './normalise.ts'

// Identifiers and UK postcodes are short strings of letters and digits in a fixed shape, so each packs into
// one number. A file of a million children has a million NHS numbers, a million UPNs and (in generated
// data) hundreds of thousands of postcodes: numbering them by their packed codes, read straight from the
// file's bytes, costs a fraction of making, normalising and hashing a string for each (`read.ts`).

/** A character's place in the packing: none 0, A-Z 1-26, 0-9 27-36, anything else -1. */
const charValue = (c: number): number => (c >= 65 && c <= 90 ? c - 64 : c >= 48 && c <= 57 ? c - 21 : -1)
const charOf = (v: number): string => (v <= 26 ? String.fromCharCode(v + 64) : String.fromCharCode(v + 21))

const isLetter = (c: number) => c >= 65 && c <= 90
const isDigit = (c: number) => c >= 48 && c <= 57
// The unit's two letters never include C, I, K, M, O or V (see `normalisePostcode`).
const isUnitLetter = (c: number) => isLetter(c) && c !== 67 && c !== 73 && c !== 75 && c !== 77 && c !== 79 && c !== 86

// A postcode's code has seven places in base 37: area (2), district (2), sector (1), unit (2), with 0 in a
// place not used. A sector's code is its units' codes with the unit places empty, and so on up to the area.

/** The text of a postcode's code (unit, sector, district or area). */
export function renderPostcode(code: number): string {
  const p: number[] = []
  for (let k = 6; k >= 0; k--) { p[k] = code % 37; code = Math.floor(code / 37) }
  const part = (from: number, to: number) => p.slice(from, to).filter((v) => v > 0).map(charOf).join('')
  const outward = part(0, 4)
  const inward = part(4, 7)
  return inward ? `${outward} ${inward}` : outward
}

/** The packed codes of a UK postcode's unit, sector, district and area. */
export type PostcodeCodes = { unit: number; sector: number; district: number; area: number }

/**
 * The codes of a postcode given as upper-case letters and digits with nothing between them (`chars`, n of
 * them), or null when it is not a UK postcode. Accepts exactly what `normalisePostcode`'s pattern accepts.
 */
export function ukPostcodeCodes(chars: Uint8Array, n: number): PostcodeCodes | null {
  if (n < 5 || n > 7) return null
  const u0 = chars[n - 2]
  const u1 = chars[n - 1]
  const sector = chars[n - 3]
  if (!isUnitLetter(u0) || !isUnitLetter(u1) || !isDigit(sector)) return null
  // The outward code is an area of one or two letters, then a district of [0-9R] and perhaps one more letter
  // or digit; two-letter areas are tried first, as the pattern's greedy match does.
  const outward = n - 3
  for (const areaLength of [2, 1]) {
    const districtLength = outward - areaLength
    if (districtLength < 1 || districtLength > 2) continue
    let ok = true
    for (let k = 0; k < areaLength; k++) if (!isLetter(chars[k])) ok = false
    const d0 = chars[areaLength]
    if (!(isDigit(d0) || d0 === 82)) ok = false
    const d1 = districtLength === 2 ? chars[areaLength + 1] : 0
    if (districtLength === 2 && !(isDigit(d1) || isLetter(d1))) ok = false
    if (!ok) continue
    const area = (charValue(chars[0]) * 37 + (areaLength === 2 ? charValue(chars[1]) : 0)) * 37 ** 5
    const district = area + (charValue(d0) * 37 + (d1 ? charValue(d1) : 0)) * 37 ** 3
    const sectorCode = district + charValue(sector) * 37 ** 2
    return { area, district, sector: sectorCode, unit: sectorCode + charValue(u0) * 37 + charValue(u1) }
  }
  return null
}

const bytesOf = (text: string): Uint8Array => {
  const out = new Uint8Array(text.length)
  for (let k = 0; k < text.length; k++) { const c = text.charCodeAt(k); out[k] = c < 256 ? c : 0 }
  return out
}

/** The codes of a postcode already normalised as text (the app's records). */
export function postcodeCodes(pc: Postcode): PostcodeCodes | null {
  if (!pc.isUk) return null
  const chars = bytesOf(pc.value.replace(' ', ''))
  return ukPostcodeCodes(chars, chars.length)
}

// An NHS number is its ten digits as a number (below 2^34); a UPN is placed above 2^40 so the two never meet.
const UPN_BASE = 2 ** 40

/** The code of a valid NHS number's ten digits (`chars`), or -1 when the check digit is wrong. */
export function nhsNumberCode(chars: Uint8Array, n: number): number {
  if (n !== 10) return -1
  let sum = 0
  let code = 0
  for (let k = 0; k < 10; k++) {
    const c = chars[k]
    if (!isDigit(c)) return -1
    if (k < 9) sum += (c - 48) * (10 - k)
    code = code * 10 + (c - 48)
  }
  const check = 11 - (sum % 11)
  return (check === 11 ? 0 : check) === chars[9] - 48 ? code : -1
}

/** The code of a UPN (a letter, eleven digits, then a letter or digit; upper case), or -1. */
export function upnCode(chars: Uint8Array, n: number): number {
  if (n !== 13 || !isLetter(chars[0])) return -1
  let digits = 0
  for (let k = 1; k < 12; k++) {
    if (!isDigit(chars[k])) return -1
    digits = digits * 10 + (chars[k] - 48)
  }
  const last = charValue(chars[12])
  if (last < 1) return -1
  return UPN_BASE + ((chars[0] - 65) * 1e11 + digits) * 37 + last
}

/** The text an identifier code stands for. */
export function identifierText(code: number): string {
  if (code < UPN_BASE) return String(code).padStart(10, '0')
  let rest = code - UPN_BASE
  const last = rest % 37
  rest = Math.floor(rest / 37)
  const digits = rest % 1e11
  const letter = Math.floor(rest / 1e11)
  return `${String.fromCharCode(65 + letter)}${String(digits).padStart(11, '0')}${charOf(last)}`
}

/** The code of an identifier already normalised as text (`normaliseNhsNumber`, `normaliseUpn`). */
export function identifierCode(text: string): number {
  const chars = bytesOf(text)
  return text.length === 10 ? nhsNumberCode(chars, 10) : upnCode(chars, chars.length)
}

// Values with no code (a postcode from abroad, kept as text) are numbered above every code.
const TEXT_BASE = 2 ** 50

/**
 * Distinct values numbered from 0 by their codes, like `Dictionary` for text. Values that have no code are
 * given one above every real code through a table of their text.
 */
export class CodeDictionary {
  private readonly map = new NumberMap(1 << 12)
  readonly codes: number[] = []
  private readonly texts = new StringTable()
  private readonly known: number
  constructor(private readonly render: (code: number) => string, size = 0) {
    // A dictionary rebuilt in a worker thread knows only how many values there are.
    this.known = size
  }
  idOfCode(code: number): number {
    const id = this.map.getOrAdd(code, this.codes.length)
    if (id === this.codes.length) this.codes.push(code)
    return id
  }
  /** The id of a value that has no code. */
  idOfText(text: string | null): number {
    if (text === null) return -1
    return this.idOfCode(TEXT_BASE + this.texts.add(text))
  }
  /** Makes room for n more values at once rather than growing step by step. */
  reserve(n: number): void {
    this.map.reserve(this.codes.length + n)
  }
  get size(): number {
    return Math.max(this.known, this.codes.length)
  }
  /** Each value as text, for showing and for tests (slow: a string per value). */
  get values(): string[] {
    return this.codes.map((c) => (c >= TEXT_BASE ? this.texts.keys[c - TEXT_BASE] : this.render(c)))
  }
  /** What another thread needs to renumber its values into this run's dictionary (`adopt`). */
  portable(): PortableCodes {
    return { codes: this.codes, texts: this.texts.keys }
  }
  /** For each id of a dictionary made in another thread, the id of the same value here. */
  adopt(p: PortableCodes): Int32Array {
    return Int32Array.from(p.codes, (c) => (c >= TEXT_BASE ? this.idOfText(p.texts[c - TEXT_BASE]) : this.idOfCode(c)))
  }
}

export type PortableCodes = { codes: number[]; texts: string[] }

