import type { Pairs } from './blocking.ts'

type PairList = Pick<Pairs, 'left' | 'right' | 'length'>

const NEGLIGIBLE = -20

/**
 * The probability that a pair is the same child when each file holds a child at most once (decision 0013).
 *
 * A pair's own match weight compares "these two are one child" with "they are two", with the prior that
 * any two records are one child (λ, about one in the size of the other file). But a record of a GP list
 * has its match somewhere on the rolls with probability π (about 0.95), and if its only candidate is a
 * so-so pair, that pair is where the match most likely is: seen from the record, the chance of the pair is
 * (π/N)·LR over (1 - π) + (π/N)·(the same summed over all its candidates). Worked out from both records of
 * the pair, the smaller is kept, so a pair must be the best explanation of both records; π for each file is
 * estimated from the data (the expected share of its records that have a match) by a few rounds of EM.
 *
 * `linked` (a one-to-one assignment, `eligible`, and the first pass's probabilities: its pairs at or above
 * `threshold` are taken as links) takes candidates out of the sums when they are linked to another record: an Oliver Smith with no date of birth has
 * two namesakes on the roll, but if one of them is linked to the other Oliver Smith of the GP list by
 * date of birth, the namesake left is the one that counts.
 *
 * With `wanted`, only the pairs it marks (and those near even odds) are given a probability; the others are
 * left at 0 (the first pass needs only the pairs of the one-to-one assignment).
 */
export function recordProbabilities(pairs: PairList, weights: Float64Array, lambda: number, leftCount: number, rightCount: number,
  linked?: { eligible: Uint8Array; first: Float64Array; threshold: number }, wanted?: Uint8Array): Float64Array {
  const near = nearPairs(pairs, weights, lambda)
  let partners: Partners | undefined
  if (linked) {
    partners = noPartners(near)
    for (let p = 0; p < pairs.length; p++) if (linked.eligible[p] && linked.first[p] >= linked.threshold) partners.link(pairs.left[p], pairs.right[p])
  }
  return probabilitiesOf(pairs, weights, near, estimate(near, lambda, leftCount, rightCount, partners), wanted)
}

/** `recordProbabilities` twice: once for the pairs of a one-to-one assignment, then for every pair with the likely links of that assignment taken out. */
export function oneToOneProbabilities(pairs: PairList, weights: Float64Array, eligible: Uint8Array, lambda: number, leftCount: number, rightCount: number): Float64Array {
  return oneToOneLinks(pairs, weights, eligible, lambda, leftCount, rightCount).probabilities
}

/**
 * `oneToOneProbabilities`, and for explaining a pair `otherCandidates(p)`: the bits the record-level
 * probability adds to pair p's own weight, so that weights[p] + otherCandidates(p) is the weight (log2
 * odds) of the probability used: decision 0013's "Other candidates" step, which makes the waterfall add up.
 * It is worked out only when asked (for the pairs written out), fastest with p ascending.
 */
export function oneToOneLinks(pairs: PairList, weights: Float64Array, eligible: Uint8Array, lambda: number, leftCount: number, rightCount: number) {
  const near = nearPairs(pairs, weights, lambda)
  const first = estimate(near, lambda, leftCount, rightCount)
  // A pair far from even odds has a chance of a few in a thousand at most (see `probabilitiesOf`), so only
  // near pairs can be likely links: the first pass needs no loop over every pair.
  const partners = noPartners(near)
  for (let k = 0; k < near.count; k++) {
    const p = near.pairs[k]
    if (eligible[p] && first.probability(k) >= LIKELY) partners.link(near.left[k], near.right[k])
  }
  const second = estimate(near, lambda, leftCount, rightCount, partners)
  const probabilities = probabilitiesOf(pairs, weights, near, second)
  const nearIndex = indexOfNear(near)
  const log2Far = Math.log2(second.far)
  const otherCandidates = (p: number): number => {
    const k = nearIndex(p)
    if (k >= 0) return second.otherCandidates(k)
    // A far pair's chance is far·2^w (as `probabilitiesOf` has it), below one in a thousand.
    const chance = second.far * Math.exp(Math.min(1000, weights[p]) * Math.LN2)
    return log2Far - Math.log1p(-chance) / Math.LN2
  }
  return { probabilities, otherCandidates }
}

/** Pair number to near pair number (-1 for a far pair): a binary search, or a step on from the last answer when asked in order. */
function indexOfNear(near: Near): (p: number) => number {
  const list = near.pairs
  let at = 0
  return (p) => {
    if (at < list.length && list[at] <= p && (at + 64 >= list.length || list[at + 64] > p)) {
      while (list[at] < p) at++
    } else {
      let lo = 0
      let hi = list.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (list[mid] < p) lo = mid + 1
        else hi = mid
      }
      at = lo
    }
    return at < list.length && list[at] === p ? at : -1
  }
}

/** The chance at which the first pass's pairs count as links in the second. */
const LIKELY = 0.5

/**
 * The pairs within 2^-20 of even odds: only they can move a record's sum (against 1 - π, a few in a hundred).
 * At scale they are a few in a hundred of all pairs, so the rounds of EM run over these alone and the rest
 * are worked out once at the end. Record numbers may be those of a larger file than the counts given (the
 * app works out one block of sources at a time), so the sums are sized by the numbers seen.
 */
function nearPairs(pairs: PairList, weights: Float64Array, lambda: number) {
  const n = pairs.length
  let count = 0
  let leftSize = 0
  let rightSize = 0
  for (let p = 0; p < n; p++) {
    if (!(weights[p] > NEGLIGIBLE)) continue
    count++
    if (pairs.left[p] >= leftSize) leftSize = pairs.left[p] + 1
    if (pairs.right[p] >= rightSize) rightSize = pairs.right[p] + 1
  }
  const near = { count, leftSize, rightSize, pairs: new Int32Array(count), left: new Int32Array(count), right: new Int32Array(count), q: new Float64Array(count) }
  for (let p = 0, k = 0; p < n; p++) {
    if (!(weights[p] > NEGLIGIBLE)) continue
    near.pairs[k] = p
    near.left[k] = pairs.left[p]
    near.right[k] = pairs.right[p]
    // λ·LR of the pair (the weight includes the prior odds λ / (1 - λ)).
    near.q[k] = Math.exp(Math.min(1000, weights[p]) * Math.LN2) * (1 - lambda)
    k++
  }
  return near
}
type Near = ReturnType<typeof nearPairs>

/** Each record's likely link, from the first pass (-1 for none). */
function noPartners(near: Near) {
  const left = new Int32Array(near.leftSize).fill(-1)
  const right = new Int32Array(near.rightSize).fill(-1)
  return {
    left, right,
    link(a: number, b: number) {
      // A likely link is a near pair, so its records are within the sizes. (A far pair linked at a tiny
      // `threshold` may not be: the write is then dropped, and only near pairs' records are ever read.)
      left[a] = b
      right[b] = a
    },
  }
}
type Partners = ReturnType<typeof noPartners>

/**
 * π for each file by a few rounds of EM, and each record's sum over its near candidates. A candidate does
 * not count towards a record's sum when its other record is linked to someone else (`partners`).
 */
function estimate(near: Near, lambda: number, leftCount: number, rightCount: number, partners?: Partners) {
  const m = near.count
  const inLeft = new Uint8Array(m).fill(1)
  const inRight = new Uint8Array(m).fill(1)
  if (partners) {
    for (let k = 0; k < m; k++) {
      const a = near.left[k]
      const b = near.right[k]
      const pr = partners.right[b]
      const pl = partners.left[a]
      inLeft[k] = pr < 0 || pr === a ? 1 : 0
      inRight[k] = pl < 0 || pl === b ? 1 : 0
    }
  }
  const clamp = (x: number) => Math.min(0.999, Math.max(0.001, x))
  let piL = clamp(lambda * rightCount)
  let piR = clamp(lambda * leftCount)
  const sumL = new Float64Array(near.leftSize)
  const sumR = new Float64Array(near.rightSize)
  let scaleL = 0
  let scaleR = 0
  const sums = () => {
    // The per-pair prior is π / N rather than λ, so λ·LR is scaled by π / (λ·N).
    scaleL = piL / (lambda * rightCount)
    scaleR = piR / (lambda * leftCount)
    sumL.fill(0)
    sumR.fill(0)
    for (let k = 0; k < m; k++) {
      if (inLeft[k]) sumL[near.left[k]] += near.q[k] * scaleL
      if (inRight[k]) sumR[near.right[k]] += near.q[k] * scaleR
    }
  }
  for (let round = 0; round < 50; round++) {
    sums()
    let matchedL = 0
    let matchedR = 0
    for (let a = 0; a < near.leftSize; a++) if (sumL[a]) matchedL += sumL[a] / (1 - piL + sumL[a])
    for (let b = 0; b < near.rightSize; b++) if (sumR[b]) matchedR += sumR[b] / (1 - piR + sumR[b])
    const nextL = clamp(matchedL / leftCount)
    const nextR = clamp(matchedR / rightCount)
    const change = Math.abs(nextL - piL) + Math.abs(nextR - piR)
    piL = nextL
    piR = nextR
    if (change < 1e-5) break
  }
  sums()
  // For `otherCandidates`: each record's largest counted candidate (a near pair number, -1 for none) and the
  // sum of the others, made once when first asked. The sum less a pair's own share loses every digit when that
  // share is most of the sum (a pair of 60 bits against 1 - π of a few in a hundred).
  let top: { left: Int32Array; right: Int32Array; restL: Float64Array; restR: Float64Array } | null = null
  let ownL = 0
  let ownR = 0
  const tops = () => {
    const left = new Int32Array(near.leftSize).fill(-1)
    const right = new Int32Array(near.rightSize).fill(-1)
    for (let k = 0; k < m; k++) {
      if (inLeft[k] && (left[near.left[k]] < 0 || near.q[k] > near.q[left[near.left[k]]])) left[near.left[k]] = k
      if (inRight[k] && (right[near.right[k]] < 0 || near.q[k] > near.q[right[near.right[k]]])) right[near.right[k]] = k
    }
    const restL = new Float64Array(near.leftSize)
    const restR = new Float64Array(near.rightSize)
    for (let k = 0; k < m; k++) {
      if (inLeft[k] && left[near.left[k]] !== k) restL[near.left[k]] += near.q[k] * scaleL
      if (inRight[k] && right[near.right[k]] !== k) restR[near.right[k]] += near.q[k] * scaleR
    }
    return { left, right, restL, restR }
  }
  return {
    /** A pair far from even odds: its records' sums are a few in a hundred at most unless they have a strong candidate (which outranks this pair whatever), so it is worked out without them. */
    far: Math.min(scaleL / (1 - piL), scaleR / (1 - piR)) * (1 - lambda),
    /** The chance of near pair k. */
    probability(k: number): number {
      const l = near.q[k] * scaleL
      const r = near.q[k] * scaleR
      // A pair whose other record is taken is judged as if it were not: with itself in the sum.
      return Math.min(l / (1 - piL + sumL[near.left[k]] + (inLeft[k] ? 0 : l)), r / (1 - piR + sumR[near.right[k]] + (inRight[k] ? 0 : r)))
    },
    /**
     * log2 of the odds of near pair k's chance, less the pair's own weight. From record a, the odds are
     * (π/N)·LR over (1 - π) + (π/N)·(a's other candidates), and (π/N)·LR is 2^w·(1 - λ)·scale: so the
     * step is log2((1 - λ)·scale) - log2(1 - π + the others), the smaller of the two records' (as `probability`).
     */
    otherCandidates(k: number): number {
      if (!top) {
        top = tops()
        ownL = Math.log2((1 - lambda) * scaleL)
        ownR = Math.log2((1 - lambda) * scaleR)
      }
      const a = near.left[k]
      const b = near.right[k]
      const othersL = !inLeft[k] ? sumL[a] : top.left[a] === k ? top.restL[a] : sumL[a] - near.q[k] * scaleL
      const othersR = !inRight[k] ? sumR[b] : top.right[b] === k ? top.restR[b] : sumR[b] - near.q[k] * scaleR
      return Math.min(ownL - Math.log2(1 - piL + othersL), ownR - Math.log2(1 - piR + othersR))
    },
  }
}

/** Every pair's chance (or only those `wanted` marks, and near pairs; the rest left at 0). */
function probabilitiesOf(pairs: PairList, weights: Float64Array, near: Near, est: ReturnType<typeof estimate>, wanted?: Uint8Array): Float64Array {
  const n = pairs.length
  const out = new Float64Array(n)
  // far is at most 1000 (π is at most 0.999), so a far pair's chance is below 1000 * 2^-20, one in a thousand.
  const far = est.far
  if (wanted) {
    for (let p = 0; p < n; p++) if (wanted[p]) out[p] = far * Math.exp(Math.min(1000, weights[p]) * Math.LN2)
  } else for (let p = 0; p < n; p++) out[p] = far * Math.exp(Math.min(1000, weights[p]) * Math.LN2)
  for (let k = 0; k < near.count; k++) out[near.pairs[k]] = est.probability(k)
  return out
}
