import { compareOne, NULL_LEVEL } from './comparisons.ts'
import { Dictionaries, encodeTable, type Table } from './encode.ts'
import { householdWeight, type Model } from './model.ts'
import type { LinkRecord } from './records.ts'

export const log2 = Math.log2
export const probabilityFromWeight = (w: number): number => 1 / (1 + 2 ** -w)
export const priorWeight = (model: Model): number => log2(model.lambda / (1 - model.lambda))

/**
 * log2(m / u) of level k of comparison c. The last level ("else") is disagreement, so it never counts for
 * a match: where it was never seen in training or sampling, both m and u are pseudo-counts and their ratio
 * could otherwise come out positive.
 */
export function levelWeight(model: Model, c: number, k: number): number {
  const w = log2(model.m[c][k] / model.u[c][k])
  return k === model.comparisons[c].levels.length - 1 ? Math.min(0, w) : w
}

/** log2 Bayes factor of each level, with index 0 for an unknown value (which weighs nothing). */
export function levelWeights(model: Model): Float64Array[] {
  return model.comparisons.map((c, i) => Float64Array.from([0, ...c.levels.map((_, k) => levelWeight(model, i, k))]))
}

/**
 * Splink's term-frequency adjustment: an exact match on value v weighs log2(m / tf(v)) instead of
 * log2(m / u), so agreeing on a rare surname is stronger evidence than agreeing on a common one.
 * An exact match has the same value on both sides, so the adjustment is a function of that value.
 */
export function tfAdjustmentOf(model: Model, c: number, value: string): number {
  const table = model.tf[c]
  if (!table) return 0
  return log2(model.u[c][0]) - log2(Math.max(table.get(value) ?? 0, model.tfMinimum))
}

/** The adjustment for each value id of a comparison's column, for scoring many pairs. */
function tfAdjustments(model: Model, c: number, values: string[]): Float64Array | null {
  if (!model.tf[c]) return null
  return Float64Array.from(values, (v) => tfAdjustmentOf(model, c, v))
}

/** Each pair's match weight; `into` (when given) receives them. */
export function scorePairs(model: Model, gammas: Int8Array, left: Table, pairLeft: Int32Array, into?: Float64Array): Float64Array {
  const weights = into ?? new Float64Array(gammas.length / model.comparisons.length)
  pairScorer(model, left)(gammas, pairLeft, weights)
  return weights
}

/**
 * Scores pairs in parts (two threads each take chunks of the pairs): the weights of each level and the
 * term-frequency adjustment of each name are worked out once, and each call scores one part's pairs.
 */
export function pairScorer(model: Model, left: Table): (gammas: Int8Array, pairLeft: Int32Array, into: Float64Array) => void {
  const C = model.comparisons.length
  const table = levelWeights(model)
  const prior = priorWeight(model)
  const household = model.household
  // Indexed by residence level + 1, so that an unknown residence (-1) finds NaN and the usual weight applies.
  const atHome = household ? [NaN, ...household.u.map((_, k) => householdWeight(model, k) ?? NaN)] : []
  const columns = model.comparisons.map((c) => c.tf?.(left) ?? null)
  const tfs = columns.map((column, c) => (column ? tfAdjustments(model, c, left.dicts.names.values) : null))
  return (gammas, pairLeft, weights) => {
    const n = gammas.length / C
    weights.fill(prior, 0, n)
    for (let c = 0; c < C; c++) {
      const t = table[c]
      const column = columns[c]
      const tf = tfs[c]
      const home = household && household.surname === c ? household.residence : -1
      for (let p = 0; p < n; p++) {
        const g = gammas[p * C + c]
        if (g === 0 && home >= 0) {
          const w = atHome[gammas[p * C + home] + 1]
          if (!Number.isNaN(w)) { weights[p] += w; continue }
        }
        weights[p] += t[g + 1]
        // Exact means the same value id on both sides, so the left record's id is the value.
        if (g === 0 && tf) weights[p] += tf[column![pairLeft[p]]]
      }
    }
  }
}

export type WaterfallStep = { comparison: string; level: string; weight: number; tfAdjustment: number }

/** The explanation of one pair's score: the prior, then what each comparison added or took away. */
export function explainPair(model: Model, l: LinkRecord, r: LinkRecord) {
  const table = levelWeights(model)
  const dicts = new Dictionaries()
  const lt = encodeTable([l], dicts)
  const rt = encodeTable([r], dicts)
  const steps: WaterfallStep[] = [{ comparison: 'prior', level: '', weight: priorWeight(model), tfAdjustment: 0 }]
  const levels = model.comparisons.map((c) => compareOne(c, lt, 0, rt, 0))
  model.comparisons.forEach((c, i) => {
    const g = levels[i]
    const home = g === 0 && model.household?.surname === i ? householdWeight(model, levels[model.household.residence]) : null
    if (home !== null) {
      steps.push({ comparison: c.name, level: `${c.levels[g]}, same home`, weight: home, tfAdjustment: 0 })
      return
    }
    const column = c.tf?.(lt)
    const tf = g === 0 && column ? tfAdjustmentOf(model, i, dicts.names.values[column[0]]) : 0
    steps.push({ comparison: c.name, level: g === NULL_LEVEL ? 'unknown' : c.levels[g], weight: table[i][g + 1], tfAdjustment: tf })
  })
  const weight = steps.reduce((a, s) => a + s.weight + s.tfAdjustment, 0)
  return { steps, weight, probability: probabilityFromWeight(weight) }
}
