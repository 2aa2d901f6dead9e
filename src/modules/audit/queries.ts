import { sql } from 'kysely'
import type { Db } from '../../platform/db.ts'

export type AuditFilter = {
  user?: string
  recordType?: string
  recordId?: string
  action?: string
  from?: string
  to?: string
}

export type AuditRow = {
  seq: string
  occurredAt: Date
  actorLabel: string
  actorUserId: string | null
  action: string
  recordType: string | null
  recordId: string | null
  ip: string | null
  reason: string | null
  details: string
}

const like = (v: string | undefined) => (v ? `%${v.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null)

function whereClause(f: AuditFilter) {
  // Dates are UK calendar days: "to" includes the whole of that day in Europe/London.
  return sql`where (${like(f.user)}::text is null or actor_label ilike ${like(f.user)})
    and (${f.recordType ?? null}::text is null or record_type = ${f.recordType ?? null})
    and (${f.recordId ?? null}::text is null or record_id = ${f.recordId ?? null})
    and (${f.action ?? null}::text is null or action = ${f.action ?? null})
    and (${f.from ?? null}::date is null or occurred_at >= (${f.from ?? null}::date)::timestamp at time zone 'Europe/London')
    and (${f.to ?? null}::date is null or occurred_at < (${f.to ?? null}::date + 1)::timestamp at time zone 'Europe/London')`
}

export async function listAuditEvents(tx: Db, f: AuditFilter, limit: number, offset: number): Promise<AuditRow[]> {
  const { rows } = await sql<AuditRow>`
    select seq, occurred_at as "occurredAt", actor_label as "actorLabel", actor_user_id as "actorUserId", action,
      record_type as "recordType", record_id as "recordId", ip, reason, details
    from audit_event ${whereClause(f)} order by seq desc limit ${limit} offset ${offset}`.execute(tx)
  return rows
}

/** Counts matching entries, stopping at `cap`: an exact count of a large log would scan all of it on every page. */
export async function countAuditEvents(tx: Db, f: AuditFilter, cap: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from (select 1 from audit_event ${whereClause(f)} limit ${cap}) capped`.execute(tx)
  return rows[0].n
}

// Distinct values by skipping through the index one value at a time (a loose index scan), so the
// filter lists cost a few index probes however long the log grows.
export async function listRecordTypes(tx: Db): Promise<string[]> {
  const { rows } = await sql<{ v: string }>`
    with recursive t(v) as (
      (select record_type from audit_event where record_type is not null order by local_authority_id, record_type limit 1)
      union all
      select (select record_type from audit_event where record_type > t.v order by local_authority_id, record_type limit 1) from t where t.v is not null
    ) select v from t where v is not null`.execute(tx)
  return rows.map((r) => r.v)
}

export async function listActions(tx: Db): Promise<string[]> {
  const { rows } = await sql<{ v: string }>`
    with recursive t(v) as (
      (select action from audit_event order by local_authority_id, action limit 1)
      union all
      select (select action from audit_event where action > t.v order by local_authority_id, action limit 1) from t where t.v is not null
    ) select v from t where v is not null`.execute(tx)
  return rows.map((r) => r.v)
}
