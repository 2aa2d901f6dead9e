import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { openDatabase, type Database } from '../../src/platform/db.ts'
import { migrateToLatest } from '../../src/platform/migrate.ts'
import { ROOT } from '../../src/platform/paths.ts'

export const TEMPLATE = join(ROOT, '.cache', 'test-template.tar.gz')
export const usingPostgres = (): boolean => process.env.LANTERN_TEST_DB === 'postgres'

/**
 * A fresh, migrated database for one test file: PGlite in memory (loaded from a migrated template
 * when the test runner has made one), or a new PostgreSQL database when LANTERN_TEST_DB=postgres.
 */
export async function createTestDatabase(): Promise<Database> {
  if (!usingPostgres()) {
    const loadDataDir = existsSync(TEMPLATE) ? new Blob([readFileSync(TEMPLATE)]) : undefined
    const database = await openDatabase({ kind: 'pglite', dataDir: null, loadDataDir })
    await migrateToLatest(database.db)
    return database
  }
  const adminUrl = process.env.TEST_DATABASE_URL
  if (!adminUrl) throw new Error('LANTERN_TEST_DB=postgres needs TEST_DATABASE_URL')
  const name = `lantern_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const database = await openDatabase({ kind: 'postgres', url: url.toString(), max: 5 })
  await migrateToLatest(database.db)
  const close = database.close
  return {
    ...database,
    async close() {
      await close()
      const cleanup = new pg.Client({ connectionString: adminUrl })
      await cleanup.connect()
      await cleanup.query(`drop database if exists ${name} with (force)`)
      await cleanup.end()
    },
  }
}
