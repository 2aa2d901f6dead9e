import { soundex } from './similarity.ts'
import { CodeDictionary, identifierCode, postcodeCodes, renderPostcode, type PortableCodes } from './codes.ts'
import type { Postcode } from './normalise.ts'
import { NumberMap, StringTable } from './hash-tables.ts'
import type { LinkRecord } from './records.ts'

// The engine works on columns of integers, not on record objects. Each distinct value (a name, a
// postcode, an address) is stored once and numbered; equality is then one integer comparison, a
// blocking key is a few integers packed into one number, and the slow similarity of two strings is
// worked out once per distinct pair of values, not once per pair of records. Names repeat a great
// deal (hundreds of Olivers and Smiths), so most pairs of records are pairs of values already seen.

/** Distinct values, numbered from 0 in order of first appearance; -1 stands for an unknown value. */
export class Dictionary {
  private table: StringTable | null
  private list: string[]
  /** Given `values`, the dictionary starts with them (numbered in order) and hashes them only if asked for an id. */
  constructor(values?: string[]) {
    this.table = values ? null : new StringTable()
    this.list = values ?? this.table!.keys
  }
  get values(): string[] {
    return this.list
  }
  id(value: string | null): number {
    if (value === null) return -1
    if (!this.table) {
      this.table = new StringTable(this.list.length)
      for (const v of this.list) this.table.add(v)
      this.list = this.table.keys
    }
    return this.table.add(value)
  }
  get size(): number {
    return this.values.length
  }
  private soundexOf = new Int32Array(0)
  /** Each value's Soundex code (see `soundex`), for the phonetic name level and blocking. */
  soundex(): Int32Array {
    const n = this.values.length
    if (this.soundexOf.length !== n) {
      const codes = new Int32Array(n)
      codes.set(this.soundexOf)
      for (let i = this.soundexOf.length; i < n; i++) codes[i] = soundex(this.values[i])
      this.soundexOf = codes
    }
    return this.soundexOf
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

const DICTIONARY_NAMES = ['names', 'sex', 'postcode', 'sector', 'district', 'area', 'address', 'extra'] as const
/** The dictionaries of text values, and those of values numbered by a packed code (`codes.ts`). */
const TEXT_DICTIONARIES = ['names', 'sex', 'address', 'extra'] as const
const CODE_DICTIONARIES = ['postcode', 'sector', 'district', 'area'] as const
type TextDictionaryName = (typeof TEXT_DICTIONARIES)[number]
type CodeDictionaryName = (typeof CODE_DICTIONARIES)[number]

/** The values of one run, shared by both files so that an id means the same value on either side. */
export class Dictionaries {
  readonly names: Dictionary
  readonly sex: Dictionary
  readonly address: Dictionary
  readonly extra: Dictionary
  readonly postcode: CodeDictionary
  readonly sector: CodeDictionary
  readonly district: CodeDictionary
  readonly area: CodeDictionary
  /** `values` starts text dictionaries with values; `sizes` gives code dictionaries rebuilt elsewhere their size. */
  constructor(values?: Partial<Record<TextDictionaryName, string[]>>, sizes?: Partial<Record<CodeDictionaryName, number>>) {
    this.names = new Dictionary(values?.names)
    this.sex = new Dictionary(values?.sex)
    this.address = new Dictionary(values?.address)
    this.extra = new Dictionary(values?.extra)
    this.postcode = new CodeDictionary(renderPostcode, sizes?.postcode)
    this.sector = new CodeDictionary(renderPostcode, sizes?.sector)
    this.district = new CodeDictionary(renderPostcode, sizes?.district)
    this.area = new CodeDictionary(renderPostcode, sizes?.area)
  }
  /** Ids for a postcode's unit, sector, district and area (-1 for the parts a postcode from abroad lacks). */
  postcodeIds(pc: Postcode | null): { unit: number; sector: number; district: number; area: number } {
    if (!pc) return { unit: -1, sector: -1, district: -1, area: -1 }
    const codes = postcodeCodes(pc)
    if (!codes) return { unit: this.postcode.idOfText(pc.value), sector: -1, district: -1, area: -1 }
    return {
      unit: this.postcode.idOfCode(codes.unit), sector: this.sector.idOfCode(codes.sector),
      district: this.district.idOfCode(codes.district), area: this.area.idOfCode(codes.area),
    }
  }
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
  /** Each record's id in its file, and its truth value (who it really is) when evaluating. */
  ids: string[]
  truth: (string | null)[] | null
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
  /** NHS numbers and UPNs as their packed codes (`codes.ts`), which need no dictionary: the same on either side. */
  nhsNumber: Float64Array
  upn: Float64Array
  extra: Int32Array[]
}

export const DAY_ZERO = Date.UTC(1900, 0, 1) / 86_400_000
export const initial = (name: string | null): number => (name === null ? -1 : Math.max(0, Math.min(31, name.charCodeAt(0) - 96)))

/** Empty columns for n records. */
export function emptyTable(n: number, extra: number, dicts: Dictionaries): Table {
  const col = () => new Int32Array(n)
  return {
    size: n, dicts, ids: new Array<string>(n), truth: null,
    forename: col(), surname: col(), forenameInitial: col(), surnameInitial: col(), dob: col(), dobDays: col(), sex: col(),
    postcode: col(), sector: col(), district: col(), area: col(), postcodeIsUk: new Uint8Array(n), address: col(),
    nhsNumber: new Float64Array(n), upn: new Float64Array(n), extra: Array.from({ length: extra }, col),
  }
}

/** A record's date of birth as an ISO date, or null. */
export function dateOfBirth(t: Table, i: number): string | null {
  const v = t.dob[i]
  if (v < 0) return null
  return `${Math.floor(v / 10000)}-${String(Math.floor(v / 100) % 100).padStart(2, '0')}-${String(v % 100).padStart(2, '0')}`
}

/** A record's sex (M, F or as given), or null. */
export const sexOf = (t: Table, i: number): string | null => (t.sex[i] < 0 ? null : t.dicts.sex.values[t.sex[i]])

// Which dictionary each id column's values are in, for moving a table between threads.
const DICTIONARY_OF = {
  forename: 'names', surname: 'names', sex: 'sex', postcode: 'postcode', sector: 'sector', district: 'district', area: 'area',
  address: 'address',
} as const
type DictionaryName = (typeof DICTIONARY_OF)[keyof typeof DICTIONARY_OF] | 'extra'
const isCodeDictionary = (name: DictionaryName): name is CodeDictionaryName => (CODE_DICTIONARIES as readonly string[]).includes(name)

/** A table with its own dictionaries' values in place of the Dictionaries object: what a worker thread sends back. */
export type PortableTable = Omit<Table, 'dicts'> & {
  values: Record<TextDictionaryName, string[]>
  codes: Record<CodeDictionaryName, PortableCodes>
}

export function toPortable(t: Table): PortableTable {
  const { dicts, ...rest } = t
  const values = Object.fromEntries(TEXT_DICTIONARIES.map((name) => [name, dicts[name].values])) as PortableTable['values']
  const codes = Object.fromEntries(CODE_DICTIONARIES.map((name) => [name, dicts[name].portable()])) as PortableTable['codes']
  return { ...rest, values, codes }
}

/** The typed arrays of a portable table, to transfer rather than copy. */
export const transferables = (t: PortableTable): ArrayBuffer[] =>
  [...Object.values(t).filter((v) => ArrayBuffer.isView(v)), ...t.extra].map((a) => (a as Int32Array).buffer as ArrayBuffer)

/** A table read in another thread, renumbered into this run's dictionaries. */
export function adoptTable(p: PortableTable, dicts: Dictionaries): Table {
  const remaps = new Map<DictionaryName, Int32Array>()
  const remap = (name: DictionaryName): Int32Array => {
    let map = remaps.get(name)
    if (!map) {
      map = isCodeDictionary(name) ? dicts[name].adopt(p.codes[name]) : Int32Array.from(p.values[name], (v) => dicts[name].id(v))
      remaps.set(name, map)
    }
    return map
  }
  const t = { ...p, dicts } as Table & { values?: unknown; codes?: unknown }
  delete t.values
  delete t.codes
  for (const [column, name] of Object.entries(DICTIONARY_OF) as [keyof typeof DICTIONARY_OF, DictionaryName][]) {
    const map = remap(name)
    const c = t[column]
    for (let i = 0; i < c.length; i++) if (c[i] >= 0) c[i] = map[c[i]]
  }
  for (const c of t.extra) {
    const map = remap('extra')
    for (let i = 0; i < c.length; i++) if (c[i] >= 0) c[i] = map[c[i]]
  }
  return t
}

/** Columns for a list of records; the same `dicts` must encode both files of a link. */
export function encodeTable(records: LinkRecord[], dicts: Dictionaries): Table {
  const n = records.length
  const t = emptyTable(n, records[0]?.extra.length ?? 0, dicts)
  if (records.some((r) => r.truth !== undefined)) t.truth = records.map((r) => r.truth ?? null)
  for (let i = 0; i < n; i++) {
    const r = records[i]
    t.ids[i] = r.id
    t.forename[i] = dicts.names.id(r.forename)
    t.surname[i] = dicts.names.id(r.surname)
    t.forenameInitial[i] = initial(r.forename)
    t.surnameInitial[i] = initial(r.surname)
    t.dob[i] = r.dob === null ? -1 : Number(r.dob.slice(0, 4)) * 10000 + Number(r.dob.slice(5, 7)) * 100 + Number(r.dob.slice(8, 10))
    t.dobDays[i] = r.dobDays === null ? -1 : r.dobDays - DAY_ZERO
    t.sex[i] = dicts.sex.id(r.sex)
    const pc = r.postcode
    const place = dicts.postcodeIds(pc)
    t.postcode[i] = place.unit
    t.sector[i] = place.sector
    t.district[i] = place.district
    t.area[i] = place.area
    t.postcodeIsUk[i] = pc?.isUk ? 1 : 0
    t.address[i] = dicts.address.id(r.address)
    t.nhsNumber[i] = r.nhsNumber === null ? -1 : identifierCode(r.nhsNumber)
    t.upn[i] = r.upn === null ? -1 : identifierCode(r.upn)
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

/**
 * A table's columns in shared memory, with the values a comparison reads (names, addresses, extra columns)
 * and only the sizes of the others: what a worker thread needs to compare and train on the same records
 * without copying them.
 */
export type SharedTable = {
  columns: Omit<Table, 'dicts' | 'ids' | 'truth'>
  values: Partial<Record<(typeof DICTIONARY_NAMES)[number], string[]>>
  sizes: Record<(typeof DICTIONARY_NAMES)[number], number>
}

function shared<T extends Int32Array | Uint8Array | Float64Array>(a: T): T {
  const copy = new (a.constructor as new (b: SharedArrayBuffer) => T)(new SharedArrayBuffer(a.byteLength))
  copy.set(a)
  return copy
}

export function shareTable(t: Table): SharedTable {
  const { dicts, ids: _ids, truth: _truth, ...columns } = t
  void _ids
  void _truth
  const out = { ...columns, extra: columns.extra.map(shared) } as SharedTable['columns']
  for (const [k, v] of Object.entries(columns)) if (ArrayBuffer.isView(v)) (out as Record<string, unknown>)[k] = shared(v as Int32Array)
  return {
    columns: out,
    values: { names: dicts.names.values, address: dicts.address.values, extra: dicts.extra.values },
    sizes: Object.fromEntries(DICTIONARY_NAMES.map((n) => [n, dicts[n].size])) as SharedTable['sizes'],
  }
}

/** The tables of a run as a worker thread sees them, over one set of dictionaries rebuilt from what was sent. */
export function tablesFromShared(left: SharedTable, right: SharedTable | null): { left: Table; right: Table | null } {
  const values = Object.fromEntries(TEXT_DICTIONARIES.map((n) => [n, left.values[n] ?? new Array<string>(left.sizes[n])]))
  const dicts = new Dictionaries(values, left.sizes)
  const table = (s: SharedTable): Table => ({ ...s.columns, dicts, ids: [], truth: null })
  return { left: table(left), right: right ? table(right) : null }
}
