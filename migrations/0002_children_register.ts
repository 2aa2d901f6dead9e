import { sql, type Kysely } from 'kysely'

// The child's record and the cases (episodes of missing education) on the register. One child
// record serves every register type, so a child moves between CME, EHE and other arrangements
// without being entered again (domain brief section 2).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table child (
      local_authority_id uuid not null references local_authority(id),
      id uuid not null default gen_random_uuid(),
      forename text not null check (length(forename) between 1 and 100),
      surname text not null check (length(surname) between 1 and 100),
      preferred_name text check (length(preferred_name) <= 100),
      date_of_birth date,
      sex text check (sex in ('female', 'male', 'unknown')),
      upn text check (upn ~ '^[A-Z][0-9]{11}[A-Z0-9]$'),
      uln text check (uln ~ '^[1-9][0-9]{9}$'),
      nhs_number text check (nhs_number ~ '^[0-9]{10}$'),
      la_reference text check (length(la_reference) <= 50),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (local_authority_id, id)
    );
    create index child_name_trgm_idx on child using gin ((lower(forename || ' ' || surname)) gin_trgm_ops);
    create index child_upn_idx on child (local_authority_id, upn) where upn is not null;
    create index child_nhs_idx on child (local_authority_id, nhs_number) where nhs_number is not null;

    create table child_address (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      child_id uuid not null,
      line1 text not null check (length(line1) between 1 and 200),
      line2 text check (length(line2) <= 200),
      town text check (length(town) <= 100),
      postcode text check (postcode ~ '^[A-Z]{1,2}[0-9R][0-9A-Z]? [0-9][A-Z]{2}$'),
      from_date date,
      to_date date,
      source text not null,
      created_at timestamptz not null default now(),
      primary key (local_authority_id, id),
      foreign key (local_authority_id, child_id) references child(local_authority_id, id)
    );

    create table cme_case (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      child_id uuid not null,
      register_type text not null default 'cme' check (register_type in ('cme', 'ehe', 'other_arrangements')),
      status text not null default 'referred' check (status in ('referred', 'making_enquiries', 'located_awaiting_place', 'placed',
        'elective_home_education', 'left_la', 'left_country', 'other_resolution')),
      risk_level text not null check (risk_level in ('standard', 'high')),
      risk_reasons text[] not null default '{}',
      source text not null check (source in ('referral', 'removal_notice', 'import')),
      concern text not null check (length(concern) between 1 and 4000),
      whereabouts_known boolean,
      date_last_in_education date,
      date_last_seen date,
      referred_by uuid not null,
      referrer_organisation_id uuid not null,
      opened_at timestamptz not null,
      closed_at timestamptz,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (local_authority_id, id),
      foreign key (local_authority_id, child_id) references child(local_authority_id, id),
      foreign key (local_authority_id, referred_by) references app_user(local_authority_id, id),
      foreign key (local_authority_id, referrer_organisation_id) references organisation(local_authority_id, id)
    );
    create index cme_case_open_idx on cme_case (local_authority_id, status, opened_at) where closed_at is null;
    create index cme_case_referrer_idx on cme_case (local_authority_id, referred_by, opened_at);
    create index cme_case_child_idx on cme_case (local_authority_id, child_id);

    -- The child's chronology: one row for everything that happened, newest first on the page.
    create table child_event (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      child_id uuid not null,
      case_id uuid,
      occurred_at timestamptz not null,
      kind text not null,
      summary text not null,
      actor_user_id uuid,
      actor_label text not null,
      created_at timestamptz not null default now(),
      primary key (local_authority_id, id),
      foreign key (local_authority_id, child_id) references child(local_authority_id, id),
      foreign key (local_authority_id, case_id) references cme_case(local_authority_id, id)
    );
    create index child_event_child_idx on child_event (local_authority_id, child_id, occurred_at desc);
  `.execute(db)
  for (const table of ['child', 'child_address', 'cme_case', 'child_event']) {
    const t = sql.table(table)
    await sql`alter table ${t} enable row level security`.execute(db)
    await sql`create policy tenant_isolation on ${t} to lantern_app
      using (local_authority_id = nullif(current_setting('lantern.la_id', true), '')::uuid)
      with check (local_authority_id = nullif(current_setting('lantern.la_id', true), '')::uuid)`.execute(db)
  }
  await sql`grant select, insert, update on child, child_address, cme_case to lantern_app`.execute(db)
  // The chronology is a record of what happened: it is added to, never rewritten.
  await sql`grant select, insert on child_event to lantern_app`.execute(db)
}
