import { sql, type Kysely } from 'kysely'
import { enableTenantIsolation } from './tenant-isolation.ts'
import { DEFAULT_CME_REASONS } from '../src/modules/register/reasons.ts'

// School notices (removal from roll, new pupil), their bulk imports, case actions, the child's
// flags, the LA's configurable CME reasons and the register's settings (domain brief 1.3, 1.4, 11).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- The reasons a child is missing education, as the DfE return counts them; each LA keeps its list.
    create table cme_reason (
      local_authority_id uuid not null references local_authority(id),
      code text not null check (code ~ '^[a-z_]{2,40}$'),
      label text not null check (length(label) between 1 and 200),
      position integer not null,
      active boolean not null default true,
      primary key (local_authority_id, code)
    );

    alter table cme_case
      add column cme_reason_code text,
      add column assigned_officer_id uuid,
      add constraint cme_case_reason_fk foreign key (local_authority_id, cme_reason_code) references cme_reason(local_authority_id, code),
      add constraint cme_case_officer_fk foreign key (local_authority_id, assigned_officer_id) references app_user(local_authority_id, id);
    alter table cme_case drop constraint cme_case_source_check;
    alter table cme_case add constraint cme_case_source_check check (source in ('referral', 'removal_notice', 'import', 'new_pupil_notice'));
    create index cme_case_officer_idx on cme_case (local_authority_id, assigned_officer_id) where closed_at is null;
    create index child_dob_idx on child (local_authority_id, date_of_birth);

    -- What is known about the child from other services, with where it came from and when it applied.
    create table child_flag (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      child_id uuid not null,
      flag text not null check (flag in ('child_protection_plan', 'child_in_need', 'looked_after', 'care_leaver', 'ehcp', 'sen_support',
        'youth_justice', 'gypsy_roma_traveller', 'service_family', 'young_carer', 'asylum_seeking')),
      source text not null check (length(source) between 1 and 200),
      starts_on date,
      ends_on date,
      recorded_by_label text not null,
      created_at timestamptz not null default now(),
      primary key (local_authority_id, id),
      foreign key (local_authority_id, child_id) references child(local_authority_id, id),
      check (ends_on is null or starts_on is null or ends_on >= starts_on)
    );
    create index child_flag_child_idx on child_flag (local_authority_id, child_id);
    create index child_flag_flag_idx on child_flag (local_authority_id, flag) where ends_on is null;

    -- A file of notices uploaded at once. Applied whole or not at all; rejected rows are kept for the report.
    create table notice_import (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      format text not null check (format in ('csv', 'ctf')),
      filename text not null check (length(filename) between 1 and 255),
      uploaded_by uuid not null,
      school_organisation_id uuid not null,
      state text not null default 'queued' check (state in ('queued', 'processing', 'applied', 'rejected', 'failed')),
      payload text,
      total_rows integer not null default 0,
      processed_rows integer not null default 0,
      applied_rows integer not null default 0,
      rejections jsonb not null default '[]',
      created_at timestamptz not null default now(),
      finished_at timestamptz,
      primary key (local_authority_id, id),
      foreign key (local_authority_id, uploaded_by) references app_user(local_authority_id, id),
      foreign key (local_authority_id, school_organisation_id) references organisation(local_authority_id, id)
    );

    -- A school's statutory return to the LA: a removal from roll (reg 13(4)) or a new pupil (reg 13(1)).
    create table school_notice (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      kind text not null check (kind in ('removal', 'new_pupil')),
      school_organisation_id uuid not null,
      submitted_by uuid not null,
      submitted_at timestamptz not null,
      source text not null check (source in ('form', 'csv', 'ctf')),
      import_id uuid,
      forename text not null check (length(forename) between 1 and 100),
      surname text not null check (length(surname) between 1 and 100),
      date_of_birth date,
      sex text check (sex in ('female', 'male', 'unknown')),
      upn text check (upn ~ '^[A-Z][0-9]{11}[A-Z0-9]$'),
      address_line1 text check (length(address_line1) <= 200),
      town text check (length(town) <= 100),
      postcode text check (postcode ~ '^[A-Z]{1,2}[0-9R][0-9A-Z]? [0-9][A-Z]{2}$'),
      parents jsonb not null default '[]',
      ground text check (ground ~ '^[a-o]$'),
      deletion_date date,
      start_date date,
      future_address text check (length(future_address) <= 400),
      future_school text check (length(future_school) <= 200),
      future_school_start date,
      lost_pupil text check (lost_pupil in ('destination_unknown', 'moved_abroad')),
      joint_enquiries_on date,
      joint_enquiries_la_contact text check (length(joint_enquiries_la_contact) <= 200),
      joint_enquiries_summary text check (length(joint_enquiries_summary) <= 4000),
      absence_from date,
      absence_to date,
      absence_school_days integer,
      attendance_codes text check (attendance_codes ~ '^[GNO]*$'),
      notes text check (length(notes) <= 4000),
      state text not null default 'received' check (state in ('received', 'case_opened', 'added_to_case', 'recorded', 'case_closed')),
      child_id uuid,
      case_id uuid,
      outcome text check (length(outcome) <= 2000),
      processed_by_label text,
      processed_at timestamptz,
      version integer not null default 1,
      created_at timestamptz not null default now(),
      primary key (local_authority_id, id),
      foreign key (local_authority_id, school_organisation_id) references organisation(local_authority_id, id),
      foreign key (local_authority_id, submitted_by) references app_user(local_authority_id, id),
      foreign key (local_authority_id, import_id) references notice_import(local_authority_id, id),
      foreign key (local_authority_id, child_id) references child(local_authority_id, id),
      foreign key (local_authority_id, case_id) references cme_case(local_authority_id, id),
      check (kind <> 'removal' or (ground is not null and deletion_date is not null)),
      check (kind <> 'new_pupil' or start_date is not null)
    );
    create index school_notice_state_idx on school_notice (local_authority_id, state, submitted_at);
    create index school_notice_school_idx on school_notice (local_authority_id, school_organisation_id, submitted_at desc);
    create index school_notice_child_idx on school_notice (local_authority_id, child_id);

    -- Who will do what by when, for a case. Owned by a person or by an organisation.
    create table case_action (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      case_id uuid not null,
      child_id uuid not null,
      kind text not null default 'task' check (kind in ('task', 'mash_escalation')),
      title text not null check (length(title) between 1 and 300),
      owner_user_id uuid,
      owner_organisation_id uuid,
      due_on date not null,
      priority text not null default 'normal' check (priority in ('normal', 'high')),
      status text not null default 'open' check (status in ('open', 'done', 'cancelled')),
      outcome text check (length(outcome) <= 2000),
      created_by_label text not null,
      created_at timestamptz not null default now(),
      completed_at timestamptz,
      completed_by_label text,
      escalated_at timestamptz,
      version integer not null default 1,
      primary key (local_authority_id, id),
      foreign key (local_authority_id, case_id) references cme_case(local_authority_id, id),
      foreign key (local_authority_id, child_id) references child(local_authority_id, id),
      foreign key (local_authority_id, owner_user_id) references app_user(local_authority_id, id),
      foreign key (local_authority_id, owner_organisation_id) references organisation(local_authority_id, id),
      check (owner_user_id is not null or owner_organisation_id is not null),
      check (status = 'open' or completed_at is not null)
    );
    create index case_action_case_idx on case_action (local_authority_id, case_id);
    create index case_action_owner_idx on case_action (local_authority_id, owner_user_id, due_on) where status = 'open';
    create index case_action_due_idx on case_action (local_authority_id, due_on) where status = 'open';

    -- The register's settings an LA administrator can change (facts marked uncertain in the brief).
    create table register_setting (
      local_authority_id uuid not null references local_authority(id),
      overdue_escalation_working_days integer not null default 5 check (overdue_escalation_working_days between 0 and 60),
      team_manager_user_id uuid,
      placement_target_school_days integer not null default 20 check (placement_target_school_days between 1 and 200),
      updated_at timestamptz not null default now(),
      primary key (local_authority_id),
      foreign key (local_authority_id, team_manager_user_id) references app_user(local_authority_id, id)
    );
  `.execute(db)
  for (const table of ['cme_reason', 'child_flag', 'notice_import', 'school_notice', 'case_action', 'register_setting']) await enableTenantIsolation(db, table)
  await sql`grant select, insert, update on cme_reason, child_flag, notice_import, school_notice, case_action, register_setting to lantern_app`.execute(db)

  for (const [position, reason] of DEFAULT_CME_REASONS.entries()) {
    await sql`insert into cme_reason (local_authority_id, code, label, position) select id, ${reason.code}, ${reason.label}, ${position} from local_authority`.execute(db)
  }
  await sql`insert into register_setting (local_authority_id) select id from local_authority`.execute(db)
}
