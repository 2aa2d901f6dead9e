import { parentPort, workerData } from 'node:worker_threads'
import { MappingError } from './mapping.ts'
import { readPortable, type ReadTask } from './read.ts'

// Reads one file of a link into columns while the main thread reads the other (see `readTables`).
try {
  const { table, transfer } = readPortable(workerData as ReadTask)
  parentPort!.postMessage({ ok: true, table }, transfer)
} catch (err) {
  if (!(err instanceof MappingError)) throw err
  parentPort!.postMessage({ ok: false, message: err.message })
}
