import { blockPairs, describeRule, type BlockCache, type BlockingRule, type Pairs } from './blocking.ts'
import { NULL_LEVEL, type Comparison } from './comparisons.ts'
import { type Table } from './encode.ts'
import { NumberMap } from './hash-tables.ts'

/** Trained Fellegi-Sunter parameters: m and u per comparison level, and the prior λ. */
export type Model = {
  comparisons: Comparison[]
  lambda: number
  m: number[][]
  u: number[][]
  /** Relative frequency of each value across all records, for term-frequency adjustment of exact matches. */
  tf: (Map<string, number> | null)[]
  tfMinimum: number
  sessions: { rule: string; pairs: number; patterns: number; iterations: number; lambda: number }[]
  /** How often two different children who share a home share a surname; null when not measured. */
  household: Household | null
}

/**
 * Surname and residence are not independent: children of one household share both. So when the residence
 * comparison says "the same home", an exact surname weighs log2(m / u) with u measured among different
 * children of one home (most of them siblings), not among random pairs, and without its term-frequency
 * adjustment: a rare surname is rare in the area, not in the house.
 */
export type Household = {
  surname: number
  residence: number
  /** Per residence level: u of an exact surname among different children at that level, or 0 where not a home. */
  u: number[]
  /** The pairs of different children each figure came from (same address, then same postcode unit). */
  pairs: [number, number]
}

// A pseudo-count per level, so that a level never seen in training gets a large but finite weight
// instead of an infinite one decided by sampling luck.
const PSEUDO_COUNT = 0.5

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Comparison levels for every pair, flattened: pair p, comparison c is at p * C + c. */
export function computeGammas(comps: Comparison[], left: Table, right: Table, pairs: Pick<Pairs, 'left' | 'right' | 'length'>): Int8Array {
  const C = comps.length
  const out = new Int8Array(pairs.length * C)
  for (let c = 0; c < C; c++) comps[c].compareAll(left, right, pairs.left, pairs.right, out, C, c)
  return out
}

function normalise(counts: number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0) + PSEUDO_COUNT * counts.length
  return counts.map((n) => (n + PSEUDO_COUNT) / total)
}

/** u from random pairs, which are almost all non-matches whatever the data. */
export function estimateU(comps: Comparison[], left: Table, right: Table | null, samples: number, seed: number): number[][] {
  const random = mulberry32(seed)
  const other = right ?? left
  const counts = comps.map((c) => c.levels.map(() => 0))
  const ls: number[] = []
  const rs: number[] = []
  if (left.size * other.size <= samples) {
    // Small files: every pair, so that u does not depend on the luck of the draw.
    for (let i = 0; i < left.size; i++) for (let j = right ? 0 : i + 1; j < other.size; j++) { ls.push(i); rs.push(j) }
  } else {
    for (let s = 0; s < samples; s++) {
      const i = Math.floor(random() * left.size)
      const j = Math.floor(random() * other.size)
      if (right || i !== j) { ls.push(i); rs.push(j) }
    }
  }
  const C = comps.length
  const gammas = computeGammas(comps, left, other, { left: Int32Array.from(ls), right: Int32Array.from(rs), length: ls.length })
  for (let p = 0; p < ls.length; p++) {
    for (let k = 0; k < C; k++) {
      const level = gammas[p * C + k]
      if (level !== NULL_LEVEL) counts[k][level]++
    }
  }
  return counts.map(normalise)
}

/** λ: pairs that strict deterministic rules accept, scaled up by a guess of those rules' recall. */
export function estimateLambda(left: Table, right: Table | null, rules: BlockingRule[], recall = 0.8, cache?: BlockCache): number {
  const total = right ? left.size * right.size : (left.size * (left.size - 1)) / 2
  if (!total) return 1e-6
  const found = rules.length ? blockPairs(left, right, rules, Infinity, Infinity, cache).length : 0
  return Math.min(0.5, Math.max(found / recall, 1) / total)
}

function defaultM(levels: number): number[] {
  // Matches mostly agree exactly; the rest is spread down the levels so that EM can move it.
  return Array.from({ length: levels }, (_, k) => (k === 0 ? 0.85 : 0.15 / (levels - 1)))
}

type Patterns = { gammas: Int8Array; counts: Float64Array; size: number }

/**
 * The distinct comparison patterns among the pairs, and how many pairs have each. A pattern is keyed by its
 * levels as digits in base 16 (unknown as 0), exactly while that fits in 53 bits, and by a string beyond.
 */
export function aggregatePatterns(gammas: Int8Array, C: number): Patterns {
  const index = new NumberMap(4096)
  const wide = new Map<string, number>()
  const exact = C * 4 <= 53
  const first: number[] = []
  const tally: number[] = []
  const n = gammas.length / C
  for (let p = 0; p < n; p++) {
    let k: number
    if (exact) {
      let key = 0
      for (let c = 0; c < C; c++) key = key * 16 + gammas[p * C + c] + 1
      k = index.getOrAdd(key, first.length)
    } else {
      const key = gammas.subarray(p * C, p * C + C).join(',')
      k = wide.get(key) ?? first.length
      if (k === first.length) wide.set(key, k)
    }
    if (k === first.length) { first.push(p); tally.push(1) } else tally[k]++
  }
  const size = first.length
  const out = new Int8Array(size * C)
  for (let k = 0; k < size; k++) out.set(gammas.subarray(first[k] * C, first[k] * C + C), k * C)
  return { gammas: out, counts: Float64Array.from(tally), size }
}

/**
 * Expectation maximisation of m with u held fixed, over aggregated comparison patterns, so that each
 * iteration costs the number of distinct patterns rather than the number of pairs (as fastLink does).
 * Comparisons in `skip` are those the training blocking rule fixed: they are left out of both steps.
 */
export function expectationMaximisation(patterns: Patterns, u: number[][], start: number[][], skip: Set<number>, maxIterations = 50) {
  const C = u.length
  const m = start.map((row) => [...row])
  let lambda = 0.3
  let iterations = 0
  for (; iterations < maxIterations; iterations++) {
    const acc = m.map((row) => row.map(() => 0))
    let matched = 0
    let total = 0
    for (let p = 0; p < patterns.size; p++) {
      let bf = 1
      for (let c = 0; c < C; c++) {
        const g = patterns.gammas[p * C + c]
        if (g !== NULL_LEVEL && !skip.has(c)) bf *= m[c][g] / u[c][g]
      }
      const prob = (lambda * bf) / (lambda * bf + 1 - lambda)
      const n = patterns.counts[p]
      const w = n * prob
      matched += w
      total += n
      for (let c = 0; c < C; c++) {
        const g = patterns.gammas[p * C + c]
        if (g !== NULL_LEVEL) acc[c][g] += w
      }
    }
    let change = Math.abs(matched / total - lambda)
    lambda = Math.min(1 - 1e-9, Math.max(1e-9, matched / total))
    for (let c = 0; c < C; c++) {
      if (skip.has(c)) continue
      const next = normalise(acc[c])
      for (let k = 0; k < next.length; k++) change = Math.max(change, Math.abs(next[k] - m[c][k]))
      m[c] = next
    }
    if (change < 1e-5) { iterations++; break }
  }
  return { m, lambda, iterations }
}

export type TrainOptions = { trainingRules: BlockingRule[]; deterministicRules: BlockingRule[]; uSamples: number; seed: number; maxTrainingPairs: number }

/**
 * Among pairs of records of one file that share a `home` value (and both have a surname), the share with
 * the same surname, and how many pairs that is from. Where a file holds a child once these are pairs of
 * different children; where it holds some twice (a file being deduplicated), the duplicates push the share
 * towards 1, which only makes a surname shared at home count for less.
 */
function sameSurnameShare(tables: Table[], homeOf: (t: Table, i: number) => number): { share: number; pairs: number } {
  let all = 0
  let same = 0
  const SURNAMES = 2 ** 21
  for (const t of tables) {
    // Each record's home and surname packed into one number, sorted: runs of one home, and within them runs
    // of one surname, are then read in order. (Hash tables keyed by home took seconds at a million records:
    // a cache miss per record.)
    const keys = new Float64Array(t.size)
    let n = 0
    for (let i = 0; i < t.size; i++) {
      const h = homeOf(t, i)
      if (h >= 0 && t.surname[i] >= 0) keys[n++] = h * SURNAMES + (t.surname[i] % SURNAMES)
    }
    const sorted = keys.subarray(0, n).sort()
    for (let start = 0; start < n;) {
      const home = Math.floor(sorted[start] / SURNAMES)
      let end = start + 1
      while (end < n && Math.floor(sorted[end] / SURNAMES) === home) end++
      all += ((end - start) * (end - start - 1)) / 2
      for (let k = start; k < end;) {
        let e = k + 1
        while (e < end && sorted[e] === sorted[k]) e++
        same += ((e - k) * (e - k - 1)) / 2
        k = e
      }
      start = end
    }
  }
  // Half a pair either way, so that a file with no shared homes gives a middling figure rather than 0 or 1.
  return { share: (same + 0.5) / (all + 1), pairs: all }
}

/** An address within a postcode as one 32-bit number (two homes sharing one only blur the figure a little). */
function homeHash(postcode: number, address: number): number {
  const mix = (x: number) => {
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
    return x ^ (x >>> 16)
  }
  return mix(mix(postcode + 0x9e3779b9) + Math.imul(address, 0x27d4eb2f)) >>> 0
}

function measureHousehold(comps: Comparison[], tables: Table[], m: number[][]): Household | null {
  const surname = comps.findIndex((c) => c.name === 'surname')
  const residence = comps.findIndex((c) => c.name === 'residence')
  if (surname < 0 || residence < 0) return null
  // A home is an address within a postcode: the same house number and street name recur across a large area.
  const address = sameSurnameShare(tables, (t, i) => (t.postcode[i] < 0 || t.address[i] < 0 ? -1 : homeHash(t.postcode[i], t.address[i])))
  const unit = sameSurnameShare(tables, (t, i) => t.postcode[i])
  // Too few homes shared to measure: keep the independent weights.
  if (address.pairs < 20 || unit.pairs < 20) return null
  const clamp = (u: number) => Math.max(u, m[surname][0] / 1024)
  // Levels: same address, similar address same postcode, postcode unit, same address other postcode.
  const u = comps[residence].levels.map((_, k) => (k === 0 || k === 1 || k === 3 ? clamp(address.share) : k === 2 ? clamp(unit.share) : 0))
  return { surname, residence, u, pairs: [address.pairs, unit.pairs] }
}

/** The weight of an exact surname for a pair at residence level `level`, when the household figure replaces it. */
export function householdWeight(model: Model, level: number): number | null {
  const h = model.household
  if (!h || level < 0 || !h.u[level]) return null
  return Math.log2(model.m[h.surname][0] / h.u[level])
}

/** With `cache`, the blocks made for the deterministic and training rules are kept there for blocking to use again. */
export function trainModel(comps: Comparison[], left: Table, right: Table | null, opts: TrainOptions, cache?: BlockCache): Model {
  const other = right ?? left
  const u = estimateU(comps, left, right, opts.uSamples, opts.seed)
  const lambda = estimateLambda(left, right, opts.deterministicRules, 0.8, cache)
  const sums = comps.map((c) => c.levels.map(() => 0))
  const sessionsPer = comps.map(() => 0)
  const sessions: Model['sessions'] = []
  for (const rule of opts.trainingRules) {
    const pairs = blockPairs(left, right, [rule], opts.maxTrainingPairs, Infinity, cache)
    if (!pairs.length) continue
    const patterns = aggregatePatterns(computeGammas(comps, left, other, pairs), comps.length)
    const skip = new Set(comps.flatMap((c, i) => (c.uses.some((k) => rule.includes(k)) ? [i] : [])))
    const fit = expectationMaximisation(patterns, u, comps.map((c) => defaultM(c.levels.length)), skip)
    comps.forEach((_, i) => {
      if (skip.has(i)) return
      fit.m[i].forEach((v, k) => (sums[i][k] += v))
      sessionsPer[i]++
    })
    sessions.push({ rule: describeRule(rule), pairs: pairs.length, patterns: patterns.size, iterations: fit.iterations, lambda: fit.lambda })
  }
  const m = comps.map((c, i) => (sessionsPer[i] ? sums[i].map((v) => v / sessionsPer[i]) : defaultM(c.levels.length)))
  const tables = right ? [left, right] : [left]
  const tf = comps.map((c) => {
    if (!c.tf) return null
    // Name comparisons are the only ones with term frequencies, and names share one dictionary.
    const values = left.dicts.names.values
    const counts = new Float64Array(values.length)
    let n = 0
    for (const t of tables) {
      const column = c.tf(t)
      for (let i = 0; i < t.size; i++) if (column[i] >= 0) { counts[column[i]]++; n++ }
    }
    const table = new Map<string, number>()
    for (let v = 0; v < counts.length; v++) if (counts[v]) table.set(values[v], counts[v] / n)
    return table
  })
  const records = left.size + (right ? right.size : 0)
  const household = measureHousehold(comps, tables, m)
  return { comparisons: comps, lambda, m, u, tf, tfMinimum: 1 / Math.max(1, records), sessions, household }
}
