import { sql, type Kysely } from 'kysely'
import { DEFAULT_ENQUIRIES } from '../src/modules/register/enquiry-template.ts'

// The reasonable-enquiries checklist: each LA keeps a template of enquiries, and each case gets a
// copy of it when it opens. A case cannot be closed as resolved until every required enquiry is
// done or has a recorded exception (domain brief 1.5; product.md "a checklist that gates closure").
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table enquiry_template_item (
      local_authority_id uuid not null references local_authority(id),
      id uuid not null default gen_random_uuid(),
      code text not null check (code ~ '^[a-z_]{2,40}$'),
      label text not null check (length(label) between 1 and 200),
      required boolean not null,
      position integer not null,
      active boolean not null default true,
      created_at timestamptz not null default now(),
      primary key (local_authority_id, id),
      unique (local_authority_id, code)
    );

    create table case_enquiry (
      local_authority_id uuid not null,
      id uuid not null default gen_random_uuid(),
      case_id uuid not null,
      code text not null,
      label text not null,
      required boolean not null,
      position integer not null,
      state text not null default 'to_do' check (state in ('to_do', 'done', 'exception')),
      done_on date,
      outcome text check (length(outcome) <= 2000),
      exception_reason text check (length(exception_reason) <= 2000),
      recorded_by_label text,
      updated_at timestamptz not null default now(),
      primary key (local_authority_id, id),
      unique (local_authority_id, case_id, code),
      foreign key (local_authority_id, case_id) references cme_case(local_authority_id, id),
      check (state <> 'done' or (done_on is not null and outcome is not null)),
      check (state <> 'exception' or exception_reason is not null)
    );
  `.execute(db)
  for (const table of ['enquiry_template_item', 'case_enquiry']) {
    const t = sql.table(table)
    await sql`alter table ${t} enable row level security`.execute(db)
    await sql`create policy tenant_isolation on ${t} to lantern_app
      using (local_authority_id = nullif(current_setting('lantern.la_id', true), '')::uuid)
      with check (local_authority_id = nullif(current_setting('lantern.la_id', true), '')::uuid)`.execute(db)
  }
  await sql`grant select, insert, update on enquiry_template_item, case_enquiry to lantern_app`.execute(db)
  await sql`alter table cme_case add column resolution_note text check (length(resolution_note) <= 2000)`.execute(db)

  // LAs and cases that exist already get the default checklist, as new ones will.
  for (const [position, item] of DEFAULT_ENQUIRIES.entries()) {
    await sql`insert into enquiry_template_item (local_authority_id, code, label, required, position)
      select id, ${item.code}, ${item.label}, ${item.required}, ${position} from local_authority`.execute(db)
  }
  await sql`insert into case_enquiry (local_authority_id, case_id, code, label, required, position)
    select c.local_authority_id, c.id, t.code, t.label, t.required, t.position
    from cme_case c join enquiry_template_item t on t.local_authority_id = c.local_authority_id`.execute(db)
}
