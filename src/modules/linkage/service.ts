import {
  assembleIndex, blockLimit, blockPairs, blocksOf, describeRule, joinRange, mergeSegments, withLimit, type BlockCache, type BlockIndex, type BlockingRule, type Blocks,
  type PairSegment, type Pairs,
} from './blocking.ts'
import { connectedComponents } from './clusters.ts'
import { buildComparisons, type Comparison } from './comparisons.ts'
import { encodePair, shareTable, type SharedTable, type Table } from './encode.ts'
import { fileMapping, type BlockingKey, type Mapping } from './mapping.ts'
import { computeGammas, trainModel, type Model, type TrainOptions } from './model.ts'
import type { AliasTable } from './nicknames.ts'
import type { LinkRecord } from './records.ts'
import { oneToOneLinks } from './posterior.ts'
import { pairScorer, probabilityFromWeight, scorePairs } from './score.ts'
import { startWorker } from '../../platform/worker.ts'

// Each rule is strict on its own, and together they tolerate an error in any one field: names alone
// would pair every Oliver Smith in a large file with every other.
export const DEFAULT_BLOCKING: BlockingRule[] = [
  ['nhsNumber'], ['upn'], ['forename', 'surname', 'birthYear'], ['forename', 'surname', 'postcodeDistrict'],
  // A date of birth is shared by a few hundred children in a population of a million, so it is paired with a
  // name or a place: date and initial alone made 28 million pairs at 1M x 1M, almost none of them matches.
  // (Date and forename, and Soundex of the surname and date, were left out: at 1M x 1M they made 1.1M pairs
  // and were the first to find 4 true pairs.)
  // The date with day and month in either order, as the generator and real typists swap them.
  ['birthDateAnyOrder', 'forenameInitial', 'surnameInitial'], ['dateOfBirth', 'surname'], ['dateOfBirth', 'postcodeDistrict'],
  ['surname', 'postcodeSector'], ['forename', 'postcodeSector'], ['postcode', 'birthYear'],
  // The same house and street, whatever the postcode says: a household is a handful of records.
  ['address', 'birthYear'], ['address', 'forenameInitial'],
  // A typo in each name and a day out in the date of birth: the names still sound alike, and the initial and
  // month still agree. (Initials, month and sex instead made 12M of 29M pairs at 1M x 1M for the same links.)
  ['forenameSoundex', 'surnameSoundex', 'birthYear'], ['forenameInitial', 'surnameSoundex', 'birthYearMonth'],
  ['forenameSoundex', 'surnameInitial', 'birthYearMonth'],
  // No date of birth and a move since the other source: the names, or one name and the other's initial,
  // are all that is left. Common names make blocks past the limit, which are skipped; rare ones are small.
  ['forename', 'surname'], ['surname', 'forenameInitial'], ['forename', 'surnameInitial'],
  // The same postcode unit, whatever else went wrong: a unit is a few households.
  ['postcode'],
]
// No session blocks on postcode: pairs sharing a postcode are mostly siblings and neighbours, and EM
// there learns "same household" rather than "same child".
export const DEFAULT_TRAINING: BlockingRule[] = [['dateOfBirth'], ['forename', 'surname']]
export const DETERMINISTIC: BlockingRule[] = [['nhsNumber'], ['upn'], ['forename', 'surname', 'dateOfBirth', 'postcode']]

export type LinkageResult = {
  model: Model
  pairs: Pairs
  gammas: Int8Array
  weights: Float64Array
  probabilities: Float64Array
  /**
   * One to one only (null otherwise): the bits that weighing the records' other candidates (decision 0013)
   * adds to pair p's own weight, so that weights[p] + otherCandidates(p) is the weight of its probability.
   */
  otherCandidates: ((p: number) => number) | null
  /** 0 where a one-to-one link gave one of the pair's records to a better match. */
  isEligible: Uint8Array
  /** Cluster number per record: left records first, then right. */
  clusters: Int32Array
  blockingRules: BlockingRule[]
  /** Milliseconds per step; from `linkTablesInParallel`, `train` ran in the worker beside blocking, not before it. */
  timings: Record<string, number>
}

const KEY_FIELD: Record<BlockingKey, keyof Mapping['fields']> = {
  forename: 'forename', forenameInitial: 'forename', forenameSoundex: 'forename', surname: 'surname', surnameInitial: 'surname', surnameSoundex: 'surname',
  dateOfBirth: 'dateOfBirth', birthYear: 'dateOfBirth', birthMonthDay: 'dateOfBirth', birthYearMonth: 'dateOfBirth', birthDateAnyOrder: 'dateOfBirth', sex: 'sex', postcode: 'postcode',
  postcodeSector: 'postcode', postcodeDistrict: 'postcode', nhsNumber: 'nhsNumber', upn: 'upn', address: 'address',
}

/** Rules that need a field one of the files lacks would produce no pairs, so they are dropped. */
function usableRules(rules: BlockingRule[], mapping: Mapping): BlockingRule[] {
  const l = fileMapping(mapping, 'left').fields
  const r = fileMapping(mapping, 'right').fields
  return rules.filter((rule) => rule.every((k) => l[KEY_FIELD[k]]?.length && r[KEY_FIELD[k]]?.length))
}

/** Links `left` to `right`, or deduplicates `left` when `right` is null: block, train, score, cluster. */
export function runLinkage(left: LinkRecord[], right: LinkRecord[] | null, mapping: Mapping, aliases: AliasTable, seed = 1): LinkageResult {
  const started = performance.now()
  const tables = encodePair(left, right)
  const result = linkTables(tables.left, right ? tables.right : null, mapping, aliases, seed)
  return { ...result, timings: { encode: performance.now() - started - Object.values(result.timings).reduce((a, b) => a + b, 0), ...result.timings } }
}

export function trainingOptions(mapping: Mapping, seed: number): TrainOptions {
  return {
    trainingRules: usableRules(mapping.training ?? DEFAULT_TRAINING, mapping),
    deterministicRules: usableRules(DETERMINISTIC, mapping),
    uSamples: 300_000,
    seed,
    // Enough pairs per session for the m probabilities to settle to a few in a thousand, and no more.
    maxTrainingPairs: 400_000,
  }
}

function comparisonsFor(mapping: Mapping, aliases: AliasTable): Comparison[] {
  const comps = buildComparisons(fileMapping(mapping, 'left'), fileMapping(mapping, 'right'), aliases)
  if (comps.length > 17) throw new Error('At most 17 comparisons are supported')
  return comps
}

function timer() {
  const timings: Record<string, number> = {}
  let mark = performance.now()
  return { timings, lap: (name: string) => { const now = performance.now(); timings[name] = (timings[name] ?? 0) + now - mark; mark = now } }
}

/** `runLinkage` on records already in columns (read by `readTables`, or encoded); `R` null deduplicates `L`. */
export function linkTables(L: Table, R: Table | null, mapping: Mapping, aliases: AliasTable, seed = 1): LinkageResult {
  const { timings, lap } = timer()
  const comps = comparisonsFor(mapping, aliases)
  const cache: BlockCache = new Map()
  const model = trainModel(comps, L, R, trainingOptions(mapping, seed), cache)
  lap('train')
  const blockingRules = usableRules(mapping.blocking ?? DEFAULT_BLOCKING, mapping)
  const pairs = blockPairs(L, R, blockingRules, Infinity, blockLimit, cache)
  lap('block')
  const gammas = computeGammas(comps, L, R ?? L, pairs)
  return finish(L, R, mapping, model, blockingRules, pairs, gammas, timings, lap)
}

export type TrainTask = { left: SharedTable; right: SharedTable | null; mapping: Mapping; seed: number }
/** The worker's first answer: the model, and how long training took in the worker. */
export type TrainedModel = { model: Omit<Model, 'comparisons'>; trainMs: number }
/**
 * The blocking rules to index: each thread takes the next rule of `order` from `next` (shared) until none is
 * left. The rules training blocks on too come last: the worker has their blocks once trained, and the main
 * thread makes them itself only if it runs out of other rules first (as with small files, where training
 * takes longer than indexing).
 */
export type IndexTask = { kind: 'index'; rules: BlockingRule[]; order: number[]; next: SharedArrayBuffer }
export type IndexedRules = { indexed: { rule: number; blocks: Blocks }[] }
/** Ranges of left records to join: each thread takes the next chunk from `next` (shared) until none is left. */
export type BlockTask = { kind: 'block'; index: BlockIndex; chunks: number; next: SharedArrayBuffer }
export type BlockedChunks = { blocked: { chunk: number; segment: PairSegment }[] }
/**
 * The pairs to compare and score, in chunks that each thread takes in turn from `next` (shared) until none is
 * left, writing levels and weights into the shared gammas and weights. Chunks rather than halves: the later
 * rules' pairs (names alone) take longer to compare, so one thread finished well before the other.
 */
export type CompareTask = {
  kind: 'compare'; left: SharedArrayBuffer; right: SharedArrayBuffer; gammas: SharedArrayBuffer; weights: SharedArrayBuffer
  length: number; chunks: number; next: SharedArrayBuffer
}

const CHUNKS = 32
const COMPARE_CHUNKS = 64
const chunkRange = (chunk: number, size: number): [number, number] => [Math.floor((chunk * size) / CHUNKS), Math.floor(((chunk + 1) * size) / CHUNKS)]

/** The blocking rules (by number) that training blocks on too, so that the worker has their blocks once trained. */
export function rulesFromTraining(rules: BlockingRule[], options: TrainOptions): number[] {
  const trained = new Set([...options.trainingRules, ...options.deterministicRules].map(describeRule))
  return rules.flatMap((rule, q) => (trained.has(describeRule(rule)) ? [q] : []))
}

/** Indexes rules until the shared counter says none is left, taking from `cache` (the worker's, from training) the blocks it has. */
export function indexRules(task: IndexTask, left: Table, right: Table | null, cache?: BlockCache): IndexedRules['indexed'] {
  const counter = new Int32Array(task.next)
  const done: IndexedRules['indexed'] = []
  for (let k = Atomics.add(counter, 0, 1); k < task.order.length; k = Atomics.add(counter, 0, 1)) {
    const q = task.order[k]
    const rule = task.rules[q]
    const trained = cache?.get(describeRule(rule))
    done.push({ rule: q, blocks: trained ? withLimit(trained, blockLimit(rule)) : blocksOf(left, right ?? left, rule, blockLimit(rule), right === null) })
  }
  return done
}

/** Compares and scores chunks of pairs until the shared counter says none is left; returns how many pairs. */
export function compareChunks(task: CompareTask, comps: Comparison[], model: Model, left: Table, right: Table | null): number {
  const counter = new Int32Array(task.next)
  const C = comps.length
  const pl = new Int32Array(task.left, 0, task.length)
  const pr = new Int32Array(task.right, 0, task.length)
  const gammas = new Int8Array(task.gammas, 0, task.length * C)
  const weights = new Float64Array(task.weights, 0, task.length)
  const score = pairScorer(model, left)
  let done = 0
  for (let chunk = Atomics.add(counter, 0, 1); chunk < task.chunks; chunk = Atomics.add(counter, 0, 1)) {
    const from = Math.floor((chunk * task.length) / task.chunks)
    const to = Math.floor(((chunk + 1) * task.length) / task.chunks)
    const l = pl.subarray(from, to)
    const g = gammas.subarray(from * C, to * C)
    for (let c = 0; c < C; c++) comps[c].compareAll(left, right ?? left, l, pr.subarray(from, to), g, C, c)
    score(g, l, weights.subarray(from, to))
    done += to - from
  }
  return done
}

/** Joins chunks of left records until the shared counter says none is left. */
export function joinChunks(task: BlockTask): BlockedChunks['blocked'] {
  const counter = new Int32Array(task.next)
  const done: BlockedChunks['blocked'] = []
  for (let chunk = Atomics.add(counter, 0, 1); chunk < task.chunks; chunk = Atomics.add(counter, 0, 1)) {
    const [from, to] = chunkRange(chunk, task.index.leftSize)
    done.push({ chunk, segment: joinRange(task.index, from, to) })
  }
  return done
}

/**
 * The same as `linkTables`, using both cores: a worker thread trains the model on the same records (in
 * shared memory) while this thread indexes the blocking rules, and then takes whatever rules are left (those
 * it blocked on while training at no cost); the records are then joined in chunks that each thread takes in
 * turn, and the pairs compared and scored in chunks the same way. The result is the same as `linkTables` gives.
 */
export async function linkTablesInParallel(L: Table, R: Table | null, mapping: Mapping, aliases: AliasTable, seed = 1): Promise<LinkageResult> {
  const { timings, lap } = timer()
  const comps = comparisonsFor(mapping, aliases)
  const task: TrainTask = { left: shareTable(L), right: R ? shareTable(R) : null, mapping, seed }
  type Message = TrainedModel | IndexedRules | BlockedChunks | { compared: number }
  const { worker, next } = startWorker<Message>(import.meta.url, 'train-worker', task)
  // The worker answers each task in turn, once it has trained: the model, then the rules it indexed, the
  // chunks it joined, the pairs it compared (each possibly none, when this thread had taken them all).
  const inbox: { model?: Model; indexed?: IndexedRules; blocked?: BlockedChunks; compared?: boolean } = {}
  let trainMs = 0
  const receive = async <K extends keyof typeof inbox>(kind: K): Promise<NonNullable<(typeof inbox)[K]>> => {
    while (inbox[kind] === undefined) {
      const m = await next()
      if ('indexed' in m) inbox.indexed = m
      else if ('blocked' in m) inbox.blocked = m
      else if ('compared' in m) inbox.compared = true
      else {
        inbox.model = { comparisons: comps, ...m.model }
        trainMs = m.trainMs
      }
    }
    return inbox[kind]!
  }
  try {
    const blockingRules = usableRules(mapping.blocking ?? DEFAULT_BLOCKING, mapping)
    const fromTraining = rulesFromTraining(blockingRules, trainingOptions(mapping, seed))
    const order = [...blockingRules.keys()].sort((a, b) => Number(fromTraining.includes(a)) - Number(fromTraining.includes(b)) || a - b)
    const indexTask: IndexTask = { kind: 'index', rules: blockingRules, order, next: new SharedArrayBuffer(4) }
    worker.postMessage(indexTask)
    const all: Blocks[] = []
    const mine = indexRules(indexTask, L, R)
    for (const { rule, blocks } of mine) all[rule] = blocks
    if (mine.length < blockingRules.length) for (const { rule, blocks } of (await receive('indexed')).indexed) all[rule] = blocks
    const index = assembleIndex(L, R, all, true)
    const blockTask: BlockTask = { kind: 'block', index, chunks: CHUNKS, next: new SharedArrayBuffer(4) }
    worker.postMessage(blockTask)
    const chunks = joinChunks(blockTask)
    if (chunks.length < CHUNKS) {
      chunks.push(...(await receive('blocked')).blocked)
      chunks.sort((a, b) => a.chunk - b.chunk)
    }
    const pairs = mergeSegments(chunks.map((c) => c.segment), blockingRules.length, true)
    lap('block')
    const C = comps.length
    const gammas = new Int8Array(new SharedArrayBuffer(pairs.length * C))
    const weights = new Float64Array(new SharedArrayBuffer(pairs.length * 8))
    // Scoring needs the model; training takes about as long as indexing, so it has almost always arrived by now
    // and both threads compare and score as they go.
    const model = await receive('model')
    const work: CompareTask = {
      kind: 'compare', left: pairs.left.buffer as SharedArrayBuffer, right: pairs.right.buffer as SharedArrayBuffer,
      gammas: gammas.buffer as SharedArrayBuffer, weights: weights.buffer as SharedArrayBuffer, length: pairs.length,
      chunks: Math.max(1, Math.min(COMPARE_CHUNKS, Math.ceil(pairs.length / 4096))), next: new SharedArrayBuffer(4),
    }
    worker.postMessage(work)
    compareChunks(work, comps, model, L, R)
    lap('compare and score')
    await receive('compared')
    lap('wait for the other thread')
    const result = finish(L, R, mapping, model, blockingRules, pairs, gammas, timings, lap, weights)
    // Training ran in the worker while this thread indexed the blocking rules: its time is beside theirs, not added to it.
    return { ...result, timings: { train: trainMs, ...result.timings } }
  } finally {
    void worker.terminate()
  }
}

/** Scores (unless `scored` has the weights already), links one to one where asked, and clusters. */
function finish(L: Table, R: Table | null, mapping: Mapping, model: Model, blockingRules: BlockingRule[], pairs: Pairs, gammas: Int8Array,
  timings: Record<string, number>, lap: (name: string) => void, scored?: Float64Array): LinkageResult {
  const weights = scored ?? scorePairs(model, gammas, L, pairs.left)
  if (!scored) lap('score')
  const oneToOne = R !== null && mapping.oneToOne
  let probabilities: Float64Array = new Float64Array(weights.length)
  let otherCandidates: LinkageResult['otherCandidates'] = null
  const isEligible = oneToOne ? bestMatchesOnly(pairs, weights, L.size, R.size) : new Uint8Array(pairs.length).fill(1)
  lap('one to one')
  // One to one, a pair's probability takes account of each record's other candidates (decision 0013).
  if (oneToOne) ({ probabilities, otherCandidates } = oneToOneLinks(pairs, weights, isEligible, model.lambda, L.size, R.size))
  else for (let p = 0; p < weights.length; p++) probabilities[p] = probabilityFromWeight(weights[p])
  lap('probabilities')
  // Only the links join records: a few in a hundred of the pairs at scale, so they are picked out first.
  const offset = R ? L.size : 0
  const links = (e: number) => isEligible[e] === 1 && probabilities[e] >= mapping.threshold
  let count = 0
  for (let e = 0; e < pairs.length; e++) if (links(e)) count++
  const a = new Int32Array(count)
  const b = new Int32Array(count)
  for (let e = 0, k = 0; e < pairs.length; e++) {
    if (!links(e)) continue
    a[k] = pairs.left[e]
    b[k++] = pairs.right[e] + offset
  }
  const clusters = connectedComponents(L.size + (R?.size ?? 0), a, b, () => true)
  lap('cluster')
  return { model, pairs, gammas, weights, probabilities, otherCandidates, isEligible, clusters, blockingRules, timings }
}

/**
 * Greedy one-to-one assignment: the strongest pairs first, each record used once. A twin then links
 * to the record that agrees on the forename, and the other twin stays free for its own match.
 */
export function bestMatchesOnly(pairs: Pick<Pairs, 'left' | 'right' | 'length'>, weights: Float64Array, leftCount: number, rightCount: number): Uint8Array {
  const leftUsed = new Uint8Array(leftCount)
  const rightUsed = new Uint8Array(rightCount)
  const eligible = new Uint8Array(pairs.length)
  const take = (p: number) => {
    const l = pairs.left[p]
    const r = pairs.right[p]
    if (leftUsed[l] || rightUsed[r]) return
    leftUsed[l] = 1
    rightUsed[r] = 1
    eligible[p] = 1
  }
  // Only pairs with a chance of one in a thousand or more are put in order; the rest (almost all of them
  // at scale) cannot link at any threshold used, and are taken afterwards in the order they were found.
  const order = strongestFirst(weights, FLOOR_WEIGHT)
  for (let k = 0; k < order.length; k++) take(order[k])
  for (let p = 0; p < pairs.length; p++) if (weights[p] < FLOOR_WEIGHT) take(p)
  return eligible
}

/** The weight of a probability of 1 in 1,000. */
const FLOOR_WEIGHT = Math.log2(0.001 / 0.999)

/**
 * Pair numbers with weight at least `floor`, strongest first (ties in pair order). Each weight, rounded
 * to a few millionths of a bit, is packed with its pair number into one number, so a plain numeric sort of
 * a typed array orders them: a comparison function over millions of pairs takes seconds.
 */
export function strongestFirst(weights: Float64Array, floor = -Infinity): Uint32Array {
  const n = weights.length
  const indexBits = Math.max(1, Math.ceil(Math.log2(n + 1)))
  const scale = 2 ** Math.min(20, 53 - indexBits - 11)
  let count = 0
  for (let p = 0; p < n; p++) if (weights[p] >= floor) count++
  const keys = new Float64Array(count)
  for (let p = 0, k = 0; p < n; p++) {
    if (weights[p] < floor) continue
    const w = Math.max(-1000, Math.min(1000, weights[p]))
    keys[k++] = Math.round((1000 - w) * scale) * 2 ** indexBits + p
  }
  keys.sort()
  const mask = 2 ** indexBits
  const order = new Uint32Array(count)
  for (let k = 0; k < count; k++) order[k] = keys[k] % mask
  return order
}
