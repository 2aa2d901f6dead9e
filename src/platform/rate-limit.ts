import { sql } from 'kysely'
import { withNoTenant, type Db } from './db.ts'
import { sha256 } from './crypto.ts'

/**
 * Counts a hit against a key in a fixed window, in the database so every app process shares it.
 * Keys are hashed: the table never holds an IP or email address in clear.
 * Returns true while the key is within its limit.
 */
export async function withinRateLimit(db: Db, key: string, windowSeconds: number, limit: number): Promise<boolean> {
  return withNoTenant(db, async (tx) => {
    const { rows } = await sql<{ ok: boolean }>`select lantern_rate_hit(${sha256(key)}, ${windowSeconds}, ${limit}) as ok`.execute(tx)
    return rows[0].ok
  })
}
