import { NULL_LEVEL } from './comparisons.ts'
import type { Model } from './model.ts'
import type { LinkRecord } from './records.ts'

export const log2 = Math.log2
export const probabilityFromWeight = (w: number): number => 1 / (1 + 2 ** -w)
export const priorWeight = (model: Model): number => log2(model.lambda / (1 - model.lambda))

/** log2 Bayes factor of each level, with index 0 for an unknown value (which weighs nothing). */
export function levelWeights(model: Model): Float64Array[] {
  return model.comparisons.map((c, i) => Float64Array.from([0, ...c.levels.map((_, k) => log2(model.m[i][k] / model.u[i][k]))]))
}

/**
 * Splink's term-frequency adjustment: an exact match on value v weighs log2(m / tf(v)) instead of
 * log2(m / u), so agreeing on a rare surname is stronger evidence than agreeing on a common one.
 */
export function tfAdjustment(model: Model, c: number, l: LinkRecord, r: LinkRecord): number {
  const table = model.tf[c]
  const pick = model.comparisons[c].tfValue
  if (!table || !pick) return 0
  const tf = Math.max(table.get(pick(l)!) ?? 0, table.get(pick(r)!) ?? 0, model.tfMinimum)
  return log2(model.u[c][0]) - log2(tf)
}

export function scorePairs(model: Model, gammas: Int8Array, left: LinkRecord[], right: LinkRecord[], pairLeft: Int32Array, pairRight: Int32Array): Float64Array {
  const C = model.comparisons.length
  const n = gammas.length / C
  const table = levelWeights(model)
  const prior = priorWeight(model)
  const weights = new Float64Array(n)
  for (let p = 0; p < n; p++) {
    let w = prior
    for (let c = 0; c < C; c++) {
      const g = gammas[p * C + c]
      w += table[c][g + 1]
      if (g === 0 && model.tf[c]) w += tfAdjustment(model, c, left[pairLeft[p]], right[pairRight[p]])
    }
    weights[p] = w
  }
  return weights
}

export type WaterfallStep = { comparison: string; level: string; weight: number; tfAdjustment: number }

/** The explanation of one pair's score: the prior, then what each comparison added or took away. */
export function explainPair(model: Model, l: LinkRecord, r: LinkRecord) {
  const table = levelWeights(model)
  const steps: WaterfallStep[] = [{ comparison: 'prior', level: '', weight: priorWeight(model), tfAdjustment: 0 }]
  model.comparisons.forEach((c, i) => {
    const g = c.compare(l, r)
    const tf = g === 0 ? tfAdjustment(model, i, l, r) : 0
    steps.push({ comparison: c.name, level: g === NULL_LEVEL ? 'unknown' : c.levels[g], weight: table[i][g + 1], tfAdjustment: tf })
  })
  const weight = steps.reduce((a, s) => a + s.weight + s.tfAdjustment, 0)
  return { steps, weight, probability: probabilityFromWeight(weight) }
}
