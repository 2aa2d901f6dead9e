import { sql } from 'kysely'
import { withTenant, type Db } from '../../src/platform/db.ts'

/** The newest queued email to an address, and the first link in it. */
export async function lastEmailTo(db: Db, laId: string, to: string): Promise<{ subject: string; body: string; link?: string } | undefined> {
  const row = await withTenant(db, { laId }, async (tx) =>
    (await sql<{ subject: string; body: string }>`select subject, body from email_outbox where to_address = ${to} order by created_at desc limit 1`.execute(tx)).rows[0])
  if (!row) return undefined
  const link = /https?:\/\/\S+/.exec(row.body)?.[0]
  return { ...row, link }
}

/** The path and query of an emailed link, for the test agent. */
export const pathOf = (link: string): string => {
  const url = new URL(link)
  return `${url.pathname}${url.search}`
}
