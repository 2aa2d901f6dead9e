import { sql } from 'kysely'
import { withSystem, type Db } from './db.ts'
import { randomToken } from './crypto.ts'

/**
 * The deployment secret. Production must set SESSION_SECRET; a development or demo install
 * generates one on first start and keeps it in the database, so every process shares it.
 */
export async function resolveSecret(db: Db, configured: string | undefined): Promise<string> {
  if (configured) return configured
  return withSystem(db, async (tx) => {
    await sql`insert into app_setting (key, value) values ('generated_secret', ${randomToken(48)}) on conflict (key) do nothing`.execute(tx)
    const { rows } = await sql<{ value: string }>`select value from app_setting where key = 'generated_secret'`.execute(tx)
    return rows[0].value
  })
}
