import { parentPort, workerData } from 'node:worker_threads'
import { buildComparisons } from './comparisons.ts'
import { tablesFromShared } from './encode.ts'
import { fileMapping } from './mapping.ts'
import { trainModel } from './model.ts'
import { loadAliasTable } from './nicknames.ts'
import { joinChunks, trainingOptions, type BlockTask, type CompareTask, type TrainTask } from './service.ts'

// Trains the model on the run's records (shared memory) while the main thread numbers the blocks, then
// joins whatever chunks of records are left and compares its share of the pairs (see `linkTablesInParallel`).
const task = workerData as TrainTask
const { left, right } = tablesFromShared(task.left, task.right)
const comps = buildComparisons(fileMapping(task.mapping, 'left'), fileMapping(task.mapping, 'right'), loadAliasTable())
const { comparisons: _comparisons, ...model } = trainModel(comps, left, right, trainingOptions(task.mapping, task.seed))
void _comparisons
parentPort!.postMessage(model)
parentPort!.on('message', (work: BlockTask | CompareTask) => {
  if (work.kind === 'block') {
    // Whatever chunks of the join this thread still finds untaken once it has trained.
    const blocked = joinChunks(work)
    parentPort!.postMessage({ blocked }, blocked.flatMap(({ segment }) => [segment.left.buffer as ArrayBuffer, segment.right.buffer as ArrayBuffer]))
    return
  }
  const C = comps.length
  const l = new Int32Array(work.left).subarray(work.from, work.to)
  const r = new Int32Array(work.right).subarray(work.from, work.to)
  const out = new Int8Array(work.gammas).subarray(work.from * C, work.to * C)
  for (let c = 0; c < C; c++) comps[c].compareAll(left, right ?? left, l, r, out, C, c)
  parentPort!.postMessage({ compared: work.to - work.from })
})
