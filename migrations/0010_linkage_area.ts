import { sql, type Kysely } from 'kysely'
import { enableTenantIsolation } from './tenant-isolation.ts'

// The LA's area for finding children on no roll: the postcode districts and sectors it covers. A GP
// list or an admissions file holds children who live across the border; on our rolls or not, they
// are not ours to find, so a run leaves out population records whose postcode lies outside the area.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table linkage_area (
      local_authority_id uuid not null references local_authority(id),
      -- Districts ("ZZ1") and sectors ("ZZ1 2"), upper case, one space before a sector's digit.
      postcodes text[] not null check (cardinality(postcodes) <= 500),
      updated_by uuid not null,
      updated_at timestamptz not null,
      primary key (local_authority_id),
      foreign key (local_authority_id, updated_by) references app_user(local_authority_id, id)
    );
  `.execute(db)
  await enableTenantIsolation(db, 'linkage_area')
  await sql`grant select, insert, update on linkage_area to lantern_app`.execute(db)
}
