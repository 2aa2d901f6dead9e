// Reused between calls: allocating two arrays per comparison dominated the cost over millions of pairs.
let aMatched = new Uint8Array(64)
let bMatched = new Uint8Array(64)

/** Jaro similarity, 0..1. Same definition as DuckDB's jaro_similarity on ASCII strings. */
export function jaro(a: string, b: string): number {
  if (a === b) return 1
  const la = a.length
  const lb = b.length
  if (!la || !lb) return 0
  const window = Math.max(0, Math.floor(Math.max(la, lb) / 2) - 1)
  if (aMatched.length < la) aMatched = new Uint8Array(la * 2)
  if (bMatched.length < lb) bMatched = new Uint8Array(lb * 2)
  aMatched.fill(0, 0, la)
  bMatched.fill(0, 0, lb)
  let matches = 0
  for (let i = 0; i < la; i++) {
    const lo = Math.max(0, i - window)
    const hi = Math.min(lb - 1, i + window)
    for (let j = lo; j <= hi; j++) {
      if (!bMatched[j] && a.charCodeAt(i) === b.charCodeAt(j)) {
        aMatched[i] = 1
        bMatched[j] = 1
        matches++
        break
      }
    }
  }
  if (!matches) return 0
  let transpositions = 0
  let k = 0
  for (let i = 0; i < la; i++) {
    if (!aMatched[i]) continue
    while (!bMatched[k]) k++
    if (a.charCodeAt(i) !== b.charCodeAt(k)) transpositions++
    k++
  }
  return (matches / la + matches / lb + (matches - transpositions / 2) / matches) / 3
}

/** Jaro-Winkler with the usual prefix scale 0.1 over up to 4 characters, boosted only above 0.7. */
export function jaroWinkler(a: string, b: string): number {
  const j = jaro(a, b)
  if (j <= 0.7) return j
  let prefix = 0
  const max = Math.min(4, a.length, b.length)
  while (prefix < max && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++
  return j + prefix * 0.1 * (1 - j)
}

/** True when the strings differ by one substitution, insertion, deletion or adjacent transposition. */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true
  const la = a.length
  const lb = b.length
  if (Math.abs(la - lb) > 1) return false
  // Compared by character codes in place: slicing strings here allocated millions of them in a large run.
  let i = 0
  while (i < la && i < lb && a.charCodeAt(i) === b.charCodeAt(i)) i++
  if (la === lb) {
    // One substitution at i, or a swap of i and i + 1; the rest must agree.
    let rest = i + 1
    if (i + 1 < la && a.charCodeAt(i) === b.charCodeAt(i + 1) && a.charCodeAt(i + 1) === b.charCodeAt(i)) {
      let k = i + 2
      while (k < la && a.charCodeAt(k) === b.charCodeAt(k)) k++
      if (k === la) return true
    }
    while (rest < la && a.charCodeAt(rest) === b.charCodeAt(rest)) rest++
    return rest === la
  }
  // One insertion: skip a character of the longer string at i and the rest must agree.
  const [s, l] = la < lb ? [a, b] : [b, a]
  let k = i
  while (k < s.length && s.charCodeAt(k) === l.charCodeAt(k + 1)) k++
  return k === s.length
}

export const bitCount = (x: number): number => {
  x -= (x >>> 1) & 0x55555555
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24
}

/**
 * True when Jaro-Winkler of two strings cannot reach `threshold`, judged from their letters alone (`mask`:
 * a bit per letter present, see `Dictionary.letters`) and lengths. A character matches only one the other
 * string contains, and each letter one string has and the other lacks takes at least one character out of
 * the running, which bounds the matches and so the similarity. Most pairs of different names fail this at
 * once and never need the full measure.
 */
export function cannotReach(maskA: number, lengthA: number, maskB: number, lengthB: number, threshold: number): boolean {
  return cannotReachApart(lengthA, bitCount(maskA & ~maskB), lengthB, bitCount(maskB & ~maskA), threshold)
}

/** `cannotReach` from the number of letters each string has that the other lacks (`onlyA`, `onlyB`). */
export function cannotReachApart(lengthA: number, onlyA: number, lengthB: number, onlyB: number, threshold: number): boolean {
  const m = Math.min(lengthA - onlyA, lengthB - onlyB)
  if (m <= 0) return true
  const jaroBound = (m / lengthA + m / lengthB + 1) / 3
  // Winkler's bonus adds at most 0.1 for each of four shared leading characters.
  const bound = jaroBound <= 0.7 ? jaroBound : jaroBound + 0.4 * (1 - jaroBound)
  return bound < threshold
}

// Soundex digit for each letter a to z; 0 separates (vowels and y), -1 is skipped (h and w).
const SOUNDEX = [0, 1, 2, 3, 0, 1, 2, -1, 0, 2, 2, 4, 5, 5, 0, 1, 2, 6, 2, 3, 0, 1, -1, 2, 0, 2]

/**
 * American Soundex as a number (the first letter, then three digits): names that sound alike, such as
 * Thompson and Thomson or Ashworth and Ashwerth, share it. Letters other than a to z are ignored; a name
 * with none has no code (-1).
 */
export function soundex(name: string): number {
  let code = -1
  let digits = 0
  let last = -1
  for (let i = 0; i < name.length && digits < 3; i++) {
    const c = name.charCodeAt(i) - 97
    if (c < 0 || c > 25) continue
    const d = SOUNDEX[c]
    if (code < 0) {
      code = c
      last = d
      continue
    }
    if (d === -1) continue
    if (d !== 0 && d !== last) {
      code = code * 8 + d
      digits++
    }
    last = d
  }
  if (code < 0) return -1
  for (; digits < 3; digits++) code *= 8
  return code
}
