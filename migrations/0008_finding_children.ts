import { sql, type Kysely } from 'kysely'
import { enableTenantIsolation } from './tenant-isolation.ts'

// Finding the children nobody has reported (issue 4): population sources and school rolls are
// uploaded, linked in a run, and the children resident here but on no roll are reviewed one by one.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- How one LA's files of a given type name their columns, saved once and offered for the next file.
    create table linkage_mapping (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      name text not null check (length(name) between 1 and 100),
      source_type text not null,
      mapping jsonb not null,
      created_by uuid not null,
      created_at timestamptz not null default now(),
      primary key (local_authority_id, id),
      unique (local_authority_id, name),
      foreign key (local_authority_id, created_by) references app_user(local_authority_id, id)
    );

    -- One uploaded file: a school roll, or a population source that knows children live here.
    create table linkage_source (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      kind text not null check (kind in ('roll', 'population')),
      source_type text not null check (length(source_type) between 1 and 100),
      data_date date not null,
      supplied_by text not null check (length(supplied_by) between 1 and 200),
      filename text not null check (length(filename) between 1 and 255),
      format text not null check (format in ('csv', 'ctf')),
      state text not null default 'mapping' check (state in ('mapping', 'queued', 'processing', 'ready', 'rejected', 'failed')),
      -- The file itself, kept only until its rows are read.
      payload text,
      headers jsonb not null default '[]',
      mapping jsonb,
      total_rows integer not null default 0,
      processed_rows integer not null default 0,
      record_count integer not null default 0,
      rejections jsonb not null default '[]',
      uploaded_by uuid not null,
      created_at timestamptz not null default now(),
      finished_at timestamptz,
      primary key (local_authority_id, id),
      foreign key (local_authority_id, uploaded_by) references app_user(local_authority_id, id)
    );
    create index linkage_source_created_idx on linkage_source (local_authority_id, created_at desc);

    -- A source's rows, in the engine's fields. Nothing else from the file is kept.
    create table linkage_record (
      local_authority_id uuid not null,
      source_id uuid not null,
      row_no integer not null,
      record_ref text not null check (length(record_ref) between 1 and 100),
      forename text,
      surname text,
      date_of_birth date,
      sex text,
      postcode text,
      address text,
      nhs_number text,
      upn text,
      primary key (local_authority_id, source_id, row_no),
      unique (local_authority_id, source_id, record_ref),
      foreign key (local_authority_id, source_id) references linkage_source(local_authority_id, id)
    );

    -- "Who is on no roll" for a reference date, with the model it trained kept so it can be explained later.
    create table linkage_run (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      reference_date date not null,
      source_ids jsonb not null,
      threshold double precision not null check (threshold > 0 and threshold < 1),
      state text not null default 'queued' check (state in ('queued', 'running', 'done', 'failed')),
      progress text,
      model jsonb,
      blocking jsonb,
      summary jsonb,
      error text,
      started_by uuid not null,
      created_at timestamptz not null default now(),
      finished_at timestamptz,
      primary key (local_authority_id, id),
      foreign key (local_authority_id, started_by) references app_user(local_authority_id, id)
    );
    create index linkage_run_created_idx on linkage_run (local_authority_id, created_at desc);

    -- A child resident by some source and matched to no roll or register, for an officer to review.
    create table linkage_candidate (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      run_id uuid not null,
      rank integer not null,
      fingerprint text not null,
      person jsonb not null,
      evidence jsonb not null,
      near_miss jsonb,
      state text not null default 'open' check (state in ('open', 'accepted', 'dismissed', 'dismissed_before')),
      reason text,
      note text check (length(note) <= 2000),
      decided_by uuid,
      decided_at timestamptz,
      child_id uuid,
      primary key (local_authority_id, id),
      unique (local_authority_id, run_id, rank),
      foreign key (local_authority_id, run_id) references linkage_run(local_authority_id, id),
      foreign key (local_authority_id, decided_by) references app_user(local_authority_id, id),
      foreign key (local_authority_id, child_id) references child(local_authority_id, id)
    );
    create index linkage_candidate_queue_idx on linkage_candidate (local_authority_id, run_id, state, rank);

    -- A dismissed child is remembered, so the next run does not ask again.
    create table linkage_dismissal (
      local_authority_id uuid not null,
      fingerprint text not null,
      reason text not null,
      note text,
      candidate_id uuid not null,
      dismissed_by uuid not null,
      dismissed_at timestamptz not null,
      primary key (local_authority_id, fingerprint),
      foreign key (local_authority_id, candidate_id) references linkage_candidate(local_authority_id, id),
      foreign key (local_authority_id, dismissed_by) references app_user(local_authority_id, id)
    );

    -- Register hygiene: a duplicate child record is merged into the one kept, and can be unmerged.
    -- The merged record stays (so the merge can be undone) but is hidden from searches and matching.
    alter table child add column merged_into uuid;
    alter table child add column merged_at timestamptz;
    alter table child add constraint child_merged_into_fk foreign key (local_authority_id, merged_into) references child(local_authority_id, id);
    alter table child add constraint child_not_merged_into_self check (merged_into is null or merged_into <> id);

    create table child_merge (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      kept_child_id uuid not null,
      merged_child_id uuid not null,
      -- The ids of every row moved from the merged child to the kept one, by table, so undo moves exactly those back.
      moved jsonb not null,
      -- The kept child's identity before the merge filled its gaps, and what was added to it.
      kept_before jsonb not null,
      added jsonb not null,
      merged_by uuid not null,
      merged_at timestamptz not null,
      undone_by uuid,
      undone_at timestamptz,
      primary key (local_authority_id, id),
      foreign key (local_authority_id, kept_child_id) references child(local_authority_id, id),
      foreign key (local_authority_id, merged_child_id) references child(local_authority_id, id),
      foreign key (local_authority_id, merged_by) references app_user(local_authority_id, id),
      foreign key (local_authority_id, undone_by) references app_user(local_authority_id, id)
    );
    create index child_merge_kept_idx on child_merge (local_authority_id, kept_child_id);

    -- Two records an officer has said are different children, so they are not offered as duplicates again.
    create table child_not_duplicate (
      local_authority_id uuid not null,
      child_a uuid not null,
      child_b uuid not null,
      decided_by uuid not null,
      decided_at timestamptz not null,
      primary key (local_authority_id, child_a, child_b),
      check (child_a < child_b),
      foreign key (local_authority_id, child_a) references child(local_authority_id, id),
      foreign key (local_authority_id, child_b) references child(local_authority_id, id),
      foreign key (local_authority_id, decided_by) references app_user(local_authority_id, id)
    );

    -- A case opened from an accepted candidate says so, for the register's "how found" figures.
    alter table cme_case drop constraint cme_case_source_check;
    alter table cme_case add constraint cme_case_source_check check (source in ('referral', 'removal_notice', 'import', 'new_pupil_notice', 'linkage'));
  `.execute(db)
  for (const table of ['linkage_mapping', 'linkage_source', 'linkage_record', 'linkage_run', 'linkage_candidate', 'linkage_dismissal', 'child_merge', 'child_not_duplicate']) {
    await enableTenantIsolation(db, table)
  }
  await sql`grant select, insert, update on linkage_mapping, linkage_source, linkage_run, linkage_candidate to lantern_app`.execute(db)
  await sql`grant select, insert on linkage_record to lantern_app`.execute(db)
  await sql`grant select, insert, update on linkage_dismissal, child_merge to lantern_app`.execute(db)
  await sql`grant select, insert on child_not_duplicate to lantern_app`.execute(db)
  // A merge re-files a duplicate's chronology under the child kept (and undo files it back); the
  // entries themselves stay as written, so only the column saying whose chronology they are may change.
  await sql`grant update (child_id) on child_event to lantern_app`.execute(db)
}
