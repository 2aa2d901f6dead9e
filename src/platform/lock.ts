import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import lockfile from 'proper-lockfile'

export class DataDirInUse extends Error {
  constructor(dir: string) {
    super(`Another Lantern process is already using the data folder ${dir}. Stop it first, or set DATA_DIR to a different folder.`)
  }
}

/**
 * PGlite has no lock of its own, and two processes on one data folder corrupt it. This lock is
 * refreshed while we run and goes stale if the process dies, so a crash does not block the next start.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const path = resolve(dir)
  mkdirSync(path, { recursive: true })
  try {
    return await lockfile.lock(path, { stale: 15_000, update: 5_000, realpath: false, lockfilePath: `${path}.lock` })
  } catch (err) {
    if ((err as { code?: string }).code === 'ELOCKED') throw new DataDirInUse(dir)
    throw err
  }
}
