import { dateOfBirth, sexOf as sexValue, type Table } from './encode.ts'
import type { LinkageResult } from './service.ts'

export const THRESHOLDS = [0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999]

export type ThresholdScore = {
  threshold: number; truePositives: number; falsePositives: number; falseNegatives: number; precision: number; recall: number; f1: number
  /** Link only: right records left unlinked ("on no roll"), and how many of those are in fact on the left. */
  flagged?: number; falseFlags?: number; falseFlagRate?: number
  /** The same among flagged records with a date of birth: Lantern's runs take only those (age decides school age). */
  flaggedWithDob?: number; falseFlagsWithDob?: number; falseFlagRateWithDob?: number
}
export type GroupScore = { group: string; truePairs: number; found: number; recall: number; flagged?: number; falseFlags?: number; falseFlagRate?: number }
export type Evaluation = {
  truePairs: number; blockedTruePairs: number; blockingRecall: number; pairs: number; thresholds: ThresholdScore[]
  /** Recall (and, for a link, false flags) by age band and by sex at p >= 0.5, as ONS reports linkage quality. */
  breakdown: { on: string; threshold: number; ageBands: GroupScore[]; sexes: GroupScore[] }
}

const truthOf = (t: Table): (string | null)[] => {
  if (!t.truth) throw new Error('Evaluation needs the truth column')
  return t.truth
}

function countTruePairs(left: Table, right: Table | null): number {
  const count = (t: Table) => {
    const m = new Map<string, number>()
    for (const v of truthOf(t)) if (v) m.set(v, (m.get(v) ?? 0) + 1)
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
export function evaluateLinkage(result: LinkageResult, left: Table, right: Table | null, on = new Date().toISOString().slice(0, 10)): Evaluation {
  const lt = truthOf(left)
  const rt = truthOf(right ?? left)
  const truePairs = countTruePairs(left, right)
  const { pairs, probabilities } = result
  // Pairs a one-to-one link set aside are predicted non-matches whatever their own score.
  const isTrue = new Uint8Array(pairs.length)
  let blockedTruePairs = 0
  for (let p = 0; p < pairs.length; p++) {
    const a = lt[pairs.left[p]]
    if (a && a === rt[pairs.right[p]]) { isTrue[p] = 1; blockedTruePairs++ }
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
const sexGroup = (t: Table, i: number) => { const v = sexValue(t, i); return v === 'F' ? 'female' : v === 'M' ? 'male' : 'not known' }

/**
 * Found true pairs out of all true pairs, grouped by the left record's age band and sex (the truth side),
 * and, for a link, false flags grouped by the unlinked right record's. Groups come from the records' own
 * values, so a record whose date of birth is mistyped counts in the band its date says.
 */
function breakdown(result: LinkageResult, left: Table, right: Table | null, threshold: number, on: string): { ageBands: GroupScore[]; sexes: GroupScore[] } {
  const other = right ?? left
  const lt = truthOf(left)
  const ot = truthOf(other)
  const groupings: [string, (t: Table, i: number) => string, readonly string[]][] = [
    ['age', (t, i) => ageBand(dateOfBirth(t, i), on), AGE_BANDS], ['sex', sexGroup, ['female', 'male', 'not known']],
  ]
  const out = groupings.map(([, groupOf, names]) => {
    const scores = new Map(names.map((g) => [g, { group: g, truePairs: 0, found: 0, recall: 1, ...(right ? { flagged: 0, falseFlags: 0, falseFlagRate: 0 } : {}) } as GroupScore]))
    // True pairs by the left record's group: every left record's copies on the other side.
    const byTruth = new Map<string, number[]>()
    ot.forEach((v, j) => { if (v) (byTruth.get(v) ?? byTruth.set(v, []).get(v)!).push(j) })
    lt.forEach((v, i) => {
      if (!v) return
      const copies = (byTruth.get(v) ?? []).filter((j) => right || j > i)
      scores.get(groupOf(left, i))!.truePairs += copies.length
    })
    for (let p = 0; p < result.pairs.length; p++) {
      if (!result.isEligible[p] || result.probabilities[p] < threshold) continue
      const i = result.pairs.left[p]
      if (lt[i] && lt[i] === ot[result.pairs.right[p]]) scores.get(groupOf(left, i))!.found++
    }
    if (right) {
      const linked = linkedRight(result, right.size, threshold)
      const onLeft = new Set(lt.filter(Boolean))
      for (let j = 0; j < right.size; j++) {
        if (linked[j]) continue
        const g = scores.get(groupOf(right, j))!
        g.flagged!++
        if (ot[j] && onLeft.has(ot[j])) g.falseFlags!++
      }
    }
    for (const g of scores.values()) {
      g.recall = g.truePairs ? g.found / g.truePairs : 1
      if (g.flagged !== undefined) g.falseFlagRate = g.flagged ? g.falseFlags! / g.flagged : 0
    }
    return [...scores.values()]
  })
  return { ageBands: out[0], sexes: out[1] }
}

function linkedRight(result: LinkageResult, size: number, threshold: number): Uint8Array {
  const linked = new Uint8Array(size)
  for (let p = 0; p < result.pairs.length; p++) {
    if (result.isEligible[p] && result.probabilities[p] >= threshold) linked[result.pairs.right[p]] = 1
  }
  return linked
}

/** The figure that matters most for "who is on no roll": unlinked right records that are on the left after all. */
function falseFlags(result: LinkageResult, left: Table, right: Table, threshold: number) {
  const linked = linkedRight(result, right.size, threshold)
  const onLeft = new Set(truthOf(left).filter(Boolean))
  const rt = truthOf(right)
  let flagged = 0
  let wrong = 0
  let flaggedWithDob = 0
  let wrongWithDob = 0
  for (let j = 0; j < right.size; j++) {
    if (linked[j]) continue
    const isWrong = rt[j] !== null && onLeft.has(rt[j])
    const hasDob = right.dob[j] >= 0
    flagged++
    if (isWrong) wrong++
    if (hasDob) flaggedWithDob++
    if (hasDob && isWrong) wrongWithDob++
  }
  return {
    flagged, falseFlags: wrong, falseFlagRate: flagged ? wrong / flagged : 0,
    flaggedWithDob, falseFlagsWithDob: wrongWithDob, falseFlagRateWithDob: flaggedWithDob ? wrongWithDob / flaggedWithDob : 0,
  }
}
