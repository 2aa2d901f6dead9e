import { sql, type Kysely } from 'kysely'
import { enableTenantIsolation } from './tenant-isolation.ts'

// CME panels and weekly officer meetings (issue 5): a series with its chair, members, quorum and agenda
// rules; meetings whose agenda is built from the register; items with a decision or "not discussed";
// actions from a decision are case actions tied to the item, so they land on the child's record.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table meeting_series (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      name text not null check (length(name) between 1 and 120),
      kind text not null check (kind in ('weekly_officer', 'cme_panel', 'other')),
      schedule text not null check (schedule in ('weekly', 'termly', 'as_needed')),
      chair_user_id uuid not null,
      quorum integer not null check (quorum between 1 and 50),
      -- The chair's settings for building an agenda: which rules are on, and the school days missing that count as long.
      agenda_rules jsonb not null,
      created_at timestamptz not null default now(),
      version integer not null default 1,
      primary key (local_authority_id, id),
      unique (local_authority_id, name),
      foreign key (local_authority_id, chair_user_id) references app_user(local_authority_id, id)
    );

    create table meeting_series_member (
      local_authority_id uuid not null,
      series_id uuid not null,
      user_id uuid not null,
      primary key (local_authority_id, series_id, user_id),
      foreign key (local_authority_id, series_id) references meeting_series(local_authority_id, id),
      foreign key (local_authority_id, user_id) references app_user(local_authority_id, id)
    );

    create table meeting (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      series_id uuid not null,
      held_on date not null,
      state text not null default 'planned' check (state in ('planned', 'closed', 'approved')),
      closed_at timestamptz,
      approved_at timestamptz,
      approved_by uuid,
      created_at timestamptz not null default now(),
      version integer not null default 1,
      primary key (local_authority_id, id),
      unique (local_authority_id, series_id, held_on),
      foreign key (local_authority_id, series_id) references meeting_series(local_authority_id, id),
      foreign key (local_authority_id, approved_by) references app_user(local_authority_id, id)
    );

    create table meeting_attendance (
      local_authority_id uuid not null,
      meeting_id uuid not null,
      user_id uuid not null,
      status text not null check (status in ('present', 'apologies', 'absent')),
      declaration text check (length(declaration) <= 1000),
      primary key (local_authority_id, meeting_id, user_id),
      foreign key (local_authority_id, meeting_id) references meeting(local_authority_id, id),
      foreign key (local_authority_id, user_id) references app_user(local_authority_id, id)
    );

    -- An officer asks for a case to go to a series' next meeting.
    create table panel_referral (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      series_id uuid not null,
      case_id uuid not null,
      child_id uuid not null,
      reason text not null check (length(reason) between 1 and 1000),
      referred_by_label text not null,
      created_at timestamptz not null default now(),
      -- The meeting whose agenda took it up.
      meeting_id uuid,
      primary key (local_authority_id, id),
      foreign key (local_authority_id, series_id) references meeting_series(local_authority_id, id),
      foreign key (local_authority_id, case_id) references cme_case(local_authority_id, id),
      foreign key (local_authority_id, child_id) references child(local_authority_id, id),
      foreign key (local_authority_id, meeting_id) references meeting(local_authority_id, id)
    );
    create index panel_referral_open_idx on panel_referral (local_authority_id, series_id) where meeting_id is null;

    create table meeting_item (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      meeting_id uuid not null,
      case_id uuid not null,
      child_id uuid not null,
      position integer not null,
      -- Why the case is on the agenda, in words ("High risk; missing 34 school days").
      reasons text not null,
      added_by_chair boolean not null default false,
      removed_reason text check (length(removed_reason) <= 1000),
      notes text check (length(notes) <= 8000),
      outcome text check (outcome in ('decided', 'not_discussed')),
      decision text check (length(decision) <= 4000),
      rationale text check (length(rationale) <= 4000),
      decided_by_label text,
      -- The item of an earlier meeting this one carries forward.
      carried_from uuid,
      version integer not null default 1,
      primary key (local_authority_id, id),
      unique (local_authority_id, meeting_id, case_id),
      foreign key (local_authority_id, meeting_id) references meeting(local_authority_id, id),
      foreign key (local_authority_id, case_id) references cme_case(local_authority_id, id),
      foreign key (local_authority_id, child_id) references child(local_authority_id, id),
      foreign key (local_authority_id, carried_from) references meeting_item(local_authority_id, id),
      check (outcome is distinct from 'decided' or decision is not null)
    );

    -- A correction to approved minutes: the minutes stay as approved, and the amendment is shown with them.
    create table meeting_amendment (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      meeting_id uuid not null,
      item_id uuid,
      correction text not null check (length(correction) between 1 and 4000),
      reason text not null check (length(reason) between 1 and 1000),
      made_by_label text not null,
      made_at timestamptz not null,
      primary key (local_authority_id, id),
      foreign key (local_authority_id, meeting_id) references meeting(local_authority_id, id),
      foreign key (local_authority_id, item_id) references meeting_item(local_authority_id, id)
    );

    alter table case_action add column meeting_item_id uuid;
    alter table case_action add constraint case_action_meeting_item_fk foreign key (local_authority_id, meeting_item_id) references meeting_item(local_authority_id, id);
    create index case_action_meeting_item_idx on case_action (local_authority_id, meeting_item_id) where meeting_item_id is not null;
  `.execute(db)
  for (const table of ['meeting_series', 'meeting_series_member', 'meeting', 'meeting_attendance', 'panel_referral', 'meeting_item', 'meeting_amendment']) {
    await enableTenantIsolation(db, table)
  }
  await sql`grant select, insert, update on meeting_series, meeting, meeting_attendance, panel_referral, meeting_item to lantern_app`.execute(db)
  await sql`grant select, insert, delete on meeting_series_member to lantern_app`.execute(db)
  await sql`grant select, insert on meeting_amendment to lantern_app`.execute(db)
}
