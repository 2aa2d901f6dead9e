import { parentPort, workerData } from 'node:worker_threads'
import { buildComparisons } from './comparisons.ts'
import { tablesFromShared } from './encode.ts'
import { fileMapping } from './mapping.ts'
import { trainModel } from './model.ts'
import { loadAliasTable } from './nicknames.ts'
import { trainingOptions, type CompareTask, type TrainTask } from './service.ts'

// Trains the model on the run's records (shared memory) while the main thread blocks, then compares its
// share of the pairs: the two threads do not depend on each other until the pairs are weighed (see
// `linkTablesInParallel`).
const task = workerData as TrainTask
const { left, right } = tablesFromShared(task.left, task.right)
const comps = buildComparisons(fileMapping(task.mapping, 'left'), fileMapping(task.mapping, 'right'), loadAliasTable())
const { comparisons: _comparisons, ...model } = trainModel(comps, left, right, trainingOptions(task.mapping, task.seed))
void _comparisons
parentPort!.postMessage(model)
parentPort!.on('message', (work: CompareTask) => {
  const C = comps.length
  const l = new Int32Array(work.left).subarray(work.from, work.to)
  const r = new Int32Array(work.right).subarray(work.from, work.to)
  const out = new Int8Array(work.gammas).subarray(work.from * C, work.to * C)
  for (let c = 0; c < C; c++) comps[c].compareAll(left, right ?? left, l, r, out, C, c)
  parentPort!.postMessage({ compared: work.to - work.from })
})
