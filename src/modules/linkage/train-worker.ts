import { parentPort, workerData } from 'node:worker_threads'
import { buildComparisons } from './comparisons.ts'
import { tablesFromShared } from './encode.ts'
import { fileMapping } from './mapping.ts'
import { trainModel } from './model.ts'
import { loadAliasTable } from './nicknames.ts'
import { trainingOptions, type TrainTask } from './service.ts'

// Trains the model on the run's records (shared memory) while the main thread blocks and compares pairs:
// the two do not depend on each other until the pairs are weighed (see `linkTablesInParallel`).
const task = workerData as TrainTask
const { left, right } = tablesFromShared(task.left, task.right)
const comps = buildComparisons(fileMapping(task.mapping, 'left'), fileMapping(task.mapping, 'right'), loadAliasTable())
const { comparisons: _comparisons, ...model } = trainModel(comps, left, right, trainingOptions(task.mapping, task.seed))
void _comparisons
parentPort!.postMessage(model)
