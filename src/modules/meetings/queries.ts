import { sql } from 'kysely'
import type { Db } from '../../platform/db.ts'

// Tables: meeting_series, meeting_series_member, meeting, meeting_attendance, panel_referral and
// meeting_item (migration 0009); actions from decisions are case_action rows with meeting_item_id.

export type AgendaRules = {
  referred: boolean; newCases: boolean; highRisk: boolean; missingLong: boolean; missingSchoolDays: number
  protection: boolean; placement: boolean; openActions: boolean
}
export type SeriesKind = 'weekly_officer' | 'cme_panel' | 'other'
export type Series = {
  id: string; name: string; kind: SeriesKind; schedule: 'weekly' | 'termly' | 'as_needed'; chairUserId: string; chairLabel: string; quorum: number
  agendaRules: AgendaRules; version: number; members: { userId: string; label: string }[]
}

export async function insertSeries(tx: Db, laId: string, s: Omit<Series, 'id' | 'chairLabel' | 'version' | 'members'> & { memberIds: string[] }, now: Date): Promise<string> {
  const { rows } = await sql<{ id: string }>`insert into meeting_series (local_authority_id, name, kind, schedule, chair_user_id, quorum, agenda_rules, created_at)
    values (${laId}, ${s.name}, ${s.kind}, ${s.schedule}, ${s.chairUserId}, ${s.quorum}, ${JSON.stringify(s.agendaRules)}, ${now}) returning id`.execute(tx)
  const id = rows[0].id
  for (const userId of new Set([s.chairUserId, ...s.memberIds])) {
    await sql`insert into meeting_series_member (local_authority_id, series_id, user_id) values (${laId}, ${id}, ${userId})`.execute(tx)
  }
  return id
}

export async function seriesNameTaken(tx: Db, name: string): Promise<boolean> {
  const { rows } = await sql<{ id: string }>`select id from meeting_series where lower(name) = lower(${name})`.execute(tx)
  return rows.length > 0
}

export async function updateRules(tx: Db, id: string, rules: AgendaRules): Promise<void> {
  await sql`update meeting_series set agenda_rules = ${JSON.stringify(rules)}, version = version + 1 where id = ${id}`.execute(tx)
}

export async function findSeries(tx: Db, id: string): Promise<Series | undefined> {
  const { rows } = await sql<Omit<Series, 'members'>>`select s.id, s.name, s.kind, s.schedule, s.chair_user_id as "chairUserId", u.display_name as "chairLabel",
      s.quorum, s.agenda_rules as "agendaRules", s.version
    from meeting_series s join app_user u on u.local_authority_id = s.local_authority_id and u.id = s.chair_user_id where s.id = ${id}`.execute(tx)
  if (!rows[0]) return undefined
  const { rows: members } = await sql<{ userId: string; label: string }>`select m.user_id as "userId", u.display_name || ', ' || o.name as label
    from meeting_series_member m join app_user u on u.local_authority_id = m.local_authority_id and u.id = m.user_id
    join organisation o on o.local_authority_id = u.local_authority_id and o.id = u.organisation_id
    where m.series_id = ${id} order by u.display_name`.execute(tx)
  return { ...rows[0], members }
}

export type SeriesRow = { id: string; name: string; kind: SeriesKind; chairLabel: string; nextMeeting: string | null; lastMeeting: string | null }

export async function listSeries(tx: Db, today: string): Promise<SeriesRow[]> {
  const { rows } = await sql<SeriesRow>`select s.id, s.name, s.kind, u.display_name as "chairLabel",
      (select to_char(min(held_on), 'YYYY-MM-DD') from meeting m where m.series_id = s.id and m.held_on >= ${today}) as "nextMeeting",
      (select to_char(max(held_on), 'YYYY-MM-DD') from meeting m where m.series_id = s.id and m.held_on < ${today}) as "lastMeeting"
    from meeting_series s join app_user u on u.local_authority_id = s.local_authority_id and u.id = s.chair_user_id order by s.name`.execute(tx)
  return rows
}

export async function seriesChoices(tx: Db): Promise<{ id: string; name: string }[]> {
  const { rows } = await sql<{ id: string; name: string }>`select id, name from meeting_series order by name`.execute(tx)
  return rows
}

/** People who can sit on a panel: the LA's active users, named with their organisation. */
export async function listPeople(tx: Db): Promise<{ value: string; text: string }[]> {
  const { rows } = await sql<{ value: string; text: string }>`select u.id as value, u.display_name || ', ' || o.name as text
    from app_user u join organisation o on o.local_authority_id = u.local_authority_id and o.id = u.organisation_id
    where u.status <> 'deactivated' order by u.display_name`.execute(tx)
  return rows
}

export type MeetingState = 'planned' | 'closed' | 'approved'
export type Meeting = { id: string; seriesId: string; seriesName: string; kind: SeriesKind; chairUserId: string; quorum: number; heldOn: string; state: MeetingState; closedAt: Date | null; approvedAt: Date | null; approvedByLabel: string | null; version: number }

const MEETING = sql`select m.id, m.series_id as "seriesId", s.name as "seriesName", s.kind, s.chair_user_id as "chairUserId", s.quorum,
    to_char(m.held_on, 'YYYY-MM-DD') as "heldOn", m.state, m.closed_at as "closedAt", m.approved_at as "approvedAt", a.display_name as "approvedByLabel", m.version
  from meeting m join meeting_series s on s.local_authority_id = m.local_authority_id and s.id = m.series_id
  left join app_user a on a.local_authority_id = m.local_authority_id and a.id = m.approved_by`

export async function findMeeting(tx: Db, id: string, o: { lock?: boolean } = {}): Promise<Meeting | undefined> {
  const { rows } = await sql<Meeting>`${MEETING} where m.id = ${id} ${o.lock ? sql`for update of m` : sql``}`.execute(tx)
  return rows[0]
}

export async function listMeetings(tx: Db, seriesId: string): Promise<Meeting[]> {
  const { rows } = await sql<Meeting>`${MEETING} where m.series_id = ${seriesId} order by m.held_on desc limit 50`.execute(tx)
  return rows
}

export async function insertMeeting(tx: Db, laId: string, seriesId: string, heldOn: string, now: Date): Promise<string | undefined> {
  const { rows } = await sql<{ id: string }>`insert into meeting (local_authority_id, series_id, held_on, created_at) values (${laId}, ${seriesId}, ${heldOn}, ${now})
    on conflict (local_authority_id, series_id, held_on) do nothing returning id`.execute(tx)
  return rows[0]?.id
}

/** The series' meeting before this date, whose undiscussed items carry forward and whose date starts "new since the last meeting". */
export async function previousMeeting(tx: Db, seriesId: string, before: string): Promise<{ id: string; heldOn: string } | undefined> {
  const { rows } = await sql<{ id: string; heldOn: string }>`select id, to_char(held_on, 'YYYY-MM-DD') as "heldOn" from meeting
    where series_id = ${seriesId} and held_on < ${before} order by held_on desc limit 1`.execute(tx)
  return rows[0]
}

export async function setMeetingState(tx: Db, id: string, state: MeetingState, now: Date, by?: string): Promise<void> {
  await sql`update meeting set state = ${state}, closed_at = case when ${state} = 'closed' then ${now} else closed_at end,
    approved_at = case when ${state} = 'approved' then ${now} else approved_at end, approved_by = coalesce(${by ?? null}, approved_by), version = version + 1
    where id = ${id}`.execute(tx)
}

// --- Agenda candidates: open cases matching each rule. Each returns case id, child id and a reason.
export type AgendaCandidate = { caseId: string; childId: string; reason: string; carriedFrom?: string }

const OPEN = sql`c.closed_at is null`

export async function referredCases(tx: Db, seriesId: string): Promise<(AgendaCandidate & { referralId: string })[]> {
  const { rows } = await sql<AgendaCandidate & { referralId: string }>`select r.id as "referralId", r.case_id as "caseId", r.child_id as "childId",
      'Referred to the panel by ' || r.referred_by_label || ': ' || r.reason as reason
    from panel_referral r join cme_case c on c.local_authority_id = r.local_authority_id and c.id = r.case_id
    where r.series_id = ${seriesId} and r.meeting_id is null and ${OPEN} order by r.created_at`.execute(tx)
  return rows
}

export async function newCases(tx: Db, since: Date): Promise<AgendaCandidate[]> {
  const { rows } = await sql<AgendaCandidate>`select c.id as "caseId", c.child_id as "childId", 'New case since the last meeting' as reason
    from cme_case c where ${OPEN} and c.opened_at >= ${since} order by c.opened_at`.execute(tx)
  return rows
}

export async function highRiskCases(tx: Db): Promise<AgendaCandidate[]> {
  const { rows } = await sql<AgendaCandidate>`select c.id as "caseId", c.child_id as "childId", 'High risk' as reason
    from cme_case c where ${OPEN} and c.risk_level = 'high' order by c.opened_at`.execute(tx)
  return rows
}

/** Open cases with the day each child was last in education (or the case opened): all of them, or one. */
export async function openCasesWithDates(tx: Db, caseId?: string): Promise<{ caseId: string; childId: string; since: string }[]> {
  const { rows } = await sql<{ caseId: string; childId: string; since: string }>`select c.id as "caseId", c.child_id as "childId",
      coalesce(to_char(c.date_last_in_education, 'YYYY-MM-DD'), to_char(c.opened_at at time zone 'Europe/London', 'YYYY-MM-DD')) as since
    from cme_case c where ${OPEN} ${caseId ? sql`and c.id = ${caseId}` : sql``}`.execute(tx)
  return rows
}

export async function protectionCases(tx: Db, today: string): Promise<AgendaCandidate[]> {
  const { rows } = await sql<AgendaCandidate>`select c.id as "caseId", c.child_id as "childId",
      string_agg(distinct case f.flag when 'looked_after' then 'Looked after (in care)' else 'Child protection plan' end, '; ') as reason
    from cme_case c join child_flag f on f.local_authority_id = c.local_authority_id and f.child_id = c.child_id
    where ${OPEN} and f.flag in ('child_protection_plan', 'looked_after') and (f.ends_on is null or f.ends_on >= ${today})
    group by c.id, c.child_id`.execute(tx)
  return rows
}

export async function placementCases(tx: Db): Promise<AgendaCandidate[]> {
  const { rows } = await sql<AgendaCandidate>`select c.id as "caseId", c.child_id as "childId",
      'Waiting for a school place: ' || count(*) || ' unresolved barrier' || case when count(*) > 1 then 's' else '' end as reason
    from cme_case c join placement_barrier b on b.local_authority_id = c.local_authority_id and b.case_id = c.id
    where ${OPEN} and b.resolved_on is null group by c.id, c.child_id`.execute(tx)
  return rows
}

export async function casesWithMeetingActionsDue(tx: Db, seriesId: string, by: string): Promise<AgendaCandidate[]> {
  const { rows } = await sql<AgendaCandidate>`select a.case_id as "caseId", a.child_id as "childId",
      count(*) || ' action' || case when count(*) > 1 then 's' else '' end || ' from an earlier meeting due or overdue' as reason
    from case_action a join meeting_item i on i.local_authority_id = a.local_authority_id and i.id = a.meeting_item_id
    join meeting m on m.local_authority_id = i.local_authority_id and m.id = i.meeting_id
    join cme_case c on c.local_authority_id = a.local_authority_id and c.id = a.case_id
    where m.series_id = ${seriesId} and a.status = 'open' and a.due_on <= ${by} and ${OPEN} group by a.case_id, a.child_id`.execute(tx)
  return rows
}

export async function notDiscussedItems(tx: Db, meetingId: string): Promise<AgendaCandidate[]> {
  const { rows } = await sql<AgendaCandidate>`select i.case_id as "caseId", i.child_id as "childId", 'Not discussed at the last meeting' as reason, i.id as "carriedFrom"
    from meeting_item i join cme_case c on c.local_authority_id = i.local_authority_id and c.id = i.case_id
    where i.meeting_id = ${meetingId} and i.outcome = 'not_discussed' and ${OPEN}`.execute(tx)
  return rows
}

export async function insertItems(tx: Db, laId: string, meetingId: string, items: (AgendaCandidate & { reasons: string; position: number })[]): Promise<void> {
  for (const i of items) {
    await sql`insert into meeting_item (local_authority_id, meeting_id, case_id, child_id, position, reasons, carried_from)
      values (${laId}, ${meetingId}, ${i.caseId}, ${i.childId}, ${i.position}, ${i.reasons}, ${i.carriedFrom ?? null})`.execute(tx)
  }
}

export async function markReferralsTaken(tx: Db, ids: string[], meetingId: string): Promise<void> {
  if (ids.length) await sql`update panel_referral set meeting_id = ${meetingId} where id in (${sql.join(ids)})`.execute(tx)
}

export async function insertReferral(tx: Db, laId: string, r: { seriesId: string; caseId: string; childId: string; reason: string; byLabel: string; meetingId: string | null }, now: Date): Promise<void> {
  await sql`insert into panel_referral (local_authority_id, series_id, case_id, child_id, reason, referred_by_label, created_at, meeting_id)
    values (${laId}, ${r.seriesId}, ${r.caseId}, ${r.childId}, ${r.reason}, ${r.byLabel}, ${now}, ${r.meetingId})`.execute(tx)
}

/** The series' next meeting still to be held, whose agenda can still change. */
export async function nextPlannedMeeting(tx: Db, seriesId: string, today: string): Promise<{ id: string; heldOn: string } | undefined> {
  const { rows } = await sql<{ id: string; heldOn: string }>`select id, to_char(held_on, 'YYYY-MM-DD') as "heldOn" from meeting
    where series_id = ${seriesId} and state = 'planned' and held_on >= ${today} order by held_on limit 1 for update`.execute(tx)
  return rows[0]
}

/** Puts a case at the end of a planned agenda, or adds the reason if it is already there. */
export async function addToAgenda(tx: Db, laId: string, meetingId: string, c: { caseId: string; childId: string; reason: string; byChair?: boolean }): Promise<void> {
  const { rows } = await sql<{ id: string }>`update meeting_item set reasons = reasons || '; ' || ${c.reason}, removed_reason = null, version = version + 1
    where meeting_id = ${meetingId} and case_id = ${c.caseId} returning id`.execute(tx)
  if (rows.length) return
  await sql`insert into meeting_item (local_authority_id, meeting_id, case_id, child_id, position, reasons, added_by_chair)
    values (${laId}, ${meetingId}, ${c.caseId}, ${c.childId}, (select coalesce(max(position), 0) + 1 from meeting_item where meeting_id = ${meetingId}), ${c.reason}, ${c.byChair ?? false})`.execute(tx)
}

/** Open cases whose child matches a name, UPN or NHS number, for the chair to add to an agenda. */
export async function searchOpenCases(tx: Db, term: string): Promise<{ caseId: string; childId: string; name: string; dateOfBirth: string | null }[]> {
  const t = term.trim().toLowerCase()
  const id = term.replace(/\s/g, '').toUpperCase()
  const { rows } = await sql<{ caseId: string; childId: string; name: string; dateOfBirth: string | null }>`select c.id as "caseId", ch.id as "childId",
      ch.forename || ' ' || ch.surname as name, to_char(ch.date_of_birth, 'YYYY-MM-DD') as "dateOfBirth"
    from cme_case c join child ch on ch.local_authority_id = c.local_authority_id and ch.id = c.child_id
    where c.closed_at is null and (ch.upn = ${id} or ch.nhs_number = ${id} or ch.id in (select lantern_child_name_search(${t})))
    order by similarity(lower(ch.forename || ' ' || ch.surname), ${t}) desc limit 10`.execute(tx)
  return rows
}

export type Item = {
  id: string; meetingId: string; caseId: string; childId: string; childName: string; dateOfBirth: string | null; position: number; reasons: string
  removedReason: string | null; notes: string | null; outcome: 'decided' | 'not_discussed' | null; decision: string | null; rationale: string | null
  decidedByLabel: string | null; riskLevel: string; status: string; version: number
}
const ITEM = sql`select i.id, i.meeting_id as "meetingId", i.case_id as "caseId", i.child_id as "childId", ch.forename || ' ' || ch.surname as "childName",
    to_char(ch.date_of_birth, 'YYYY-MM-DD') as "dateOfBirth", i.position, i.reasons, i.removed_reason as "removedReason", i.notes, i.outcome, i.decision, i.rationale,
    i.decided_by_label as "decidedByLabel", c.risk_level as "riskLevel", c.status, i.version
  from meeting_item i join child ch on ch.local_authority_id = i.local_authority_id and ch.id = i.child_id
  join cme_case c on c.local_authority_id = i.local_authority_id and c.id = i.case_id`

export async function listItems(tx: Db, meetingId: string): Promise<Item[]> {
  const { rows } = await sql<Item>`${ITEM} where i.meeting_id = ${meetingId} order by i.removed_reason is not null, i.position`.execute(tx)
  return rows
}

export async function findItem(tx: Db, id: string, o: { lock?: boolean } = {}): Promise<Item | undefined> {
  const { rows } = await sql<Item>`${ITEM} where i.id = ${id} ${o.lock ? sql`for update of i` : sql``}`.execute(tx)
  return rows[0]
}

export async function recordItem(tx: Db, id: string, v: { notes: string | null; outcome: 'decided' | 'not_discussed'; decision: string | null; rationale: string | null; byLabel: string }): Promise<void> {
  await sql`update meeting_item set notes = ${v.notes}, outcome = ${v.outcome}, decision = ${v.decision}, rationale = ${v.rationale}, decided_by_label = ${v.byLabel},
    version = version + 1 where id = ${id}`.execute(tx)
}

export async function removeItem(tx: Db, id: string, reason: string): Promise<void> {
  await sql`update meeting_item set removed_reason = ${reason}, version = version + 1 where id = ${id}`.execute(tx)
}

/** Swaps an item with its neighbour above or below in the agenda's order. */
export async function moveItem(tx: Db, meetingId: string, id: string, direction: 'up' | 'down'): Promise<void> {
  const items = (await listItems(tx, meetingId)).filter((i) => !i.removedReason)
  const at = items.findIndex((i) => i.id === id)
  const other = items[direction === 'up' ? at - 1 : at + 1]
  if (at < 0 || !other) return
  await sql`update meeting_item set position = ${other.position}, version = version + 1 where id = ${id}`.execute(tx)
  await sql`update meeting_item set position = ${items[at].position}, version = version + 1 where id = ${other.id}`.execute(tx)
}

export type Attendance = { userId: string; label: string; status: 'present' | 'apologies' | 'absent' | null; declaration: string | null }

export async function listAttendance(tx: Db, meetingId: string, seriesId: string): Promise<Attendance[]> {
  const { rows } = await sql<Attendance>`select m.user_id as "userId", u.display_name || ', ' || o.name as label, a.status, a.declaration
    from meeting_series_member m join app_user u on u.local_authority_id = m.local_authority_id and u.id = m.user_id
    join organisation o on o.local_authority_id = u.local_authority_id and o.id = u.organisation_id
    left join meeting_attendance a on a.local_authority_id = m.local_authority_id and a.meeting_id = ${meetingId} and a.user_id = m.user_id
    where m.series_id = ${seriesId} order by u.display_name`.execute(tx)
  return rows
}

export async function saveAttendance(tx: Db, laId: string, meetingId: string, rows: { userId: string; status: 'present' | 'apologies' | 'absent'; declaration: string | null }[]): Promise<void> {
  for (const r of rows) {
    await sql`insert into meeting_attendance (local_authority_id, meeting_id, user_id, status, declaration) values (${laId}, ${meetingId}, ${r.userId}, ${r.status}, ${r.declaration})
      on conflict (local_authority_id, meeting_id, user_id) do update set status = excluded.status, declaration = excluded.declaration`.execute(tx)
  }
}

/** The case at a glance for the room: its latest actions and its placement barriers. */
export async function recentCaseActions(tx: Db, caseId: string): Promise<{ title: string; dueOn: string; status: string; ownerLabel: string }[]> {
  const { rows } = await sql<{ title: string; dueOn: string; status: string; ownerLabel: string }>`select a.title, a.due_on::text as "dueOn", a.status,
      coalesce(u.display_name, o.name) as "ownerLabel" from case_action a
    left join app_user u on u.local_authority_id = a.local_authority_id and u.id = a.owner_user_id
    left join organisation o on o.local_authority_id = a.local_authority_id and o.id = a.owner_organisation_id
    where a.case_id = ${caseId} order by a.created_at desc limit 5`.execute(tx)
  return rows
}

export async function caseBarriers(tx: Db, caseId: string): Promise<{ kind: string; schoolName: string | null; resolved: boolean }[]> {
  const { rows } = await sql<{ kind: string; schoolName: string | null; resolved: boolean }>`select kind, school_name as "schoolName",
      resolved_on is not null as resolved from placement_barrier where case_id = ${caseId} order by occurred_on desc`.execute(tx)
  return rows
}

export type Amendment = { id: string; itemId: string | null; childName: string | null; correction: string; reason: string; madeByLabel: string; madeAt: Date }

export async function listAmendments(tx: Db, meetingId: string): Promise<Amendment[]> {
  const { rows } = await sql<Amendment>`select a.id, a.item_id as "itemId", ch.forename || ' ' || ch.surname as "childName", a.correction, a.reason,
      a.made_by_label as "madeByLabel", a.made_at as "madeAt"
    from meeting_amendment a left join meeting_item i on i.local_authority_id = a.local_authority_id and i.id = a.item_id
    left join child ch on ch.local_authority_id = i.local_authority_id and ch.id = i.child_id
    where a.meeting_id = ${meetingId} order by a.made_at`.execute(tx)
  return rows
}

export async function insertAmendment(tx: Db, laId: string, a: { meetingId: string; itemId: string | null; correction: string; reason: string; byLabel: string }, now: Date): Promise<void> {
  await sql`insert into meeting_amendment (local_authority_id, meeting_id, item_id, correction, reason, made_by_label, made_at)
    values (${laId}, ${a.meetingId}, ${a.itemId}, ${a.correction}, ${a.reason}, ${a.byLabel}, ${now})`.execute(tx)
}

export async function memberEmails(tx: Db, seriesId: string): Promise<string[]> {
  const { rows } = await sql<{ email: string }>`select u.email from meeting_series_member m join app_user u on u.local_authority_id = m.local_authority_id and u.id = m.user_id
    where m.series_id = ${seriesId} and u.status = 'active'`.execute(tx)
  return rows.map((r) => r.email)
}

export type ActionLogRow = { childName: string; title: string; ownerLabel: string; dueOn: string; priority: string; status: string; outcome: string | null; decision: string | null }

/** Every action set at a meeting, for its action log. */
export async function actionLog(tx: Db, meetingId: string): Promise<ActionLogRow[]> {
  const { rows } = await sql<ActionLogRow>`select ch.forename || ' ' || ch.surname as "childName", a.title, coalesce(u.display_name, o.name) as "ownerLabel",
      a.due_on::text as "dueOn", a.priority, a.status, a.outcome, i.decision
    from case_action a join meeting_item i on i.local_authority_id = a.local_authority_id and i.id = a.meeting_item_id
    join child ch on ch.local_authority_id = a.local_authority_id and ch.id = a.child_id
    left join app_user u on u.local_authority_id = a.local_authority_id and u.id = a.owner_user_id
    left join organisation o on o.local_authority_id = a.local_authority_id and o.id = a.owner_organisation_id
    where i.meeting_id = ${meetingId} order by i.position, a.created_at`.execute(tx)
  return rows
}

/** What changed on the register between two days: cases opened and cases closed as resolved. */
export async function casesOpenedAndResolved(tx: Db, from: string, to: string): Promise<{ opened: number; resolved: number }> {
  const { rows } = await sql<{ opened: number; resolved: number }>`select
      (select count(*)::int from cme_case where opened_at >= ${from}::date and opened_at < ${to}::date + 1) as opened,
      (select count(*)::int from cme_case where closed_at >= ${from}::date and closed_at < ${to}::date + 1) as resolved`.execute(tx)
  return rows[0]
}

/** Actions that fell due between two days, and how many of them were done by their due date. */
export async function actionsDueAndOnTime(tx: Db, from: string, to: string): Promise<{ due: number; onTime: number }> {
  const { rows } = await sql<{ due: number; onTime: number }>`select count(*)::int as due,
      count(*) filter (where status = 'done' and (completed_at at time zone 'Europe/London')::date <= due_on)::int as "onTime"
    from case_action where due_on >= ${from}::date and due_on <= ${to}::date and status <> 'cancelled'`.execute(tx)
  return rows[0]
}

export async function isMember(tx: Db, seriesId: string, userId: string): Promise<boolean> {
  const { rows } = await sql<{ x: number }>`select 1 as x from meeting_series_member where series_id = ${seriesId} and user_id = ${userId}`.execute(tx)
  return rows.length > 0
}

export async function seriesOfMember(tx: Db, userId: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`select series_id as id from meeting_series_member where user_id = ${userId}`.execute(tx)
  return rows.map((r) => r.id)
}
