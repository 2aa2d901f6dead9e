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
  const n = pairs.length
  // Record numbers may be those of a larger file than the counts given (the app works out one block of
  // sources at a time), so the arrays are sized by the numbers seen.
  let leftSize = 0
  let rightSize = 0
  for (let p = 0; p < n; p++) {
    leftSize = Math.max(leftSize, pairs.left[p] + 1)
    rightSize = Math.max(rightSize, pairs.right[p] + 1)
  }
  const partnerL = new Int32Array(leftSize).fill(-1)
  const partnerR = new Int32Array(rightSize).fill(-1)
  if (linked) {
    for (let p = 0; p < n; p++) {
      if (!linked.eligible[p] || linked.first[p] < linked.threshold) continue
      partnerL[pairs.left[p]] = pairs.right[p]
      partnerR[pairs.right[p]] = pairs.left[p]
    }
  }
  // Only pairs within 2^-20 of even odds can move a record's sum (against 1 - π, a few in a hundred); at
  // scale they are a few in a hundred of all pairs, so the rounds below run over those alone and the
  // rest are worked out once at the end.
  let m = 0
  for (let p = 0; p < n; p++) if (weights[p] > NEGLIGIBLE) m++
  const near = new Int32Array(m)
  for (let p = 0, k = 0; p < n; p++) if (weights[p] > NEGLIGIBLE) near[k++] = p
  const nearLeft = new Int32Array(m)
  const nearRight = new Int32Array(m)
  // λ·LR of each pair (the weight includes the prior odds λ / (1 - λ)), and whether it counts towards its
  // left and right records' sums: not when the other record of the pair is linked to someone else.
  const q = new Float64Array(m)
  const inLeft = new Uint8Array(m)
  const inRight = new Uint8Array(m)
  near.forEach((p, k) => {
    const a = pairs.left[p]
    const b = pairs.right[p]
    nearLeft[k] = a
    nearRight[k] = b
    q[k] = Math.exp(Math.min(1000, weights[p]) * Math.LN2) * (1 - lambda)
    inLeft[k] = partnerR[b] < 0 || partnerR[b] === a ? 1 : 0
    inRight[k] = partnerL[a] < 0 || partnerL[a] === b ? 1 : 0
  })
  const clamp = (x: number) => Math.min(0.999, Math.max(0.001, x))
  let piL = clamp(lambda * rightCount)
  let piR = clamp(lambda * leftCount)
  const sumL = new Float64Array(leftSize)
  const sumR = new Float64Array(rightSize)
  const sums = () => {
    // The per-pair prior is π / N rather than λ, so λ·LR is scaled by π / (λ·N).
    const scaleL = piL / (lambda * rightCount)
    const scaleR = piR / (lambda * leftCount)
    sumL.fill(0)
    sumR.fill(0)
    for (let k = 0; k < m; k++) {
      if (inLeft[k]) sumL[nearLeft[k]] += q[k] * scaleL
      if (inRight[k]) sumR[nearRight[k]] += q[k] * scaleR
    }
    return { scaleL, scaleR }
  }
  for (let round = 0; round < 50; round++) {
    sums()
    let matchedL = 0
    let matchedR = 0
    for (let a = 0; a < leftSize; a++) if (sumL[a]) matchedL += sumL[a] / (1 - piL + sumL[a])
    for (let b = 0; b < rightSize; b++) if (sumR[b]) matchedR += sumR[b] / (1 - piR + sumR[b])
    const nextL = clamp(matchedL / leftCount)
    const nextR = clamp(matchedR / rightCount)
    const change = Math.abs(nextL - piL) + Math.abs(nextR - piR)
    piL = nextL
    piR = nextR
    if (change < 1e-5) break
  }
  const { scaleL, scaleR } = sums()
  // A pair far from even odds: its records' sums are a few in a hundred at most unless they have a strong
  // candidate (which outranks this pair whatever), so it is worked out without them.
  const out = new Float64Array(n)
  const far = Math.min(scaleL / (1 - piL), scaleR / (1 - piR)) * (1 - lambda)
  if (wanted) {
    for (let p = 0; p < n; p++) if (wanted[p]) out[p] = far * Math.exp(Math.min(1000, weights[p]) * Math.LN2)
  } else for (let p = 0; p < n; p++) out[p] = far * Math.exp(Math.min(1000, weights[p]) * Math.LN2)
  for (let k = 0; k < m; k++) {
    const a = nearLeft[k]
    const b = nearRight[k]
    const l = q[k] * scaleL
    const r = q[k] * scaleR
    // A pair whose other record is taken is judged as if it were not: with itself in the sum.
    out[near[k]] = Math.min(l / (1 - piL + sumL[a] + (inLeft[k] ? 0 : l)), r / (1 - piR + sumR[b] + (inRight[k] ? 0 : r)))
  }
  return out
}

/** `recordProbabilities` twice: once for every pair, then again with the likely links of a one-to-one assignment taken out. */
export function oneToOneProbabilities(pairs: PairList, weights: Float64Array, eligible: Uint8Array, lambda: number, leftCount: number, rightCount: number): Float64Array {
  // The first pass is read only where the assignment took the pair.
  const first = recordProbabilities(pairs, weights, lambda, leftCount, rightCount, undefined, eligible)
  return recordProbabilities(pairs, weights, lambda, leftCount, rightCount, { eligible, first, threshold: 0.5 })
}
