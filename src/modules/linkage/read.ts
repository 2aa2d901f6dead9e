import { readFileSync } from 'node:fs'
import { runWorker } from '../../platform/worker.ts'
import { identifierCode, nhsNumberCode, ukPostcodeCodes, upnCode } from './codes.ts'
import { ByteMemo, cellText, CsvFormatError, scanCsv, type CsvRow } from './csv.ts'
import { adoptTable, DAY_ZERO, Dictionaries, emptyTable, initial, toPortable, transferables, type PortableTable, type Table } from './encode.ts'
import { DATE_FORMATS, fileMapping, MappingError, requiredColumns, type DateFormat, type FileMapping, type Mapping } from './mapping.ts'
import {
  daysSinceEpoch, normaliseAddress, normaliseDate, normaliseName, normaliseNhsNumber, normalisePostcode, normaliseSex, normaliseUpn,
} from './normalise.ts'

// Files for the command line go straight from the file's bytes to columns of value ids, with no record
// object per row and no string per cell (`csv.ts`): each distinct raw value is normalised and numbered once.
// The app's runs start from records in the database and use `encodeTable` instead; both give the same columns.

/** Where each mapped column is in a row, worked out once per file. */
function positionsOf(m: FileMapping, header: string[]) {
  const at = (c: string) => header.indexOf(c)
  const field = (f: keyof FileMapping['fields']) => (m.fields[f] ?? []).map(at)
  return {
    id: at(m.id), forename: field('forename'), surname: field('surname'), dateOfBirth: field('dateOfBirth'), sex: field('sex'),
    postcode: field('postcode'), address: field('address'), nhsNumber: field('nhsNumber'), upn: field('upn'),
    extra: m.extra.map((e) => e.columns.map(at)),
  }
}

/**
 * A number for a field mapped to one or more columns, worked out once per distinct value. One column is
 * looked up by its bytes; several are joined (with a space, leaving out empty ones) into a string first.
 */
function fieldReader(buf: Buffer, at: number[], work: (text: string) => number): (row: CsvRow) => number {
  if (!at.length) { const none = work(''); return () => none }
  const bytes = new ByteMemo(buf, work)
  if (at.length === 1) return (row) => bytes.get(row, at[0])
  const joinedMemo = new Map<string, number>()
  return (row) => {
    const text = joinedText(buf, row, at)
    let v = joinedMemo.get(text)
    if (v === undefined) joinedMemo.set(text, (v = work(text)))
    return v
  }
}

const joinedText = (buf: Buffer, row: CsvRow, at: number[]) => at.map((k) => cellText(buf, row, k).trim()).filter(Boolean).join(' ')

/**
 * The letters and digits of a cell, upper-cased, with white space (and hyphens when asked) left out, into
 * `out`: their number, or -1 when the cell has anything else (the caller then reads it as text).
 */
function squashCell(buf: Buffer, row: CsvRow, k: number, out: Uint8Array, hyphens: boolean): number {
  if (k >= row.count) return 0
  let n = 0
  for (let i = row.starts[k], end = row.ends[k]; i < end; i++) {
    let c = buf[i]
    if (c === 32 || (c >= 9 && c <= 13) || (hyphens && c === 45)) continue
    if (c >= 97 && c <= 122) c -= 32
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57)) || n === out.length) return -1
    out[n++] = c
  }
  return n
}

/**
 * Identifier ids read from the bytes of a column (`codes.ts`), with the normalising functions for anything
 * that is not plain letters and digits. Gives the same ids as normalising the text and numbering it.
 */
function identifierReader(buf: Buffer, at: number[], kind: 'nhs' | 'upn'): (row: CsvRow) => number {
  const normalise = kind === 'nhs' ? normaliseNhsNumber : normaliseUpn
  const slow = (text: string) => { const v = normalise(text); return v === null ? -1 : identifierCode(v) }
  if (at.length !== 1) return (row) => (at.length ? slow(joinedText(buf, row, at)) : -1)
  const k = at[0]
  const chars = new Uint8Array(16)
  return (row) => {
    const n = squashCell(buf, row, k, chars, kind === 'nhs')
    if (n < 0) return slow(cellText(buf, row, k))
    return kind === 'nhs' ? nhsNumberCode(chars, n) : upnCode(chars, n)
  }
}

type Place = { unit: number; sector: number; district: number; area: number; uk: number }

/** A reader of each row's postcode as ids for its unit, sector, district and area, from the column's bytes. */
function postcodeReader(buf: Buffer, at: number[], dicts: Dictionaries): (row: CsvRow, into: Place) => void {
  const slow = (text: string, into: Place) => {
    const pc = normalisePostcode(text)
    const ids = dicts.postcodeIds(pc)
    into.unit = ids.unit
    into.sector = ids.sector
    into.district = ids.district
    into.area = ids.area
    into.uk = pc?.isUk ? 1 : 0
  }
  if (at.length !== 1) return (row, into) => slow(at.length ? joinedText(buf, row, at) : '', into)
  const k = at[0]
  const chars = new Uint8Array(8)
  // The sector, district and area of each unit already seen, so that a repeated postcode is one look-up.
  let sectorOf = new Int32Array(1 << 12)
  let districtOf = new Int32Array(1 << 12)
  let areaOf = new Int32Array(1 << 12)
  return (row, into) => {
    const n = squashCell(buf, row, k, chars, false)
    const codes = n >= 5 ? ukPostcodeCodes(chars, n) : null
    if (!codes) return slow(n === 0 ? '' : cellText(buf, row, k), into)
    const unit = dicts.postcode.idOfCode(codes.unit)
    if (unit >= sectorOf.length) {
      // Ids may come from a dictionary another file has already filled, so they can jump well past the end.
      const grow = (a: Int32Array) => { const b = new Int32Array(Math.max(a.length * 2, unit + 1)); b.set(a); return b }
      sectorOf = grow(sectorOf)
      districtOf = grow(districtOf)
      areaOf = grow(areaOf)
    }
    if (sectorOf[unit] === 0) {
      // Stored plus one, so that 0 means not yet seen in this file.
      sectorOf[unit] = dicts.sector.idOfCode(codes.sector) + 1
      districtOf[unit] = dicts.district.idOfCode(codes.district) + 1
      areaOf[unit] = dicts.area.idOfCode(codes.area) + 1
    }
    into.unit = unit
    into.sector = sectorOf[unit] - 1
    into.district = districtOf[unit] - 1
    into.area = areaOf[unit] - 1
    into.uk = 1
  }
}

const FORMAT_EXAMPLES: Record<DateFormat, string> = { ISO: 'ISO (2014-03-07)', 'DD/MM/YYYY': 'DD/MM/YYYY (07/03/2014)', YYYYMMDD: 'YYYYMMDD (20140307)' }

/**
 * What to say when no value of a date column could be read in the mapping's format: every date is then
 * unknown, which weighs nothing, and the run would quietly link on names and places alone. `unread` are
 * some of the column's values (used only to suggest a format, never printed).
 */
function dateFormatWarning(label: string, column: string, format: DateFormat, unread: string[]): string {
  const others = DATE_FORMATS.filter((f) => f !== format)
  const fits = others.map((f) => ({ f, n: unread.filter((text) => normaliseDate(text, f) !== null).length })).sort((a, b) => b.n - a.n)[0]
  const advice = fits.n
    ? `They look like ${FORMAT_EXAMPLES[fits.f]}: set "dateFormat": "${fits.f}" in the mapping (in "right" for a link's second file).`
    : `The formats the mapping can give are ${others.map((f) => FORMAT_EXAMPLES[f]).join(' and ')}, besides ${format}.`
  return `Warning: no date in column "${column}" of ${label} could be read as ${FORMAT_EXAMPLES[format]}, so every date of birth there is unknown. ${advice}`
}

/**
 * Columns for a CSV file's rows. The same `dicts` must read both files of a link. Problems that do not stop
 * the run (a date column none of whose values could be read) are added to `warnings`.
 */
export function parseTable(file: Buffer | string, m: FileMapping, label: string, dicts: Dictionaries, truthColumn?: string, warnings?: string[]): Table {
  const buf = typeof file === 'string' ? Buffer.from(file, 'utf8') : file
  // One record per line at most (a quoted value may hold a line break; a blank line holds none).
  let capacity = 1
  for (let i = buf.indexOf(10); i >= 0 && capacity < 1 << 26; i = buf.indexOf(10, i + 1)) capacity++
  dicts.postcode.reserve(capacity)
  let t = emptyTable(capacity, m.extra.length, dicts)
  let n = 0

  // Dates and postcodes give several columns each: the memo's number is a slot in these arrays.
  const ymd: number[] = []
  const days: number[] = []
  const dateSlot = (text: string) => {
    const iso = normaliseDate(text, m.dateFormat)
    ymd.push(iso ? Number(iso.slice(0, 4)) * 10000 + Number(iso.slice(5, 7)) * 100 + Number(iso.slice(8, 10)) : -1)
    days.push(iso ? daysSinceEpoch(iso) - DAY_ZERO : -1)
    return ymd.length - 1
  }
  const nameId = (text: string) => dicts.names.id(normaliseName(text))
  // Per date column, counted once per distinct value (the memo's work): whether any could be read.
  const dateColumns: { name: string; read: number; unread: string[] }[] = []

  let read: ((row: CsvRow) => void) | null = null
  const readHeader = (row: CsvRow) => {
    const header = Array.from({ length: row.count }, (_, k) => cellText(buf, row, k).trim())
    const missing = [...requiredColumns(m), ...(truthColumn ? [truthColumn] : [])].filter((c) => !header.includes(c))
    if (missing.length) throw new MappingError(`${label} has no column ${missing.map((c) => `"${c}"`).join(', ')} (it has ${header.join(', ')})`)
    const a = positionsOf(m, header)
    const truthAt = truthColumn ? header.indexOf(truthColumn) : -1
    if (truthColumn) t.truth = []
    const forename = fieldReader(buf, a.forename, nameId)
    const surname = fieldReader(buf, a.surname, nameId)
    const sex = fieldReader(buf, a.sex, (text) => dicts.sex.id(normaliseSex(text)))
    const postcode = postcodeReader(buf, a.postcode, dicts)
    const place: Place = { unit: -1, sector: -1, district: -1, area: -1, uk: 0 }
    const address = fieldReader(buf, a.address, (text) => dicts.address.id(normaliseAddress(text)))
    const nhsNumber = identifierReader(buf, a.nhsNumber, 'nhs')
    const upn = identifierReader(buf, a.upn, 'upn')
    const dates = a.dateOfBirth.map((k, x) => {
      const seen = { name: m.fields.dateOfBirth![x], read: 0, unread: [] as string[] }
      dateColumns.push(seen)
      return {
        k, slot: new ByteMemo(buf, (text) => {
          if (!text) return -1
          const slot = dateSlot(text)
          if (ymd[slot] >= 0) seen.read++
          else if (seen.unread.length < 50) seen.unread.push(text)
          return slot
        }),
      }
    })
    const extras = m.extra.map((e, x) => fieldReader(buf, a.extra[x], e.compare === 'fuzzy'
      ? (text) => dicts.extra.id(normaliseName(text))
      : (text) => dicts.extra.id(text || null)))
    read = (row) => {
      const i = n++
      t.ids[i] = cellText(buf, row, a.id)
      if (t.truth) t.truth[i] = cellText(buf, row, truthAt).trim() || null
      const f = forename(row)
      t.forename[i] = f
      t.forenameInitial[i] = f < 0 ? -1 : initial(dicts.names.values[f])
      const s = surname(row)
      t.surname[i] = s
      t.surnameInitial[i] = s < 0 ? -1 : initial(dicts.names.values[s])
      t.dob[i] = -1
      t.dobDays[i] = -1
      // The first date column with anything in it gives the date (a later column is a fallback).
      for (const d of dates) {
        const slot = d.slot.get(row, d.k)
        if (slot < 0) continue
        t.dob[i] = ymd[slot]
        t.dobDays[i] = days[slot]
        break
      }
      t.sex[i] = sex(row)
      postcode(row, place)
      t.postcode[i] = place.unit
      t.sector[i] = place.sector
      t.district[i] = place.district
      t.area[i] = place.area
      t.postcodeIsUk[i] = place.uk
      t.address[i] = address(row)
      t.nhsNumber[i] = nhsNumber(row)
      t.upn[i] = upn(row)
      for (let x = 0; x < extras.length; x++) t.extra[x][i] = extras[x](row)
    }
  }
  try {
    scanCsv(buf, (row) => (read ? read(row) : readHeader(row)))
  } catch (err) {
    if (err instanceof CsvFormatError) throw new MappingError(`${label}: ${err.message}`)
    throw err
  }
  // An empty file would otherwise link nothing without a word (or, as the second file, everything to nothing).
  if (!read) throw new MappingError(`${label} is empty: it has no header row and no records`)
  if (n === 0) throw new MappingError(`${label} has a header row but no records`)
  for (const d of dateColumns) if (!d.read && d.unread.length) warnings?.push(dateFormatWarning(label, d.name, m.dateFormat, d.unread))
  if (n !== t.size) t = shrink(t, n)
  return t
}

/** The first n records of a table whose columns were made with room to spare (views, not copies). */
function shrink(t: Table, n: number): Table {
  t.ids.length = n
  if (t.truth) t.truth.length = n
  const out = { ...t, size: n, extra: t.extra.map((c) => c.subarray(0, n)) }
  for (const [k, v] of Object.entries(t)) if (ArrayBuffer.isView(v)) (out as Record<string, unknown>)[k] = (v as Int32Array).subarray(0, n)
  return out
}

export function readTable(path: string, m: FileMapping, dicts: Dictionaries, truthColumn?: string, warnings?: string[]): Table {
  let buf: Buffer
  try {
    buf = readFileSync(path)
  } catch (err) {
    // Reading a folder fails in the read itself, whose error names no path: the message must name one.
    const e = err as NodeJS.ErrnoException
    if (e.code && !e.path) e.path = path
    throw err
  }
  return parseTable(buf, m, path, dicts, truthColumn, warnings)
}

export type ReadTask = { path: string; mapping: FileMapping; truthColumn?: string }
/** The read worker's answer. A file-system error keeps its code and path, so the command can name the file. */
export type ReadAnswer = { ok: true; table: PortableTable; warnings: string[] }
  | { ok: false; message: string; fs?: { code: string; path?: string; syscall?: string } }

/** Reads one file in this thread, for a worker: its own dictionaries travel back with the columns. */
export function readPortable(task: ReadTask): { table: PortableTable; warnings: string[]; transfer: ArrayBuffer[] } {
  const warnings: string[] = []
  const table = toPortable(readTable(task.path, task.mapping, new Dictionaries(), task.truthColumn, warnings))
  return { table, warnings, transfer: transferables(table) }
}

/**
 * Both files of a link (or the one file of a dedupe) as tables over one set of dictionaries. The right
 * file is read in a worker thread while this thread reads the left, so the two cores share the reading.
 */
export async function readTables(leftPath: string, rightPath: string | null, mapping: Mapping, truthColumn?: string):
  Promise<{ left: Table; right: Table | null; warnings: string[] }> {
  const dicts = new Dictionaries()
  const warnings: string[] = []
  if (!rightPath) return { left: readTable(leftPath, fileMapping(mapping, 'left'), dicts, truthColumn, warnings), right: null, warnings }
  const task: ReadTask = { path: rightPath, mapping: fileMapping(mapping, 'right'), truthColumn }
  const other = runWorker<ReadAnswer>(import.meta.url, 'read-worker', task)
  // A failure on the left must not leave the worker's promise unhandled.
  other.catch(() => {})
  const left = readTable(leftPath, fileMapping(mapping, 'left'), dicts, truthColumn, warnings)
  const read = await other
  if (!read.ok) throw read.fs ? Object.assign(new Error(read.message), read.fs) : new MappingError(read.message)
  return { left, right: adoptTable(read.table, dicts), warnings: [...warnings, ...read.warnings] }
}
