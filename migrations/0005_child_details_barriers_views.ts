import { sql, type Kysely } from 'kysely'
import { enableTenantIsolation } from './tenant-isolation.ts'

// The rest of the child's record (names, parents and carers, siblings, school history, further
// identifiers), the barriers that keep a child out of a school place, and officers' saved register views.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table child
      add column consistent_id text check (length(consistent_id) between 1 and 100),
      add column former_upns text[] not null default '{}',
      add column version integer not null default 1;

    -- Other names the child is or was known by: aliases, former names, a preferred name.
    create table child_alias (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      child_id uuid not null,
      kind text not null check (kind in ('alias', 'former_name', 'preferred_name')),
      forename text check (length(forename) <= 100),
      surname text check (length(surname) <= 100),
      recorded_by_label text not null,
      created_at timestamptz not null default now(),
      primary key (local_authority_id, id),
      foreign key (local_authority_id, child_id) references child(local_authority_id, id),
      check (forename is not null or surname is not null)
    );
    create index child_alias_child_idx on child_alias (local_authority_id, child_id);

    -- Parents and carers: who has parental responsibility, who the child lives with, how to reach them.
    create table child_contact (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      child_id uuid not null,
      name text not null check (length(name) between 1 and 200),
      relationship text not null check (length(relationship) between 1 and 100),
      parental_responsibility boolean not null,
      lives_with boolean not null,
      phone text check (length(phone) <= 30),
      email text check (length(email) <= 254),
      address text check (length(address) <= 400),
      language text check (length(language) <= 100),
      interpreter_needed boolean not null default false,
      recorded_by_label text not null,
      created_at timestamptz not null default now(),
      primary key (local_authority_id, id),
      foreign key (local_authority_id, child_id) references child(local_authority_id, id)
    );
    create index child_contact_child_idx on child_contact (local_authority_id, child_id);

    -- Siblings, stored once per pair (lower id first) so the link cannot be recorded twice.
    create table child_sibling (
      local_authority_id uuid not null,
      child_id uuid not null,
      sibling_id uuid not null,
      recorded_by_label text not null,
      created_at timestamptz not null default now(),
      primary key (local_authority_id, child_id, sibling_id),
      foreign key (local_authority_id, child_id) references child(local_authority_id, id),
      foreign key (local_authority_id, sibling_id) references child(local_authority_id, id),
      check (child_id < sibling_id)
    );
    create index child_sibling_sibling_idx on child_sibling (local_authority_id, sibling_id);

    -- Each time the child was on a school's roll, and how it ended.
    create table child_school (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      child_id uuid not null,
      school_name text not null check (length(school_name) between 1 and 200),
      school_organisation_id uuid,
      from_date date,
      to_date date,
      how_ended text check (length(how_ended) <= 400),
      source text not null check (length(source) between 1 and 100),
      created_at timestamptz not null default now(),
      primary key (local_authority_id, id),
      foreign key (local_authority_id, child_id) references child(local_authority_id, id),
      foreign key (local_authority_id, school_organisation_id) references organisation(local_authority_id, id),
      check (to_date is null or from_date is null or to_date >= from_date)
    );
    create index child_school_child_idx on child_school (local_authority_id, child_id);

    -- What stands between the child and a school place (domain brief 1.8 and 11.7; the "Jacob" lessons).
    create table placement_barrier (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      case_id uuid not null,
      child_id uuid not null,
      kind text not null check (kind in ('school_refusal', 'fair_access_referral', 'direction_maintained', 'direction_request_academy', 'formal_dispute')),
      school_name text check (length(school_name) <= 200),
      occurred_on date not null,
      reason text not null check (length(reason) between 1 and 2000),
      response_due_on date,
      outcome text check (length(outcome) <= 2000),
      resolved_on date,
      recorded_by_label text not null,
      created_at timestamptz not null default now(),
      version integer not null default 1,
      primary key (local_authority_id, id),
      foreign key (local_authority_id, case_id) references cme_case(local_authority_id, id),
      foreign key (local_authority_id, child_id) references child(local_authority_id, id),
      check ((resolved_on is null) = (outcome is null))
    );
    create index placement_barrier_case_idx on placement_barrier (local_authority_id, case_id);
    create index placement_barrier_open_idx on placement_barrier (local_authority_id, response_due_on) where resolved_on is null;

    alter table cme_case add column placement_escalated_at timestamptz;

    -- An officer's named register filters, kept as the query string the register page reads.
    create table saved_view (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      user_id uuid not null,
      name text not null check (length(name) between 1 and 80),
      query text not null check (length(query) <= 1000),
      created_at timestamptz not null default now(),
      primary key (local_authority_id, id),
      unique (local_authority_id, user_id, name),
      foreign key (local_authority_id, user_id) references app_user(local_authority_id, id)
    );
  `.execute(db)
  for (const table of ['child_alias', 'child_contact', 'child_sibling', 'child_school', 'placement_barrier', 'saved_view']) await enableTenantIsolation(db, table)
  await sql`grant select, insert, update on child_alias, child_contact, child_school, placement_barrier to lantern_app`.execute(db)
  await sql`grant select, insert, delete on child_sibling, saved_view to lantern_app`.execute(db)
  await sql`grant delete on child_alias, child_contact to lantern_app`.execute(db)
}
