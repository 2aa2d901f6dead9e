import { sql, type Kysely } from 'kysely'

/**
 * Row-level security for one tenant table: the app role sees and writes only rows of the LA set
 * for its transaction. Used from migration 0004 on (0001-0003 have landed and keep their own
 * copy of the same SQL). Migrations share this so every table gets exactly the same policy; if the
 * policy ever has to change, add a new migration that alters the policies, and leave this as it is.
 */
export async function enableTenantIsolation(db: Kysely<unknown>, table: string): Promise<void> {
  const t = sql.table(table)
  await sql`alter table ${t} enable row level security`.execute(db)
  await sql`create policy tenant_isolation on ${t} to lantern_app
    using (local_authority_id = nullif(current_setting('lantern.la_id', true), '')::uuid)
    with check (local_authority_id = nullif(current_setting('lantern.la_id', true), '')::uuid)`.execute(db)
}
