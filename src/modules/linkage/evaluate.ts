import type { LinkRecord } from './records.ts'
import type { LinkageResult } from './service.ts'

export const THRESHOLDS = [0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999]

export type ThresholdScore = {
  threshold: number; truePositives: number; falsePositives: number; falseNegatives: number; precision: number; recall: number; f1: number
  /** Link only: right records left unlinked ("on no roll"), and how many of those are in fact on the left. */
  flagged?: number; falseFlags?: number; falseFlagRate?: number
}
export type GroupScore = { group: string; truePairs: number; found: number; recall: number; flagged?: number; falseFlags?: number; falseFlagRate?: number }
export type Evaluation = {
  truePairs: number; blockedTruePairs: number; blockingRecall: number; pairs: number; thresholds: ThresholdScore[]
  /** Recall (and, for a link, false flags) by age band and by sex at p >= 0.5, as ONS reports linkage quality. */
  breakdown: { on: string; threshold: number; ageBands: GroupScore[]; sexes: GroupScore[] }
}

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
export function evaluateLinkage(result: LinkageResult, left: LinkRecord[], right: LinkRecord[] | null, on = new Date().toISOString().slice(0, 10)): Evaluation {
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
  return {
    truePairs, blockedTruePairs, blockingRecall: truePairs ? blockedTruePairs / truePairs : 1, pairs: pairs.length, thresholds,
    breakdown: { on, threshold: 0.5, ...breakdown(result, left, right, 0.5, on) },
  }
}

const AGE_BANDS = ['under 5', '5 to 10', '11 to 15', '16 and over', 'not known'] as const
export function ageBand(dob: string | null, on: string): string {
  if (!dob) return 'not known'
  let age = Number(on.slice(0, 4)) - Number(dob.slice(0, 4))
  if (on.slice(5) < dob.slice(5)) age--
  return age < 5 ? 'under 5' : age <= 10 ? '5 to 10' : age <= 15 ? '11 to 15' : '16 and over'
}
const sexOf = (r: LinkRecord) => (r.sex === 'F' ? 'female' : r.sex === 'M' ? 'male' : 'not known')

/**
 * Found true pairs out of all true pairs, grouped by the left record's age band and sex (the truth side),
 * and, for a link, false flags grouped by the unlinked right record's. Groups come from the records' own
 * values, so a record whose date of birth is mistyped counts in the band its date says.
 */
function breakdown(result: LinkageResult, left: LinkRecord[], right: LinkRecord[] | null, threshold: number, on: string): { ageBands: GroupScore[]; sexes: GroupScore[] } {
  const other = right ?? left
  const groupings: [string, (r: LinkRecord) => string, readonly string[]][] = [
    ['age', (r) => ageBand(r.dob, on), AGE_BANDS], ['sex', sexOf, ['female', 'male', 'not known']],
  ]
  const out = groupings.map(([, groupOf, names]) => {
    const scores = new Map(names.map((g) => [g, { group: g, truePairs: 0, found: 0, recall: 1, ...(right ? { flagged: 0, falseFlags: 0, falseFlagRate: 0 } : {}) } as GroupScore]))
    // True pairs by the left record's group: every left record's copies on the other side.
    const byTruth = new Map<string, number[]>()
    other.forEach((r, j) => { if (r.truth) (byTruth.get(r.truth) ?? byTruth.set(r.truth, []).get(r.truth)!).push(j) })
    left.forEach((l, i) => {
      if (!l.truth) return
      const copies = (byTruth.get(l.truth) ?? []).filter((j) => right || j > i)
      scores.get(groupOf(l))!.truePairs += copies.length
    })
    for (let p = 0; p < result.pairs.length; p++) {
      if (!result.isEligible[p] || result.probabilities[p] < threshold) continue
      const l = left[result.pairs.left[p]]
      if (l.truth && l.truth === other[result.pairs.right[p]].truth) scores.get(groupOf(l))!.found++
    }
    if (right) {
      const linked = new Uint8Array(right.length)
      for (let p = 0; p < result.pairs.length; p++) if (result.isEligible[p] && result.probabilities[p] >= threshold) linked[result.pairs.right[p]] = 1
      const onLeft = new Set(left.map((r) => r.truth).filter(Boolean))
      right.forEach((r, j) => {
        if (linked[j]) return
        const g = scores.get(groupOf(r))!
        g.flagged!++
        if (r.truth && onLeft.has(r.truth)) g.falseFlags!++
      })
    }
    for (const g of scores.values()) {
      g.recall = g.truePairs ? g.found / g.truePairs : 1
      if (g.flagged !== undefined) g.falseFlagRate = g.flagged ? g.falseFlags! / g.flagged : 0
    }
    return [...scores.values()]
  })
  return { ageBands: out[0], sexes: out[1] }
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
