import { sql } from 'kysely'
import type { Db } from '../../platform/db.ts'
import type { NewPupilNoticeInput, RemovalNoticeInput } from './forms.ts'

export const NOTICE_STATES = ['received', 'case_opened', 'added_to_case', 'recorded', 'case_closed'] as const
export type NoticeState = (typeof NOTICE_STATES)[number]
export const NOTICE_STATE_LABELS: Record<NoticeState, string> = {
  received: 'Received, not yet looked at',
  case_opened: 'Case opened by the CME team',
  added_to_case: 'Added to the child’s open case',
  recorded: 'Recorded, no case needed',
  case_closed: 'The child’s case was closed',
}
export type NoticeKind = 'removal' | 'new_pupil'
export const NOTICE_KIND_LABELS: Record<NoticeKind, string> = { removal: 'Removal from roll', new_pupil: 'New pupil' }

export type Parent = { name: string; address?: string; phone?: string }

export const parentsOf = (v: { parent1Name: string; parent1Address?: string; parent1Phone?: string; parent2Name?: string; parent2Address?: string; parent2Phone?: string }): Parent[] => [
  { name: v.parent1Name, address: v.parent1Address, phone: v.parent1Phone },
  ...(v.parent2Name ? [{ name: v.parent2Name, address: v.parent2Address, phone: v.parent2Phone }] : []),
]

export type NewNotice = {
  kind: NoticeKind
  schoolOrganisationId: string
  submittedBy: string
  submittedAt: Date
  source: 'form' | 'csv' | 'ctf'
  importId?: string
  input: RemovalNoticeInput | NewPupilNoticeInput
  /** Ground (i): the school days the absence spans in the LA's calendar, kept with the evidence. */
  absenceSchoolDays?: number
}

export async function insertNotice(tx: Db, laId: string, n: NewNotice): Promise<string> {
  const v = n.input as Partial<RemovalNoticeInput> & Partial<NewPupilNoticeInput> & RemovalNoticeInput
  const { rows } = await sql<{ id: string }>`
    insert into school_notice (local_authority_id, kind, school_organisation_id, submitted_by, submitted_at, source, import_id,
      forename, surname, date_of_birth, sex, upn, address_line1, town, postcode, parents, ground, deletion_date, start_date,
      future_address, future_school, future_school_start, lost_pupil, joint_enquiries_on, joint_enquiries_la_contact, joint_enquiries_summary,
      absence_from, absence_to, absence_school_days, attendance_codes, notes)
    values (${laId}, ${n.kind}, ${n.schoolOrganisationId}, ${n.submittedBy}, ${n.submittedAt}, ${n.source}, ${n.importId ?? null},
      ${v.forename}, ${v.surname}, ${v.dateOfBirth ?? null}, ${v.sex ?? null}, ${v.upn ?? null}, ${v.addressLine1 ?? null}, ${v.town ?? null}, ${v.postcode ?? null},
      ${JSON.stringify(parentsOf(v))}::jsonb, ${v.ground ?? null}, ${v.deletionDate ?? null}, ${v.startDate ?? null},
      ${v.futureAddress ?? null}, ${v.futureSchool ?? null}, ${v.futureSchoolStart ?? null}, ${v.lostPupil ?? null},
      ${v.jointEnquiriesOn ?? null}, ${v.jointEnquiriesLaContact ?? null}, ${v.jointEnquiriesSummary ?? null},
      ${v.absenceFrom ?? null}, ${v.absenceTo ?? null}, ${n.absenceSchoolDays ?? null}, ${v.attendanceCodes ?? null}, ${v.notes ?? null})
    returning id`.execute(tx)
  return rows[0].id
}

/** Many notices in one statement per 500: an import of 10,000 is 20 round trips, not 10,000. */
export async function insertNotices(tx: Db, laId: string, notices: NewNotice[]): Promise<void> {
  for (let i = 0; i < notices.length; i += 500) {
    const rows = notices.slice(i, i + 500).map((n) => {
      const v = n.input as Partial<RemovalNoticeInput> & Partial<NewPupilNoticeInput> & RemovalNoticeInput
      return sql`(${laId}, ${n.kind}, ${n.schoolOrganisationId}, ${n.submittedBy}, ${n.submittedAt}, ${n.source}, ${n.importId ?? null},
      ${v.forename}, ${v.surname}, ${v.dateOfBirth ?? null}::date, ${v.sex ?? null}, ${v.upn ?? null}, ${v.addressLine1 ?? null}, ${v.town ?? null}, ${v.postcode ?? null},
      ${JSON.stringify(parentsOf(v))}::jsonb, ${v.ground ?? null}, ${v.deletionDate ?? null}::date, ${v.startDate ?? null}::date,
      ${v.futureAddress ?? null}, ${v.futureSchool ?? null}, ${v.futureSchoolStart ?? null}::date, ${v.lostPupil ?? null},
      ${v.jointEnquiriesOn ?? null}::date, ${v.jointEnquiriesLaContact ?? null}, ${v.jointEnquiriesSummary ?? null},
      ${v.absenceFrom ?? null}::date, ${v.absenceTo ?? null}::date, ${n.absenceSchoolDays ?? null}::int, ${v.attendanceCodes ?? null}, ${v.notes ?? null})`
    })
    await sql`insert into school_notice (local_authority_id, kind, school_organisation_id, submitted_by, submitted_at, source, import_id,
      forename, surname, date_of_birth, sex, upn, address_line1, town, postcode, parents, ground, deletion_date, start_date,
      future_address, future_school, future_school_start, lost_pupil, joint_enquiries_on, joint_enquiries_la_contact, joint_enquiries_summary,
      absence_from, absence_to, absence_school_days, attendance_codes, notes)
      values ${sql.join(rows)}`.execute(tx)
  }
}

export type NoticeListRow = {
  id: string
  kind: NoticeKind
  forename: string
  surname: string
  dateOfBirth: string | null
  ground: string | null
  deletionDate: string | null
  startDate: string | null
  submittedAt: Date
  schoolName: string
  state: NoticeState
  caseStatus: string | null
  childId: string | null
}

const listColumns = sql`n.id, n.kind, n.forename, n.surname, n.date_of_birth::text as "dateOfBirth", n.ground, n.deletion_date::text as "deletionDate",
  n.start_date::text as "startDate", n.submitted_at as "submittedAt", o.name as "schoolName", n.state, c.status as "caseStatus", n.child_id as "childId"`
const listFrom = sql`from school_notice n
  join organisation o on o.local_authority_id = n.local_authority_id and o.id = n.school_organisation_id
  left join cme_case c on c.local_authority_id = n.local_authority_id and c.id = n.case_id`

/** The notices a school has sent, newest first, with where each has got to. */
export async function listSchoolNotices(tx: Db, schoolOrganisationId: string, limit: number, offset: number): Promise<{ rows: NoticeListRow[]; total: number }> {
  const { rows } = await sql<NoticeListRow>`select ${listColumns} ${listFrom} where n.school_organisation_id = ${schoolOrganisationId}
    order by n.submitted_at desc limit ${limit} offset ${offset}`.execute(tx)
  const { rows: count } = await sql<{ n: number }>`select count(*)::int as n from school_notice where school_organisation_id = ${schoolOrganisationId}`.execute(tx)
  return { rows, total: count[0].n }
}

/** The CME team's inbox: notices waiting first (oldest first, so none is left behind), then the rest. */
export async function listInbox(tx: Db, f: { state?: NoticeState; kind?: NoticeKind; limit: number; offset: number }): Promise<{ rows: NoticeListRow[]; total: number }> {
  const where = sql`where (${f.state ?? null}::text is null or n.state = ${f.state ?? null}) and (${f.kind ?? null}::text is null or n.kind = ${f.kind ?? null})`
  const { rows } = await sql<NoticeListRow>`select ${listColumns} ${listFrom} ${where}
    order by (n.state = 'received') desc, case when n.state = 'received' then n.submitted_at end asc, n.submitted_at desc
    limit ${f.limit} offset ${f.offset}`.execute(tx)
  const { rows: count } = await sql<{ n: number }>`select count(*)::int as n from school_notice n ${where}`.execute(tx)
  return { rows, total: count[0].n }
}

export type Notice = NoticeListRow & {
  schoolOrganisationId: string
  source: string
  sex: string | null
  upn: string | null
  addressLine1: string | null
  town: string | null
  postcode: string | null
  parents: Parent[]
  futureAddress: string | null
  futureSchool: string | null
  futureSchoolStart: string | null
  lostPupil: 'destination_unknown' | 'moved_abroad' | null
  jointEnquiriesOn: string | null
  jointEnquiriesLaContact: string | null
  jointEnquiriesSummary: string | null
  absenceFrom: string | null
  absenceTo: string | null
  absenceSchoolDays: number | null
  attendanceCodes: string | null
  notes: string | null
  caseId: string | null
  outcome: string | null
  processedByLabel: string | null
  processedAt: Date | null
  submittedBy: string
  submittedByName: string
  version: number
}

export async function findNotice(tx: Db, id: string, opts: { lock?: boolean } = {}): Promise<Notice | undefined> {
  const { rows } = await sql<Notice>`select ${listColumns}, n.school_organisation_id as "schoolOrganisationId", n.source, n.sex, n.upn,
      n.address_line1 as "addressLine1", n.town, n.postcode, n.parents, n.future_address as "futureAddress", n.future_school as "futureSchool",
      n.future_school_start::text as "futureSchoolStart", n.lost_pupil as "lostPupil", n.joint_enquiries_on::text as "jointEnquiriesOn",
      n.joint_enquiries_la_contact as "jointEnquiriesLaContact", n.joint_enquiries_summary as "jointEnquiriesSummary",
      n.absence_from::text as "absenceFrom", n.absence_to::text as "absenceTo", n.absence_school_days as "absenceSchoolDays",
      n.attendance_codes as "attendanceCodes", n.notes, n.case_id as "caseId", n.outcome, n.processed_by_label as "processedByLabel",
      n.processed_at as "processedAt", n.submitted_by as "submittedBy", u.display_name as "submittedByName", n.version
    ${listFrom}
    join app_user u on u.local_authority_id = n.local_authority_id and u.id = n.submitted_by
    where n.id = ${id} ${opts.lock ? sql`for update of n` : sql``}`.execute(tx)
  return rows[0]
}

export async function markProcessed(tx: Db, id: string, p: { state: NoticeState; childId: string | null; caseId: string | null; outcome?: string; byLabel: string }, now: Date): Promise<void> {
  await sql`update school_notice set state = ${p.state}, child_id = ${p.childId}, case_id = ${p.caseId}, outcome = ${p.outcome ?? null},
    processed_by_label = ${p.byLabel}, processed_at = ${now}, version = version + 1 where id = ${id}`.execute(tx)
}

export type SchoolOrganisation = { id: string; name: string; kind: string; urn: string | null }

export async function findOrganisation(tx: Db, id: string): Promise<SchoolOrganisation | undefined> {
  const { rows } = await sql<SchoolOrganisation>`select id, name, kind, urn from organisation where id = ${id}`.execute(tx)
  return rows[0]
}

export async function countWaiting(tx: Db): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from school_notice where state = 'received'`.execute(tx)
  return rows[0].n
}
