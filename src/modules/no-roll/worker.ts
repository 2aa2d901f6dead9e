import { parentPort, workerData } from 'node:worker_threads'
import { loadAliasTable } from '../linkage/nicknames.ts'
import { findDuplicatePairs } from '../duplicates/find.ts'
import { findUnrolled, type KnownRecord, type PopulationRecord } from './find.ts'

// Linking is CPU work for seconds at a time: in its own thread it leaves the app's event loop free
// to serve pages while a run is in progress. One worker file serves every linkage task.
export type WorkerTask =
  | { task: 'find'; population: PopulationRecord[]; known: KnownRecord[]; threshold: number }
  | { task: 'duplicates'; children: KnownRecord[]; minimum: number; limit: number; exclude: string[] }

/** What the worker sends: a run's stage as it reaches it (shown on the run's page), then the answer. */
export type WorkerMessage = { progress: string } | { result: unknown }

const input = workerData as WorkerTask
const aliases = loadAliasTable()
const post = (message: WorkerMessage) => parentPort!.postMessage(message)
post({ result: input.task === 'find'
  ? findUnrolled(input.population, input.known, input.threshold, aliases, (stage) => post({ progress: stage }))
  : findDuplicatePairs(input.children, input.minimum, input.limit, input.exclude, aliases) })
