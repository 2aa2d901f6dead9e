import { sql, type Kysely } from 'kysely'
import { enableTenantIsolation } from './tenant-isolation.ts'

// A CME officer shares a case with a partner organisation (police, health, social care...), whose
// practitioners then see the minimum of the child's record, until the share is withdrawn.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table case_share (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      case_id uuid not null,
      child_id uuid not null,
      organisation_id uuid not null,
      reason text not null check (length(reason) between 1 and 1000),
      shared_by_label text not null,
      created_at timestamptz not null default now(),
      revoked_at timestamptz,
      revoked_by_label text,
      primary key (local_authority_id, id),
      foreign key (local_authority_id, case_id) references cme_case(local_authority_id, id),
      foreign key (local_authority_id, child_id) references child(local_authority_id, id),
      foreign key (local_authority_id, organisation_id) references organisation(local_authority_id, id)
    );
    create unique index case_share_active_idx on case_share (local_authority_id, case_id, organisation_id) where revoked_at is null;
    create index case_share_org_idx on case_share (local_authority_id, organisation_id) where revoked_at is null;
  `.execute(db)
  await enableTenantIsolation(db, 'case_share')
  await sql`grant select, insert, update on case_share to lantern_app`.execute(db)
}
