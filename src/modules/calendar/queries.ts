import { sql } from 'kysely'
import type { Db } from '../../platform/db.ts'
import type { Calendar } from './days.ts'
import { DEFAULT_BANK_HOLIDAYS } from './bank-holidays.ts'

export type Term = { id: string; name: string; startsOn: string; endsOn: string }
export type Closure = { id: string; kind: 'half_term' | 'inset' | 'closure'; description: string; startsOn: string; endsOn: string }
export type BankHoliday = { date: string; title: string }

// Dates come back as text so they stay calendar dates, free of any time zone.
export async function listTerms(tx: Db): Promise<Term[]> {
  const { rows } = await sql<Term>`select id, name, starts_on::text as "startsOn", ends_on::text as "endsOn" from school_term order by starts_on`.execute(tx)
  return rows
}

export async function listClosures(tx: Db): Promise<Closure[]> {
  const { rows } = await sql<Closure>`select id, kind, description, starts_on::text as "startsOn", ends_on::text as "endsOn" from school_closure order by starts_on`.execute(tx)
  return rows
}

export async function listBankHolidays(tx: Db): Promise<BankHoliday[]> {
  const { rows } = await sql<BankHoliday>`select holiday_on::text as date, title from bank_holiday order by holiday_on`.execute(tx)
  return rows
}

export async function findOverlappingTerm(tx: Db, startsOn: string, endsOn: string): Promise<Term | undefined> {
  const { rows } = await sql<Term>`select id, name, starts_on::text as "startsOn", ends_on::text as "endsOn" from school_term
    where starts_on <= ${endsOn}::date and ends_on >= ${startsOn}::date limit 1`.execute(tx)
  return rows[0]
}

export async function insertTerm(tx: Db, laId: string, t: Omit<Term, 'id'>): Promise<string> {
  const { rows } = await sql<{ id: string }>`insert into school_term (local_authority_id, name, starts_on, ends_on)
    values (${laId}, ${t.name}, ${t.startsOn}, ${t.endsOn}) returning id`.execute(tx)
  return rows[0].id
}

export async function insertClosure(tx: Db, laId: string, c: Omit<Closure, 'id'>): Promise<string> {
  const { rows } = await sql<{ id: string }>`insert into school_closure (local_authority_id, kind, description, starts_on, ends_on)
    values (${laId}, ${c.kind}, ${c.description}, ${c.startsOn}, ${c.endsOn}) returning id`.execute(tx)
  return rows[0].id
}

export async function upsertBankHoliday(tx: Db, laId: string, h: BankHoliday): Promise<void> {
  await sql`insert into bank_holiday (local_authority_id, holiday_on, title) values (${laId}, ${h.date}, ${h.title})
    on conflict (local_authority_id, holiday_on) do update set title = excluded.title`.execute(tx)
}

export async function deleteTerm(tx: Db, id: string): Promise<boolean> {
  return Number((await sql`delete from school_term where id = ${id}`.execute(tx)).numAffectedRows ?? 0) > 0
}
export async function deleteClosure(tx: Db, id: string): Promise<boolean> {
  return Number((await sql`delete from school_closure where id = ${id}`.execute(tx)).numAffectedRows ?? 0) > 0
}
export async function deleteBankHoliday(tx: Db, date: string): Promise<boolean> {
  return Number((await sql`delete from bank_holiday where holiday_on = ${date}::date`.execute(tx)).numAffectedRows ?? 0) > 0
}

/** Gives a new LA the England and Wales bank holidays to start from. */
export async function seedBankHolidays(tx: Db, laId: string): Promise<void> {
  for (const h of DEFAULT_BANK_HOLIDAYS) await upsertBankHoliday(tx, laId, h)
}

/** The LA's whole calendar, for the counting functions in days.ts. */
export async function loadCalendar(tx: Db): Promise<Calendar> {
  const [terms, closures, holidays] = [await listTerms(tx), await listClosures(tx), await listBankHolidays(tx)]
  return { terms, closures, bankHolidays: new Set(holidays.map((h) => h.date)) }
}
