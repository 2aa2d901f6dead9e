import type { AliasTable } from '../linkage/nicknames.ts'
import { explainPair, type WaterfallStep } from '../linkage/score.ts'
import { runLinkage } from '../linkage/service.ts'
import { linkRecordOf, MAPPING, type KnownRecord } from '../no-roll/find.ts'

// Likely duplicates among the children on the register: the linkage engine deduplicating the
// register against itself. Pure, so it runs in the linkage worker thread.

export type DuplicatePair = { a: string; b: string; probability: number; steps: WaterfallStep[] }

/** Pairs at or above `minimum`, strongest first; `exclude` holds "a|b" keys (a < b) an officer has said are different children. */
export function findDuplicatePairs(children: KnownRecord[], minimum: number, limit: number, exclude: string[], aliases: AliasTable): DuplicatePair[] {
  if (children.length < 2) return []
  const records = children.map(linkRecordOf)
  const result = runLinkage(records, null, { ...MAPPING, threshold: minimum }, aliases)
  const skip = new Set(exclude)
  const order = Array.from({ length: result.pairs.length }, (_, p) => p)
    .filter((p) => result.probabilities[p] >= minimum)
    .sort((x, y) => result.weights[y] - result.weights[x])
  const out: DuplicatePair[] = []
  for (const p of order) {
    const [i, j] = [result.pairs.left[p], result.pairs.right[p]]
    const [a, b] = [children[i].key, children[j].key].sort()
    if (skip.has(`${a}|${b}`)) continue
    const explained = explainPair(result.model, records[i], records[j])
    out.push({ a, b, probability: explained.probability, steps: explained.steps })
    if (out.length >= limit) break
  }
  return out
}
