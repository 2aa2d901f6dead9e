import { describeRule } from '../linkage/blocking.ts'
import { parseMapping } from '../linkage/mapping.ts'
import type { AliasTable } from '../linkage/nicknames.ts'
import { toLinkRecord, type LinkRecord } from '../linkage/records.ts'
import { explainPair, levelWeight, type WaterfallStep } from '../linkage/score.ts'
import { oneToOneProbabilities } from '../linkage/posterior.ts'
import { bestMatchesOnly, runLinkage } from '../linkage/service.ts'
import type { Model } from '../linkage/model.ts'

// "Who is on no roll": the pure part of a run, with no database, so it can run in a worker thread
// and be tested on plain arrays. Population records are first grouped into people (the same child
// is often in the GP list and the council tax file), then every record is linked against the rolls
// and the register; a person none of whose records links is a candidate.

/** The engine's fields as stored for a source row or read from the register. Dates are ISO. */
export type PersonFields = {
  forename: string | null; surname: string | null; dateOfBirth: string | null; sex: string | null
  postcode: string | null; address: string | null; nhsNumber: string | null; upn: string | null
}
export type PopulationRecord = PersonFields & { key: string; sourceId: string; sourceType: string; dataDate: string; recordRef: string }
export type KnownRecord = PersonFields & { key: string; label: string; href: string | null }

export type Evidence = { sourceId: string; sourceType: string; dataDate: string; recordRef: string } & PersonFields
/** The closest roll or register record; `claimed` when it linked to another child in the same run. */
export type NearMiss = { label: string; href: string | null; probability: number; weight: number; steps: WaterfallStep[]; claimed: boolean } & PersonFields
export type Candidate = { rank: number; fingerprint: string; person: PersonFields; evidence: Evidence[]; nearMiss: NearMiss | null }
export type ModelSummary = {
  lambda: number
  comparisons: { name: string; levels: { level: string; m: number; u: number; weight: number }[] }[]
  sessions: Model['sessions']
  /** How often different children of one home, and of one postcode unit, share a surname (decision 0013); absent in runs before it. */
  household?: { atHome: number; inUnit: number; homePairs: number; unitPairs: number } | null
}
/**
 * The run checked against the truth its own sources hold: a population record with the same NHS number or
 * UPN as exactly one roll or register record is taken to be that child. `sampled` of those pairs were scored
 * again with the identifiers left out, and `stillLinked` of them would still have linked: the rest would
 * have been false "on no roll" flags had the identifier been missing. `contradicted` counts the run's links
 * whose two records carry different NHS numbers or UPNs, of `linksWithIdentifiers` that could be checked.
 */
export type IdentifierCheck = {
  truthPairs: number; linkedToTruth: number; sampled: number; stillLinked: number; linksWithIdentifiers: number; contradicted: number
}
export type FindResult = {
  candidates: Candidate[]
  model: ModelSummary
  blocking: { rule: string; pairs: number }[]
  summary: {
    populationRecords: number; people: number; knownRecords: number; linkedPeople: number; candidates: number; timings: Record<string, number>
    identifierCheck: IdentifierCheck | null
  }
}

// Every engine field comes from the column of the same name; the row object is built here, so the
// mapping cannot be wrong.
export const MAPPING = parseMapping({
  id: 'key', dateFormat: 'ISO',
  fields: {
    forename: 'forename', surname: 'surname', dateOfBirth: 'dateOfBirth', sex: 'sex', postcode: 'postcode', address: 'address',
    nhsNumber: 'nhsNumber', upn: 'upn',
  },
})
const FILE = { id: 'key', dateFormat: 'ISO' as const, fields: Object.fromEntries(Object.entries(MAPPING.fields).map(([k, v]) => [k, v])), extra: [] }

export function linkRecordOf(r: PersonFields & { key: string }): LinkRecord {
  const row: Record<string, string> = { key: r.key }
  for (const f of ['forename', 'surname', 'dateOfBirth', 'sex', 'postcode', 'address', 'nhsNumber', 'upn'] as const) row[f] = r[f] ?? ''
  return toLinkRecord(row, FILE)
}

const fieldsOf = (r: PersonFields): PersonFields => ({
  forename: r.forename, surname: r.surname, dateOfBirth: r.dateOfBirth, sex: r.sex, postcode: r.postcode, address: r.address, nhsNumber: r.nhsNumber, upn: r.upn,
})

export function summariseModel(model: Model): ModelSummary {
  return {
    lambda: model.lambda,
    comparisons: model.comparisons.map((c, i) => ({
      name: c.name,
      levels: c.levels.map((level, k) => ({ level, m: model.m[i][k], u: model.u[i][k], weight: levelWeight(model, i, k) })),
    })),
    sessions: model.sessions,
    household: model.household ? { atHome: model.household.u[0], inUnit: model.household.u[2], homePairs: model.household.pairs[0], unitPairs: model.household.pairs[1] } : null,
  }
}

/** The same child is remembered across runs by NHS number where a source has one, else by name and date of birth. */
export function fingerprintOf(records: LinkRecord[]): string {
  const nhs = records.find((r) => r.nhsNumber)?.nhsNumber
  if (nhs) return `nhs:${nhs}`
  const r = records[0]
  return `person:${r.surname ?? ''}|${r.forenameFirst ?? ''}|${r.dob ?? ''}`
}

const filled = (r: PersonFields) => Object.values(r).filter((v) => v !== null && v !== '').length

export function findUnrolled(population: PopulationRecord[], known: KnownRecord[], threshold: number, aliases: AliasTable, progress: (stage: string) => void = () => {}): FindResult {
  const started = performance.now()
  const count = (n: number, one: string, many: string) => `${n.toLocaleString('en-GB')} ${n === 1 ? one : many}`
  progress(`Grouping ${count(population.length, 'population record', 'population records')} into children`)
  const mapping = { ...MAPPING, threshold }
  const pop = population.map(linkRecordOf)
  const kn = known.map(linkRecordOf)

  // People: population records clustered across sources.
  const people = new Map<number, number[]>()
  const dedupe = pop.length > 1 ? runLinkage(pop, null, mapping, aliases) : null
  pop.forEach((_, i) => {
    const c = dedupe ? dedupe.clusters[i] : i
    const list = people.get(c)
    if (list) list.push(i)
    else people.set(c, [i])
  })
  const afterDedupe = performance.now()

  // Each population record's strongest pair with a roll or register record, and whether it links. A source
  // holds a child once and a child is on one roll, so links are one to one between a population source and
  // the rolls, and between it and the register: the strongest pairs are taken first and each record is used
  // once, so a twin or a sibling at the same address links to their own record and the other child stays
  // free for theirs. A pair's probability then weighs the records' other candidates (decision 0013): most
  // children on a GP list are on a roll, so a child's only candidate is likelier their record than the pair
  // alone says, and a candidate already linked to another child does not count against it.
  const best = new Int32Array(pop.length).fill(-1)
  const bestProbability = new Float64Array(pop.length).fill(-1)
  const linked = new Uint8Array(pop.length)
  const linkedTo = new Int32Array(pop.length).fill(-1)
  const claimed = new Uint8Array(kn.length)
  let linkage: ReturnType<typeof runLinkage> | null = null
  if (pop.length && kn.length) {
    progress(`Linking ${count(people.size, 'child', 'children')} with ${count(kn.length, 'roll and register record', 'roll and register records')}`)
    linkage = runLinkage(pop, kn, mapping, aliases)
    const { pairs, weights } = linkage
    const chance = new Float64Array(pairs.length)
    const eligible = new Uint8Array(pairs.length)
    // Block number of a pair: its population source, then roll (0) or register (1). Worked out with numbers,
    // as there are millions of pairs at scale.
    const sources = [...new Set(population.map((r) => r.sourceId))]
    const sourceOf = Int32Array.from(population, (r) => sources.indexOf(r.sourceId))
    const kindOf = Uint8Array.from(known, (k) => (k.key.startsWith('c:') ? 1 : 0))
    const blockCount = sources.length * 2
    const leftCount = new Array<number>(blockCount).fill(0)
    const rightCount = new Array<number>(blockCount).fill(0)
    for (let i = 0; i < pop.length; i++) { leftCount[sourceOf[i] * 2]++; leftCount[sourceOf[i] * 2 + 1]++ }
    for (let j = 0; j < kn.length; j++) for (let b = kindOf[j]; b < blockCount; b += 2) rightCount[b]++
    const blockOf = (p: number) => sourceOf[pairs.left[p]] * 2 + kindOf[pairs.right[p]]
    const sizes = new Int32Array(blockCount + 1)
    for (let p = 0; p < pairs.length; p++) sizes[blockOf(p) + 1]++
    for (let b = 0; b < blockCount; b++) sizes[b + 1] += sizes[b]
    const order = new Int32Array(pairs.length)
    const fill = sizes.slice()
    for (let p = 0; p < pairs.length; p++) order[fill[blockOf(p)]++] = p
    for (let b = 0; b < blockCount; b++) {
      const list = order.subarray(sizes[b], sizes[b + 1])
      if (!list.length) continue
      const sub = { left: list.map((p) => pairs.left[p]), right: list.map((p) => pairs.right[p]), length: list.length }
      const subWeights = Float64Array.from(list, (p) => weights[p])
      const subEligible = bestMatchesOnly(sub, subWeights, pop.length, kn.length)
      const subChance = oneToOneProbabilities(sub, subWeights, subEligible, linkage.model.lambda, leftCount[b], rightCount[b])
      for (let k = 0; k < list.length; k++) { eligible[list[k]] = subEligible[k]; chance[list[k]] = subChance[k] }
    }
    for (let p = 0; p < pairs.length; p++) {
      const i = pairs.left[p]
      if (chance[p] > bestProbability[i]) {
        bestProbability[i] = chance[p]
        best[i] = pairs.right[p]
      }
      if (eligible[p] && chance[p] >= threshold) {
        linked[i] = 1
        linkedTo[i] = pairs.right[p]
        claimed[pairs.right[p]] = 1
      }
    }
  }
  progress('Checking the links against shared NHS numbers and UPNs, and listing the children on no roll')
  const identifierCheck = linkage ? checkAgainstIdentifiers(linkage.model, pop, kn, linkedTo, threshold) : null
  const afterLink = performance.now()

  const candidates: Candidate[] = []
  let linkedPeople = 0
  for (const members of people.values()) {
    if (members.some((i) => linked[i])) { linkedPeople++; continue }
    const nearest = members.reduce((a, b) => (bestProbability[b] > bestProbability[a] ? b : a))
    let nearMiss: NearMiss | null = null
    if (linkage && best[nearest] >= 0) {
      const k = known[best[nearest]]
      const explained = explainPair(linkage.model, pop[nearest], kn[best[nearest]])
      // The last step of the explanation is the other candidates': it takes the pair's own weight to the
      // weight of the probability the run used.
      const p = bestProbability[nearest]
      const weight = Math.log2(Math.max(p, 1e-300) / Math.max(1 - p, 1e-300))
      const steps = [...explained.steps, { comparison: 'candidates', level: 'one record per child', weight: weight - explained.weight, tfAdjustment: 0 }]
      nearMiss = { label: k.label, href: k.href, probability: p, weight, steps, claimed: claimed[best[nearest]] === 1, ...fieldsOf(k) }
    }
    const records = members.map((i) => population[i])
    const fullest = records.reduce((a, b) => (filled(b) > filled(a) ? b : a))
    candidates.push({
      rank: 0,
      fingerprint: fingerprintOf(members.map((i) => pop[i])),
      person: fieldsOf(fullest),
      evidence: records.map((r) => ({ sourceId: r.sourceId, sourceType: r.sourceType, dataDate: r.dataDate, recordRef: r.recordRef, ...fieldsOf(r) })),
      nearMiss,
    })
  }
  // Strongest evidence of residence first (more sources, then the most recent), and among equals
  // the child least like anyone on a roll.
  const sourcesOf = (c: Candidate) => new Set(c.evidence.map((e) => e.sourceId)).size
  const latest = (c: Candidate) => c.evidence.reduce((a, e) => (e.dataDate > a ? e.dataDate : a), '')
  candidates.sort((a, b) => sourcesOf(b) - sourcesOf(a) || latest(b).localeCompare(latest(a)) ||
    (a.nearMiss?.probability ?? 0) - (b.nearMiss?.probability ?? 0) || a.fingerprint.localeCompare(b.fingerprint))
  candidates.forEach((c, i) => { c.rank = i + 1 })

  const model = linkage?.model ?? dedupe?.model
  return {
    candidates,
    model: model ? summariseModel(model) : { lambda: 0, comparisons: [], sessions: [] },
    blocking: linkage ? linkage.blockingRules.map((rule, q) => ({ rule: describeRule(rule), pairs: linkage!.pairs.perRule[q] })) : [],
    summary: {
      populationRecords: pop.length, people: people.size, knownRecords: kn.length, linkedPeople, candidates: candidates.length, identifierCheck,
      timings: { dedupe: Math.round(afterDedupe - started), link: Math.round(afterLink - afterDedupe), review: Math.round(performance.now() - afterLink) },
    },
  }
}

const IDENTIFIERS = new Set(['nhs_number', 'upn'])
/** Enough pairs for a rate to about ±0.5%, few enough that explaining them one by one takes well under a second. */
const CHECK_SAMPLE = 2000

/**
 * How the run does where its sources hold the truth (see IdentifierCheck). Scoring without the identifiers
 * uses the pair's own probability, before the one-to-one step lifts a record's only candidate, so if
 * anything it understates how many would still link.
 */
export function checkAgainstIdentifiers(model: Model, pop: LinkRecord[], kn: LinkRecord[], linkedTo: Int32Array, threshold: number): IdentifierCheck {
  const index = (field: 'nhsNumber' | 'upn') => {
    const map = new Map<string, number>()
    kn.forEach((r, j) => {
      const v = r[field]
      // A number held by two known records says nothing certain about which child is which.
      if (v) map.set(v, map.has(v) ? -1 : j)
    })
    return map
  }
  const byNhs = index('nhsNumber')
  const byUpn = index('upn')
  const truth: [number, number][] = []
  let linkedToTruth = 0
  pop.forEach((r, i) => {
    const j = (r.nhsNumber ? byNhs.get(r.nhsNumber) : undefined) ?? (r.upn ? byUpn.get(r.upn) : undefined)
    if (j === undefined || j < 0) return
    truth.push([i, j])
    if (linkedTo[i] === j) linkedToTruth++
  })
  const step = Math.max(1, Math.ceil(truth.length / CHECK_SAMPLE))
  let sampled = 0
  let stillLinked = 0
  for (let t = 0; t < truth.length; t += step) {
    const [i, j] = truth[t]
    const { steps } = explainPair(model, pop[i], kn[j])
    const weight = steps.reduce((a, s) => (IDENTIFIERS.has(s.comparison) ? a : a + s.weight + s.tfAdjustment), 0)
    sampled++
    if (1 / (1 + 2 ** -weight) >= threshold) stillLinked++
  }
  let linksWithIdentifiers = 0
  let contradicted = 0
  linkedTo.forEach((j, i) => {
    if (j < 0) return
    const a = pop[i]
    const b = kn[j]
    const nhs = a.nhsNumber && b.nhsNumber
    const upn = a.upn && b.upn
    if (!nhs && !upn) return
    linksWithIdentifiers++
    if ((nhs && a.nhsNumber !== b.nhsNumber) || (upn && a.upn !== b.upn)) contradicted++
  })
  return { truthPairs: truth.length, linkedToTruth, sampled, stillLinked, linksWithIdentifiers, contradicted }
}
