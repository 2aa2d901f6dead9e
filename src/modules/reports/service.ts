import writeXlsxFile, { type Row } from 'write-excel-file/node'
import { withTenant, type Db } from '../../platform/db.ts'
import { recordAudit } from '../../platform/audit.ts'
import { actorFor } from '../../platform/actor.ts'
import type { CurrentUser } from '../../platform/access.ts'
import { csvLine } from '../../platform/csv.ts'
import type { Calendar } from '../calendar/days.ts'
import { loadCalendarInTx } from '../calendar/service.ts'
import { missingClock, type MissingClock } from '../register/clock.ts'
import { OPEN_STATUSES, REGISTER_TYPE_LABELS, STATUS_LABELS } from '../register/queries.ts'
import type { RegisterFilter } from '../register/filters.ts'
import * as q from './queries.ts'

const ukDay = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' })

/** Today's date in the UK as YYYY-MM-DD: a day's figures are the UK day's, not UTC's. */
export function ukToday(now: Date): string {
  const part = (type: string) => ukDay.formatToParts(now).find((p) => p.type === type)!.value
  return `${part('year')}-${part('month')}-${part('day')}`
}

const thursday = (year: number, month: number, nth: number): string => {
  const firstDay = new Date(Date.UTC(year, month - 1, 1)).getUTCDay()
  return new Date(Date.UTC(year, month - 1, 1 + ((4 - firstDay + 7) % 7) + 7 * (nth - 1))).toISOString().slice(0, 10)
}

/**
 * The latest census date that is not after `today`. The DfE has used the first Thursday of October
 * and the third Thursdays of January and May (data standards 4); it confirms the dates each year.
 */
export function latestCensusDate(today: string): string {
  const year = Number(today.slice(0, 4))
  const candidates = [thursday(year - 1, 10, 1), thursday(year, 1, 3), thursday(year, 5, 3), thursday(year, 10, 1)]
  return candidates.filter((d) => d <= today).at(-1)!
}

export const YEAR_GROUPS = ['Reception', ...Array.from({ length: 11 }, (_, i) => `Year ${i + 1}`), 'Not known', 'Outside compulsory school age']

/**
 * The national curriculum year group on a census date. A child's year is set by their age on the
 * 31 August before the academic year (1 September to 31 August) that holds the census date: 4 is
 * Reception, 5 is Year 1, and so on to 15, Year 11.
 */
export function yearGroup(dateOfBirth: string | null, census: string): string {
  if (!dateOfBirth) return 'Not known'
  const [censusYear, censusMonth] = census.split('-').map(Number)
  const academicYear = censusMonth >= 9 ? censusYear : censusYear - 1
  const [birthYear, birthMonth] = dateOfBirth.split('-').map(Number)
  // Born September to December: not yet had that year's birthday on 31 August.
  const age = academicYear - birthYear - (birthMonth >= 9 ? 1 : 0)
  if (age < 4 || age > 15) return 'Outside compulsory school age'
  return age === 4 ? 'Reception' : `Year ${age - 4}`
}

/** The missing-education clock for many cases: cases that share a start date share the count. */
function clocks(cal: Calendar, today: string): (since: string) => MissingClock {
  const seen = new Map<string, MissingClock>()
  return (since) => {
    let clock = seen.get(since)
    if (!clock) seen.set(since, (clock = missingClock(cal, since, today)))
    return clock
  }
}

const tenant = (user: CurrentUser) => ({ laId: user.laId, userId: user.id })
const LIST_SIZE = 10

export async function loadDashboard(db: Db, user: CurrentUser, now: Date) {
  const today = ukToday(now)
  return withTenant(db, tenant(user), async (tx) => {
    const clockFor = clocks(await loadCalendarInTx(tx), today)
    const byStatus = new Map((await q.countOpenCasesByStatus(tx)).map((c) => [c.key, c.n]))
    const byRisk = new Map((await q.countOpenCasesByRisk(tx)).map((c) => [c.key, c.n]))
    const withClock = (c: q.WaitingCase) => ({ ...c, clock: clockFor(c.missingSince) })
    const noAction = await q.listCasesWithoutNextAction(tx, LIST_SIZE)
    return {
      today,
      openTotal: [...byStatus.values()].reduce((a, b) => a + b, 0),
      byStatus: OPEN_STATUSES.map((status) => ({ status, label: STATUS_LABELS[status], n: byStatus.get(status) ?? 0 })),
      byRisk: (['high', 'standard'] as const).map((risk) => ({ risk, label: risk === 'high' ? 'High' : 'Standard', n: byRisk.get(risk) ?? 0 })),
      newThisWeek: await q.countCasesOpenedSince(tx, new Date(now.getTime() - 7 * 86_400_000)),
      overdue: await q.listOverdueActions(tx, today, 20),
      longestWaiting: (await q.listLongestWaiting(tx, LIST_SIZE)).map(withClock),
      noNextAction: { total: noAction.total, rows: noAction.rows.map(withClock) },
      trend: await q.countOpenCasesByWeek(tx, today, 26),
    }
  })
}

export type Figure = { category: string; count: number }
export type Measure = { measure: string; rows: Figure[] }
export type DfeReturn = { census: string; total: number; measures: Measure[] }

function tally(categories: string[], values: string[]): Figure[] {
  const counts = new Map(categories.map((c) => [c, 0]))
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  return [...counts].map(([category, count]) => ({ category, count }))
}

/** The termly return's figures: counts only, each breakdown listing every category even when it is zero. */
export function tallyReturn(census: string, cases: q.CensusCase[], reasons: string[], cal: Calendar): DfeReturn {
  const clockFor = clocks(cal, census)
  const sexes: Record<string, string> = { female: 'Female', male: 'Male' }
  // A reason the LA has since retired still counts for the children recorded with it.
  const retired = [...new Set(cases.map((c) => c.reason).filter((r): r is string => r !== null && !reasons.includes(r)))]
  return {
    census,
    total: cases.length,
    measures: [
      { measure: 'Children missing education on the census date', rows: [{ category: 'Total', count: cases.length }] },
      { measure: 'Length of time missing education', rows: tally(['12 weeks or less', 'More than 12 weeks', 'Unknown'],
        cases.map((c) => (c.missingSince ? clockFor(c.missingSince).band : 'Unknown'))) },
      { measure: 'Primary reason for missing education', rows: tally([...reasons, ...retired, 'Not recorded'], cases.map((c) => c.reason ?? 'Not recorded')) },
      { measure: 'Sex', rows: tally(['Female', 'Male', 'Unknown'], cases.map((c) => sexes[c.sex ?? ''] ?? 'Unknown')) },
      { measure: 'National curriculum year group', rows: tally(YEAR_GROUPS, cases.map((c) => yearGroup(c.dateOfBirth, census))) },
    ],
  }
}

/** The return's figures inside a caller's transaction (a panel's statistics pack uses them too). */
export async function previewDfeReturnInTx(tx: Db, census: string): Promise<DfeReturn> {
  return readReturn(tx, census)
}

async function readReturn(tx: Db, census: string): Promise<DfeReturn> {
  return tallyReturn(census, await q.listCmeCasesOnCensusDate(tx, census), await q.listCmeReasonLabels(tx), await loadCalendarInTx(tx))
}

export async function previewDfeReturn(db: Db, user: CurrentUser, census: string): Promise<DfeReturn> {
  return withTenant(db, tenant(user), (tx) => readReturn(tx, census))
}

/** The return as the CSV the LA copies into the DfE's collection, with the export in the audit log. */
export async function exportDfeReturn(db: Db, user: CurrentUser, ip: string, census: string, now: Date): Promise<string> {
  const figures = await withTenant(db, tenant(user), async (tx) => {
    const found = await readReturn(tx, census)
    await recordAudit(tx, actorFor(user, ip), { action: 'register.dfe_return_exported', recordType: 'report', recordId: `cme-return-${census}`,
      details: { censusDate: census, total: found.total } }, now)
    return found
  })
  let body = csvLine(['measure', 'category', 'count'])
  for (const m of figures.measures) for (const r of m.rows) body += csvLine([m.measure, r.category, r.count])
  return body
}

export const EXPORT_LIMIT = 50_000
export type ExportFormat = 'csv' | 'xlsx'
export type RegisterExport = { ok: true; body: string | Buffer; rows: number } | { ok: false; matching: number }

const HEADINGS = ['Child ID', 'Forename', 'Surname', 'Date of birth', 'Sex', 'UPN', 'Register', 'Status', 'Risk', 'CME reason',
  'Opened on', 'Date last seen', 'School days missing', 'DfE band', 'Assigned officer']
const SEX_LABELS: Record<string, string> = { female: 'Female', male: 'Male', unknown: 'Not known' }

/** One export line in column order; dates stay YYYY-MM-DD so the file can say how to show them. */
function exportLine(r: q.ExportRow, clock: MissingClock): (string | number | null)[] {
  return [r.childId, r.forename, r.surname, r.dateOfBirth, r.sex ? SEX_LABELS[r.sex] ?? r.sex : null, r.upn, REGISTER_TYPE_LABELS[r.registerType],
    STATUS_LABELS[r.status], r.riskLevel === 'high' ? 'High' : 'Standard', r.reason, r.openedOn, r.dateLastSeen,
    clock.schoolDays, clock.band, r.officer]
}

const DATE_COLUMNS = new Set([3, 10, 11])

async function xlsxOf(lines: (string | number | null)[][]): Promise<Buffer> {
  const header: Row = HEADINGS.map((value) => ({ value, fontWeight: 'bold' as const }))
  // Strings go in as text cells, which Excel never runs as formulas, so no CSV-style escaping is needed.
  const data: Row[] = [header, ...lines.map((line) => line.map((v, i) =>
    v !== null && DATE_COLUMNS.has(i) ? new Date(`${v}T00:00:00Z`) : v))]
  return writeXlsxFile(data, { sheet: 'Register', dateFormat: 'dd/mm/yyyy', stickyRowsCount: 1,
    columns: HEADINGS.map((h, i) => ({ width: i === 0 ? 38 : Math.max(12, h.length + 2) })) }).toBuffer()
}

/**
 * The register's rows that match the filters, as a file, with the export (who, why, what) in the
 * audit log in the same transaction as the read. Refuses, exporting nothing, past `limit` rows.
 */
export async function exportRegister(
  db: Db, user: CurrentUser, ip: string, input: { filter: RegisterFilter; reason: string; format: ExportFormat }, now: Date, limit = EXPORT_LIMIT,
): Promise<RegisterExport> {
  const today = ukToday(now)
  const lines = await withTenant(db, tenant(user), async (tx) => {
    const matching = await q.countRegisterRows(tx, input.filter, limit + 1)
    if (matching > limit) return { matching }
    const clockFor = clocks(await loadCalendarInTx(tx), today)
    const rows = await q.listRegisterForExport(tx, input.filter, limit)
    const f = input.filter
    await recordAudit(tx, actorFor(user, ip), { action: 'register.exported', recordType: 'register', reason: input.reason,
      details: { status: f.status, type: f.registerType ?? null, risk: f.risk ?? null, search: f.search ?? null, format: input.format, rows: rows.length } }, now)
    return rows.map((r) => exportLine(r, clockFor(r.missingSince)))
  })
  if (!Array.isArray(lines)) return { ok: false, matching: lines.matching }
  if (input.format === 'xlsx') return { ok: true, body: await xlsxOf(lines), rows: lines.length }
  // The byte-order mark tells Excel the file is UTF-8, so names with accents open as written.
  let body = `\uFEFF${csvLine(HEADINGS)}`
  for (const line of lines) body += csvLine(line)
  return { ok: true, body, rows: lines.length }
}

/** How many cases an export of these filters would hold, up to one past the limit. */
export async function countForExport(db: Db, user: CurrentUser, filter: RegisterFilter): Promise<number> {
  return withTenant(db, tenant(user), (tx) => q.countRegisterRows(tx, filter, EXPORT_LIMIT + 1))
}
