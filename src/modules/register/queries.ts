import { sql } from 'kysely'
import type { Db } from '../../platform/db.ts'
import { birthRangeForYear, statusesFor, type RegisterFilter, type Sort } from './filters.ts'

export const OPEN_STATUSES = ['referred', 'making_enquiries', 'located_awaiting_place'] as const
export const STATUSES = [...OPEN_STATUSES, 'placed', 'elective_home_education', 'left_la', 'left_country', 'other_resolution'] as const
export type CaseStatus = (typeof STATUSES)[number]
export const STATUS_LABELS: Record<CaseStatus, string> = {
  referred: 'Referred',
  making_enquiries: 'Making enquiries',
  located_awaiting_place: 'Located, awaiting a place',
  placed: 'Placed in school',
  elective_home_education: 'Elective home education',
  left_la: 'Left the LA',
  left_country: 'Left the country',
  other_resolution: 'Other resolution',
}
export const REGISTER_TYPES = ['cme', 'ehe', 'other_arrangements'] as const
export type RegisterType = (typeof REGISTER_TYPES)[number]
export const REGISTER_TYPE_LABELS: Record<RegisterType, string> = {
  cme: 'Children missing education',
  ehe: 'Elective home education',
  other_arrangements: 'Other arrangements',
}

export type NewChild = { forename: string; surname: string; dateOfBirth?: string; sex?: string; upn?: string; nhsNumber?: string }

export async function insertChild(tx: Db, laId: string, c: NewChild): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    insert into child (local_authority_id, forename, surname, date_of_birth, sex, upn, nhs_number)
    values (${laId}, ${c.forename}, ${c.surname}, ${c.dateOfBirth ?? null}, ${c.sex ?? null}, ${c.upn ?? null}, ${c.nhsNumber ?? null})
    returning id`.execute(tx)
  return rows[0].id
}

export async function insertAddress(tx: Db, laId: string, childId: string, a: { line1: string; town?: string | null; postcode?: string | null; source: string }): Promise<void> {
  await sql`insert into child_address (local_authority_id, child_id, line1, town, postcode, source)
    values (${laId}, ${childId}, ${a.line1}, ${a.town ?? null}, ${a.postcode ?? null}, ${a.source})`.execute(tx)
}

export type NewCase = {
  childId: string
  riskLevel: 'standard' | 'high'
  riskReasons: string[]
  concern: string
  whereaboutsKnown: boolean | null
  dateLastSeen?: string
  dateLastInEducation?: string
  referredBy: string
  referrerOrganisationId: string
  openedAt: Date
  source?: 'referral' | 'removal_notice' | 'import' | 'new_pupil_notice' | 'linkage'
  registerType?: RegisterType
}

export async function insertCase(tx: Db, laId: string, c: NewCase): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    insert into cme_case (local_authority_id, child_id, register_type, risk_level, risk_reasons, source, concern, whereabouts_known,
      date_last_seen, date_last_in_education, referred_by, referrer_organisation_id, opened_at)
    values (${laId}, ${c.childId}, ${c.registerType ?? 'cme'}, ${c.riskLevel}, ${c.riskReasons}, ${c.source ?? 'referral'}, ${c.concern}, ${c.whereaboutsKnown},
      ${c.dateLastSeen ?? null}, ${c.dateLastInEducation ?? null}, ${c.referredBy}, ${c.referrerOrganisationId}, ${c.openedAt})
    returning id`.execute(tx)
  return rows[0].id
}

export async function insertChildEvent(
  tx: Db, laId: string,
  e: { childId: string; caseId?: string; occurredAt: Date; kind: string; summary: string; actorUserId: string | null; actorLabel: string },
): Promise<void> {
  await sql`insert into child_event (local_authority_id, child_id, case_id, occurred_at, kind, summary, actor_user_id, actor_label)
    values (${laId}, ${e.childId}, ${e.caseId ?? null}, ${e.occurredAt}, ${e.kind}, ${e.summary}, ${e.actorUserId}, ${e.actorLabel})`.execute(tx)
}


export type RegisterRow = {
  caseId: string
  childId: string
  forename: string
  surname: string
  dateOfBirth: string | null
  status: CaseStatus
  registerType: RegisterType
  riskLevel: 'standard' | 'high'
  openedAt: Date
  dateLastSeen: string | null
  dateLastInEducation: string | null
}

type WhereFilter = Omit<RegisterFilter, 'sort'> & { sort?: unknown }

/** The conditions on the case alone. */
function caseConditions(f: WhereFilter) {
  const statuses = statusesFor(f)
  // Twelve weeks, as the DfE return's bands count it, back from today.
  const twelveWeeksAgo = new Date(Date.parse(`${f.today}T00:00:00Z`) - 84 * 86_400_000).toISOString().slice(0, 10)
  return sql`c.status = any(${statuses}) and (${f.registerType ?? null}::text is null or c.register_type = ${f.registerType ?? null})
    and (${f.risk ?? null}::text is null or c.risk_level = ${f.risk ?? null})
    and (${f.reason ?? null}::text is null or c.cme_reason_code = ${f.reason ?? null})
    and (${f.officer ?? null}::text is null or (${f.officer ?? null} = 'none' and c.assigned_officer_id is null) or c.assigned_officer_id::text = ${f.officer ?? null})
    and (${f.school ?? null}::uuid is null or c.referrer_organisation_id = ${f.school ?? null}::uuid)
    and (${f.band ?? null}::text is null
      or (${f.band ?? null} = 'over_12_weeks' and coalesce(c.date_last_in_education, c.opened_at::date) < ${twelveWeeksAgo}::date)
      or (${f.band ?? null} = 'up_to_12_weeks' and coalesce(c.date_last_in_education, c.opened_at::date) >= ${twelveWeeksAgo}::date))`
}

/** The conditions that need the child: year group, flag and search. */
function childConditions(f: WhereFilter) {
  const term = f.search?.trim().toLowerCase() ?? null
  const identifier = term ? term.replace(/\s/g, '').toUpperCase() : null
  const years = f.year === undefined ? null : birthRangeForYear(f.year, f.today)
  // A search is an identifier (UPN, NHS number) or part of a name; names match on trigrams, so
  // "Jayden Smith" finds "Jaden Smith" as well.
  return sql`(${years?.from ?? null}::date is null or ch.date_of_birth between ${years?.from ?? null}::date and ${years?.to ?? null}::date)
    and (${f.flag ?? null}::text is null or exists (select 1 from child_flag fl where fl.local_authority_id = ch.local_authority_id and fl.child_id = ch.id
      and fl.flag = ${f.flag ?? null} and (fl.ends_on is null or fl.ends_on >= ${f.today}::date)))
    and (${term}::text is null or ch.upn = ${identifier} or ch.nhs_number = ${identifier}
      or ch.id in (select lantern_child_name_search(${term})))`
}

/** The register's where clause over cme_case c joined to child ch; the list, the count and the export share it. */
export function registerWhere(f: WhereFilter) {
  return sql`where ${caseConditions(f)} and ${childConditions(f)}`
}

/** Year group, flag and search filter on the child, and the name order sorts by it; everything else is about the case. */
const needsChild = (f: RegisterFilter) => f.year !== undefined || Boolean(f.flag) || Boolean(f.search?.trim()) || f.sort === 'name'

const ORDER: Record<Sort, ReturnType<typeof sql>> = {
  priority: sql`(c.risk_level = 'high') desc, c.opened_at, c.id`,
  longest: sql`coalesce(c.date_last_in_education, c.opened_at::date), c.opened_at, c.id`,
  newest: sql`c.opened_at desc, c.id`,
  name: sql`lower(ch.surname), lower(ch.forename), c.id`,
}

export async function listRegister(tx: Db, f: RegisterFilter & { limit: number; offset: number }): Promise<{ rows: RegisterRow[]; total: number }> {
  const columns = sql`c.id as "caseId", ch.id as "childId", ch.forename, ch.surname, ch.date_of_birth::text as "dateOfBirth", c.status,
      c.register_type as "registerType", c.risk_level as "riskLevel", c.opened_at as "openedAt", c.date_last_seen::text as "dateLastSeen",
      c.date_last_in_education::text as "dateLastInEducation"`
  const join = sql`join child ch on ch.local_authority_id = c.local_authority_id and ch.id = c.child_id`
  if (needsChild(f)) {
    const where = registerWhere(f)
    const { rows } = await sql<RegisterRow>`select ${columns} from cme_case c ${join} ${where} order by ${ORDER[f.sort]} limit ${f.limit} offset ${f.offset}`.execute(tx)
    const { rows: count } = await sql<{ n: number }>`select count(*)::int as n from cme_case c ${join} ${where}`.execute(tx)
    return { rows, total: count[0].n }
  }
  // Choosing the page among the cases alone, then reading only its children, saves joining every matching case to its child.
  const { rows } = await sql<RegisterRow>`select ${columns}
    from (select * from cme_case c where ${caseConditions(f)} order by ${ORDER[f.sort]} limit ${f.limit} offset ${f.offset}) c ${join}
    order by ${ORDER[f.sort]}`.execute(tx)
  const { rows: count } = await sql<{ n: number }>`select count(*)::int as n from cme_case c where ${caseConditions(f)}`.execute(tx)
  return { rows, total: count[0].n }
}

export type ChildRecord = {
  id: string
  forename: string
  surname: string
  dateOfBirth: string | null
  sex: string | null
  upn: string | null
  nhsNumber: string | null
}

export async function findChild(tx: Db, id: string): Promise<ChildRecord | undefined> {
  const { rows } = await sql<ChildRecord>`
    select id, forename, surname, date_of_birth::text as "dateOfBirth", sex, upn, nhs_number as "nhsNumber" from child where id = ${id}`.execute(tx)
  return rows[0]
}

export type CaseRecord = {
  id: string
  status: CaseStatus
  registerType: RegisterType
  riskLevel: 'standard' | 'high'
  riskReasons: string[]
  concern: string
  whereaboutsKnown: boolean | null
  dateLastSeen: string | null
  dateLastInEducation: string | null
  openedAt: Date
  closedAt: Date | null
  version: number
  resolutionNote: string | null
  referrerName: string
  referrerOrganisation: string
}

export async function listCasesForChild(tx: Db, childId: string): Promise<CaseRecord[]> {
  const { rows } = await sql<CaseRecord>`
    select c.id, c.status, c.register_type as "registerType", c.risk_level as "riskLevel", c.risk_reasons as "riskReasons", c.concern,
      c.whereabouts_known as "whereaboutsKnown", c.date_last_seen::text as "dateLastSeen", c.date_last_in_education::text as "dateLastInEducation", c.opened_at as "openedAt", c.closed_at as "closedAt",
      c.version, c.resolution_note as "resolutionNote", u.display_name as "referrerName", o.name as "referrerOrganisation"
    from cme_case c
    join app_user u on u.local_authority_id = c.local_authority_id and u.id = c.referred_by
    join organisation o on o.local_authority_id = c.local_authority_id and o.id = c.referrer_organisation_id
    where c.child_id = ${childId} order by c.opened_at desc`.execute(tx)
  return rows
}

export type AddressRow = { line1: string; line2: string | null; town: string | null; postcode: string | null; source: string; fromDate: string | null; toDate: string | null; createdAt: Date }

export async function listAddresses(tx: Db, childId: string): Promise<AddressRow[]> {
  const { rows } = await sql<AddressRow>`
    select line1, line2, town, postcode, source, from_date::text as "fromDate", to_date::text as "toDate", created_at as "createdAt" from child_address
    where child_id = ${childId} order by coalesce(from_date, created_at::date) desc, created_at desc`.execute(tx)
  return rows
}

export type ChildEventRow = { occurredAt: Date; kind: string; summary: string; actorLabel: string }

export async function listChildEvents(tx: Db, childId: string, kind?: string): Promise<ChildEventRow[]> {
  const { rows } = await sql<ChildEventRow>`
    select occurred_at as "occurredAt", kind, summary, actor_label as "actorLabel"
    from child_event where child_id = ${childId} and (${kind ?? null}::text is null or kind = ${kind ?? null})
    order by occurred_at desc, created_at desc limit 200`.execute(tx)
  return rows
}

/** The kinds of entry on this child's chronology, for its filter. */
export async function listChildEventKinds(tx: Db, childId: string): Promise<string[]> {
  const { rows } = await sql<{ kind: string }>`select distinct kind from child_event where child_id = ${childId} order by kind`.execute(tx)
  return rows.map((r) => r.kind)
}

export const EVENT_KIND_LABELS: Record<string, string> = {
  referral: 'Referrals', enquiry: 'Enquiries', status: 'Status changes', case_closed: 'Case closed', risk: 'Risk', action: 'Actions',
  escalation: 'Escalations', placement: 'School places', removal_notice: 'Removal notices', new_pupil_notice: 'New pupil notices',
  case_details: 'Case details', linkage: 'Found by linkage', meeting: 'Meetings', record: 'Record changes', share: 'Sharing', notice: 'Notices', allocation: 'Allocation', note: 'Notes',
}

export type MyReferral = { caseId: string; childName: string; status: CaseStatus; openedAt: Date }

/** What a referrer may see of their own referrals: the child's name and where the case has got to. */
export async function listReferralsBy(tx: Db, userId: string): Promise<MyReferral[]> {
  const { rows } = await sql<MyReferral>`
    select c.id as "caseId", ch.forename || ' ' || ch.surname as "childName", c.status, c.opened_at as "openedAt"
    from cme_case c join child ch on ch.local_authority_id = c.local_authority_id and ch.id = c.child_id
    where c.referred_by = ${userId} order by c.opened_at desc limit 100`.execute(tx)
  return rows
}

export const FLAGS = ['child_protection_plan', 'child_in_need', 'looked_after', 'care_leaver', 'ehcp', 'sen_support', 'youth_justice',
  'gypsy_roma_traveller', 'service_family', 'young_carer', 'asylum_seeking'] as const
export type Flag = (typeof FLAGS)[number]
export const FLAG_LABELS: Record<Flag, string> = {
  child_protection_plan: 'Child protection plan',
  child_in_need: 'Child in need',
  looked_after: 'Looked after',
  care_leaver: 'Care leaver',
  ehcp: 'Education, health and care plan',
  sen_support: 'SEN support',
  youth_justice: 'Youth justice',
  gypsy_roma_traveller: 'Gypsy, Roma or Traveller',
  service_family: 'Service family',
  young_carer: 'Young carer',
  asylum_seeking: 'Asylum-seeking',
}

export async function insertFlag(tx: Db, laId: string, f: { childId: string; flag: Flag; source: string; startsOn?: string; recordedByLabel: string }): Promise<void> {
  await sql`insert into child_flag (local_authority_id, child_id, flag, source, starts_on, recorded_by_label)
    values (${laId}, ${f.childId}, ${f.flag}, ${f.source}, ${f.startsOn ?? null}, ${f.recordedByLabel})`.execute(tx)
}

export type FlagRow = { flag: Flag; source: string; startsOn: string | null; endsOn: string | null; createdAt: Date }

export async function listFlags(tx: Db, childId: string): Promise<FlagRow[]> {
  const { rows } = await sql<FlagRow>`select flag, source, starts_on::text as "startsOn", ends_on::text as "endsOn", created_at as "createdAt"
    from child_flag where child_id = ${childId} order by (ends_on is null) desc, created_at desc`.execute(tx)
  return rows
}

/** Organisations that have referred a child or sent a notice: the register's "school" filter. */
export async function listReferringOrganisations(tx: Db): Promise<{ value: string; text: string }[]> {
  const { rows } = await sql<{ value: string; text: string }>`select o.id as value, o.name as text from organisation o
    where o.kind = 'school' or exists (select 1 from cme_case c where c.local_authority_id = o.local_authority_id and c.referrer_organisation_id = o.id)
    order by o.name limit 500`.execute(tx)
  return rows
}

export type SavedView = { id: string; name: string; query: string }

export async function listSavedViews(tx: Db, userId: string): Promise<SavedView[]> {
  const { rows } = await sql<SavedView>`select id, name, query from saved_view where user_id = ${userId} order by lower(name)`.execute(tx)
  return rows
}

export async function insertSavedView(tx: Db, laId: string, v: { userId: string; name: string; query: string }): Promise<boolean> {
  const { rows } = await sql<{ id: string }>`insert into saved_view (local_authority_id, user_id, name, query) values (${laId}, ${v.userId}, ${v.name}, ${v.query})
    on conflict (local_authority_id, user_id, name) do nothing returning id`.execute(tx)
  return rows.length > 0
}

export async function deleteSavedView(tx: Db, userId: string, id: string): Promise<boolean> {
  const { rows } = await sql<{ id: string }>`delete from saved_view where id = ${id} and user_id = ${userId} returning id`.execute(tx)
  return rows.length > 0
}
