import { FLAGS, OPEN_STATUSES, REGISTER_TYPES, STATUSES, type CaseStatus, type Flag, type RegisterType } from './queries.ts'

export const SORTS = ['priority', 'longest', 'newest', 'name'] as const
export type Sort = (typeof SORTS)[number]
export const SORT_LABELS: Record<Sort, string> = {
  priority: 'High risk first, then longest open',
  longest: 'Longest missing education first',
  newest: 'Newest cases first',
  name: 'Last name, A to Z',
}
export const BANDS = ['up_to_12_weeks', 'over_12_weeks'] as const
export type Band = (typeof BANDS)[number]

/** What the register is filtered by. Read from the page's query string; the list, the export and saved views share it. */
export type RegisterFilter = {
  status: CaseStatus | 'open'
  registerType?: RegisterType
  risk?: 'standard' | 'high'
  search?: string
  reason?: string
  /** A CME officer's id, or 'none' for cases nobody has yet. */
  officer?: string
  /** The organisation that referred the child or sent the notice: for a school, its notices. */
  school?: string
  /** National curriculum year: 0 is Reception, 11 is Year 11, on today's academic year. */
  year?: number
  flag?: Flag
  band?: Band
  sort: Sort
  /** The day "time missing" and year groups are worked out for. */
  today: string
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Reads the filters from a query string, ignoring anything it does not recognise (a bad value shows everything open). */
export function parseRegisterFilter(query: Record<string, string | undefined>, today = new Date().toISOString().slice(0, 10)): RegisterFilter {
  const year = query.year === undefined || query.year === '' ? NaN : Number(query.year)
  return {
    status: query.status === 'open' || STATUSES.includes(query.status as CaseStatus) ? (query.status as CaseStatus | 'open') : 'open',
    registerType: REGISTER_TYPES.includes(query.type as RegisterType) ? (query.type as RegisterType) : undefined,
    risk: query.risk === 'high' || query.risk === 'standard' ? query.risk : undefined,
    search: query.q?.trim().slice(0, 100) || undefined,
    reason: query.reason && /^[a-z_]{2,40}$/.test(query.reason) ? query.reason : undefined,
    officer: query.officer === 'none' || UUID.test(query.officer ?? '') ? query.officer : undefined,
    school: UUID.test(query.school ?? '') ? query.school : undefined,
    year: Number.isInteger(year) && year >= 0 && year <= 11 ? year : undefined,
    flag: FLAGS.includes(query.flag as Flag) ? (query.flag as Flag) : undefined,
    band: BANDS.includes(query.band as Band) ? (query.band as Band) : undefined,
    sort: SORTS.includes(query.sort as Sort) ? (query.sort as Sort) : 'priority',
    today,
  }
}

/** The filters as query-string values, for links that keep them (pagination, export, saved views). */
export function filterQuery(f: RegisterFilter): Record<string, string | undefined> {
  return {
    status: f.status, type: f.registerType, risk: f.risk, q: f.search, reason: f.reason, officer: f.officer, school: f.school,
    year: f.year === undefined ? undefined : String(f.year), flag: f.flag, band: f.band, sort: f.sort === 'priority' ? undefined : f.sort,
  }
}

/** The query-string names the filters use, for forms that carry them along. */
export const FILTER_NAMES = ['status', 'type', 'risk', 'q', 'reason', 'officer', 'school', 'year', 'flag', 'band', 'sort'] as const

export const statusesFor = (f: Pick<RegisterFilter, 'status'>): string[] => (f.status === 'open' ? [...OPEN_STATUSES] : [f.status])

/** Dates of birth of national curriculum year `year` in the academic year holding `today` (born 1 September to 31 August). */
export function birthRangeForYear(year: number, today: string): { from: string; to: string } {
  const [y, m] = today.split('-').map(Number)
  const academicYear = m >= 9 ? y : y - 1
  return { from: `${academicYear - 5 - year}-09-01`, to: `${academicYear - 4 - year}-08-31` }
}
