import { sql, type Kysely } from 'kysely'

// What the register needs at 200,000 children (docs/performance.md). Row-level security stops
// PostgreSQL using an index for operators that are not leakproof, such as the trigram `%` and
// `like`, so a name search by the app role read every child. This function runs the same search
// as the owner, always limited to the LA set for the transaction (the same setting the policies
// use), so the trigram index serves it and no other LA's rows can be returned.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create index child_address_child_idx on child_address (local_authority_id, child_id, created_at desc);
    create index cme_case_status_risk_idx on cme_case (local_authority_id, status, risk_level, opened_at);

    create function lantern_child_name_search(p_term text) returns setof uuid
      language sql stable security definer set search_path = public as $$
      select id from child
      where local_authority_id = nullif(current_setting('lantern.la_id', true), '')::uuid
        and (lower(forename || ' ' || surname) % lower(p_term)
          or lower(forename || ' ' || surname) like '%' || replace(replace(replace(lower(p_term), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%')
      limit 5000 $$;
    revoke all on function lantern_child_name_search(text) from public;
    grant execute on function lantern_child_name_search(text) to lantern_app;
  `.execute(db)
}
