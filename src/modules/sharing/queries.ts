import { sql } from 'kysely'
import type { Db } from '../../platform/db.ts'

export type Share = { id: string; caseId: string; childId: string; organisationId: string; organisationName: string; reason: string; sharedByLabel: string; createdAt: Date; revokedAt: Date | null }

const COLUMNS = sql`s.id, s.case_id as "caseId", s.child_id as "childId", s.organisation_id as "organisationId", o.name as "organisationName", s.reason,
  s.shared_by_label as "sharedByLabel", s.created_at as "createdAt", s.revoked_at as "revokedAt"`
const FROM = sql`from case_share s join organisation o on o.local_authority_id = s.local_authority_id and o.id = s.organisation_id`

export async function listSharesForCase(tx: Db, caseId: string): Promise<Share[]> {
  const { rows } = await sql<Share>`select ${COLUMNS} ${FROM} where s.case_id = ${caseId} order by s.revoked_at nulls first, s.created_at desc`.execute(tx)
  return rows
}

export async function insertShare(tx: Db, laId: string, s: { caseId: string; childId: string; organisationId: string; reason: string; by: string }, now: Date): Promise<boolean> {
  const { rows } = await sql<{ id: string }>`insert into case_share (local_authority_id, case_id, child_id, organisation_id, reason, shared_by_label, created_at)
    values (${laId}, ${s.caseId}, ${s.childId}, ${s.organisationId}, ${s.reason}, ${s.by}, ${now})
    on conflict (local_authority_id, case_id, organisation_id) where revoked_at is null do nothing returning id`.execute(tx)
  return rows.length > 0
}

export async function revokeShare(tx: Db, caseId: string, id: string, by: string, now: Date): Promise<Share | undefined> {
  const { rows } = await sql<{ id: string }>`update case_share set revoked_at = ${now}, revoked_by_label = ${by}
    where id = ${id} and case_id = ${caseId} and revoked_at is null returning id`.execute(tx)
  if (!rows.length) return undefined
  return (await sql<Share>`select ${COLUMNS} ${FROM} where s.id = ${id}`.execute(tx)).rows[0]
}

export type SharedCase = { shareId: string; childName: string; dateOfBirth: string | null; status: string; riskLevel: string; reason: string; createdAt: Date }

/** The cases shared with an organisation and still shared: what its practitioners may see. */
export async function listSharedWith(tx: Db, organisationId: string): Promise<SharedCase[]> {
  const { rows } = await sql<SharedCase>`select s.id as "shareId", ch.forename || ' ' || ch.surname as "childName", ch.date_of_birth::text as "dateOfBirth",
      c.status, c.risk_level as "riskLevel", s.reason, s.created_at as "createdAt"
    from case_share s
    join cme_case c on c.local_authority_id = s.local_authority_id and c.id = s.case_id
    join child ch on ch.local_authority_id = s.local_authority_id and ch.id = s.child_id
    where s.organisation_id = ${organisationId} and s.revoked_at is null order by s.created_at desc limit 200`.execute(tx)
  return rows
}

export type SharedView = {
  shareId: string; childId: string; caseId: string; forename: string; surname: string; dateOfBirth: string | null; status: string; riskLevel: string
  concern: string; dateLastSeen: string | null; reason: string; sharedByLabel: string; createdAt: Date
}

/** The minimum of the child's record a partner needs: who, where the case is, and why it was shared. */
export async function findSharedView(tx: Db, shareId: string, organisationId: string): Promise<SharedView | undefined> {
  const { rows } = await sql<SharedView>`select s.id as "shareId", ch.id as "childId", c.id as "caseId", ch.forename, ch.surname, ch.date_of_birth::text as "dateOfBirth",
      c.status, c.risk_level as "riskLevel", c.concern, c.date_last_seen::text as "dateLastSeen", s.reason, s.shared_by_label as "sharedByLabel", s.created_at as "createdAt"
    from case_share s
    join cme_case c on c.local_authority_id = s.local_authority_id and c.id = s.case_id
    join child ch on ch.local_authority_id = s.local_authority_id and ch.id = s.child_id
    where s.id = ${shareId} and s.organisation_id = ${organisationId} and s.revoked_at is null`.execute(tx)
  return rows[0]
}

export async function listPartnerOrganisations(tx: Db): Promise<{ value: string; text: string }[]> {
  const { rows } = await sql<{ value: string; text: string }>`select id as value, name as text from organisation where kind <> 'la_team' order by name`.execute(tx)
  return rows
}
