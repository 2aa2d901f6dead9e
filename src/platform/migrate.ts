import { Migrator, type Migration } from 'kysely'
import type { Db } from './db.ts'
import * as m0001 from '../../migrations/0001_platform.ts'
import * as m0002 from '../../migrations/0002_children_register.ts'
import * as m0003 from '../../migrations/0003_reasonable_enquiries.ts'
import * as m0004 from '../../migrations/0004_notices_actions.ts'
import * as m0005 from '../../migrations/0005_child_details_barriers_views.ts'
import * as m0006 from '../../migrations/0006_register_at_scale.ts'
import * as m0007 from '../../migrations/0007_case_sharing.ts'
import * as m0008 from '../../migrations/0008_finding_children.ts'
import * as m0009 from '../../migrations/0009_meetings.ts'
import * as m0010 from '../../migrations/0010_linkage_area.ts'

// Listed here rather than read from disk, so migrations compile with the app and run the same
// under tsx, tsc output or a bundler. Forward-only: add a new file, never edit a merged one.
const MIGRATIONS: Record<string, Migration> = {
  '0001_platform': m0001,
  '0002_children_register': m0002,
  '0003_reasonable_enquiries': m0003,
  '0004_notices_actions': m0004,
  '0005_child_details_barriers_views': m0005,
  '0006_register_at_scale': m0006,
  '0007_case_sharing': m0007,
  '0008_finding_children': m0008,
  '0009_meetings': m0009,
  '0010_linkage_area': m0010,
}

function migrator(db: Db): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } })
}

export async function migrateToLatest(db: Db): Promise<string[]> {
  const { error, results } = await migrator(db).migrateToLatest()
  if (error) throw error instanceof Error ? error : new Error(String(error))
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

/** Names of migrations the code knows but the database has not applied. */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const all = await migrator(db).getMigrations()
  return all.filter((m) => !m.executedAt).map((m) => m.name)
}
