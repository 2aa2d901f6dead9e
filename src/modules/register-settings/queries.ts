import { sql } from 'kysely'
import type { Db } from '../../platform/db.ts'

export type Reason = { code: string; label: string; active: boolean }
export type TemplateItem = { id: string; code: string; label: string; required: boolean; active: boolean }

export async function listAllReasons(tx: Db): Promise<Reason[]> {
  const { rows } = await sql<Reason>`select code, label, active from cme_reason order by active desc, position, label`.execute(tx)
  return rows
}

export async function insertReason(tx: Db, laId: string, r: { code: string; label: string }): Promise<boolean> {
  const { rows } = await sql<{ code: string }>`insert into cme_reason (local_authority_id, code, label, position)
    values (${laId}, ${r.code}, ${r.label}, (select coalesce(max(position), 0) + 1 from cme_reason)) on conflict do nothing returning code`.execute(tx)
  return rows.length > 0
}

export async function toggleReason(tx: Db, code: string): Promise<Reason | undefined> {
  const { rows } = await sql<Reason>`update cme_reason set active = not active where code = ${code} returning code, label, active`.execute(tx)
  return rows[0]
}

export async function listTemplate(tx: Db): Promise<TemplateItem[]> {
  const { rows } = await sql<TemplateItem>`select id, code, label, required, active from enquiry_template_item order by active desc, position`.execute(tx)
  return rows
}

export async function insertTemplateItem(tx: Db, laId: string, i: { code: string; label: string; required: boolean }): Promise<boolean> {
  const { rows } = await sql<{ id: string }>`insert into enquiry_template_item (local_authority_id, code, label, required, position)
    values (${laId}, ${i.code}, ${i.label}, ${i.required}, (select coalesce(max(position), 0) + 1 from enquiry_template_item)) on conflict do nothing returning id`.execute(tx)
  return rows.length > 0
}

export async function updateTemplateItem(tx: Db, id: string, change: 'active' | 'required'): Promise<TemplateItem | undefined> {
  const { rows } = await sql<TemplateItem>`update enquiry_template_item set ${change === 'active' ? sql`active = not active` : sql`required = not required`}
    where id = ${id} returning id, code, label, required, active`.execute(tx)
  return rows[0]
}

export async function updateSettings(tx: Db, s: { overdueEscalationWorkingDays: number; teamManagerUserId: string | null; placementTargetSchoolDays: number }, now: Date): Promise<void> {
  await sql`update register_setting set overdue_escalation_working_days = ${s.overdueEscalationWorkingDays}, team_manager_user_id = ${s.teamManagerUserId},
    placement_target_school_days = ${s.placementTargetSchoolDays}, updated_at = ${now}`.execute(tx)
}

/** A code for a new list entry, from its label: lower case words joined by underscores. */
export const codeFor = (label: string): string =>
  label.toLowerCase().normalize('NFKD').replace(/[^a-z ]/g, '').trim().split(/\s+/).slice(0, 6).join('_').slice(0, 40) || 'item'
