import { parentPort, workerData } from 'node:worker_threads'
import { loadAliasTable } from '../linkage/nicknames.ts'
import { findUnrolled, type KnownRecord, type PopulationRecord } from './find.ts'

// Linking is CPU work for seconds at a time: in its own thread it leaves the app's event loop free
// to serve pages while a run is in progress.
const input = workerData as { population: PopulationRecord[]; known: KnownRecord[]; threshold: number }
parentPort!.postMessage(findUnrolled(input.population, input.known, input.threshold, loadAliasTable()))
