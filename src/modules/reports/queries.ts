import { sql, type RawBuilder } from 'kysely'
import type { Db } from '../../platform/db.ts'
import { OPEN_STATUSES, registerWhere, type CaseStatus, type RegisterType } from '../register/queries.ts'
import type { RegisterFilter } from '../register/filters.ts'

// Days are UK calendar days throughout: a case opened at 00:30 BST on 1 October was opened on
// 1 October, though it is still 30 September in UTC.
const LONDON = 'Europe/London'
const openStatuses = [...OPEN_STATUSES] as string[]
/** The moment a UK calendar day ends (the next day's midnight, UK time). */
const endOfDay = (day: string | RawBuilder<unknown>) => sql`((${day}::date + 1)::timestamp at time zone ${LONDON})`
/** When a case's clock starts, as the register counts it: last in education, or else the day it was opened. */
const missingSince = sql`coalesce(c.date_last_in_education, (c.opened_at at time zone ${LONDON})::date)`

export type Count<K extends string> = { key: K; n: number }

export async function countOpenCasesByStatus(tx: Db): Promise<Count<CaseStatus>[]> {
  const { rows } = await sql<Count<CaseStatus>>`
    select status as key, count(*)::int as n from cme_case where status = any(${openStatuses}) group by status`.execute(tx)
  return rows
}

export async function countOpenCasesByRisk(tx: Db): Promise<Count<'standard' | 'high'>[]> {
  const { rows } = await sql<Count<'standard' | 'high'>>`
    select risk_level as key, count(*)::int as n from cme_case where status = any(${openStatuses}) group by risk_level`.execute(tx)
  return rows
}

export async function countCasesOpenedSince(tx: Db, since: Date): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from cme_case where opened_at > ${since}`.execute(tx)
  return rows[0].n
}

export type OverdueAction = { childId: string; forename: string; surname: string; title: string; dueOn: string; owner: string | null }

/** Open actions due before `today`, the most overdue first, with how many there are in all. */
export async function listOverdueActions(tx: Db, today: string, limit: number): Promise<{ rows: OverdueAction[]; total: number }> {
  const { rows } = await sql<OverdueAction>`
    select a.child_id as "childId", ch.forename, ch.surname, a.title, a.due_on::text as "dueOn", coalesce(u.display_name, o.name) as owner
    from case_action a
    join child ch on ch.local_authority_id = a.local_authority_id and ch.id = a.child_id
    left join app_user u on u.local_authority_id = a.local_authority_id and u.id = a.owner_user_id
    left join organisation o on o.local_authority_id = a.local_authority_id and o.id = a.owner_organisation_id
    where a.status = 'open' and a.due_on < ${today}::date
    order by a.due_on, a.created_at limit ${limit}`.execute(tx)
  const { rows: count } = await sql<{ n: number }>`
    select count(*)::int as n from case_action where status = 'open' and due_on < ${today}::date`.execute(tx)
  return { rows, total: count[0].n }
}

export type WaitingCase = {
  caseId: string
  childId: string
  forename: string
  surname: string
  status: CaseStatus
  registerType: RegisterType
  riskLevel: 'standard' | 'high'
  openedAt: Date
  missingSince: string
}

const WAITING_COLUMNS = sql`c.id as "caseId", ch.id as "childId", ch.forename, ch.surname, c.status, c.register_type as "registerType",
  c.risk_level as "riskLevel", c.opened_at as "openedAt", ${missingSince}::text as "missingSince"`
const CASE_CHILD = sql`cme_case c join child ch on ch.local_authority_id = c.local_authority_id and ch.id = c.child_id`

/**
 * Open cases missing for longest. School days missing only grow as the start date moves back, so
 * ordering by the start date gives the same order as the clock without counting every case's days.
 */
export async function listLongestWaiting(tx: Db, limit: number): Promise<WaitingCase[]> {
  const { rows } = await sql<WaitingCase>`
    select ${WAITING_COLUMNS} from ${CASE_CHILD}
    where c.status = any(${openStatuses}) order by ${missingSince}, c.opened_at limit ${limit}`.execute(tx)
  return rows
}

const NO_OPEN_ACTION = sql`c.status = any(${openStatuses}) and not exists (
  select 1 from case_action a where a.local_authority_id = c.local_authority_id and a.case_id = c.id and a.status = 'open')`

/** Open cases nobody has planned a next step for, open longest first. */
export async function listCasesWithoutNextAction(tx: Db, limit: number): Promise<{ rows: WaitingCase[]; total: number }> {
  const { rows } = await sql<WaitingCase>`
    select ${WAITING_COLUMNS} from ${CASE_CHILD} where ${NO_OPEN_ACTION} order by c.opened_at limit ${limit}`.execute(tx)
  const { rows: count } = await sql<{ n: number }>`select count(*)::int as n from cme_case c where ${NO_OPEN_ACTION}`.execute(tx)
  return { rows, total: count[0].n }
}

export type WeekPoint = { endsOn: string; open: number }

/**
 * Cases open at the end of each of the last `weeks` weeks, the last ending today. A case is open
 * at a moment when it had been opened by then and not yet closed.
 */
export async function countOpenCasesByWeek(tx: Db, today: string, weeks: number): Promise<WeekPoint[]> {
  const { rows } = await sql<WeekPoint>`
    with week as (select (${today}::date - 7 * k) as ends_on from generate_series(0, ${weeks - 1}::int) as k)
    select w.ends_on::text as "endsOn", count(c.id)::int as open
    from week w left join cme_case c on c.opened_at < ${endOfDay(sql`w.ends_on`)}
      and (c.closed_at is null or c.closed_at >= ${endOfDay(sql`w.ends_on`)})
    group by w.ends_on order by w.ends_on`.execute(tx)
  return rows
}

export type CensusCase = {
  dateOfBirth: string | null
  sex: string | null
  reason: string | null
  missingSince: string | null
}

/**
 * The children missing education on a census date: cases on the CME register opened by the end
 * of that day and not closed before it ended. Nothing that names a child: the return is counts.
 */
export async function listCmeCasesOnCensusDate(tx: Db, census: string): Promise<CensusCase[]> {
  const { rows } = await sql<CensusCase>`
    select ch.date_of_birth::text as "dateOfBirth", ch.sex, r.label as reason, ${missingSince}::text as "missingSince"
    from ${CASE_CHILD}
    left join cme_reason r on r.local_authority_id = c.local_authority_id and r.code = c.cme_reason_code
    where c.register_type = 'cme' and c.opened_at < ${endOfDay(census)}
      and (c.closed_at is null or c.closed_at >= ${endOfDay(census)})`.execute(tx)
  return rows
}

/** The LA's reasons in its own order, for the return's rows (every reason appears, even with no children). */
export async function listCmeReasonLabels(tx: Db): Promise<string[]> {
  const { rows } = await sql<{ label: string }>`select label from cme_reason where active order by position, label`.execute(tx)
  return rows.map((r) => r.label)
}

/** How many cases match the register's filters, counting no further than `cap`. */
export async function countRegisterRows(tx: Db, f: RegisterFilter, cap: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from (select 1 from ${CASE_CHILD} ${registerWhere(f)} limit ${cap}) capped`.execute(tx)
  return rows[0].n
}

export type ExportRow = {
  childId: string
  forename: string
  surname: string
  dateOfBirth: string | null
  sex: string | null
  upn: string | null
  registerType: RegisterType
  status: CaseStatus
  riskLevel: 'standard' | 'high'
  reason: string | null
  openedOn: string
  dateLastSeen: string | null
  missingSince: string
  officer: string | null
}

/** The register's rows for an export, in the register's order (high risk first, then the longest open). */
export async function listRegisterForExport(tx: Db, f: RegisterFilter, limit: number): Promise<ExportRow[]> {
  const { rows } = await sql<ExportRow>`
    select ch.id as "childId", ch.forename, ch.surname, ch.date_of_birth::text as "dateOfBirth", ch.sex, ch.upn,
      c.register_type as "registerType", c.status, c.risk_level as "riskLevel", r.label as reason,
      (c.opened_at at time zone ${LONDON})::date::text as "openedOn", c.date_last_seen::text as "dateLastSeen",
      ${missingSince}::text as "missingSince", u.display_name as officer
    from ${CASE_CHILD}
    left join cme_reason r on r.local_authority_id = c.local_authority_id and r.code = c.cme_reason_code
    left join app_user u on u.local_authority_id = c.local_authority_id and u.id = c.assigned_officer_id
    ${registerWhere(f)}
    order by (c.risk_level = 'high') desc, c.opened_at
    limit ${limit}`.execute(tx)
  return rows
}
