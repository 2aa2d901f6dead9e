import type { LinkRecord } from './records.ts'
import type { LinkageResult } from './service.ts'

export const THRESHOLDS = [0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999]

export type ThresholdScore = {
  threshold: number; truePositives: number; falsePositives: number; falseNegatives: number; precision: number; recall: number; f1: number
  /** Link only: right records left unlinked ("on no roll"), and how many of those are in fact on the left. */
  flagged?: number; falseFlags?: number; falseFlagRate?: number
}
export type Evaluation = { truePairs: number; blockedTruePairs: number; blockingRecall: number; pairs: number; thresholds: ThresholdScore[] }

function countTruePairs(left: LinkRecord[], right: LinkRecord[] | null): number {
  const count = (rs: LinkRecord[]) => {
    const m = new Map<string, number>()
    for (const r of rs) if (r.truth) m.set(r.truth, (m.get(r.truth) ?? 0) + 1)
    return m
  }
  const l = count(left)
  if (!right) return [...l.values()].reduce((a, n) => a + (n * (n - 1)) / 2, 0)
  const r = count(right)
  let total = 0
  for (const [k, n] of l) total += n * (r.get(k) ?? 0)
  return total
}

/** Pairwise precision, recall and F1, taking records with the same truth value as the same person. */
export function evaluateLinkage(result: LinkageResult, left: LinkRecord[], right: LinkRecord[] | null): Evaluation {
  const other = right ?? left
  const truePairs = countTruePairs(left, right)
  const { pairs, probabilities } = result
  // Pairs a one-to-one link set aside are predicted non-matches whatever their own score.
  const isTrue = new Uint8Array(pairs.length)
  let blockedTruePairs = 0
  for (let p = 0; p < pairs.length; p++) {
    const a = left[pairs.left[p]].truth
    if (a && a === other[pairs.right[p]].truth) { isTrue[p] = 1; blockedTruePairs++ }
  }
  const thresholds = THRESHOLDS.map((threshold) => {
    let tp = 0
    let fp = 0
    for (let p = 0; p < pairs.length; p++) {
      if (probabilities[p] < threshold || !result.isEligible[p]) continue
      if (isTrue[p]) tp++
      else fp++
    }
    const flags = right ? falseFlags(result, left, right, threshold) : {}
    const precision = tp + fp ? tp / (tp + fp) : 1
    const recall = truePairs ? tp / truePairs : 1
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0
    return { threshold, truePositives: tp, falsePositives: fp, falseNegatives: truePairs - tp, precision, recall, f1, ...flags }
  })
  return { truePairs, blockedTruePairs, blockingRecall: truePairs ? blockedTruePairs / truePairs : 1, pairs: pairs.length, thresholds }
}

/** The figure that matters most for "who is on no roll": unlinked right records that are on the left after all. */
function falseFlags(result: LinkageResult, left: LinkRecord[], right: LinkRecord[], threshold: number) {
  const linked = new Uint8Array(right.length)
  for (let p = 0; p < result.pairs.length; p++) {
    if (result.isEligible[p] && result.probabilities[p] >= threshold) linked[result.pairs.right[p]] = 1
  }
  const onLeft = new Set(left.map((r) => r.truth).filter(Boolean))
  let flagged = 0
  let wrong = 0
  right.forEach((r, j) => {
    if (linked[j]) return
    flagged++
    if (r.truth && onLeft.has(r.truth)) wrong++
  })
  return { flagged, falseFlags: wrong, falseFlagRate: flagged ? wrong / flagged : 0 }
}
