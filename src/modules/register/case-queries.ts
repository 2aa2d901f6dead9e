import { sql } from 'kysely'
import type { Db } from '../../platform/db.ts'
import type { CaseStatus } from './queries.ts'
import { DEFAULT_CME_REASONS } from './reasons.ts'
import { DEFAULT_ENQUIRIES } from './enquiry-template.ts'

export async function seedEnquiryTemplate(tx: Db, laId: string): Promise<void> {
  for (const [position, item] of DEFAULT_ENQUIRIES.entries()) {
    await sql`insert into enquiry_template_item (local_authority_id, code, label, required, position)
      values (${laId}, ${item.code}, ${item.label}, ${item.required}, ${position}) on conflict do nothing`.execute(tx)
  }
}

/** A new LA's CME reasons and register settings, as the migration gives existing LAs. */
export async function seedRegisterDefaults(tx: Db, laId: string): Promise<void> {
  for (const [position, reason] of DEFAULT_CME_REASONS.entries()) {
    await sql`insert into cme_reason (local_authority_id, code, label, position) values (${laId}, ${reason.code}, ${reason.label}, ${position})
      on conflict do nothing`.execute(tx)
  }
  await sql`insert into register_setting (local_authority_id) values (${laId}) on conflict do nothing`.execute(tx)
}

/** Copies the LA's current checklist onto a new case. */
export async function copyTemplateToCase(tx: Db, laId: string, caseId: string): Promise<void> {
  await sql`insert into case_enquiry (local_authority_id, case_id, code, label, required, position)
    select local_authority_id, ${caseId}, code, label, required, position from enquiry_template_item
    where local_authority_id = ${laId} and active`.execute(tx)
}

export type Enquiry = {
  id: string
  caseId: string
  label: string
  required: boolean
  state: 'to_do' | 'done' | 'exception'
  doneOn: string | null
  outcome: string | null
  exceptionReason: string | null
  recordedByLabel: string | null
}

const SELECT_ENQUIRY = sql`select id, case_id as "caseId", label, required, state, done_on::text as "doneOn", outcome,
  exception_reason as "exceptionReason", recorded_by_label as "recordedByLabel" from case_enquiry`

export async function listEnquiries(tx: Db, caseIds: string[]): Promise<Enquiry[]> {
  if (!caseIds.length) return []
  const { rows } = await sql<Enquiry>`${SELECT_ENQUIRY} where case_id = any(${caseIds}) order by position`.execute(tx)
  return rows
}

export async function findEnquiry(tx: Db, caseId: string, id: string): Promise<Enquiry | undefined> {
  const { rows } = await sql<Enquiry>`${SELECT_ENQUIRY} where case_id = ${caseId} and id = ${id}`.execute(tx)
  return rows[0]
}

export async function recordEnquiry(
  tx: Db, id: string,
  e: { state: 'done' | 'exception'; doneOn?: string; outcome?: string; exceptionReason?: string; recordedByLabel: string },
  now: Date,
): Promise<void> {
  await sql`update case_enquiry set state = ${e.state}, done_on = ${e.doneOn ?? null}, outcome = ${e.outcome ?? null},
    exception_reason = ${e.exceptionReason ?? null}, recorded_by_label = ${e.recordedByLabel}, updated_at = ${now}
    where id = ${id}`.execute(tx)
}

export type CaseState = { id: string; childId: string; status: CaseStatus; riskLevel: 'standard' | 'high'; version: number; closedAt: Date | null }

/** The case row locked for the rest of the transaction, so two officers' changes cannot interleave. */
export async function lockCase(tx: Db, caseId: string): Promise<CaseState | undefined> {
  const { rows } = await sql<CaseState>`
    select id, child_id as "childId", status, risk_level as "riskLevel", version, closed_at as "closedAt"
    from cme_case where id = ${caseId} for update`.execute(tx)
  return rows[0]
}

export async function updateCaseStatus(tx: Db, caseId: string, status: CaseStatus, closed: boolean, note: string | undefined, now: Date): Promise<void> {
  await sql`update cme_case set status = ${status}, closed_at = ${closed ? now : null}, resolution_note = ${note ?? null},
    version = version + 1, updated_at = ${now} where id = ${caseId}`.execute(tx)
}

export async function updateCaseRisk(tx: Db, caseId: string, level: 'standard' | 'high', reasons: string[], now: Date): Promise<void> {
  await sql`update cme_case set risk_level = ${level}, risk_reasons = ${reasons}, version = version + 1, updated_at = ${now}
    where id = ${caseId}`.execute(tx)
}

export type CaseSummary = { id: string; childId: string; childName: string; status: CaseStatus; riskLevel: 'standard' | 'high'; version: number; closedAt: Date | null }

export async function findCaseSummary(tx: Db, caseId: string): Promise<CaseSummary | undefined> {
  const { rows } = await sql<CaseSummary>`
    select c.id, c.child_id as "childId", ch.forename || ' ' || ch.surname as "childName", c.status, c.risk_level as "riskLevel",
      c.version, c.closed_at as "closedAt"
    from cme_case c join child ch on ch.local_authority_id = c.local_authority_id and ch.id = c.child_id where c.id = ${caseId}`.execute(tx)
  return rows[0]
}

export type CaseDetails = { registerType: string; cmeReasonCode: string | null; assignedOfficerId: string | null }

export async function findCaseDetails(tx: Db, caseId: string): Promise<CaseDetails | undefined> {
  const { rows } = await sql<CaseDetails>`select register_type as "registerType", cme_reason_code as "cmeReasonCode", assigned_officer_id as "assignedOfficerId"
    from cme_case where id = ${caseId}`.execute(tx)
  return rows[0]
}

export async function updateCaseDetails(tx: Db, caseId: string, d: CaseDetails, now: Date): Promise<void> {
  await sql`update cme_case set register_type = ${d.registerType}, cme_reason_code = ${d.cmeReasonCode}, assigned_officer_id = ${d.assignedOfficerId},
    version = version + 1, updated_at = ${now} where id = ${caseId}`.execute(tx)
}

export type Option = { value: string; text: string }

export async function listReasons(tx: Db): Promise<Option[]> {
  const { rows } = await sql<Option>`select code as value, label as text from cme_reason where active order by position, label`.execute(tx)
  return rows
}

export async function listOfficers(tx: Db): Promise<Option[]> {
  const { rows } = await sql<Option>`select u.id as value, u.display_name as text from app_user u
    where u.status = 'active' and exists (select 1 from user_role r where r.local_authority_id = u.local_authority_id and r.user_id = u.id and r.role = 'cme_officer')
    order by u.display_name`.execute(tx)
  return rows
}
