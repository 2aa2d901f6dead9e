import { sql } from 'kysely'
import type { Db } from '../../platform/db.ts'

export type ActionStatus = 'open' | 'done' | 'cancelled'
export type ActionKind = 'task' | 'mash_escalation'

export type NewAction = {
  caseId: string
  childId: string
  kind: ActionKind
  title: string
  ownerUserId: string | null
  ownerOrganisationId: string | null
  dueOn: string
  priority: 'normal' | 'high'
  createdByLabel: string
  /** The meeting agenda item whose decision set the action, if any. */
  meetingItemId?: string
}

export async function insertAction(tx: Db, laId: string, a: NewAction, now: Date): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    insert into case_action (local_authority_id, case_id, child_id, kind, title, owner_user_id, owner_organisation_id, due_on, priority, created_by_label, created_at, meeting_item_id)
    values (${laId}, ${a.caseId}, ${a.childId}, ${a.kind}, ${a.title}, ${a.ownerUserId}, ${a.ownerOrganisationId}, ${a.dueOn}, ${a.priority}, ${a.createdByLabel}, ${now}, ${a.meetingItemId ?? null})
    returning id`.execute(tx)
  return rows[0].id
}

export type ActionRow = {
  id: string
  caseId: string
  childId: string
  childName: string
  kind: ActionKind
  title: string
  ownerUserId: string | null
  ownerOrganisationId: string | null
  ownerLabel: string
  dueOn: string
  priority: 'normal' | 'high'
  status: ActionStatus
  outcome: string | null
  createdByLabel: string
  completedAt: Date | null
  completedByLabel: string | null
  escalatedAt: Date | null
  version: number
}

const columns = sql`a.id, a.case_id as "caseId", a.child_id as "childId", ch.forename || ' ' || ch.surname as "childName", a.kind, a.title,
  a.owner_user_id as "ownerUserId", a.owner_organisation_id as "ownerOrganisationId", coalesce(u.display_name, o.name) as "ownerLabel",
  a.due_on::text as "dueOn", a.priority, a.status, a.outcome, a.created_by_label as "createdByLabel", a.completed_at as "completedAt",
  a.completed_by_label as "completedByLabel", a.escalated_at as "escalatedAt", a.version`
const from = sql`from case_action a
  join child ch on ch.local_authority_id = a.local_authority_id and ch.id = a.child_id
  left join app_user u on u.local_authority_id = a.local_authority_id and u.id = a.owner_user_id
  left join organisation o on o.local_authority_id = a.local_authority_id and o.id = a.owner_organisation_id`

export async function listActionsForCases(tx: Db, caseIds: string[]): Promise<ActionRow[]> {
  if (!caseIds.length) return []
  const { rows } = await sql<ActionRow>`select ${columns} ${from} where a.case_id = any(${caseIds}::uuid[])
    order by (a.status = 'open') desc, a.due_on, a.created_at`.execute(tx)
  return rows
}

export async function findAction(tx: Db, id: string, opts: { lock?: boolean } = {}): Promise<ActionRow | undefined> {
  const { rows } = await sql<ActionRow>`select ${columns} ${from} where a.id = ${id} ${opts.lock ? sql`for update of a` : sql``}`.execute(tx)
  return rows[0]
}

/** An officer's queue: open actions they own or their organisation owns, soonest due first. */
export async function listMyActions(tx: Db, userId: string, organisationId: string, limit: number, offset: number): Promise<{ rows: ActionRow[]; total: number }> {
  const where = sql`where a.status = 'open' and (a.owner_user_id = ${userId} or (a.owner_user_id is null and a.owner_organisation_id = ${organisationId}))`
  const { rows } = await sql<ActionRow>`select ${columns} ${from} ${where} order by a.due_on, (a.priority = 'high') desc, a.created_at
    limit ${limit} offset ${offset}`.execute(tx)
  const { rows: count } = await sql<{ n: number }>`select count(*)::int as n from case_action a ${where}`.execute(tx)
  return { rows, total: count[0].n }
}

export type CaseWithoutAction = { caseId: string; childId: string; childName: string; openedAt: Date }

/** Open cases assigned to the officer (or to nobody) that have no open action: every open case must have a next action date. */
export async function listCasesWithoutNextAction(tx: Db, userId: string, limit: number): Promise<CaseWithoutAction[]> {
  const { rows } = await sql<CaseWithoutAction>`
    select c.id as "caseId", c.child_id as "childId", ch.forename || ' ' || ch.surname as "childName", c.opened_at as "openedAt"
    from cme_case c join child ch on ch.local_authority_id = c.local_authority_id and ch.id = c.child_id
    where c.closed_at is null and (c.assigned_officer_id = ${userId} or c.assigned_officer_id is null)
      and not exists (select 1 from case_action a where a.local_authority_id = c.local_authority_id and a.case_id = c.id and a.status = 'open')
    order by c.opened_at limit ${limit}`.execute(tx)
  return rows
}

/** A progress note changes nothing on the action but its version, so two people updating at once are told. */
export async function touchAction(tx: Db, id: string): Promise<void> {
  await sql`update case_action set version = version + 1 where id = ${id}`.execute(tx)
}

export async function completeAction(tx: Db, id: string, p: { status: 'done' | 'cancelled'; outcome: string; byLabel: string }, now: Date): Promise<void> {
  await sql`update case_action set status = ${p.status}, outcome = ${p.outcome}, completed_at = ${now}, completed_by_label = ${p.byLabel},
    version = version + 1 where id = ${id}`.execute(tx)
}

export async function rescheduleAction(tx: Db, id: string, p: { dueOn: string; ownerUserId: string | null; ownerOrganisationId: string | null }): Promise<void> {
  await sql`update case_action set due_on = ${p.dueOn}, owner_user_id = ${p.ownerUserId}, owner_organisation_id = ${p.ownerOrganisationId},
    escalated_at = null, version = version + 1 where id = ${id}`.execute(tx)
}

export type Owner = { value: string; text: string }

/** Who can own an action: active CME officers by name, then every organisation. */
export async function listOwners(tx: Db): Promise<{ people: Owner[]; organisations: Owner[] }> {
  const { rows: people } = await sql<{ id: string; name: string }>`
    select u.id, u.display_name as name from app_user u
    where u.status = 'active' and exists (select 1 from user_role r where r.local_authority_id = u.local_authority_id and r.user_id = u.id and r.role = 'cme_officer')
    order by u.display_name`.execute(tx)
  const { rows: orgs } = await sql<{ id: string; name: string }>`select id, name from organisation order by name`.execute(tx)
  return { people: people.map((p) => ({ value: `user:${p.id}`, text: p.name })), organisations: orgs.map((o) => ({ value: `org:${o.id}`, text: o.name })) }
}

export type RegisterSettings = { overdueEscalationWorkingDays: number; teamManagerUserId: string | null; placementTargetSchoolDays: number }

export async function loadSettings(tx: Db): Promise<RegisterSettings> {
  const { rows } = await sql<RegisterSettings>`select overdue_escalation_working_days as "overdueEscalationWorkingDays", team_manager_user_id as "teamManagerUserId",
    placement_target_school_days as "placementTargetSchoolDays" from register_setting`.execute(tx)
  return rows[0] ?? { overdueEscalationWorkingDays: 5, teamManagerUserId: null, placementTargetSchoolDays: 20 }
}

/** The LA's own organisation (the first LA team), which owns escalations when no team manager is set. */
export async function homeOrganisationId(tx: Db): Promise<string> {
  const { rows } = await sql<{ id: string }>`select id from organisation where kind = 'la_team' order by created_at limit 1`.execute(tx)
  return rows[0].id
}

export type OverdueAction = { id: string; caseId: string; childId: string; dueOn: string }

export async function listOverdueUnescalated(tx: Db, dueBefore: string): Promise<OverdueAction[]> {
  const { rows } = await sql<OverdueAction>`select id, case_id as "caseId", child_id as "childId", due_on::text as "dueOn" from case_action
    where status = 'open' and escalated_at is null and due_on < ${dueBefore} order by due_on limit 1000`.execute(tx)
  return rows
}

export async function markEscalated(tx: Db, ids: string[], now: Date): Promise<void> {
  await sql`update case_action set escalated_at = ${now} where id = any(${ids}::uuid[])`.execute(tx)
}

export async function userEmail(tx: Db, userId: string): Promise<string | undefined> {
  const { rows } = await sql<{ email: string }>`select email from app_user where id = ${userId} and status = 'active'`.execute(tx)
  return rows[0]?.email
}

/** Every overdue open action in the LA, longest overdue first: the team manager's view. */
export async function listOverdue(tx: Db, today: string, limit: number, offset: number): Promise<{ rows: ActionRow[]; total: number }> {
  const where = sql`where a.status = 'open' and a.due_on < ${today}`
  const { rows } = await sql<ActionRow>`select ${columns} ${from} ${where} order by a.due_on, a.created_at limit ${limit} offset ${offset}`.execute(tx)
  const { rows: count } = await sql<{ n: number }>`select count(*)::int as n from case_action a ${where}`.execute(tx)
  return { rows, total: count[0].n }
}

/** Actions set at meetings, for the items given: the meeting page and the minutes list them under each decision. */
export async function listActionsForMeetingItems(tx: Db, itemIds: string[]): Promise<(ActionRow & { meetingItemId: string })[]> {
  if (!itemIds.length) return []
  const { rows } = await sql<ActionRow & { meetingItemId: string }>`select ${columns}, a.meeting_item_id as "meetingItemId" ${from}
    where a.meeting_item_id in (${sql.join(itemIds)}) order by a.created_at`.execute(tx)
  return rows
}

/** The owner select's choices (people, then organisations), with one marked as chosen. */
export async function ownerChoices(tx: Db, chosen?: unknown) {
  const { people, organisations } = await listOwners(tx)
  const mark = (o: Owner) => ({ ...o, selected: o.value === chosen })
  return { people: people.map(mark), organisations: organisations.map(mark) }
}

/** The task's owner: the person, or anyone in the owning organisation when no person is named. */
export const ownsAction = (a: Pick<ActionRow, 'ownerUserId' | 'ownerOrganisationId'>, userId: string, organisationId: string): boolean =>
  a.ownerUserId === userId || (a.ownerUserId === null && a.ownerOrganisationId === organisationId)

export type TaskContext = {
  dateOfBirth: string | null; address: string | null; postcode: string | null
  meeting: { seriesName: string; heldOn: string; decision: string | null } | null
}

/** The minimum of the child's record a task needs: who, where, and the decision that set it. */
export async function taskContext(tx: Db, action: ActionRow): Promise<TaskContext> {
  const { rows } = await sql<TaskContext & { seriesName: string | null; heldOn: string | null; decision: string | null }>`select
      to_char(ch.date_of_birth, 'YYYY-MM-DD') as "dateOfBirth", ad.line1 || coalesce(', ' || ad.town, '') as address, ad.postcode,
      s.name as "seriesName", to_char(m.held_on, 'YYYY-MM-DD') as "heldOn", i.decision
    from case_action a join child ch on ch.local_authority_id = a.local_authority_id and ch.id = a.child_id
    left join lateral (select line1, town, postcode from child_address x where x.local_authority_id = ch.local_authority_id and x.child_id = ch.id
      order by x.to_date is null desc, x.from_date desc nulls last, x.created_at desc limit 1) ad on true
    left join meeting_item i on i.local_authority_id = a.local_authority_id and i.id = a.meeting_item_id
    left join meeting m on m.local_authority_id = i.local_authority_id and m.id = i.meeting_id
    left join meeting_series s on s.local_authority_id = m.local_authority_id and s.id = m.series_id
    where a.id = ${action.id}`.execute(tx)
  const r = rows[0]
  return { dateOfBirth: r.dateOfBirth, address: r.address, postcode: r.postcode, meeting: r.seriesName ? { seriesName: r.seriesName, heldOn: r.heldOn!, decision: r.decision } : null }
}
