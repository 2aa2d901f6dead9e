import { setImmediate as immediate } from 'node:timers/promises'
import { sql } from 'kysely'
import type { Db } from '../../platform/db.ts'
import { HOME_EDUCATION_LIST } from './forms.ts'
import type { Candidate, Evidence, IdentifierCheck, KnownRecord, ModelSummary, NearMiss, PersonFields, PopulationRecord } from './find.ts'

// Tables: linkage_source and its linkage_record rows, linkage_mapping, linkage_run, linkage_candidate
// and linkage_dismissal (migration 0008). Every query runs inside withTenant, so row-level security
// keeps each LA to its own.

export type SourceState = 'mapping' | 'queued' | 'processing' | 'ready' | 'rejected' | 'failed'
export type Rejection = { line: number | null; label: string; messages: string[] }
export type SourceRow = {
  id: string; kind: 'roll' | 'population'; sourceType: string; dataDate: string; suppliedBy: string; filename: string; format: 'csv' | 'ctf'
  state: SourceState; headers: string[]; mapping: SourceMapping | null; totalRows: number; processedRows: number; recordCount: number
  rejections: Rejection[]; uploadedByLabel: string; createdAt: Date; finishedAt: Date | null
}
/** Which column holds each engine field, for one CSV. */
export type SourceMapping = {
  id: string; forename: string; surname: string; dateOfBirth: string; dateFormat: 'ISO' | 'DD/MM/YYYY' | 'YYYYMMDD'
  sex?: string; postcode?: string; address?: string[]; nhsNumber?: string; upn?: string
}

const SOURCE_COLUMNS = sql`s.id, s.kind, s.source_type as "sourceType", to_char(s.data_date, 'YYYY-MM-DD') as "dataDate", s.supplied_by as "suppliedBy",
  s.filename, s.format, s.state, s.headers, s.mapping, s.total_rows as "totalRows", s.processed_rows as "processedRows", s.record_count as "recordCount",
  s.rejections, u.display_name as "uploadedByLabel", s.created_at as "createdAt", s.finished_at as "finishedAt"`

export async function insertSource(tx: Db, laId: string, s: {
  kind: string; sourceType: string; dataDate: string; suppliedBy: string; filename: string; format: 'csv' | 'ctf'; state: SourceState; payload: string; headers: string[]; uploadedBy: string; now: Date
}): Promise<string> {
  const { rows } = await sql<{ id: string }>`insert into linkage_source (local_authority_id, kind, source_type, data_date, supplied_by, filename, format, state, payload, headers, uploaded_by, created_at)
    values (${laId}, ${s.kind}, ${s.sourceType}, ${s.dataDate}, ${s.suppliedBy}, ${s.filename}, ${s.format}, ${s.state}, ${s.payload}, ${JSON.stringify(s.headers)}, ${s.uploadedBy}, ${s.now})
    returning id`.execute(tx)
  return rows[0].id
}

export async function findSource(tx: Db, id: string): Promise<SourceRow | undefined> {
  const { rows } = await sql<SourceRow>`select ${SOURCE_COLUMNS} from linkage_source s join app_user u on u.local_authority_id = s.local_authority_id and u.id = s.uploaded_by
    where s.id = ${id}`.execute(tx)
  return rows[0]
}

export async function listSources(tx: Db, limit: number, offset: number): Promise<{ rows: SourceRow[]; total: number }> {
  const { rows } = await sql<SourceRow>`select ${SOURCE_COLUMNS} from linkage_source s join app_user u on u.local_authority_id = s.local_authority_id and u.id = s.uploaded_by
    order by s.created_at desc, s.id limit ${limit} offset ${offset}`.execute(tx)
  const { rows: count } = await sql<{ n: number }>`select count(*)::int as n from linkage_source`.execute(tx)
  return { rows, total: count[0].n }
}

export async function listReadySources(tx: Db): Promise<SourceRow[]> {
  const { rows } = await sql<SourceRow>`select ${SOURCE_COLUMNS} from linkage_source s join app_user u on u.local_authority_id = s.local_authority_id and u.id = s.uploaded_by
    where s.state = 'ready' order by s.kind desc, s.data_date desc, s.created_at desc`.execute(tx)
  return rows
}

/** Moves a source from one state to the next; false when another request or job got there first. */
export async function moveSource(tx: Db, id: string, from: SourceState, to: SourceState, set: { mapping?: SourceMapping } = {}): Promise<boolean> {
  const { rows } = await sql<{ id: string }>`update linkage_source set state = ${to}, mapping = coalesce(${set.mapping ? JSON.stringify(set.mapping) : null}::jsonb, mapping)
    where id = ${id} and state = ${from} returning id`.execute(tx)
  return rows.length === 1
}

export async function sourcePayload(tx: Db, id: string): Promise<string | null> {
  const { rows } = await sql<{ payload: string | null }>`select payload from linkage_source where id = ${id}`.execute(tx)
  return rows[0]?.payload ?? null
}

export type SourceProgress = { state: SourceState; totalRows: number; processedRows: number }

/** Only how far a source's check has got, for the page to poll: no names, no file. */
export async function findSourceProgress(tx: Db, id: string): Promise<SourceProgress | undefined> {
  const { rows } = await sql<SourceProgress>`select state, total_rows as "totalRows", processed_rows as "processedRows" from linkage_source where id = ${id}`.execute(tx)
  return rows[0]
}

export async function setSourceProgress(tx: Db, id: string, total: number, processed: number): Promise<void> {
  await sql`update linkage_source set total_rows = ${total}, processed_rows = ${processed} where id = ${id}`.execute(tx)
}

/** The end of a source's check: its outcome, and the file itself dropped whatever the outcome. */
export async function finishSource(tx: Db, id: string, o: { state: 'ready' | 'rejected' | 'failed'; total: number; recordCount: number; rejections: Rejection[]; now: Date }): Promise<void> {
  await sql`update linkage_source set state = ${o.state}, total_rows = ${o.total}, processed_rows = ${o.total}, record_count = ${o.recordCount}, rejections = ${JSON.stringify(o.rejections)}, payload = null,
    finished_at = ${o.now} where id = ${id}`.execute(tx)
}

export type StoredRecord = { rowNo: number; recordRef: string } & PersonFields

export async function insertRecords(tx: Db, laId: string, sourceId: string, records: StoredRecord[]): Promise<void> {
  // Bound parameters per statement stay well under PostgreSQL's 65,535.
  for (let i = 0; i < records.length; i += 500) {
    const chunk = records.slice(i, i + 500)
    await sql`insert into linkage_record (local_authority_id, source_id, row_no, record_ref, forename, surname, date_of_birth, sex, postcode, address, nhs_number, upn)
      values ${sql.join(chunk.map((r) => sql`(${laId}, ${sourceId}, ${r.rowNo}, ${r.recordRef}, ${r.forename}, ${r.surname}, ${r.dateOfBirth}, ${r.sex}, ${r.postcode}, ${r.address}, ${r.nhsNumber}, ${r.upn})`))}`.execute(tx)
    // PGlite runs each statement on the app's own thread and answers without giving the event loop a
    // turn: two immediates make a whole one, timers and I/O, whichever phase this runs in.
    await immediate().then(() => immediate())
  }
}

const RECORD_FIELDS = sql`r.forename, r.surname, to_char(r.date_of_birth, 'YYYY-MM-DD') as "dateOfBirth", r.sex, r.postcode, r.address, r.nhs_number as "nhsNumber", r.upn`

export async function loadPopulation(tx: Db, sourceIds: string[]): Promise<PopulationRecord[]> {
  const { rows } = await sql<PopulationRecord>`select 'p:' || r.source_id || ':' || r.row_no as key, r.source_id as "sourceId", s.source_type as "sourceType",
      to_char(s.data_date, 'YYYY-MM-DD') as "dataDate", r.record_ref as "recordRef", ${RECORD_FIELDS}
    from linkage_record r join linkage_source s on s.local_authority_id = r.local_authority_id and s.id = r.source_id
    where s.kind = 'population' and s.state = 'ready' and s.id in (${sql.join(sourceIds)}) order by r.source_id, r.row_no`.execute(tx)
  return rows
}

export async function loadRolls(tx: Db, sourceIds: string[]): Promise<(KnownRecord & { homeEducationList: boolean })[]> {
  const { rows } = await sql<KnownRecord & { homeEducationList: boolean }>`select 'r:' || r.source_id || ':' || r.row_no as key,
      s.source_type || ' from ' || s.supplied_by || ' (' || to_char(s.data_date, 'DD/MM/YYYY') || '), record ' || r.record_ref as label,
      '/find/sources/' || s.id as href, ${RECORD_FIELDS}, s.source_type = ${HOME_EDUCATION_LIST} as "homeEducationList"
    from linkage_record r join linkage_source s on s.local_authority_id = r.local_authority_id and s.id = r.source_id
    where s.kind = 'roll' and s.state = 'ready' and s.id in (${sql.join(sourceIds)}) order by r.source_id, r.row_no`.execute(tx)
  return rows
}

/**
 * Every child on the register (CME, elective home education or other arrangements), with their latest address.
 * A child with a home education case is labelled as on the home education register, so an officer sees which list a near match is on.
 */
export async function loadRegister(tx: Db): Promise<(KnownRecord & { homeEducated: boolean })[]> {
  const { rows } = await sql<KnownRecord & { homeEducated: boolean }>`select 'c:' || c.id as key,
      case when h.home then 'The home education register: ' else 'The register: ' end || c.forename || ' ' || c.surname as label, '/children/' || c.id as href,
      c.forename, c.surname, to_char(c.date_of_birth, 'YYYY-MM-DD') as "dateOfBirth", c.sex, a.postcode, a.line1 as address, c.nhs_number as "nhsNumber", c.upn,
      h.home as "homeEducated"
    from child c
    cross join lateral (select exists (select 1 from cme_case k where k.local_authority_id = c.local_authority_id and k.child_id = c.id
      and (k.register_type = 'ehe' or k.status = 'elective_home_education')) as home) h
    left join lateral (select postcode, line1 from child_address a where a.local_authority_id = c.local_authority_id and a.child_id = c.id
      order by a.to_date is null desc, a.from_date desc nulls last, a.created_at desc limit 1) a on true
    where c.merged_into is null`.execute(tx)
  return rows
}

export type SavedMapping = { id: string; name: string; sourceType: string; mapping: SourceMapping; createdAt: Date }

export async function listMappings(tx: Db): Promise<SavedMapping[]> {
  const { rows } = await sql<SavedMapping>`select id, name, source_type as "sourceType", mapping, created_at as "createdAt" from linkage_mapping order by created_at desc`.execute(tx)
  return rows
}

/** Saves a mapping under its name, replacing an older one of the same name. */
export async function saveMapping(tx: Db, laId: string, m: { name: string; sourceType: string; mapping: SourceMapping; by: string; now: Date }): Promise<void> {
  await sql`insert into linkage_mapping (local_authority_id, name, source_type, mapping, created_by, created_at)
    values (${laId}, ${m.name}, ${m.sourceType}, ${JSON.stringify(m.mapping)}, ${m.by}, ${m.now})
    on conflict (local_authority_id, name) do update set source_type = excluded.source_type, mapping = excluded.mapping, created_by = excluded.created_by, created_at = excluded.created_at`.execute(tx)
}

export type RunState = 'queued' | 'running' | 'done' | 'failed'
export type RunSummary = {
  populationRecords: number; outsideSchoolAge: number; people: number; knownRecords: number; registerChildren: number; linkedPeople: number
  /** Register children with a home education case, and records from home education lists kept outside Lantern; absent in older runs. */
  homeEducatedChildren?: number; homeEducationListRecords?: number
  /** Population records of school age left out because their postcode lies outside the LA's area; absent in older runs. */
  outsideArea?: number; areaSet?: boolean
  candidates: number; dismissedBefore: number; timings: Record<string, number>
  /** Absent in runs from before the check was made. */
  identifierCheck?: IdentifierCheck | null
}
export type RunRow = {
  id: string; referenceDate: string; sourceIds: string[]; threshold: number; state: RunState; progress: string | null; summary: RunSummary | null
  error: string | null; startedByLabel: string; createdAt: Date; finishedAt: Date | null; openCount: number
}
const RUN_COLUMNS = sql`r.id, to_char(r.reference_date, 'YYYY-MM-DD') as "referenceDate", r.source_ids as "sourceIds", r.threshold, r.state, r.progress, r.summary,
  r.error, u.display_name as "startedByLabel", r.created_at as "createdAt", r.finished_at as "finishedAt",
  (select count(*)::int from linkage_candidate c where c.local_authority_id = r.local_authority_id and c.run_id = r.id and c.state = 'open') as "openCount"`

export async function insertRun(tx: Db, laId: string, r: { referenceDate: string; sourceIds: string[]; threshold: number; by: string; now: Date }): Promise<string> {
  const { rows } = await sql<{ id: string }>`insert into linkage_run (local_authority_id, reference_date, source_ids, threshold, started_by, created_at, progress)
    values (${laId}, ${r.referenceDate}, ${JSON.stringify(r.sourceIds)}, ${r.threshold}, ${r.by}, ${r.now}, 'Waiting to start') returning id`.execute(tx)
  return rows[0].id
}

export async function findRun(tx: Db, id: string): Promise<RunRow | undefined> {
  const { rows } = await sql<RunRow>`select ${RUN_COLUMNS} from linkage_run r join app_user u on u.local_authority_id = r.local_authority_id and u.id = r.started_by
    where r.id = ${id}`.execute(tx)
  return rows[0]
}

export async function listRuns(tx: Db, limit: number): Promise<RunRow[]> {
  const { rows } = await sql<RunRow>`select ${RUN_COLUMNS} from linkage_run r join app_user u on u.local_authority_id = r.local_authority_id and u.id = r.started_by
    order by r.created_at desc, r.id limit ${limit}`.execute(tx)
  return rows
}

export async function claimRun(tx: Db, id: string): Promise<RunRow | undefined> {
  const { rows } = await sql<{ id: string }>`update linkage_run set state = 'running', progress = 'Loading records' where id = ${id} and state = 'queued' returning id`.execute(tx)
  return rows.length ? findRun(tx, id) : undefined
}

export async function setRunProgress(tx: Db, id: string, progress: string): Promise<void> {
  await sql`update linkage_run set progress = ${progress} where id = ${id}`.execute(tx)
}

export async function finishRun(tx: Db, id: string, o: { model: ModelSummary; blocking: { rule: string; pairs: number }[]; summary: RunSummary; now: Date }): Promise<void> {
  await sql`update linkage_run set state = 'done', progress = null, model = ${JSON.stringify(o.model)}, blocking = ${JSON.stringify(o.blocking)},
    summary = ${JSON.stringify(o.summary)}, finished_at = ${o.now} where id = ${id}`.execute(tx)
}

export async function failRun(tx: Db, id: string, error: string, now: Date): Promise<void> {
  await sql`update linkage_run set state = 'failed', progress = null, error = ${error}, finished_at = ${now} where id = ${id}`.execute(tx)
}

export type ModelRow = { id: string; referenceDate: string; finishedAt: Date; model: ModelSummary; blocking: { rule: string; pairs: number }[]; summary: RunSummary }

const MODEL_COLUMNS = sql`id, to_char(reference_date, 'YYYY-MM-DD') as "referenceDate", finished_at as "finishedAt", model, blocking, summary`

export async function latestModel(tx: Db): Promise<ModelRow | undefined> {
  const { rows } = await sql<ModelRow>`select ${MODEL_COLUMNS} from linkage_run where state = 'done' order by finished_at desc, id limit 1`.execute(tx)
  return rows[0]
}

/** The model a finished run trained and used, kept with the run so that its results can be explained later. */
export async function runModel(tx: Db, id: string): Promise<ModelRow | undefined> {
  const { rows } = await sql<ModelRow>`select ${MODEL_COLUMNS} from linkage_run where id = ${id} and state = 'done'`.execute(tx)
  return rows[0]
}

export type Dismissal = { fingerprint: string; reason: string }

export async function listDismissals(tx: Db): Promise<Map<string, string>> {
  const { rows } = await sql<Dismissal>`select fingerprint, reason from linkage_dismissal`.execute(tx)
  return new Map(rows.map((r) => [r.fingerprint, r.reason]))
}

export async function insertCandidates(tx: Db, laId: string, runId: string, list: (Candidate & { state: 'open' | 'dismissed_before'; reason: string | null })[]): Promise<void> {
  for (let i = 0; i < list.length; i += 200) {
    const chunk = list.slice(i, i + 200)
    await sql`insert into linkage_candidate (local_authority_id, run_id, rank, fingerprint, person, evidence, near_miss, state, reason)
      values ${sql.join(chunk.map((c) => sql`(${laId}, ${runId}, ${c.rank}, ${c.fingerprint}, ${JSON.stringify(c.person)}, ${JSON.stringify(c.evidence)},
        ${c.nearMiss ? JSON.stringify(c.nearMiss) : null}, ${c.state}, ${c.reason})`))}`.execute(tx)
  }
}

export type CandidateState = 'open' | 'accepted' | 'dismissed' | 'dismissed_before'
export type CandidateRow = {
  id: string; runId: string; rank: number; fingerprint: string; person: PersonFields; evidence: Evidence[]; nearMiss: NearMiss | null; state: CandidateState
  reason: string | null; note: string | null; decidedByLabel: string | null; decidedAt: Date | null; childId: string | null; referenceDate: string
}
const CANDIDATE_COLUMNS = sql`c.id, c.run_id as "runId", c.rank, c.fingerprint, c.person, c.evidence, c.near_miss as "nearMiss", c.state, c.reason, c.note,
  u.display_name as "decidedByLabel", c.decided_at as "decidedAt", c.child_id as "childId", to_char(r.reference_date, 'YYYY-MM-DD') as "referenceDate"`
const CANDIDATE_FROM = sql`linkage_candidate c join linkage_run r on r.local_authority_id = c.local_authority_id and r.id = c.run_id
  left join app_user u on u.local_authority_id = c.local_authority_id and u.id = c.decided_by`

export async function listCandidates(tx: Db, runId: string, state: CandidateState, limit: number, offset: number): Promise<{ rows: CandidateRow[]; total: number; counts: Record<CandidateState, number> }> {
  const { rows } = await sql<CandidateRow>`select ${CANDIDATE_COLUMNS} from ${CANDIDATE_FROM} where c.run_id = ${runId} and c.state = ${state}
    order by c.rank limit ${limit} offset ${offset}`.execute(tx)
  const { rows: counts } = await sql<{ state: CandidateState; n: number }>`select state, count(*)::int as n from linkage_candidate where run_id = ${runId} group by state`.execute(tx)
  const byState = { open: 0, accepted: 0, dismissed: 0, dismissed_before: 0 }
  for (const c of counts) byState[c.state] = c.n
  return { rows, total: byState[state], counts: byState }
}

export async function findCandidate(tx: Db, id: string, o: { lock?: boolean } = {}): Promise<CandidateRow | undefined> {
  const { rows } = await sql<CandidateRow>`select ${CANDIDATE_COLUMNS} from ${CANDIDATE_FROM} where c.id = ${id} ${o.lock ? sql`for update of c` : sql``}`.execute(tx)
  return rows[0]
}

export async function decideCandidate(tx: Db, id: string, d: { state: 'accepted' | 'dismissed'; reason: string | null; note: string | null; by: string; now: Date; childId?: string }): Promise<void> {
  await sql`update linkage_candidate set state = ${d.state}, reason = ${d.reason}, note = ${d.note}, decided_by = ${d.by}, decided_at = ${d.now}, child_id = ${d.childId ?? null}
    where id = ${id}`.execute(tx)
}

export async function rememberDismissal(tx: Db, laId: string, d: { fingerprint: string; reason: string; note: string | null; candidateId: string; by: string; now: Date }): Promise<void> {
  await sql`insert into linkage_dismissal (local_authority_id, fingerprint, reason, note, candidate_id, dismissed_by, dismissed_at)
    values (${laId}, ${d.fingerprint}, ${d.reason}, ${d.note}, ${d.candidateId}, ${d.by}, ${d.now})
    on conflict (local_authority_id, fingerprint) do update set reason = excluded.reason, note = excluded.note, candidate_id = excluded.candidate_id,
      dismissed_by = excluded.dismissed_by, dismissed_at = excluded.dismissed_at`.execute(tx)
}

export type Area = { postcodes: string[]; updatedByLabel: string; updatedAt: Date }

/** The LA's area for runs (migration 0010); undefined until an officer sets it. */
export async function loadArea(tx: Db): Promise<Area | undefined> {
  const { rows } = await sql<Area>`select a.postcodes, u.display_name as "updatedByLabel", a.updated_at as "updatedAt"
    from linkage_area a join app_user u on u.local_authority_id = a.local_authority_id and u.id = a.updated_by`.execute(tx)
  return rows[0]
}

export async function saveArea(tx: Db, laId: string, a: { postcodes: string[]; by: string; now: Date }): Promise<void> {
  await sql`insert into linkage_area (local_authority_id, postcodes, updated_by, updated_at) values (${laId}, ${a.postcodes}, ${a.by}, ${a.now})
    on conflict (local_authority_id) do update set postcodes = excluded.postcodes, updated_by = excluded.updated_by, updated_at = excluded.updated_at`.execute(tx)
}
