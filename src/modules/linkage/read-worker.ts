import { parentPort, workerData } from 'node:worker_threads'
import { MappingError } from './mapping.ts'
import { readPortable, type ReadAnswer, type ReadTask } from './read.ts'

// Reads one file of a link into columns while the main thread reads the other (see `readTables`).
try {
  const { table, warnings, transfer } = readPortable(workerData as ReadTask)
  parentPort!.postMessage({ ok: true, table, warnings } satisfies ReadAnswer, transfer)
} catch (err) {
  const { code, path, syscall } = err as NodeJS.ErrnoException
  // A file the system would not read (missing, a folder, no permission) is sent back as such, so that the
  // command names the file rather than showing a worker's stack trace.
  if (err instanceof MappingError) parentPort!.postMessage({ ok: false, message: err.message } satisfies ReadAnswer)
  else if (typeof code === 'string' && syscall) parentPort!.postMessage({ ok: false, message: (err as Error).message, fs: { code, path, syscall } } satisfies ReadAnswer)
  else throw err
}
