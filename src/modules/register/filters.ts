import { OPEN_STATUSES, REGISTER_TYPES, STATUSES, type CaseStatus, type RegisterType } from './queries.ts'

/** What the register is filtered by. Read from the page's query string; the export and the list share it. */
export type RegisterFilter = {
  status: CaseStatus | 'open'
  registerType?: RegisterType
  risk?: 'standard' | 'high'
  search?: string
}

/** Reads the filters from a query string, ignoring anything it does not recognise (a bad value shows everything open). */
export function parseRegisterFilter(query: Record<string, string | undefined>): RegisterFilter {
  return {
    status: query.status === 'open' || STATUSES.includes(query.status as CaseStatus) ? (query.status as CaseStatus | 'open') : 'open',
    registerType: REGISTER_TYPES.includes(query.type as RegisterType) ? (query.type as RegisterType) : undefined,
    risk: query.risk === 'high' || query.risk === 'standard' ? query.risk : undefined,
    search: query.q?.trim().slice(0, 100) || undefined,
  }
}

/** The filters as query-string values, for links that keep them (pagination, export). */
export function filterQuery(f: RegisterFilter): Record<string, string | undefined> {
  return { status: f.status, type: f.registerType, risk: f.risk, q: f.search }
}

export const statusesFor = (f: RegisterFilter): string[] => (f.status === 'open' ? [...OPEN_STATUSES] : [f.status])
