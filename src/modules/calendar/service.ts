import { withTenant, type Db } from '../../platform/db.ts'
import { recordAudit, type AuditActor } from '../../platform/audit.ts'
import { NotFound } from '../../platform/errors.ts'
import * as q from './queries.ts'
import { CalendarGap, addSchoolDays, addWorkingDays, countSchoolDays, countWorkingDays, type Calendar } from './days.ts'

export type Change = { ok: true } | { ok: false; field: string; message: string }

export async function addTerm(db: Db, actor: AuditActor, term: Omit<q.Term, 'id'>, now: Date): Promise<Change> {
  return withTenant(db, { laId: actor.laId, userId: actor.userId }, async (tx) => {
    const clash = await q.findOverlappingTerm(tx, term.startsOn, term.endsOn)
    if (clash) return { ok: false, field: 'startsOn', message: `These dates overlap ${clash.name}` } as const
    const id = await q.insertTerm(tx, actor.laId, term)
    await recordAudit(tx, actor, { action: 'calendar.term_added', recordType: 'school_term', recordId: id, details: { ...term } }, now)
    return { ok: true } as const
  })
}

export async function addClosure(db: Db, actor: AuditActor, closure: Omit<q.Closure, 'id'>, now: Date): Promise<Change> {
  return withTenant(db, { laId: actor.laId, userId: actor.userId }, async (tx) => {
    const id = await q.insertClosure(tx, actor.laId, closure)
    await recordAudit(tx, actor, { action: 'calendar.closure_added', recordType: 'school_closure', recordId: id, details: { ...closure } }, now)
    return { ok: true } as const
  })
}

export async function saveBankHoliday(db: Db, actor: AuditActor, holiday: q.BankHoliday, now: Date): Promise<Change> {
  return withTenant(db, { laId: actor.laId, userId: actor.userId }, async (tx) => {
    await q.upsertBankHoliday(tx, actor.laId, holiday)
    await recordAudit(tx, actor, { action: 'calendar.bank_holiday_saved', recordType: 'bank_holiday', recordId: holiday.date, details: { title: holiday.title } }, now)
    return { ok: true } as const
  })
}

export type Removable = 'term' | 'closure' | 'bank_holiday'

export async function removeCalendarEntry(db: Db, actor: AuditActor, kind: Removable, key: string, now: Date): Promise<void> {
  await withTenant(db, { laId: actor.laId, userId: actor.userId }, async (tx) => {
    const removed = kind === 'term' ? await q.deleteTerm(tx, key) : kind === 'closure' ? await q.deleteClosure(tx, key) : await q.deleteBankHoliday(tx, key)
    if (!removed) throw new NotFound()
    await recordAudit(tx, actor, { action: `calendar.${kind}_removed`, recordType: kind === 'term' ? 'school_term' : kind === 'closure' ? 'school_closure' : 'bank_holiday', recordId: key }, now)
  })
}

/** The calendar for another module's clock, read in that module's transaction. */
export const loadCalendarInTx = (tx: Db): Promise<Calendar> => q.loadCalendar(tx)

export type Calculation = {
  schoolDays?: number
  workingDays?: number
  plusSchoolDays?: string
  plusWorkingDays?: string
  gap?: string
}

/** What the calculator on the calendar page shows: counts between two dates, and dates n days on. */
export function calculate(cal: Calendar, from: string, to: string | undefined, days: number | undefined): Calculation {
  const result: Calculation = {}
  if (to) {
    result.schoolDays = countSchoolDays(cal, from, to)
    result.workingDays = countWorkingDays(cal, from, to)
  }
  if (days !== undefined) {
    result.plusWorkingDays = addWorkingDays(cal, from, days)
    try {
      result.plusSchoolDays = addSchoolDays(cal, from, days)
    } catch (err) {
      if (!(err instanceof CalendarGap)) throw err
      result.gap = err.message
    }
  }
  return result
}
