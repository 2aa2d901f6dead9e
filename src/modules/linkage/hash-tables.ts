// Hash tables over typed arrays, for the engine's hot loops (see `encode.ts`).

/**
 * Distinct strings numbered from 0 in order of first appearance, in an open-addressing hash table over
 * typed arrays. A Map keyed by freshly parsed strings cost about a microsecond a row, most of a file's reading.
 */
export class StringTable {
  readonly keys: string[] = []
  private slots: Int32Array
  private hashes: Int32Array
  private mask: number
  constructor(expected = 1024) {
    let capacity = 1024
    while (capacity < expected * 2) capacity *= 2
    this.slots = new Int32Array(capacity).fill(-1)
    this.hashes = new Int32Array(capacity)
    this.mask = capacity - 1
  }
  private static hash(s: string): number {
    let h = 0x811c9dc5
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
    h ^= h >>> 15
    return Math.imul(h, 0x2c1b3c6d) ^ (h >>> 12)
  }
  /** The number of key, adding it when new. */
  add(key: string): number {
    const h = StringTable.hash(key)
    let i = h & this.mask
    for (;;) {
      const id = this.slots[i]
      if (id === -1) break
      if (this.hashes[i] === h && this.keys[id] === key) return id
      i = (i + 1) & this.mask
    }
    const id = this.keys.length
    this.keys.push(key)
    this.slots[i] = id
    this.hashes[i] = h
    if (this.keys.length * 2 > this.slots.length) this.grow()
    return id
  }
  /** The number of key, or -1. */
  find(key: string): number {
    const h = StringTable.hash(key)
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const id = this.slots[i]
      if (id === -1) return -1
      if (this.hashes[i] === h && this.keys[id] === key) return id
    }
  }
  get size(): number {
    return this.keys.length
  }
  private grow() {
    ({ slots: this.slots, hashes: this.hashes } = doubleSlots(this.slots, this.hashes))
    this.mask = this.slots.length - 1
  }
}

/**
 * The slots of an open-addressing table (an id per slot, -1 empty, with each id's hash) in a table twice the
 * size: what `StringTable` and the CSV reader's `ByteMemo` do when half full.
 */
export function doubleSlots(slots: Int32Array, hashes: Int32Array): { slots: Int32Array<ArrayBuffer>; hashes: Int32Array<ArrayBuffer> } {
  const out = new Int32Array(slots.length * 2).fill(-1)
  const outHashes = new Int32Array(slots.length * 2)
  const mask = out.length - 1
  for (let k = 0; k < slots.length; k++) {
    if (slots[k] === -1) continue
    let i = hashes[k] & mask
    while (out[i] !== -1) i = (i + 1) & mask
    out[i] = slots[k]
    outHashes[i] = hashes[k]
  }
  return { slots: out, hashes: outHashes }
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
    this.put(this.slot(key), key, value)
  }
  /** The value for key, adding `next` (and returning it) when the key is new. */
  getOrAdd(key: number, next: number): number {
    // One probe for both the look-up and the insert: blocking calls this for every record and rule.
    const i = this.slot(key)
    if (this.keys[i] === key) return this.vals[i]
    this.put(i, key, next)
    return next
  }
  private put(i: number, key: number, value: number): void {
    this.vals[i] = value
    if (this.keys[i] === key) return
    this.keys[i] = key
    if (++this.size * 2 > this.keys.length) this.grow()
  }
  /** Grows the table now to hold n keys, so that filling it does not rehash it again and again. */
  reserve(n: number): void {
    if (n * 2 > this.keys.length) this.grow(n)
  }
  private grow(expected = 0) {
    let capacity = this.keys.length * 2
    while (capacity < expected * 2) capacity *= 2
    const oldKeys = this.keys
    const oldVals = this.vals
    this.keys = new Float64Array(capacity).fill(-1)
    this.vals = new Int32Array(capacity)
    this.mask = this.keys.length - 1
    for (let i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] === -1) continue
      const j = this.slot(oldKeys[i])
      this.keys[j] = oldKeys[i]
      this.vals[j] = oldVals[i]
    }
  }
}
