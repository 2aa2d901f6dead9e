import type { Table } from './encode.ts'
import type { BlockingKey } from './mapping.ts'

export type BlockingRule = BlockingKey[]

/** Candidate pairs as parallel arrays, with the rule that first produced each pair. */
export type Pairs = { left: Int32Array; right: Int32Array; rule: Uint8Array; length: number; perRule: number[] }

/** A key's value for every record of a table as a small non-negative integer (-1 unknown), and how many bits it needs. */
function keyColumn(t: Table, key: BlockingKey): { values: Int32Array | Float64Array; bits: number } {
  const d = t.dicts
  const bitsFor = (n: number) => Math.max(1, Math.ceil(Math.log2(n + 1)))
  const phonetic = (names: Int32Array) => {
    const codes = d.names.soundex()
    const values = new Int32Array(t.size)
    for (let i = 0; i < t.size; i++) values[i] = names[i] < 0 ? -1 : codes[names[i]]
    return { values, bits: 14 }
  }
  const derived = (f: (ymd: number) => number, bits: number) => {
    const values = new Int32Array(t.size)
    for (let i = 0; i < t.size; i++) values[i] = t.dob[i] < 0 ? -1 : f(t.dob[i])
    return { values, bits }
  }
  switch (key) {
    case 'forename': return { values: t.forename, bits: bitsFor(d.names.size) }
    case 'surname': return { values: t.surname, bits: bitsFor(d.names.size) }
    case 'dateOfBirth': return { values: t.dobDays, bits: 17 }
    case 'sex': return { values: t.sex, bits: bitsFor(d.sex.size) }
    case 'postcode': return { values: t.postcode, bits: bitsFor(d.postcode.size) }
    case 'postcodeSector': return { values: t.sector, bits: bitsFor(d.sector.size) }
    case 'postcodeDistrict': return { values: t.district, bits: bitsFor(d.district.size) }
    // Identifiers are their packed codes, below 2^47 (`codes.ts`).
    case 'nhsNumber': return { values: t.nhsNumber, bits: 47 }
    case 'upn': return { values: t.upn, bits: 47 }
    case 'forenameInitial': return { values: t.forenameInitial, bits: 5 }
    case 'surnameInitial': return { values: t.surnameInitial, bits: 5 }
    case 'forenameSoundex': return phonetic(t.forename)
    case 'surnameSoundex': return phonetic(t.surname)
    case 'birthYear': return derived((v) => Math.floor(v / 10000) - 1900, 8)
    case 'birthMonthDay': return derived((v) => v % 10000, 11)
    case 'birthYearMonth': return derived((v) => (Math.floor(v / 10000) - 1900) * 12 + (Math.floor(v / 100) % 100), 12)
    // The year with the day and month in either order: a date typed with the two swapped keeps its key.
    case 'birthDateAnyOrder': return derived((v) => {
      const month = Math.floor(v / 100) % 100
      const day = v % 100
      return ((Math.floor(v / 10000) - 1900) * 32 + Math.min(day, month)) * 32 + Math.max(day, month)
    }, 18)
    case 'address': return { values: t.address, bits: bitsFor(d.address.size) }
  }
}

// Working arrays reused from rule to rule (each thread has its own copy of this module): allocating some 50 MB
// of them for every rule at a million records made the collector run twice a second during indexing, for
// nothing, as it counts such memory towards its next collection.
const scratch = new Map<string, Float64Array | Int32Array | Uint32Array | Uint8Array>()
function reuse<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(name: string, Kind: new (n: number) => T, n: number): T {
  let a = scratch.get(name) as T | undefined
  if (!a || a.length < n) scratch.set(name, (a = new Kind(Math.max(n, Math.ceil((a?.length ?? 0) * 1.25)))))
  return a.subarray(0, n) as T
}

// Key columns worked out from others (Soundex codes, parts of the date) are kept per table, by the table's
// forename column (which every copy of a table's object shares): several rules use each. Only those: a
// column of dictionary ids is sized by its dictionary, which may grow when another table is encoded later,
// and both sides of a join must be packed with the same sizes.
const derivedColumns = new WeakMap<Int32Array, Map<BlockingKey, { values: Int32Array | Float64Array; bits: number }>>()
const DERIVED = new Set<BlockingKey>(['forenameSoundex', 'surnameSoundex', 'birthYear', 'birthMonthDay', 'birthYearMonth', 'birthDateAnyOrder'])

function cachedKeyColumn(t: Table, key: BlockingKey): { values: Int32Array | Float64Array; bits: number } {
  if (!DERIVED.has(key)) return keyColumn(t, key)
  let columns = derivedColumns.get(t.forename)
  if (!columns) derivedColumns.set(t.forename, (columns = new Map()))
  let column = columns.get(key)
  if (!column) columns.set(key, (column = keyColumn(t, key)))
  return column
}

/** keys[i] * scale + v[i], or -1 where either is unknown: one pass per part, so each loop reads one kind of array. */
function packInto(keys: Float64Array, values: Int32Array | Float64Array, scale: number): void {
  for (let i = 0; i < keys.length; i++) {
    const v = values[i]
    keys[i] = keys[i] < 0 || v < 0 ? -1 : keys[i] * scale + v
  }
}

/** Mixes part values into two 32-bit hashes per record (h1, h2), or marks the record unknown (-1 in `unknown`). */
function hashInto(h1: Int32Array, h2: Int32Array, unknown: Uint8Array, values: Int32Array | Float64Array): void {
  for (let i = 0; i < h1.length; i++) {
    const v = values[i]
    if (v < 0) { unknown[i] = 1; continue }
    // An identifier's code is wider than 32 bits: its high part (0 for every other key) is mixed in too.
    const high = v / 4294967296
    h1[i] = Math.imul(h1[i] ^ v ^ high, 0x01000193) ^ (h1[i] >>> 15)
    h2[i] = Math.imul(h2[i] ^ v ^ high, 0x5bd1e995) ^ (h2[i] >>> 13)
  }
}

/**
 * A rule's join key for every record, packed into one number (-1 when any part is unknown, so unknowns
 * never join). Parts that fit in 53 bits together are packed exactly; wider ones are hashed, where a
 * collision can only add a pair to be scored, never lose one.
 */
export function ruleKeys(t: Table, rule: BlockingRule, keys = new Float64Array(t.size)): Float64Array {
  const parts = rule.map((k) => cachedKeyColumn(t, k))
  if (parts.reduce((a, p) => a + p.bits, 0) <= 53) {
    keys.fill(0)
    for (const p of parts) packInto(keys, p.values, 2 ** p.bits)
    return keys
  }
  // Two 32-bit hashes with different seeds, 53 bits together: among a million keys a collision is
  // about as likely as one in ten million runs.
  const h1 = reuse('h1', Int32Array, t.size).fill(0x811c9dc5)
  const h2 = reuse('h2', Int32Array, t.size).fill(0x2545f491)
  const unknown = reuse('unknown', Uint8Array, t.size).fill(0)
  for (const p of parts) hashInto(h1, h2, unknown, p.values)
  for (let i = 0; i < t.size; i++) {
    if (unknown[i]) { keys[i] = -1; continue }
    const a = Math.imul(h1[i] ^ (h1[i] >>> 16), 0x85ebca6b)
    const b = Math.imul(h2[i] ^ (h2[i] >>> 16), 0xc2b2ae35)
    keys[i] = (a >>> 0) * 2097152 + ((b ^ (b >>> 13)) & 0x1fffff)
  }
  return keys
}

/** The most records on one side of a block that a rule still pairs: beyond it, the rule skips that key. */
export const MAX_BLOCK = 64
/**
 * The limit for a rule on names alone (no date, place or identifier): such a block is weak evidence, and
 * a common name's blocks were most of the pairs (1.8M of 2.3M at 100k x 100k, for 190 true pairs, most of
 * which the model could not link on names alone). Rare names still pair records that have lost their date
 * of birth and moved (decision 0014). At 16 blocking recall fell below 0.995 between files with no shared
 * identifier and heavy errors; 24 keeps it above.
 */
export const MAX_NAME_BLOCK = 24
const NAME_KEYS = new Set<BlockingKey>(['forename', 'surname', 'forenameInitial', 'surnameInitial', 'forenameSoundex', 'surnameSoundex'])

/** The block limit for a rule: `MAX_NAME_BLOCK` for a rule on names alone, otherwise `MAX_BLOCK`. */
export const blockLimit = (rule: BlockingRule): number => (rule.every((k) => NAME_KEYS.has(k)) ? MAX_NAME_BLOCK : MAX_BLOCK)

/** One limit for every rule, or a limit per rule. */
export type BlockLimit = number | ((rule: BlockingRule) => number)

export const describeRule = (rule: BlockingRule): string => rule.join(' + ')

/** One rule's blocks: a block number per record on each side (-1 for none), and the right side's members by block. */
export type Blocks = { left: Int32Array; right: Int32Array; start: Int32Array; members: Int32Array; oversized: Uint8Array }

const BUCKET_BITS = 8

/**
 * A block number for every key (-1 for an unknown key), the same number for the same key on either side.
 * The keys are first sorted into 256 buckets by a hash, and each bucket is numbered with its own small
 * hash table: one table for all keys at a million records is tens of megabytes, and every probe of it a
 * cache miss; a bucket's table stays in cache. Numbers only need to be consistent, not in any order.
 */
export function numberKeys(right: Float64Array, left: Float64Array | null): { right: Int32Array; left: Int32Array; blocks: number } {
  const sides = left ? [right, left] : [right]
  const hashOf = (key: number) => {
    let h = Math.imul((key >>> 0) ^ Math.imul((key / 4294967296) >>> 0, 0x9e3779b1), 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    return (h ^ (h >>> 16)) >>> 0
  }
  const shift = 32 - BUCKET_BITS
  const buckets = 1 << BUCKET_BITS
  const count = new Int32Array(buckets + 1)
  for (const keys of sides) for (let i = 0; i < keys.length; i++) if (keys[i] >= 0) count[(hashOf(keys[i]) >>> shift) + 1]++
  let largest = 0
  for (let b = 0; b < buckets; b++) { largest = Math.max(largest, count[b + 1]); count[b + 1] += count[b] }
  // Keys, hashes and where each came from, laid out bucket by bucket, so each bucket is read in order.
  const total = count[buckets]
  const bucketKeys = reuse('bucketKeys', Float64Array, total)
  const bucketHashes = reuse('bucketHashes', Uint32Array, total)
  const origin = reuse('origin', Int32Array, total)
  const fill = count.slice()
  let offset = 0
  for (const keys of sides) {
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] < 0) continue
      const h = hashOf(keys[i])
      const at = fill[h >>> shift]++
      bucketKeys[at] = keys[i]
      bucketHashes[at] = h
      origin[at] = offset + i
    }
    offset += keys.length
  }
  let capacity = 16
  while (capacity < largest * 2) capacity *= 2
  const mask = capacity - 1
  const slotKeys = new Float64Array(capacity).fill(-1)
  const slotValues = new Int32Array(capacity)
  const used = new Int32Array(capacity)
  const out = new Int32Array(offset).fill(-1)
  let blocks = 0
  for (let b = 0; b < buckets; b++) {
    let usedCount = 0
    for (let k = count[b]; k < count[b + 1]; k++) {
      const key = bucketKeys[k]
      let i = bucketHashes[k] & mask
      while (slotKeys[i] !== -1 && slotKeys[i] !== key) i = (i + 1) & mask
      if (slotKeys[i] === -1) {
        slotKeys[i] = key
        slotValues[i] = blocks++
        used[usedCount++] = i
      }
      out[origin[k]] = slotValues[i]
    }
    for (let u = 0; u < usedCount; u++) slotKeys[used[u]] = -1
  }
  const nR = right.length
  return { right: out.subarray(0, nR), left: left ? out.subarray(nR) : out.subarray(0, nR), blocks }
}

/** One rule's blocks over `left` and `right` (the same table when deduplicating). */
export function blocksOf(left: Table, right: Table, rule: BlockingRule, maxBlock: number, dedupe: boolean): Blocks {
  // The keys are needed only until they are numbered.
  const lk = ruleKeys(left, rule, reuse('leftKeys', Float64Array, left.size))
  const rk = dedupe ? lk : ruleKeys(right, rule, reuse('rightKeys', Float64Array, right.size))
  const { right: rb, left: lb, blocks } = numberKeys(rk, dedupe ? null : lk)
  const count = new Int32Array(blocks + 1)
  for (let j = 0; j < rb.length; j++) if (rb[j] >= 0) count[rb[j] + 1]++
  const oversized = new Uint8Array(blocks)
  for (let b = 0; b < blocks; b++) if (count[b + 1] > maxBlock) oversized[b] = 1
  for (let b = 0; b < blocks; b++) count[b + 1] += count[b]
  const start = count.slice()
  const members = new Int32Array(count[blocks])
  for (let j = 0; j < rb.length; j++) if (rb[j] >= 0) members[count[rb[j]]++] = j
  return { left: lb, right: rb, start, members, oversized }
}

/**
 * Every rule's blocks, ready to be joined: one row of R block numbers per record on each side (-1 where the
 * rule pairs nothing: an unknown key, or a block past the limit), and each rule's right-side members by
 * block. With `shared`, the arrays live in shared memory so that a worker thread can join some of the
 * records while this thread joins the rest.
 */
export type BlockIndex = {
  rules: number; dedupe: boolean; leftSize: number
  leftRows: Int32Array; rightRows: Int32Array; starts: Int32Array[]; members: Int32Array[]
}

function inShared(a: Int32Array): Int32Array {
  const copy = new Int32Array(new SharedArrayBuffer(a.byteLength))
  copy.set(a)
  return copy
}

export const limitOf = (maxBlock: BlockLimit, rule: BlockingRule): number => (typeof maxBlock === 'number' ? maxBlock : maxBlock(rule))

/**
 * Rules' blocks already made in a run, with no limit, by `describeRule`: training blocks on some of the
 * rules that blocking then indexes again (NHS number, UPN, both names), and each takes a second or so to
 * index at a million records. Only the limit differs, and that is worked out again from the block sizes.
 */
export type BlockCache = Map<string, Blocks>

/** The blocks in `blocks` (made with no limit) past `maxBlock` on the right side, marked oversized. */
export function withLimit(blocks: Blocks, maxBlock: number): Blocks {
  const n = blocks.start.length - 1
  const oversized = new Uint8Array(n)
  for (let b = 0; b < n; b++) if (blocks.start[b + 1] - blocks.start[b] > maxBlock) oversized[b] = 1
  return { ...blocks, oversized }
}

/** A rule's blocks, from `cache` when they are in it (and put there when not). */
export function ruleBlocks(left: Table, right: Table, rule: BlockingRule, maxBlock: number, dedupe: boolean, cache?: BlockCache): Blocks {
  if (!cache) return blocksOf(left, right, rule, maxBlock, dedupe)
  const key = describeRule(rule)
  let blocks = cache.get(key)
  if (!blocks) cache.set(key, (blocks = blocksOf(left, right, rule, Infinity, dedupe)))
  return maxBlock === Infinity ? blocks : withLimit(blocks, maxBlock)
}

export function indexBlocks(left: Table, right: Table | null, rules: BlockingRule[], maxBlock: BlockLimit = Infinity, shared = false, cache?: BlockCache): BlockIndex {
  const dedupe = right === null || right === left
  const other = right ?? left
  return assembleIndex(left, right, rules.map((rule) => ruleBlocks(left, other, rule, limitOf(maxBlock, rule), dedupe, cache)), shared)
}

/** The index from every rule's blocks (which `indexBlocks` makes in turn, and two threads can share out). */
export function assembleIndex(left: Table, right: Table | null, all: Blocks[], shared = false): BlockIndex {
  const dedupe = right === null || right === left
  const other = right ?? left
  const R = all.length
  // Checking whether an earlier rule found a pair then reads two short rows, not one array per earlier
  // rule, which at a million records meant a cache miss each.
  // Which blocks are past the limit, one bit each: a byte each was a cache miss per record and rule at 1M.
  const oversizedBits = all.map(({ oversized }) => {
    const bits = new Uint32Array((oversized.length >>> 5) + 1)
    for (let k = 0; k < oversized.length; k++) if (oversized[k]) bits[k >>> 5] |= 1 << (k & 31)
    return bits
  })
  const rowsOf = (side: 'left' | 'right', n: number) => {
    const rows = shared ? new Int32Array(new SharedArrayBuffer(n * R * 4)) : new Int32Array(n * R)
    // A few thousand records at a time, so that their rows stay in the cache while every rule fills them in.
    for (let from = 0; from < n; from += 4096) {
      const to = Math.min(n, from + 4096)
      for (let q = 0; q < R; q++) {
        const bits = oversizedBits[q]
        const column = all[q][side]
        for (let i = from; i < to; i++) {
          const b = column[i]
          // A key shared by very many records (a common surname in one postcode sector) pairs each with all
          // the others: the square of the block's size, almost all non-matches, that other rules pair anyway.
          rows[i * R + q] = b < 0 || (bits[b >>> 5] >>> (b & 31)) & 1 ? -1 : b
        }
      }
    }
    return rows
  }
  const leftRows = rowsOf('left', left.size)
  const rightRows = dedupe ? leftRows : rowsOf('right', other.size)
  const keep = shared ? inShared : (a: Int32Array) => a
  return { rules: R, dedupe, leftSize: left.size, leftRows, rightRows, starts: all.map((b) => keep(b.start)), members: all.map((b) => keep(b.members)) }
}

/** Pairs for the left records from..to, rule by rule (each rule's pairs in record order), and how many each rule found. */
export type PairSegment = { left: Int32Array; right: Int32Array; perRule: number[] }

/**
 * The join for left records from..to: each rule's pairs, skipping those an earlier rule found, stopping
 * once `maxPairs` are found (in rule order, as a whole join would).
 */
export function joinRange(index: BlockIndex, from: number, to: number, maxPairs = Infinity): PairSegment {
  const { rules: R, dedupe, leftRows, rightRows, starts, members: allMembers } = index
  let capacity = 1 << 14
  let l = new Int32Array(capacity)
  let rr = new Int32Array(capacity)
  let length = 0
  const perRule = new Array<number>(R).fill(0)
  for (let q = 0; q < R && length < maxPairs; q++) {
    const start = starts[q]
    const members = allMembers[q]
    for (let i = from; i < to && length < maxPairs; i++) {
      const b = leftRows[i * R + q]
      if (b < 0) continue
      const li = i * R
      for (let m = start[b]; m < start[b + 1]; m++) {
        const j = members[m]
        if (dedupe && j <= i) continue
        const rj = j * R
        let seen = false
        for (let p = 0; p < q; p++) {
          const a = leftRows[li + p]
          if (a >= 0 && a === rightRows[rj + p]) { seen = true; break }
        }
        if (seen) continue
        if (length === capacity) {
          capacity *= 2
          const grownL = new Int32Array(capacity)
          grownL.set(l)
          l = grownL
          const grownR = new Int32Array(capacity)
          grownR.set(rr)
          rr = grownR
        }
        l[length] = i
        rr[length] = j
        length++
        perRule[q]++
      }
    }
  }
  return { left: l.subarray(0, length), right: rr.subarray(0, length), perRule }
}

/**
 * Segments for consecutive ranges of left records, in range order, put together as one join gives them:
 * rule by rule, and within a rule in record order. With `shared`, the pair arrays are in shared memory.
 */
export function mergeSegments(segments: PairSegment[], rules: number, shared = false): Pairs {
  const perRule = new Array<number>(rules).fill(0)
  for (const s of segments) s.perRule.forEach((n, q) => (perRule[q] += n))
  const length = perRule.reduce((a, n) => a + n, 0)
  const make = (n: number) => (shared ? new Int32Array(new SharedArrayBuffer(n * 4)) : new Int32Array(n))
  const left = make(length)
  const right = make(length)
  const rule = new Uint8Array(length)
  let at = 0
  const offsets = segments.map(() => 0)
  for (let q = 0; q < rules; q++) {
    segments.forEach((s, k) => {
      const n = s.perRule[q]
      left.set(s.left.subarray(offsets[k], offsets[k] + n), at)
      right.set(s.right.subarray(offsets[k], offsets[k] + n), at)
      rule.fill(q, at, at + n)
      offsets[k] += n
      at += n
    })
  }
  return { left, right, rule, length, perRule }
}

/**
 * The union of equi-joins: each rule is joined on its own, and a pair that an earlier rule already
 * produced is skipped, so every pair appears once and is credited to the first rule that found it.
 * With `right` null the records are deduplicated against themselves (each unordered pair once).
 */
export function blockPairs(left: Table, right: Table | null, rules: BlockingRule[], maxPairs = Infinity, maxBlock: BlockLimit = Infinity, cache?: BlockCache): Pairs {
  const index = indexBlocks(left, right, rules, maxBlock, false, cache)
  return mergeSegments([joinRange(index, 0, left.size, maxPairs)], rules.length)
}
