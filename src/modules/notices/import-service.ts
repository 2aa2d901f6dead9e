import { sql } from 'kysely'
import { withTenant, type Db } from '../../platform/db.ts'
import { recordAudit } from '../../platform/audit.ts'
import { actorFor } from '../../platform/actor.ts'
import { NotFound } from '../../platform/errors.ts'
import type { CurrentUser } from '../../platform/access.ts'
import { toFormErrors } from '../../platform/forms.ts'
import { countSchoolDays } from '../calendar/days.ts'
import { loadCalendarInTx } from '../calendar/service.ts'
import { parseNoticeCsv } from './import/csv.ts'
import { parseCtf } from './import/ctf.ts'
import type { NoticeRow } from './import/fields.ts'
import { removalNoticeSchema, type RemovalNoticeInput } from './forms.ts'
import { schoolOf } from './service.ts'
import * as q from './queries.ts'

// A school's file of removal notices (CSV or Common Transfer File). Checked in a background job so
// a large file shows progress; applied whole or not at all, with every rejected row reported.

export const IMPORT_JOB = 'notice-import'
const PROGRESS_EVERY = 500

/** Values the uploader gives for every pupil whose row leaves them out: a CTF carries no ground or deletion date. */
export type ImportDefaults = { ground?: string; deletionDate?: string; jointEnquiriesOn?: string; jointEnquiriesLaContact?: string; jointEnquiriesSummary?: string }
export type Rejection = { line: number | null; label: string; messages: string[] }

export const detectFormat = (filename: string, data: Buffer): 'csv' | 'ctf' => {
  if (/\.xml$/i.test(filename)) return 'ctf'
  if (/\.csv$/i.test(filename)) return 'csv'
  // UTF-16 puts a zero byte beside each character; BOMs come first. Skip both to find the first character.
  const first = [...data.subarray(0, 64)].find((b) => b !== 0 && b !== 0xef && b !== 0xbb && b !== 0xbf && b !== 0xfe && b !== 0xff && b > 0x20)
  return first === 0x3c ? 'ctf' : 'csv'
}

export async function queueImport(db: Db, user: CurrentUser, ip: string, file: { filename: string; data: Buffer; defaults: ImportDefaults }, now: Date): Promise<string> {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const school = await schoolOf(tx, user)
    const format = detectFormat(file.filename, file.data)
    const payload = JSON.stringify({ data: file.data.toString('base64'), defaults: file.defaults })
    const { rows } = await sql<{ id: string }>`insert into notice_import (local_authority_id, format, filename, uploaded_by, school_organisation_id, payload, created_at)
      values (${user.laId}, ${format}, ${file.filename.slice(0, 255) || 'upload'}, ${user.id}, ${school.id}, ${payload}, ${now}) returning id`.execute(tx)
    await recordAudit(tx, actorFor(user, ip), { action: 'notice.import_uploaded', recordType: 'notice_import', recordId: rows[0].id, details: { format, bytes: file.data.length } }, now)
    return rows[0].id
  })
}

type ImportRow = {
  id: string; format: 'csv' | 'ctf'; filename: string; state: string; payload: string | null; uploadedBy: string; schoolOrganisationId: string
  createdAt: Date; totalRows: number; processedRows: number; appliedRows: number; rejections: Rejection[]; finishedAt: Date | null
}
const IMPORT_COLUMNS = sql`id, format, filename, state, payload, uploaded_by as "uploadedBy", school_organisation_id as "schoolOrganisationId",
  created_at as "createdAt", total_rows as "totalRows", processed_rows as "processedRows", applied_rows as "appliedRows", rejections, finished_at as "finishedAt"`

export async function findImport(db: Db, user: CurrentUser, id: string): Promise<Omit<ImportRow, 'payload'>> {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const { rows } = await sql<ImportRow>`select ${IMPORT_COLUMNS} from notice_import where id = ${id}`.execute(tx)
    const found = rows[0]
    if (!found || found.schoolOrganisationId !== user.organisationId) throw new NotFound()
    found.payload = null // the file's contents are never shown back
    return found
  })
}

// The column each message is about, in the words of the CSV guidance, so a school can find the cell.
const COLUMN_NAMES: Record<string, string> = {
  forename: 'First name', surname: 'Last name', dateOfBirth: 'Date of birth', sex: 'Sex', upn: 'UPN', addressLine1: 'Address line 1', town: 'Town',
  postcode: 'Postcode', parent1Name: 'Parent 1 name', parent1Address: 'Parent 1 address', parent1Phone: 'Parent 1 phone', parent2Name: 'Parent 2 name',
  parent2Address: 'Parent 2 address', parent2Phone: 'Parent 2 phone', ground: 'Ground', deletionDate: 'Deletion date', futureAddress: 'New address',
  futureSchool: 'New school', futureSchoolStart: 'New school start date', lostPupil: 'Lost pupil', jointEnquiriesOn: 'Joint enquiries date',
  jointEnquiriesLaContact: 'LA officer', jointEnquiriesSummary: 'Summary of enquiries', absenceFrom: 'Absence from', absenceTo: 'Absence to',
  attendanceCodes: 'Attendance codes', notes: 'Notes',
}
const messagesOf = (issues: { path: PropertyKey[]; message: string }[]) =>
  toFormErrors(issues).summary.map((s) => `${COLUMN_NAMES[s.href.slice(1)] ?? s.href.slice(1)}: ${s.text}`)

/**
 * Runs one queued import. Claims it first, so a job delivered twice does the work once. The
 * file's data is dropped once it has been read: the notices hold what is needed.
 */
export async function processImport(db: Db, laId: string, importId: string, now: () => Date): Promise<void> {
  const claimed = await withTenant(db, { laId }, async (tx) => (await sql<ImportRow>`update notice_import set state = 'processing'
    where id = ${importId} and state = 'queued' returning ${IMPORT_COLUMNS}`.execute(tx)).rows[0])
  if (!claimed) return
  const finish = (state: 'rejected' | 'failed', rejections: Rejection[], total = 0) => withTenant(db, { laId }, (tx) =>
    sql`update notice_import set state = ${state}, rejections = ${JSON.stringify(rejections)}::jsonb, total_rows = ${total}, payload = null, finished_at = ${now()}
      where id = ${importId}`.execute(tx))
  try {
    const { data, defaults } = JSON.parse(claimed.payload!) as { data: string; defaults: ImportDefaults }
    const bytes = Buffer.from(data, 'base64')
    const parsed = claimed.format === 'ctf' ? parseCtf(bytes) : parseNoticeCsv(bytes)
    if (!parsed.ok) return void await finish('rejected', parsed.errors.map((e) => ({ line: null, label: 'The file', messages: [e] })))

    const context = await withTenant(db, { laId }, async (tx) => ({
      calendar: await loadCalendarInTx(tx),
      school: (await q.findOrganisation(tx, claimed.schoolOrganisationId))!,
    }))
    if (parsed.header?.sourceUrn && context.school.urn && parsed.header.sourceUrn !== context.school.urn) {
      return void await finish('rejected', [{ line: null, label: 'The file', messages: [`This file is from the school with URN ${parsed.header.sourceUrn}, but your school’s URN is ${context.school.urn}`] }])
    }
    // Deletion dates are checked against the day the file was uploaded, as a typed notice is against the day it is sent.
    const rules = { today: claimed.createdAt.toISOString().slice(0, 10), schoolDays: (a: string, b: string) => countSchoolDays(context.calendar, a, b) }
    const schema = removalNoticeSchema(rules)
    const accepted: { row: NoticeRow; value: RemovalNoticeInput; absenceSchoolDays?: number }[] = []
    const rejections: Rejection[] = []
    for (const [i, row] of parsed.rows.entries()) {
      const values: Record<string, string | undefined> = { ...row.values }
      for (const [k, v] of Object.entries(defaults)) if (v && !values[k]) values[k] = v
      const result = schema.safeParse(values)
      if (result.success) {
        const v = result.data
        accepted.push({ row, value: v, absenceSchoolDays: v.ground === 'i' && v.absenceFrom && v.absenceTo ? rules.schoolDays(v.absenceFrom, v.absenceTo) : undefined })
      } else {
        rejections.push({ line: row.line, label: row.label, messages: messagesOf(result.error.issues) })
      }
      if ((i + 1) % PROGRESS_EVERY === 0) {
        await withTenant(db, { laId }, (tx) => sql`update notice_import set processed_rows = ${i + 1}, total_rows = ${parsed.rows.length} where id = ${importId}`.execute(tx))
      }
    }
    if (rejections.length) return void await finish('rejected', rejections, parsed.rows.length)

    await withTenant(db, { laId, userId: claimed.uploadedBy }, async (tx) => {
      const at = now()
      await q.insertNotices(tx, laId, accepted.map((a) => ({ kind: 'removal', schoolOrganisationId: claimed.schoolOrganisationId, submittedBy: claimed.uploadedBy,
        submittedAt: at, source: claimed.format, importId, input: a.value, absenceSchoolDays: a.absenceSchoolDays })))
      await sql`update notice_import set state = 'applied', total_rows = ${parsed.rows.length}, processed_rows = ${parsed.rows.length},
        applied_rows = ${accepted.length}, payload = null, finished_at = ${at} where id = ${importId}`.execute(tx)
      await recordAudit(tx, { laId, userId: claimed.uploadedBy, label: 'Notice import', ip: null }, { action: 'notice.imported', recordType: 'notice_import', recordId: importId,
        details: { notices: accepted.length, format: claimed.format } }, at)
    })
  } catch (err) {
    await finish('failed', [{ line: null, label: 'The file', messages: ['Lantern could not finish reading this file. Nothing from it was saved. Try again, or send the notices one by one.'] }])
    throw err
  }
}
