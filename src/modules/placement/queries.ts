import { sql } from 'kysely'
import type { Db } from '../../platform/db.ts'

export const BARRIER_KINDS = ['school_refusal', 'fair_access_referral', 'direction_maintained', 'direction_request_academy', 'formal_dispute'] as const
export type BarrierKind = (typeof BARRIER_KINDS)[number]
export const BARRIER_LABELS: Record<BarrierKind, string> = {
  school_refusal: 'School refused a place',
  fair_access_referral: 'Referred to the Fair Access panel',
  direction_maintained: 'LA directed a maintained school to admit',
  direction_request_academy: 'Asked the Secretary of State to direct an academy',
  formal_dispute: 'Formal dispute',
}

export type Barrier = {
  id: string
  caseId: string
  childId: string
  kind: BarrierKind
  schoolName: string | null
  occurredOn: string
  reason: string
  responseDueOn: string | null
  outcome: string | null
  resolvedOn: string | null
  recordedByLabel: string
  version: number
}

const COLUMNS = sql`id, case_id as "caseId", child_id as "childId", kind, school_name as "schoolName", occurred_on::text as "occurredOn", reason,
  response_due_on::text as "responseDueOn", outcome, resolved_on::text as "resolvedOn", recorded_by_label as "recordedByLabel", version`

export async function insertBarrier(tx: Db, laId: string, b: Omit<Barrier, 'id' | 'outcome' | 'resolvedOn' | 'version'>): Promise<string> {
  const { rows } = await sql<{ id: string }>`insert into placement_barrier (local_authority_id, case_id, child_id, kind, school_name, occurred_on, reason, response_due_on, recorded_by_label)
    values (${laId}, ${b.caseId}, ${b.childId}, ${b.kind}, ${b.schoolName}, ${b.occurredOn}, ${b.reason}, ${b.responseDueOn}, ${b.recordedByLabel}) returning id`.execute(tx)
  return rows[0].id
}

export async function findBarrier(tx: Db, id: string, opts: { lock?: boolean } = {}): Promise<Barrier | undefined> {
  const { rows } = await sql<Barrier>`select ${COLUMNS} from placement_barrier where id = ${id} ${opts.lock ? sql`for update` : sql``}`.execute(tx)
  return rows[0]
}

export async function listBarriersForCases(tx: Db, caseIds: string[]): Promise<Barrier[]> {
  if (!caseIds.length) return []
  const { rows } = await sql<Barrier>`select ${COLUMNS} from placement_barrier where case_id = any(${caseIds}::uuid[]) order by occurred_on, created_at`.execute(tx)
  return rows
}

export async function resolveBarrier(tx: Db, id: string, r: { outcome: string; resolvedOn: string }): Promise<void> {
  await sql`update placement_barrier set outcome = ${r.outcome}, resolved_on = ${r.resolvedOn}, version = version + 1 where id = ${id}`.execute(tx)
}

export type Waiting = { caseId: string; childId: string; since: string }

/** Open cases waiting for a place: the first barrier's date, for cases not yet escalated. */
export async function listWaitingUnescalated(tx: Db): Promise<Waiting[]> {
  const { rows } = await sql<Waiting>`select c.id as "caseId", c.child_id as "childId", min(b.occurred_on)::text as since
    from cme_case c join placement_barrier b on b.local_authority_id = c.local_authority_id and b.case_id = c.id
    where c.closed_at is null and c.placement_escalated_at is null
    group by c.id, c.child_id`.execute(tx)
  return rows
}

export async function markPlacementEscalated(tx: Db, caseId: string, now: Date): Promise<void> {
  await sql`update cme_case set placement_escalated_at = ${now} where id = ${caseId}`.execute(tx)
}
