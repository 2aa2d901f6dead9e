import { readFileSync } from 'node:fs'
import Papa from 'papaparse'
import { runWorker } from '../../platform/worker.ts'
import { adoptTable, DAY_ZERO, Dictionaries, emptyTable, initial, StringTable, toPortable, transferables, type PortableTable, type Table } from './encode.ts'
import { fileMapping, MappingError, requiredColumns, type FileMapping, type Mapping } from './mapping.ts'
import {
  daysSinceEpoch, normaliseAddress, normaliseDate, normaliseName, normaliseNhsNumber, normalisePostcode, normaliseSex, normaliseUpn,
} from './normalise.ts'

// Files for the command line go straight from CSV text to columns of value ids, with no record object per
// row: at a million rows those objects, and collecting them, took longer than the linkage itself. Each
// distinct raw value is normalised and numbered once. The app's runs start from records in the database
// and use `encodeTable` instead; both give the same columns.

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

function joined(row: string[], at: number[]): string {
  if (at.length === 1) return (row[at[0]] ?? '').trim()
  let out = ''
  for (const i of at) {
    const v = (row[i] ?? '').trim()
    if (v) out = out ? `${out} ${v}` : v
  }
  return out
}

/** A memo from raw text to a number worked out once per distinct text. */
function memo(work: (raw: string) => number): (raw: string) => number {
  const seen = new StringTable(4096)
  let results = new Int32Array(4096)
  return (raw) => {
    const before = seen.size
    const k = seen.add(raw)
    if (seen.size === before) return results[k]
    if (k === results.length) {
      const grown = new Int32Array(results.length * 2)
      grown.set(results)
      results = grown
    }
    return (results[k] = work(raw))
  }
}

/** Columns for a CSV file's rows. The same `dicts` must read both files of a link. */
export function parseTable(text: string, m: FileMapping, label: string, dicts: Dictionaries, truthColumn?: string): Table {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  // Rows are taken one at a time as the parser reaches them, so the whole file is never held as arrays of
  // strings: at a million rows that was ten million strings for the collector to walk.
  let header: string[] | null = null
  let n = 0
  let capacity = 1024
  for (let i = body.indexOf('\n'); i >= 0 && capacity < 1 << 26; i = body.indexOf('\n', i + 1)) capacity++
  let t = emptyTable(capacity, m.extra.length, dicts)
  let at: ReturnType<typeof positionsOf> | null = null
  let truthAt = -1

  const name = memo((raw) => dicts.names.id(normaliseName(raw)))
  const sex = memo((raw) => dicts.sex.id(normaliseSex(raw)))
  const address = memo((raw) => dicts.address.id(normaliseAddress(raw)))
  const extraExact = memo((raw) => dicts.extra.id(raw || null))
  const extraFuzzy = memo((raw) => dicts.extra.id(normaliseName(raw)))
  // Dates and postcodes give several columns each: the memo holds a slot in these arrays.
  const ymd: number[] = []
  const days: number[] = []
  const date = memo((raw) => {
    const iso = normaliseDate(raw, m.dateFormat)
    ymd.push(iso ? Number(iso.slice(0, 4)) * 10000 + Number(iso.slice(5, 7)) * 100 + Number(iso.slice(8, 10)) : -1)
    days.push(iso ? daysSinceEpoch(iso) - DAY_ZERO : -1)
    return ymd.length - 1
  })
  const places: { unit: number; sector: number; district: number; area: number; uk: number }[] = []
  const postcode = memo((raw) => {
    const pc = normalisePostcode(raw)
    places.push({
      unit: dicts.postcode.id(pc?.value ?? null), sector: dicts.sector.id(pc?.sector ?? null), district: dicts.district.id(pc?.district ?? null),
      area: dicts.area.id(pc?.area ?? null), uk: pc?.isUk ? 1 : 0,
    })
    return places.length - 1
  })

  const addRow = (row: string[]) => {
    if (!header) {
      header = row
      const missing = [...requiredColumns(m), ...(truthColumn ? [truthColumn] : [])].filter((c) => !row.includes(c))
      if (missing.length) throw new MappingError(`${label} has no column ${missing.map((c) => `"${c}"`).join(', ')} (it has ${row.join(', ')})`)
      at = positionsOf(m, row)
      truthAt = truthColumn ? row.indexOf(truthColumn) : -1
      if (truthColumn) t.truth = []
      return
    }
    if (row.length === 1 && row[0] === '') return
    const i = n++
    const a = at!
    t.ids[i] = row[a.id] ?? ''
    if (t.truth) t.truth[i] = row[truthAt]?.trim() || null
    const f = name(joined(row, a.forename))
    t.forename[i] = f
    t.forenameInitial[i] = f < 0 ? -1 : initial(dicts.names.values[f])
    const s = name(joined(row, a.surname))
    t.surname[i] = s
    t.surnameInitial[i] = s < 0 ? -1 : initial(dicts.names.values[s])
    t.dob[i] = -1
    t.dobDays[i] = -1
    for (const c of a.dateOfBirth) {
      const raw = row[c] ?? ''
      if (!raw.trim()) continue
      const slot = date(raw)
      t.dob[i] = ymd[slot]
      t.dobDays[i] = days[slot]
      break
    }
    t.sex[i] = sex(joined(row, a.sex))
    const place = places[postcode(joined(row, a.postcode))]
    t.postcode[i] = place.unit
    t.sector[i] = place.sector
    t.district[i] = place.district
    t.area[i] = place.area
    t.postcodeIsUk[i] = place.uk
    t.address[i] = address(joined(row, a.address))
    t.nhsNumber[i] = a.nhsNumber.length ? dicts.identifier.id(normaliseNhsNumber(joined(row, a.nhsNumber))) : -1
    t.upn[i] = a.upn.length ? dicts.identifier.id(normaliseUpn(joined(row, a.upn))) : -1
    m.extra.forEach((e, x) => {
      const v = joined(row, a.extra[x])
      t.extra[x][i] = !v ? -1 : e.compare === 'fuzzy' ? extraFuzzy(v) : extraExact(v)
    })
  }
  Papa.parse<string[]>(body, { skipEmptyLines: true, step: (result) => addRow(result.data) })
  if (n !== t.size) t = shrink(t, n)
  return t
}

/** The first n records of a table whose columns were made with room to spare. */
function shrink(t: Table, n: number): Table {
  const out = { ...t, size: n, ids: t.ids.slice(0, n), truth: t.truth?.slice(0, n) ?? null, extra: t.extra.map((c) => c.slice(0, n)) }
  for (const [k, v] of Object.entries(t)) if (ArrayBuffer.isView(v)) (out as Record<string, unknown>)[k] = (v as Int32Array).slice(0, n)
  return out
}

export function readTable(path: string, m: FileMapping, dicts: Dictionaries, truthColumn?: string): Table {
  return parseTable(readFileSync(path, 'utf8'), m, path, dicts, truthColumn)
}

export type ReadTask = { path: string; mapping: FileMapping; truthColumn?: string }

/** Reads one file in this thread, for a worker: its own dictionaries travel back with the columns. */
export function readPortable(task: ReadTask): { table: PortableTable; transfer: ArrayBuffer[] } {
  const table = toPortable(readTable(task.path, task.mapping, new Dictionaries(), task.truthColumn))
  return { table, transfer: transferables(table) }
}

/**
 * Both files of a link (or the one file of a dedupe) as tables over one set of dictionaries. The right
 * file is read in a worker thread while this thread reads the left, so the two cores share the reading.
 */
export async function readTables(leftPath: string, rightPath: string | null, mapping: Mapping, truthColumn?: string): Promise<{ left: Table; right: Table | null }> {
  const dicts = new Dictionaries()
  if (!rightPath) return { left: readTable(leftPath, fileMapping(mapping, 'left'), dicts, truthColumn), right: null }
  const task: ReadTask = { path: rightPath, mapping: fileMapping(mapping, 'right'), truthColumn }
  const other = runWorker<{ ok: true; table: PortableTable } | { ok: false; message: string }>(import.meta.url, 'read-worker', task)
  // A failure on the left must not leave the worker's promise unhandled.
  other.catch(() => {})
  const left = readTable(leftPath, fileMapping(mapping, 'left'), dicts, truthColumn)
  const read = await other
  if (!read.ok) throw new MappingError(read.message)
  return { left, right: adoptTable(read.table, dicts) }
}
