import { parentPort, workerData } from 'node:worker_threads'
import { buildComparisons } from './comparisons.ts'
import { tablesFromShared } from './encode.ts'
import { fileMapping } from './mapping.ts'
import { trainModel } from './model.ts'
import type { BlockCache } from './blocking.ts'
import { loadAliasTable } from './nicknames.ts'
import { compareChunks, indexRules, joinChunks, trainingOptions, type BlockTask, type CompareTask, type IndexTask, type TrainedModel, type TrainTask } from './service.ts'

// Trains the model on the run's records (shared memory) while the main thread indexes the blocking rules,
// then indexes whatever rules are left, joins whatever chunks of records are left and compares its share
// of the pairs (see `linkTablesInParallel`).
const task = workerData as TrainTask
const { left, right } = tablesFromShared(task.left, task.right)
const comps = buildComparisons(fileMapping(task.mapping, 'left'), fileMapping(task.mapping, 'right'), loadAliasTable())
// The blocks training makes for rules that blocking uses too are kept, and sent when the rules are indexed.
const cache: BlockCache = new Map()
const started = performance.now()
const trained = trainModel(comps, left, right, trainingOptions(task.mapping, task.seed), cache)
const { comparisons: _comparisons, ...model } = trained
void _comparisons
parentPort!.postMessage({ model, trainMs: performance.now() - started } satisfies TrainedModel)
parentPort!.on('message', (work: IndexTask | BlockTask | CompareTask) => {
  if (work.kind === 'index') {
    const indexed = indexRules(work, left, right, cache)
    cache.clear()
    // A rule's block numbers for both sides are two views of one buffer: each buffer is listed once.
    const buffers = new Set(indexed.flatMap(({ blocks }) => [blocks.left, blocks.right, blocks.start, blocks.members, blocks.oversized].map((a) => a.buffer as ArrayBuffer)))
    parentPort!.postMessage({ indexed }, [...buffers])
    return
  }
  if (work.kind === 'block') {
    // Whatever chunks of the join this thread still finds untaken once it has trained.
    const blocked = joinChunks(work)
    parentPort!.postMessage({ blocked }, blocked.flatMap(({ segment }) => [segment.left.buffer as ArrayBuffer, segment.right.buffer as ArrayBuffer]))
    return
  }
  const compared = compareChunks(work, comps, trained, left, right)
  parentPort!.postMessage({ compared })
})
