import { runWorker } from '../../platform/worker.ts'
import { parse } from 'csv-parse/sync'
import { withTenant, type Db } from '../../platform/db.ts'
import { recordAudit } from '../../platform/audit.ts'
import { actorFor, actorLabel } from '../../platform/actor.ts'
import { NotFound } from '../../platform/errors.ts'
import type { CurrentUser } from '../../platform/access.ts'
import { formError, type FormErrors } from '../../platform/forms.ts'
import { decodeText } from '../notices/import/decode.ts'
import { parseCtf } from '../notices/import/ctf.ts'
import { normaliseDate, normaliseNhsNumber, normaliseUpn } from '../linkage/normalise.ts'
import { nhsNumberProblem, normalisePostcode, postcodeProblem, upnProblem } from '../children/identifiers.ts'
import { isOfCompulsorySchoolAge } from '../children/school-age.ts'
import { insertChildEvent } from '../register/queries.ts'
import { recordReferral } from '../register/service.ts'
import { DISMISS_REASONS, kindOf, type DismissReason } from './forms.ts'
import type { FindResult, KnownRecord, PopulationRecord } from './find.ts'
import type { WorkerTask } from './worker.ts'
import type { DuplicatePair } from '../duplicates/find.ts'
import * as q from './queries.ts'

// Finding the children nobody has reported: sources are uploaded and checked in a background job,
// a run links them in a worker thread, and officers decide each candidate.

export const SOURCE_JOB = 'linkage-source'
export const RUN_JOB = 'linkage-run'
export const MAX_SOURCE_BYTES = 50 * 1024 * 1024
/**
 * A population child whose record links one to one with a roll or register record at this probability or
 * more is on that roll, not a candidate. 0.5 is "more likely the same child than not": with one-to-one
 * links a sibling's record is taken by the sibling, so the usual reason for a higher bar is gone
 * (docs/performance.md has the false flags and missed children at each threshold).
 */
export const LINK_THRESHOLD = 0.5
const PROGRESS_EVERY = 500

const tenant = (user: CurrentUser) => ({ laId: user.laId, userId: user.id })
const isCtf = (filename: string, data: Buffer) => /\.xml$/i.test(filename) || (!/\.csv$/i.test(filename) && decodeText(data.subarray(0, 200)).trimStart().startsWith('<'))

/** The first row of a CSV, as column names; blank headings are named by position, and a repeated one is refused. */
export function readHeaders(text: string): { ok: true; headers: string[] } | { ok: false; error: string } {
  let first: string[] | undefined
  try {
    first = (parse(text, { bom: true, to: 1, relax_column_count: true, relax_quotes: true }) as string[][])[0]
  } catch {
    return { ok: false, error: 'The file is not a CSV file Lantern can read. Save it from your spreadsheet as “CSV UTF-8” and try again' }
  }
  if (!first?.length) return { ok: false, error: 'The file is empty' }
  const headers = first.map((h, i) => h.trim() || `Column ${i + 1}`)
  const repeated = headers.find((h, i) => headers.indexOf(h) !== i)
  if (repeated) return { ok: false, error: `The column heading “${repeated}” appears more than once. Give each column its own heading` }
  return { ok: true, headers }
}

export type UploadInput = { sourceType: string; dataDate: string; suppliedBy: string }

/** Stores the file until it is read. A CSV waits for its column mapping; a CTF's fields are fixed, so it is checked at once. */
export async function uploadSource(db: Db, user: CurrentUser, ip: string, input: UploadInput, file: { filename: string; data: Buffer }, now: Date):
  Promise<{ ok: true; id: string; needsMapping: boolean } | { ok: false; errors: FormErrors }> {
  const kind = kindOf(input.sourceType)
  const ctf = isCtf(file.filename, file.data)
  if (ctf && kind !== 'roll') return { ok: false, errors: formError('file', 'A Common Transfer File is a school roll: choose a school roll as the type of source, or upload a CSV') }
  let headers: string[] = []
  if (!ctf) {
    const read = readHeaders(decodeText(file.data))
    if (!read.ok) return { ok: false, errors: formError('file', read.error) }
    headers = read.headers
    if (headers.length < 4) return { ok: false, errors: formError('file', `The file has ${headers.length} column${headers.length === 1 ? '' : 's'}. A source needs at least an id, first name, last name and date of birth`) }
  }
  return withTenant(db, tenant(user), async (tx) => {
    const id = await q.insertSource(tx, user.laId, {
      kind, sourceType: input.sourceType, dataDate: input.dataDate, suppliedBy: input.suppliedBy, filename: file.filename.slice(0, 255) || 'upload',
      format: ctf ? 'ctf' : 'csv', state: ctf ? 'queued' : 'mapping', payload: file.data.toString('base64'), headers, uploadedBy: user.id, now,
    })
    await recordAudit(tx, actorFor(user, ip), { action: 'linkage.source_uploaded', recordType: 'linkage_source', recordId: id,
      details: { sourceType: input.sourceType, format: ctf ? 'ctf' : 'csv', bytes: file.data.length } }, now)
    return { ok: true as const, id, needsMapping: !ctf }
  })
}

export async function getSource(db: Db, user: CurrentUser, id: string): Promise<q.SourceRow> {
  const source = await withTenant(db, tenant(user), (tx) => q.findSource(tx, id))
  if (!source) throw new NotFound()
  return source
}

/** The saved mapping to offer for a file: the newest of its type whose columns the file all has, else the newest whose columns it has. */
export function suggestMapping(saved: q.SavedMapping[], sourceType: string, headers: string[]): q.SavedMapping | undefined {
  const fits = (m: q.SourceMapping) => [m.id, m.forename, m.surname, m.dateOfBirth, m.sex, m.postcode, m.nhsNumber, m.upn, ...(m.address ?? [])]
    .every((c) => c === undefined || headers.includes(c))
  return saved.find((s) => s.sourceType === sourceType && fits(s.mapping)) ?? saved.find((s) => fits(s.mapping))
}

export async function mapSource(db: Db, user: CurrentUser, ip: string, id: string, mapping: q.SourceMapping, saveAs: string | undefined, now: Date): Promise<boolean> {
  return withTenant(db, tenant(user), async (tx) => {
    const source = await q.findSource(tx, id)
    if (!source) throw new NotFound()
    if (!(await q.moveSource(tx, id, 'mapping', 'queued', { mapping }))) return false
    if (saveAs) await q.saveMapping(tx, user.laId, { name: saveAs, sourceType: source.sourceType, mapping, by: user.id, now })
    await recordAudit(tx, actorFor(user, ip), { action: 'linkage.source_mapped', recordType: 'linkage_source', recordId: id, details: { savedAs: saveAs ?? null } }, now)
    return true
  })
}

type Checked = { records: q.StoredRecord[]; rejections: q.Rejection[]; total: number }

const cut = (v: string | undefined, max: number) => {
  const t = (v ?? '').trim().replace(/\s+/g, ' ')
  return t ? t.slice(0, max) : null
}

/** One row's fields, checked: a row must say who the child is and when they were born. Optional fields in the wrong form become unknown. */
function checkRow(values: Record<string, string | undefined>, dateFormat: q.SourceMapping['dateFormat'], dataDate: string, names: Record<string, string>):
  { record?: Omit<q.StoredRecord, 'rowNo' | 'recordRef'>; messages: string[] } {
  const messages: string[] = []
  const forename = cut(values.forename, 100)
  const surname = cut(values.surname, 100)
  if (!forename) messages.push(`${names.forename} is empty`)
  if (!surname) messages.push(`${names.surname} is empty`)
  const rawDob = (values.dateOfBirth ?? '').trim()
  const dob = rawDob ? normaliseDate(rawDob, dateFormat) : null
  if (!rawDob) messages.push(`${names.dateOfBirth} is empty`)
  else if (!dob) messages.push(`${names.dateOfBirth} “${rawDob.slice(0, 20)}” is not a date written ${dateFormat === 'ISO' ? 'YYYY-MM-DD' : dateFormat}`)
  else if (dob > dataDate) messages.push(`${names.dateOfBirth} is after the date the data was taken`)
  if (messages.length) return { messages }
  const postcode = cut(values.postcode, 20)
  const nhs = cut(values.nhsNumber, 20)
  const upn = cut(values.upn, 20)
  return {
    messages,
    record: {
      forename, surname, dateOfBirth: dob, sex: cut(values.sex, 20),
      // A postcode that is not a UK postcode is kept as written and compared as plain text.
      postcode: postcode && !postcodeProblem(postcode) ? normalisePostcode(postcode) : postcode,
      address: cut(values.address, 300),
      nhsNumber: nhs && !nhsNumberProblem(nhs) ? normaliseNhsNumber(nhs) : null,
      upn: upn && !upnProblem(upn) ? normaliseUpn(upn) : null,
    },
  }
}

async function checkCsv(text: string, m: q.SourceMapping, dataDate: string, progress: (done: number, total: number) => Promise<void>): Promise<Checked> {
  const rows = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true, info: true, from_line: 2 }) as unknown as { record: string[]; info: { lines: number } }[]
  const headers = readHeaders(text)
  if (!headers.ok) throw new Error(headers.error)
  const at = (name: string | undefined) => (name === undefined ? -1 : headers.headers.indexOf(name))
  const col = { id: at(m.id), forename: at(m.forename), surname: at(m.surname), dateOfBirth: at(m.dateOfBirth), sex: at(m.sex), postcode: at(m.postcode), nhsNumber: at(m.nhsNumber), upn: at(m.upn) }
  const addressCols = (m.address ?? []).map(at).filter((i) => i >= 0)
  const names = { forename: `First name (${m.forename})`, surname: `Last name (${m.surname})`, dateOfBirth: `Date of birth (${m.dateOfBirth})` }
  const seen = new Map<string, number>()
  const out: Checked = { records: [], rejections: [], total: rows.length }
  for (const [i, { record, info }] of rows.entries()) {
    const get = (c: number) => (c >= 0 ? record[c] : undefined)
    const messages: string[] = []
    const ref = (get(col.id) ?? '').trim()
    if (!ref) messages.push(`Id (${m.id}) is empty`)
    else if (ref.length > 100) messages.push(`Id (${m.id}) is longer than 100 characters`)
    else if (seen.has(ref)) messages.push(`Id (${m.id}) is the same as on line ${seen.get(ref)}`)
    else seen.set(ref, info.lines)
    const checked = checkRow({
      forename: get(col.forename), surname: get(col.surname), dateOfBirth: get(col.dateOfBirth), sex: get(col.sex), postcode: get(col.postcode),
      address: addressCols.map((c) => record[c] ?? '').join(' '), nhsNumber: get(col.nhsNumber), upn: get(col.upn),
    }, m.dateFormat, dataDate, names)
    messages.push(...checked.messages)
    // Labelled by line only: rejection lists are shown on screen and must not repeat children's details.
    if (messages.length) out.rejections.push({ line: info.lines, label: `Line ${info.lines}`, messages })
    else out.records.push({ rowNo: i + 1, recordRef: ref, ...checked.record! })
    if ((i + 1) % PROGRESS_EVERY === 0) await progress(i + 1, rows.length)
  }
  return out
}

function checkCtfFile(data: Buffer, dataDate: string): Checked {
  const parsed = parseCtf(data)
  if (!parsed.ok) return { records: [], rejections: parsed.errors.map((e) => ({ line: null, label: 'The file', messages: [e] })), total: 0 }
  const out: Checked = { records: [], rejections: [], total: parsed.rows.length }
  const names = { forename: 'Forename', surname: 'Surname', dateOfBirth: 'Date of birth' }
  const seen = new Set<string>()
  for (const row of parsed.rows) {
    const v = row.values
    const checked = checkRow({ ...v, address: [v.addressLine1, v.town].filter(Boolean).join(' ') }, 'ISO', dataDate, names)
    const ref = v.upn?.trim() || `Pupil ${row.line}`
    if (seen.has(ref)) checked.messages.push('The same UPN as an earlier pupil')
    seen.add(ref)
    if (checked.messages.length) out.rejections.push({ line: row.line, label: row.label, messages: checked.messages })
    else out.records.push({ rowNo: row.line, recordRef: ref, ...checked.record! })
  }
  return out
}

/** Checks a queued source and stores its rows, all or none. Claimed first, so a job delivered twice does the work once. */
export async function processSource(db: Db, laId: string, id: string, now: () => Date): Promise<void> {
  const claimed = await withTenant(db, { laId }, async (tx) => {
    const source = await q.findSource(tx, id)
    if (!source || !(await q.moveSource(tx, id, 'queued', 'processing'))) return undefined
    return { source, payload: await q.sourcePayload(tx, id) }
  })
  if (!claimed) return
  const { source } = claimed
  const finish = (o: { state: 'ready' | 'rejected' | 'failed'; total: number; recordCount: number; rejections: q.Rejection[] }) =>
    withTenant(db, { laId }, (tx) => q.finishSource(tx, id, { ...o, now: now() }))
  try {
    const data = Buffer.from(claimed.payload ?? '', 'base64')
    const checked = source.format === 'ctf'
      ? checkCtfFile(data, source.dataDate)
      : await checkCsv(decodeText(data), source.mapping!, source.dataDate, (done, total) => withTenant(db, { laId }, (tx) => q.setSourceProgress(tx, id, total, done)))
    if (checked.rejections.length || !checked.records.length) {
      const rejections = checked.rejections.length ? checked.rejections : [{ line: null, label: 'The file', messages: ['The file has no rows of children'] }]
      return void await finish({ state: 'rejected', total: checked.total, recordCount: 0, rejections })
    }
    await withTenant(db, { laId, userId: null }, async (tx) => {
      await q.insertRecords(tx, laId, id, checked.records)
      await q.finishSource(tx, id, { state: 'ready', total: checked.total, recordCount: checked.records.length, rejections: [], now: now() })
      await recordAudit(tx, { laId, userId: null, label: 'Source check', ip: null }, { action: 'linkage.source_stored', recordType: 'linkage_source', recordId: id,
        details: { records: checked.records.length } }, now())
    })
  } catch (err) {
    await finish({ state: 'failed', total: 0, recordCount: 0, rejections: [{ line: null, label: 'The file', messages: ['Lantern could not finish reading this file. Nothing from it was saved. Check it opens in a spreadsheet, then upload it again'] }] })
    throw err
  }
}

export type RunInput = { referenceDate: string; sourceIds: string[] }

export async function startRun(db: Db, user: CurrentUser, ip: string, input: RunInput, now: Date): Promise<{ ok: true; id: string } | { ok: false; errors: FormErrors }> {
  return withTenant(db, tenant(user), async (tx) => {
    const ready = await q.listReadySources(tx)
    const chosen = ready.filter((s) => input.sourceIds.includes(s.id))
    if (chosen.length !== new Set(input.sourceIds).size) return { ok: false as const, errors: formError('sourceIds', 'Select sources from the list: one of those chosen is no longer ready') }
    if (!chosen.some((s) => s.kind === 'population')) return { ok: false as const, errors: formError('sourceIds', 'Select at least one population source, such as GP registrations') }
    if (!chosen.some((s) => s.kind === 'roll')) return { ok: false as const, errors: formError('sourceIds', 'Select at least one school roll') }
    const id = await q.insertRun(tx, user.laId, { referenceDate: input.referenceDate, sourceIds: chosen.map((s) => s.id), threshold: LINK_THRESHOLD, by: user.id, now })
    await recordAudit(tx, actorFor(user, ip), { action: 'linkage.run_started', recordType: 'linkage_run', recordId: id, details: { sources: chosen.length, referenceDate: input.referenceDate } }, now)
    return { ok: true as const, id }
  })
}

/** Runs a linkage task in a worker thread: seconds of CPU that would otherwise stop the app answering pages. */
export function inWorker(input: { task: 'find'; population: PopulationRecord[]; known: KnownRecord[]; threshold: number }): Promise<FindResult>
export function inWorker(input: { task: 'duplicates'; children: KnownRecord[]; minimum: number; limit: number; exclude: string[] }): Promise<DuplicatePair[]>
export function inWorker(input: WorkerTask): Promise<unknown> {
  return runWorker(import.meta.url, 'worker', input)
}

export async function processRun(db: Db, laId: string, runId: string, now: () => Date): Promise<void> {
  const loaded = await withTenant(db, { laId }, async (tx) => {
    const run = await q.claimRun(tx, runId)
    if (!run) return undefined
    return { run, population: await q.loadPopulation(tx, run.sourceIds), rolls: await q.loadRolls(tx, run.sourceIds), register: await q.loadRegister(tx), dismissals: await q.listDismissals(tx) }
  })
  if (!loaded) return
  const { run } = loaded
  try {
    const inAge = loaded.population.filter((r) => r.dateOfBirth && isOfCompulsorySchoolAge(r.dateOfBirth, run.referenceDate))
    const known = [...loaded.rolls, ...loaded.register]
    await withTenant(db, { laId }, (tx) => q.setRunProgress(tx, runId, `Linking ${inAge.length} population records with ${known.length} roll and register records`))
    const result = await inWorker({ task: 'find', population: inAge, known, threshold: run.threshold })
    const candidates = result.candidates.map((c) => {
      const reason = loaded.dismissals.get(c.fingerprint)
      return { ...c, state: reason ? 'dismissed_before' as const : 'open' as const, reason: reason ?? null }
    })
    await withTenant(db, { laId, userId: null }, async (tx) => {
      await q.insertCandidates(tx, laId, runId, candidates)
      await q.finishRun(tx, runId, {
        model: result.model, blocking: result.blocking, now: now(),
        summary: {
          ...result.summary, populationRecords: loaded.population.length, outsideSchoolAge: loaded.population.length - inAge.length,
          knownRecords: known.length, registerChildren: loaded.register.length, dismissedBefore: candidates.filter((c) => c.state === 'dismissed_before').length,
        },
      })
      await recordAudit(tx, { laId, userId: null, label: 'Linkage run', ip: null }, { action: 'linkage.run_finished', recordType: 'linkage_run', recordId: runId,
        details: { candidates: candidates.length } }, now())
    })
  } catch (err) {
    await withTenant(db, { laId }, (tx) => q.failRun(tx, runId, 'The run stopped before it finished. Nothing from it was kept. Start it again; if it stops again, tell your system administrator', now()))
    throw err
  }
}

export async function getRun(db: Db, user: CurrentUser, id: string): Promise<q.RunRow> {
  const run = await withTenant(db, tenant(user), (tx) => q.findRun(tx, id))
  if (!run) throw new NotFound()
  return run
}

/** A page of a run's candidates. They are children's details, so each page seen is audited. */
export async function listRunCandidates(db: Db, user: CurrentUser, ip: string, runId: string, state: q.CandidateState, page: number, size: number, now: Date) {
  return withTenant(db, tenant(user), async (tx) => {
    const run = await q.findRun(tx, runId)
    if (!run) throw new NotFound()
    const list = await q.listCandidates(tx, runId, state, size, (page - 1) * size)
    if (list.rows.length) {
      await recordAudit(tx, actorFor(user, ip), { action: 'linkage.candidates_viewed', recordType: 'linkage_run', recordId: runId, details: { state, page, shown: list.rows.length } }, now)
    }
    return { run, ...list }
  })
}

export async function viewCandidate(db: Db, user: CurrentUser, ip: string, id: string, now: Date): Promise<q.CandidateRow> {
  return withTenant(db, tenant(user), async (tx) => {
    const candidate = await q.findCandidate(tx, id)
    if (!candidate) throw new NotFound()
    await recordAudit(tx, actorFor(user, ip), { action: 'linkage.candidate_viewed', recordType: 'linkage_candidate', recordId: id, details: { runId: candidate.runId } }, now)
    return candidate
  })
}

export class AlreadyDecided extends Error {}

/** The referral an accepted candidate becomes, with the evidence of residence in the concern and on the chronology. */
export function evidenceSummary(c: q.CandidateRow): string {
  const sources = c.evidence.map((e) => `${e.sourceType} (${e.dataDate.split('-').reverse().join('/')}, record ${e.recordRef})`).join('; ')
  const miss = c.nearMiss ? ` The nearest roll or register record was ${c.nearMiss.label}, at a match probability of ${c.nearMiss.probability.toFixed(2)}.` : ''
  return `Found by the linkage run for ${c.referenceDate.split('-').reverse().join('/')}: resident by ${sources}, and on no school roll, the home education register or the register of children already known.${miss}`
}

export async function acceptCandidate(db: Db, user: CurrentUser, ip: string, id: string, input: { concern: string; whereaboutsKnown: 'yes' | 'no' }, now: Date): Promise<string> {
  return withTenant(db, tenant(user), async (tx) => {
    const c = await q.findCandidate(tx, id, { lock: true })
    if (!c) throw new NotFound()
    if (c.state !== 'open') throw new AlreadyDecided()
    const p = c.person
    const sex = p.sex && /^(f|female|girl)$/i.test(p.sex) ? 'female' : p.sex && /^(m|male|boy)$/i.test(p.sex) ? 'male' : 'unknown'
    const postcode = p.postcode && !postcodeProblem(p.postcode) ? normalisePostcode(p.postcode) : undefined
    const { childId, caseId } = await recordReferral(tx, user, ip, {
      forename: p.forename ?? 'Not known', surname: p.surname ?? 'Not known', dateOfBirth: p.dateOfBirth ?? undefined, sex,
      upn: p.upn ?? undefined, nhsNumber: p.nhsNumber ?? undefined,
      addressLine1: p.address?.slice(0, 200) ?? (postcode ? 'Address not known' : undefined), town: undefined, postcode,
      concern: input.concern, dateLastInEducation: undefined, dateLastSeen: undefined, whereaboutsKnown: input.whereaboutsKnown, concerns: [],
    }, now, 'linkage')
    await insertChildEvent(tx, user.laId, { childId, caseId, occurredAt: now, kind: 'linkage', actorUserId: user.id, actorLabel: actorLabel(user), summary: evidenceSummary(c) })
    await q.decideCandidate(tx, id, { state: 'accepted', reason: null, note: null, by: user.id, now, childId })
    await recordAudit(tx, actorFor(user, ip), { action: 'linkage.candidate_accepted', recordType: 'linkage_candidate', recordId: id, details: { childId, caseId } }, now)
    return childId
  })
}

export async function dismissCandidate(db: Db, user: CurrentUser, ip: string, id: string, input: { reason: DismissReason; note?: string }, now: Date): Promise<string> {
  return withTenant(db, tenant(user), async (tx) => {
    const c = await q.findCandidate(tx, id, { lock: true })
    if (!c) throw new NotFound()
    if (c.state !== 'open') throw new AlreadyDecided()
    await q.decideCandidate(tx, id, { state: 'dismissed', reason: input.reason, note: input.note ?? null, by: user.id, now })
    await q.rememberDismissal(tx, user.laId, { fingerprint: c.fingerprint, reason: input.reason, note: input.note ?? null, candidateId: id, by: user.id, now })
    await recordAudit(tx, actorFor(user, ip), { action: 'linkage.candidate_dismissed', recordType: 'linkage_candidate', recordId: id, details: { reason: input.reason } }, now)
    return c.runId
  })
}

export const dismissReasonLabel = (reason: string | null): string => (reason && reason in DISMISS_REASONS ? DISMISS_REASONS[reason as DismissReason] : reason ?? '')
