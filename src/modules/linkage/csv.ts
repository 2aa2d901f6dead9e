import { doubleSlots } from './hash-tables.ts'

// Reading a CSV file for the engine straight from its bytes. A general parser makes a string of every cell
// (ten million at a million rows) and an array for every row, and the collector then spent longer on them
// than the linkage spent on anything else. Here a row is only a list of where its cells start and end in
// the file's bytes; a value is turned into a string, and normalised, the first time it is seen, and
// recognised again by its bytes. The app's uploads still use papaparse: they are small and need its
// reporting of malformed rows line by line.

export class CsvFormatError extends Error {
  override name = 'CsvFormatError'
}

const COMMA = 44
const QUOTE = 34
const CR = 13
const LF = 10

/** Where one row's cells are in the file: cell k runs from `starts[k]` to `ends[k]` (exclusive). */
export type CsvRow = {
  count: number
  starts: Int32Array
  ends: Int32Array
  /** 1 where a quoted cell holds doubled quotes, so its bytes are not yet its text. */
  escaped: Uint8Array
}

/** The text of a cell, with doubled quotes undone. */
export function cellText(buf: Buffer, row: CsvRow, k: number): string {
  if (k < 0 || k >= row.count) return ''
  const text = buf.toString('utf8', row.starts[k], row.ends[k])
  return row.escaped[k] ? text.replace(/""/g, '"') : text
}

/**
 * Calls `onRow` for each row of an RFC 4180 file (commas, double quotes, CRLF or LF line ends), skipping
 * blank lines. The row object is reused: read it before returning. A byte-order mark is skipped.
 */
export function scanCsv(buf: Buffer, onRow: (row: CsvRow) => void): void {
  let width = 64
  const row: CsvRow = { count: 0, starts: new Int32Array(width), ends: new Int32Array(width), escaped: new Uint8Array(width) }
  const n = buf.length
  let i = n >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0
  let line = 1
  while (i < n) {
    let f = 0
    const rowLine = line
    for (;;) {
      if (f === width) {
        width *= 2
        const grow = <T extends Int32Array | Uint8Array>(a: T): T => { const b = new (a.constructor as new (k: number) => T)(width); b.set(a); return b }
        row.starts = grow(row.starts)
        row.ends = grow(row.ends)
        row.escaped = grow(row.escaped)
      }
      if (buf[i] === QUOTE) {
        let j = i + 1
        let escaped = 0
        for (;;) {
          const q = buf.indexOf(QUOTE, j)
          if (q < 0) throw new CsvFormatError(`Line ${rowLine}: a quoted value is never closed`)
          if (buf[q + 1] === QUOTE) { escaped = 1; j = q + 2; continue }
          for (let k = i; k < q; k++) if (buf[k] === LF) line++
          row.starts[f] = i + 1
          row.ends[f] = q
          row.escaped[f] = escaped
          i = q + 1
          break
        }
        const c = buf[i]
        if (i < n && c !== COMMA && c !== CR && c !== LF) throw new CsvFormatError(`Line ${rowLine}: text follows a closing quote`)
      } else {
        let j = i
        while (j < n) {
          const c = buf[j]
          if (c === COMMA || c === LF || c === CR) break
          j++
        }
        row.starts[f] = i
        row.ends[f] = j
        row.escaped[f] = 0
        i = j
      }
      f++
      if (buf[i] === COMMA) { i++; continue }
      if (buf[i] === CR) i++
      if (buf[i] === LF) i++
      line++
      break
    }
    row.count = f
    if (f === 1 && row.starts[0] === row.ends[0]) continue
    onRow(row)
  }
}

const isBlank = (c: number) => c === 32 || c === 9

/**
 * Numbers worked out once per distinct cell content, keyed by the cell's bytes with spaces and tabs at
 * either end left off. `work` gets the cell's text (trimmed) the first time those bytes are seen.
 */
export class ByteMemo {
  private slots = new Int32Array(1024).fill(-1)
  private hashes = new Int32Array(1024)
  private mask = 1023
  /** Each key's bytes, copied together: compared against there, a frequent key stays in the cache. */
  private arena = new Uint8Array(1 << 14)
  private used = 0
  private starts = new Int32Array(1024)
  private lengths = new Int32Array(1024)
  private results = new Int32Array(1024)
  private size = 0
  constructor(private readonly buf: Buffer, private readonly work: (text: string) => number) {}

  /** The number for cell k of row (an empty cell when the row is short). */
  get(row: CsvRow, k: number): number {
    if (k < 0 || k >= row.count) return this.of(0, 0, 0)
    let s = row.starts[k]
    let e = row.ends[k]
    const buf = this.buf
    while (s < e && isBlank(buf[s])) s++
    while (e > s && isBlank(buf[e - 1])) e--
    return this.of(s, e, row.escaped[k])
  }

  private of(s: number, e: number, escaped: number): number {
    const buf = this.buf
    let h = 0x811c9dc5 ^ escaped
    for (let k = s; k < e; k++) h = Math.imul(h ^ buf[k], 0x01000193)
    h ^= h >>> 15
    h = Math.imul(h, 0x2c1b3c6d) ^ (h >>> 12)
    const len = e - s
    const key = len * 2 + escaped
    let i = h & this.mask
    for (;;) {
      const id = this.slots[i]
      if (id === -1) break
      if (this.hashes[i] === h && this.lengths[id] === key) {
        const t = this.starts[id]
        const arena = this.arena
        let k = 0
        while (k < len && arena[t + k] === buf[s + k]) k++
        if (k === len) return this.results[id]
      }
      i = (i + 1) & this.mask
    }
    let text = len ? buf.toString('utf8', s, e) : ''
    if (escaped) text = text.replace(/""/g, '"')
    const result = this.work(text.trim())
    const id = this.size++
    if (id === this.starts.length) {
      const grow = (a: Int32Array) => { const b = new Int32Array(a.length * 2); b.set(a); return b }
      this.starts = grow(this.starts)
      this.lengths = grow(this.lengths)
      this.results = grow(this.results)
    }
    if (this.used + len > this.arena.length) {
      const bigger = new Uint8Array(Math.max(this.arena.length * 2, this.used + len))
      bigger.set(this.arena)
      this.arena = bigger
    }
    buf.copy(this.arena, this.used, s, e)
    this.starts[id] = this.used
    this.used += len
    this.lengths[id] = key
    this.results[id] = result
    this.slots[i] = id
    this.hashes[i] = h
    if (this.size * 2 > this.slots.length) this.grow()
    return result
  }

  private grow() {
    ({ slots: this.slots, hashes: this.hashes } = doubleSlots(this.slots, this.hashes))
    this.mask = this.slots.length - 1
  }
}
