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
  if (la === lb) {
    let first = -1
    let diffs = 0
    for (let i = 0; i < la; i++) {
      if (a[i] !== b[i]) {
        if (++diffs > 2) return false
        if (first < 0) first = i
      }
    }
    if (diffs === 1) return true
    return a[first] === b[first + 1] && a[first + 1] === b[first] && a.slice(first + 2) === b.slice(first + 2)
  }
  const [s, l] = la < lb ? [a, b] : [b, a]
  let i = 0
  while (i < s.length && s[i] === l[i]) i++
  return s.slice(i) === l.slice(i + 1)
}
