import { Readable } from 'node:stream'
import { setImmediate as immediate } from 'node:timers/promises'
import { startWorker } from '../../platform/worker.ts'
import { parse } from 'csv-parse/sync'
import { parse as parseStream } from 'csv-parse'
import { withTenant, type Db } from '../../platform/db.ts'
import { recordAudit } from '../../platform/audit.ts'
import { actorFor, actorLabel } from '../../platform/actor.ts'
import { NotFound } from '../../platform/errors.ts'
import { formatDate } from '../../platform/views.ts'
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
import type { WorkerMessage, WorkerTask } from './worker.ts'
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
/** Each progress write is a transaction, so a big file writes about this many, not one per 500 rows. */
const PROGRESS_STEPS = 50
/**
 * Jobs run in the web server's process, and PGlite answers queries without giving the event loop a
 * turn: a check that runs for seconds stops after this many milliseconds to let pages be served.
 */
const TURN_MS = 20
const CSV_CHUNK_CHARS = 64 * 1024
/** A whole turn of the event loop, timers and I/O both, from whichever phase it is called in. */
const turn = () => immediate().then(() => immediate())

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
    // Reading a big file's headings and encoding it each take tens of milliseconds: let other requests in between.
    await turn()
  }
  const payload = file.data.toString('base64')
  await turn()
  return withTenant(db, tenant(user), async (tx) => {
    const id = await q.insertSource(tx, user.laId, {
      kind, sourceType: input.sourceType, dataDate: input.dataDate, suppliedBy: input.suppliedBy, filename: file.filename.slice(0, 255) || 'upload',
      format: ctf ? 'ctf' : 'csv', state: ctf ? 'queued' : 'mapping', payload, headers, uploadedBy: user.id, now,
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

type Progress = (done: number, total: number) => Promise<void>

/**
 * A pause that gives the event loop a whole turn once this work has run for TURN_MS since the last one.
 * The time is counted from the end of the turn, so a busy app does not make the work stop after every row.
 */
function pauses(): () => Promise<void> {
  let since = performance.now()
  return async () => {
    if (performance.now() - since < TURN_MS) return
    await turn()
    since = performance.now()
  }
}

const progressStep = (total: number) => Math.max(PROGRESS_EVERY, Math.ceil(total / PROGRESS_STEPS))

/**
 * The lines after the heading row, counted by line breaks: what the progress bar measures against
 * before the rows are parsed. A quoted field across lines or a blank line makes it a little more than
 * the rows; the finished source records the rows themselves.
 */
function countDataLines(text: string): number {
  const br = text.includes('\n') ? '\n' : '\r'
  let breaks = 0
  for (let at = text.indexOf(br); at !== -1; at = text.indexOf(br, at + 1)) breaks++
  return Math.max(0, breaks + (text.endsWith(br) ? 0 : 1) - 1)
}

/**
 * The text in pieces of up to `size` characters, small at first: csv-parse is slow until V8 has compiled
 * it, and each piece is parsed in one go. A piece never ends inside a surrogate pair, which encoding on
 * its own would turn into U+FFFD.
 */
function* piecesOf(text: string, size: number): Generator<string> {
  for (let at = 0, piece = 4096; at < text.length; piece = Math.min(piece * 2, size)) {
    let end = Math.min(at + piece, text.length)
    const last = text.charCodeAt(end - 1)
    if (last >= 0xd800 && last <= 0xdbff) end++
    yield text.slice(at, end)
    at = end
  }
}

/**
 * Checks every row of a mapped CSV, given the headings read when it was uploaded. The rows are parsed as
 * a stream of pieces, with turns for the event loop, rather than at once: parsing a 40 MB file in one
 * call held the web server for seconds.
 */
export async function checkCsv(data: Buffer, headers: string[], m: q.SourceMapping, dataDate: string, progress: Progress): Promise<Checked> {
  // Each step before the rows takes tens of milliseconds on a big file.
  const text = decodeText(data)
  await turn()
  const at = (name: string | undefined) => (name === undefined ? -1 : headers.indexOf(name))
  const col = { id: at(m.id), forename: at(m.forename), surname: at(m.surname), dateOfBirth: at(m.dateOfBirth), sex: at(m.sex), postcode: at(m.postcode), nhsNumber: at(m.nhsNumber), upn: at(m.upn) }
  const addressCols = (m.address ?? []).map(at).filter((i) => i >= 0)
  const names = { forename: `First name (${m.forename})`, surname: `Last name (${m.surname})`, dateOfBirth: `Date of birth (${m.dateOfBirth})` }
  // The ids so far, with their lines, in 64 maps: one Map of half a million ids rehashes them all at once
  // as it grows, holding the event loop for a tenth of a second or more.
  const seen = Array.from({ length: 64 }, () => new Map<string, number>())
  const seenFor = (ref: string) => seen[(ref.charCodeAt(ref.length - 1) * 31 + ref.charCodeAt(ref.length - 2)) & 63]
  const out: Checked = { records: [], rejections: [], total: 0 }
  const lines = countDataLines(text)
  const step = progressStep(lines)
  const pause = pauses()
  await progress(0, lines)
  await turn()
  const rows = Readable.from(piecesOf(text, CSV_CHUNK_CHARS))
    .pipe(parseStream({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true, from_line: 2 })) as AsyncIterable<{ record: string[]; info: { lines: number } }>
  for await (const { record, info } of rows) {
    const i = out.total++
    const get = (c: number) => (c >= 0 ? record[c] : undefined)
    const messages: string[] = []
    const ref = (get(col.id) ?? '').trim()
    if (!ref) messages.push(`Id (${m.id}) is empty`)
    else if (ref.length > 100) messages.push(`Id (${m.id}) is longer than 100 characters`)
    else if (seenFor(ref).has(ref)) messages.push(`Id (${m.id}) is the same as on line ${seenFor(ref).get(ref)}`)
    else seenFor(ref).set(ref, info.lines)
    const checked = checkRow({
      forename: get(col.forename), surname: get(col.surname), dateOfBirth: get(col.dateOfBirth), sex: get(col.sex), postcode: get(col.postcode),
      address: addressCols.map((c) => record[c] ?? '').join(' '), nhsNumber: get(col.nhsNumber), upn: get(col.upn),
    }, m.dateFormat, dataDate, names)
    messages.push(...checked.messages)
    // Labelled by line only: rejection lists are shown on screen and must not repeat children's details.
    if (messages.length) out.rejections.push({ line: info.lines, label: `Line ${info.lines}`, messages })
    else out.records.push({ rowNo: i + 1, recordRef: ref, ...checked.record! })
    if (out.total % step === 0) await progress(Math.min(info.lines - 1, lines), lines)
    await pause()
  }
  return out
}

/**
 * Checks a CTF's pupils, with progress per pupil. parseCtf, shared with notice imports, reads the whole file
 * at once before that: a fraction of a second for 5,000 pupils with few details, but seconds for a file
 * near the upload limit.
 */
export async function checkCtfFile(data: Buffer, dataDate: string, progress: Progress): Promise<Checked> {
  const parsed = parseCtf(data)
  if (!parsed.ok) return { records: [], rejections: parsed.errors.map((e) => ({ line: null, label: 'The file', messages: [e] })), total: 0 }
  const out: Checked = { records: [], rejections: [], total: parsed.rows.length }
  const names = { forename: 'Forename', surname: 'Surname', dateOfBirth: 'Date of birth' }
  const seen = new Set<string>()
  const step = progressStep(out.total)
  const pause = pauses()
  await progress(0, out.total)
  // parseCtf has just held the event loop for the whole file.
  await turn()
  for (const [i, row] of parsed.rows.entries()) {
    const v = row.values
    const checked = checkRow({ ...v, address: [v.addressLine1, v.town].filter(Boolean).join(' ') }, 'ISO', dataDate, names)
    const ref = v.upn?.trim() || `Pupil ${row.line}`
    if (seen.has(ref)) checked.messages.push('The same UPN as an earlier pupil')
    seen.add(ref)
    if (checked.messages.length) out.rejections.push({ line: row.line, label: row.label, messages: checked.messages })
    else out.records.push({ rowNo: row.line, recordRef: ref, ...checked.record! })
    if ((i + 1) % step === 0) await progress(i + 1, out.total)
    await pause()
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
    await turn()
    const progress: Progress = (done, total) => withTenant(db, { laId }, (tx) => q.setSourceProgress(tx, id, total, done))
    const checked = source.format === 'ctf'
      ? await checkCtfFile(data, source.dataDate, progress)
      : await checkCsv(data, source.headers, source.mapping!, source.dataDate, progress)
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
/**
 * A source shows who lived here, or who was on a roll, when its data was taken. Further than this from a run's
 * reference date it says too little about that day: an old roll would hide a child who has since left it.
 */
export const SOURCE_WINDOW_DAYS = 366

export async function startRun(db: Db, user: CurrentUser, ip: string, input: RunInput, now: Date): Promise<{ ok: true; id: string } | { ok: false; errors: FormErrors }> {
  return withTenant(db, tenant(user), async (tx) => {
    const ready = await q.listReadySources(tx)
    const chosen = ready.filter((s) => input.sourceIds.includes(s.id))
    if (chosen.length !== new Set(input.sourceIds).size) return { ok: false as const, errors: formError('sourceIds', 'Select sources from the list: one of those chosen is no longer ready') }
    if (!chosen.some((s) => s.kind === 'population')) return { ok: false as const, errors: formError('sourceIds', 'Select at least one population source, such as GP registrations') }
    if (!chosen.some((s) => s.kind === 'roll')) return { ok: false as const, errors: formError('sourceIds', 'Select at least one school roll') }
    const far = chosen.find((s) => Math.abs(Date.parse(s.dataDate) - Date.parse(input.referenceDate)) > SOURCE_WINDOW_DAYS * 86_400_000)
    if (far) {
      const says = far.kind === 'population' ? 'who lived in the area' : 'who was on the roll'
      return { ok: false as const, errors: formError('sourceIds', `${far.sourceType} from ${far.suppliedBy} was taken on ${formatDate(far.dataDate)}, more than a year from the reference date, so it does not show ${says} on that day. Untick it, or choose a reference date nearer to it`) }
    }
    const id = await q.insertRun(tx, user.laId, { referenceDate: input.referenceDate, sourceIds: chosen.map((s) => s.id), threshold: LINK_THRESHOLD, by: user.id, now })
    await recordAudit(tx, actorFor(user, ip), { action: 'linkage.run_started', recordType: 'linkage_run', recordId: id, details: { sources: chosen.length, referenceDate: input.referenceDate } }, now)
    return { ok: true as const, id }
  })
}

/** Runs a linkage task in a worker thread: seconds of CPU that would otherwise stop the app answering pages. */
export function inWorker(input: { task: 'find'; population: PopulationRecord[]; known: KnownRecord[]; threshold: number }, onProgress?: (stage: string) => void): Promise<FindResult>
export function inWorker(input: { task: 'duplicates'; children: KnownRecord[]; minimum: number; limit: number; exclude: string[] }): Promise<DuplicatePair[]>
export async function inWorker(input: WorkerTask, onProgress?: (stage: string) => void): Promise<unknown> {
  const { worker, next } = startWorker<WorkerMessage>(import.meta.url, 'worker', input)
  try {
    for (;;) {
      const message = await next()
      if ('result' in message) return message.result
      onProgress?.(message.progress)
    }
  } finally {
    void worker.terminate()
  }
}

export async function getArea(db: Db, user: CurrentUser): Promise<q.Area | undefined> {
  return withTenant(db, tenant(user), (tx) => q.loadArea(tx))
}

export async function saveArea(db: Db, user: CurrentUser, ip: string, postcodes: string[], now: Date): Promise<void> {
  await withTenant(db, tenant(user), async (tx) => {
    await q.saveArea(tx, user.laId, { postcodes, by: user.id, now })
    await recordAudit(tx, actorFor(user, ip), { action: 'linkage.area_changed', recordType: 'linkage_area', details: { postcodes: postcodes.join(', ').slice(0, 2000), count: postcodes.length } }, now)
  })
}

/**
 * Whether a record's postcode lies in the area (its district or its sector is listed). With no area set, or a
 * postcode that is missing or not a UK postcode, the record stays in: Lantern cannot tell, and a child left out
 * for want of a postcode would never be found.
 */
export function inArea(postcode: string | null, area: ReadonlySet<string>): boolean {
  if (!area.size || !postcode || postcodeProblem(postcode)) return true
  const full = normalisePostcode(postcode)
  const [district, inward] = full.split(' ')
  return area.has(district) || area.has(`${district} ${inward[0]}`)
}

export async function processRun(db: Db, laId: string, runId: string, now: () => Date): Promise<void> {
  const loaded = await withTenant(db, { laId }, async (tx) => {
    const run = await q.claimRun(tx, runId)
    if (!run) return undefined
    return { run, population: await q.loadPopulation(tx, run.sourceIds), rolls: await q.loadRolls(tx, run.sourceIds), register: await q.loadRegister(tx),
      dismissals: await q.listDismissals(tx), area: new Set((await q.loadArea(tx))?.postcodes ?? []) }
  })
  if (!loaded) return
  const { run, area } = loaded
  try {
    const ofAge = loaded.population.filter((r) => r.dateOfBirth && isOfCompulsorySchoolAge(r.dateOfBirth, run.referenceDate))
    const inAge = ofAge.filter((r) => inArea(r.postcode, area))
    const known = [...loaded.rolls, ...loaded.register]
    await withTenant(db, { laId }, (tx) => q.setRunProgress(tx, runId, `Linking ${inAge.length} population records with ${known.length} roll and register records`))
    // Each stage is written as the worker reaches it, one after another, so the page never shows an older stage last.
    let written = Promise.resolve()
    const result = await inWorker({ task: 'find', population: inAge, known, threshold: run.threshold }, (stage) => {
      written = written.then(() => withTenant(db, { laId }, (tx) => q.setRunProgress(tx, runId, stage))).catch(() => undefined)
    })
    await written
    await withTenant(db, { laId }, (tx) => q.setRunProgress(tx, runId, `Saving the ${result.candidates.length.toLocaleString('en-GB')} children on no roll`))
    const candidates = result.candidates.map((c) => {
      const reason = loaded.dismissals.get(c.fingerprint)
      return { ...c, state: reason ? 'dismissed_before' as const : 'open' as const, reason: reason ?? null }
    })
    await withTenant(db, { laId, userId: null }, async (tx) => {
      await q.insertCandidates(tx, laId, runId, candidates)
      await q.finishRun(tx, runId, {
        model: result.model, blocking: result.blocking, now: now(),
        summary: {
          ...result.summary, populationRecords: loaded.population.length, outsideSchoolAge: loaded.population.length - ofAge.length,
          outsideArea: ofAge.length - inAge.length, areaSet: area.size > 0,
          knownRecords: known.length, registerChildren: loaded.register.length, homeEducatedChildren: loaded.register.filter((c) => c.homeEducated).length,
          homeEducationListRecords: loaded.rolls.filter((r) => r.homeEducationList).length, dismissedBefore: candidates.filter((c) => c.state === 'dismissed_before').length,
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
    // The nearest record shown may be a child on the register, whose details are then on screen: a view of their record too.
    const registerChild = candidate.nearMiss?.href?.match(/^\/children\/([0-9a-f-]{36})$/)?.[1]
    if (registerChild) {
      await recordAudit(tx, actorFor(user, ip), { action: 'child.viewed', recordType: 'child', recordId: registerChild, details: { asNearMatchOf: id } }, now)
    }
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
