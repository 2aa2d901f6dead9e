import type { LinkRecord } from './records.ts'

// The engine works on columns of integers, not on record objects. Each distinct value (a name, a
// postcode, an address) is stored once and numbered; equality is then one integer comparison, a
// blocking key is a few integers packed into one number, and the slow similarity of two strings is
// worked out once per distinct pair of values, not once per pair of records. Names repeat a great
// deal (hundreds of Olivers and Smiths), so most pairs of records are pairs of values already seen.

/** Distinct strings, numbered from 0 in order of first appearance; -1 stands for an unknown value. */
export class Dictionary {
  private readonly ids = new Map<string, number>()
  readonly values: string[] = []
  id(value: string | null): number {
    if (value === null) return -1
    let id = this.ids.get(value)
    if (id === undefined) {
      id = this.values.length
      this.ids.set(value, id)
      this.values.push(value)
    }
    return id
  }
  get size(): number {
    return this.values.length
  }
  private maskOf = new Int32Array(0)
  private lengthOf = new Int32Array(0)
  /**
   * For each value, a bit for each letter it contains (a to z, others folded onto them) and its length:
   * enough to rule out most pairs of values as dissimilar without comparing them (`cannotReach`).
   */
  letters(): { masks: Int32Array; lengths: Int32Array } {
    const n = this.values.length
    if (this.maskOf.length !== n) {
      const masks = new Int32Array(n)
      const lengths = new Int32Array(n)
      masks.set(this.maskOf)
      lengths.set(this.lengthOf)
      for (let i = this.maskOf.length; i < n; i++) {
        const v = this.values[i]
        let mask = 0
        for (let k = 0; k < v.length; k++) mask |= 1 << (v.charCodeAt(k) & 31)
        masks[i] = mask
        lengths[i] = v.length
      }
      this.maskOf = masks
      this.lengthOf = lengths
    }
    return { masks: this.maskOf, lengths: this.lengthOf }
  }
}

/**
 * A hash table from non-negative integer-valued numbers (up to 2^53) to integers, in typed arrays:
 * a JavaScript Map boxes keys beyond 2^31 and spends most of a linkage run hashing them.
 */
export class NumberMap {
  private keys: Float64Array
  private vals: Int32Array
  private mask: number
  size = 0
  constructor(expected = 1024) {
    let capacity = 1024
    while (capacity < expected * 2) capacity *= 2
    this.keys = new Float64Array(capacity).fill(-1)
    this.vals = new Int32Array(capacity)
    this.mask = capacity - 1
  }
  private slot(key: number): number {
    const lo = key >>> 0
    const hi = (key / 4294967296) >>> 0
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
    let i = h & this.mask
    const keys = this.keys
    while (keys[i] !== -1 && keys[i] !== key) i = (i + 1) & this.mask
    return i
  }
  /** The value stored for key, or -1. */
  get(key: number): number {
    const i = this.slot(key)
    return this.keys[i] === key ? this.vals[i] : -1
  }
  set(key: number, value: number): void {
    const i = this.slot(key)
    if (this.keys[i] !== key) {
      this.keys[i] = key
      if (++this.size * 2 > this.keys.length) {
        this.vals[i] = value
        this.grow()
        return
      }
    }
    this.vals[i] = value
  }
  /** The value for key, adding `next` (and returning it) when the key is new. */
  getOrAdd(key: number, next: number): number {
    const i = this.slot(key)
    if (this.keys[i] === key) return this.vals[i]
    this.set(key, next)
    return next
  }
  private grow() {
    const oldKeys = this.keys
    const oldVals = this.vals
    this.keys = new Float64Array(oldKeys.length * 2).fill(-1)
    this.vals = new Int32Array(oldKeys.length * 2)
    this.mask = this.keys.length - 1
    for (let i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] === -1) continue
      const j = this.slot(oldKeys[i])
      this.keys[j] = oldKeys[i]
      this.vals[j] = oldVals[i]
    }
  }
}

/** The values of one run, shared by both files so that an id means the same value on either side. */
export class Dictionaries {
  readonly names = new Dictionary()
  readonly sex = new Dictionary()
  readonly postcode = new Dictionary()
  readonly sector = new Dictionary()
  readonly district = new Dictionary()
  readonly area = new Dictionary()
  readonly address = new Dictionary()
  readonly identifier = new Dictionary()
  readonly extra = new Dictionary()
  private readonly caches = new Map<string, NumberMap>()
  /**
   * The level a comparison gives two distinct values, worked out once per pair of values (`work` takes
   * the two strings). The key is symmetric because every similarity used is.
   */
  level(cache: string, a: number, b: number, values: string[], work: (x: string, y: string) => number): number {
    if (a > b) { const t = a; a = b; b = t }
    if (b >= 1 << 26) return work(values[a], values[b])
    let map = this.caches.get(cache)
    if (!map) this.caches.set(cache, (map = new NumberMap(1 << 16)))
    const key = a * 67108864 + b
    const seen = map.get(key)
    if (seen !== -1) return seen
    const level = work(values[a], values[b])
    // Past a few million distinct pairs the memory is better spent elsewhere: work it out again.
    if (map.size < 4_000_000) map.set(key, level)
    return level
  }
}

/** Records as columns of value ids; -1 is unknown. Dates are kept as yyyymmdd and as a day number. */
export type Table = {
  size: number
  dicts: Dictionaries
  records: LinkRecord[]
  forename: Int32Array
  surname: Int32Array
  forenameInitial: Int32Array
  surnameInitial: Int32Array
  dob: Int32Array
  dobDays: Int32Array
  sex: Int32Array
  postcode: Int32Array
  sector: Int32Array
  district: Int32Array
  area: Int32Array
  /** 1 when the postcode is a UK postcode, so its sector, district and area mean something. */
  postcodeIsUk: Uint8Array
  address: Int32Array
  nhsNumber: Int32Array
  upn: Int32Array
  extra: Int32Array[]
}

const DAY_ZERO = Date.UTC(1900, 0, 1) / 86_400_000
const initial = (name: string | null): number => (name === null ? -1 : Math.max(0, Math.min(31, name.charCodeAt(0) - 96)))

/** Columns for a list of records; the same `dicts` must encode both files of a link. */
export function encodeTable(records: LinkRecord[], dicts: Dictionaries): Table {
  const n = records.length
  const col = () => new Int32Array(n)
  const t: Table = {
    size: n, dicts, records,
    forename: col(), surname: col(), forenameInitial: col(), surnameInitial: col(), dob: col(), dobDays: col(), sex: col(),
    postcode: col(), sector: col(), district: col(), area: col(), postcodeIsUk: new Uint8Array(n), address: col(),
    nhsNumber: col(), upn: col(), extra: (records[0]?.extra ?? []).map(col),
  }
  for (let i = 0; i < n; i++) {
    const r = records[i]
    t.forename[i] = dicts.names.id(r.forename)
    t.surname[i] = dicts.names.id(r.surname)
    t.forenameInitial[i] = initial(r.forename)
    t.surnameInitial[i] = initial(r.surname)
    t.dob[i] = r.dob === null ? -1 : Number(r.dob.slice(0, 4)) * 10000 + Number(r.dob.slice(5, 7)) * 100 + Number(r.dob.slice(8, 10))
    t.dobDays[i] = r.dobDays === null ? -1 : r.dobDays - DAY_ZERO
    t.sex[i] = dicts.sex.id(r.sex)
    const pc = r.postcode
    t.postcode[i] = dicts.postcode.id(pc?.value ?? null)
    t.sector[i] = dicts.sector.id(pc?.sector ?? null)
    t.district[i] = dicts.district.id(pc?.district ?? null)
    t.area[i] = dicts.area.id(pc?.area ?? null)
    t.postcodeIsUk[i] = pc?.isUk ? 1 : 0
    t.address[i] = dicts.address.id(r.address)
    t.nhsNumber[i] = dicts.identifier.id(r.nhsNumber)
    t.upn[i] = dicts.identifier.id(r.upn)
    for (let e = 0; e < t.extra.length; e++) t.extra[e][i] = dicts.extra.id(r.extra[e] ?? null)
  }
  return t
}

/** Both files of a link (or one file to deduplicate, when right is null) as columns over one set of values. */
export function encodePair(left: LinkRecord[], right: LinkRecord[] | null): { left: Table; right: Table } {
  const dicts = new Dictionaries()
  const l = encodeTable(left, dicts)
  return { left: l, right: right ? encodeTable(right, dicts) : l }
}
