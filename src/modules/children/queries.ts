import { sql } from 'kysely'
import type { Db } from '../../platform/db.ts'

// The parts of a child's record beyond the case: identity, other names, parents and carers,
// siblings, flags and school history. The register module reads them for the child's page.

export type Identity = {
  id: string
  forename: string
  surname: string
  preferredName: string | null
  dateOfBirth: string | null
  sex: string | null
  upn: string | null
  formerUpns: string[]
  uln: string | null
  nhsNumber: string | null
  laReference: string | null
  consistentId: string | null
  version: number
}

export async function findIdentity(tx: Db, childId: string, opts: { lock?: boolean } = {}): Promise<Identity | undefined> {
  const { rows } = await sql<Identity>`select id, forename, surname, preferred_name as "preferredName", date_of_birth::text as "dateOfBirth", sex, upn,
    former_upns as "formerUpns", uln, nhs_number as "nhsNumber", la_reference as "laReference", consistent_id as "consistentId", version
    from child where id = ${childId} ${opts.lock ? sql`for update` : sql``}`.execute(tx)
  return rows[0]
}

export async function updateIdentity(tx: Db, childId: string, v: Omit<Identity, 'id' | 'version'>, now: Date): Promise<void> {
  await sql`update child set forename = ${v.forename}, surname = ${v.surname}, preferred_name = ${v.preferredName}, date_of_birth = ${v.dateOfBirth},
    sex = ${v.sex}, upn = ${v.upn}, former_upns = ${v.formerUpns}, uln = ${v.uln}, nhs_number = ${v.nhsNumber}, la_reference = ${v.laReference},
    consistent_id = ${v.consistentId}, version = version + 1, updated_at = ${now} where id = ${childId}`.execute(tx)
}

/** Another child already holding this UPN or NHS number: two records for one child should be linked, not made. */
export async function identifierHolder(tx: Db, childId: string, field: 'upn' | 'nhs_number', value: string): Promise<{ id: string; name: string } | undefined> {
  const { rows } = await sql<{ id: string; name: string }>`select id, forename || ' ' || surname as name from child
    where ${sql.ref(field)} = ${value} and id <> ${childId} and merged_into is null limit 1`.execute(tx)
  return rows[0]
}

export type Alias = { id: string; kind: 'alias' | 'former_name' | 'preferred_name'; forename: string | null; surname: string | null; recordedByLabel: string }

export async function listAliases(tx: Db, childId: string): Promise<Alias[]> {
  const { rows } = await sql<Alias>`select id, kind, forename, surname, recorded_by_label as "recordedByLabel" from child_alias where child_id = ${childId} order by created_at`.execute(tx)
  return rows
}

export async function insertAlias(tx: Db, laId: string, childId: string, a: Omit<Alias, 'id'>): Promise<string> {
  const { rows } = await sql<{ id: string }>`insert into child_alias (local_authority_id, child_id, kind, forename, surname, recorded_by_label)
    values (${laId}, ${childId}, ${a.kind}, ${a.forename}, ${a.surname}, ${a.recordedByLabel}) returning id`.execute(tx)
  return rows[0].id
}

export async function deleteAlias(tx: Db, childId: string, id: string): Promise<Alias | undefined> {
  const { rows } = await sql<Alias>`delete from child_alias where id = ${id} and child_id = ${childId}
    returning id, kind, forename, surname, recorded_by_label as "recordedByLabel"`.execute(tx)
  return rows[0]
}

export type Contact = {
  id: string; name: string; relationship: string; parentalResponsibility: boolean; livesWith: boolean; phone: string | null; email: string | null
  address: string | null; language: string | null; interpreterNeeded: boolean
}

export async function listContacts(tx: Db, childId: string): Promise<Contact[]> {
  const { rows } = await sql<Contact>`select id, name, relationship, parental_responsibility as "parentalResponsibility", lives_with as "livesWith", phone, email,
    address, language, interpreter_needed as "interpreterNeeded" from child_contact where child_id = ${childId} order by lives_with desc, created_at`.execute(tx)
  return rows
}

export async function insertContact(tx: Db, laId: string, childId: string, c: Omit<Contact, 'id'>, by: string): Promise<void> {
  await sql`insert into child_contact (local_authority_id, child_id, name, relationship, parental_responsibility, lives_with, phone, email, address, language,
    interpreter_needed, recorded_by_label)
    values (${laId}, ${childId}, ${c.name}, ${c.relationship}, ${c.parentalResponsibility}, ${c.livesWith}, ${c.phone}, ${c.email}, ${c.address}, ${c.language},
    ${c.interpreterNeeded}, ${by})`.execute(tx)
}

export async function deleteContact(tx: Db, childId: string, id: string): Promise<{ name: string } | undefined> {
  const { rows } = await sql<{ name: string }>`delete from child_contact where id = ${id} and child_id = ${childId} returning name`.execute(tx)
  return rows[0]
}

export type Sibling = { id: string; name: string; dateOfBirth: string | null }

export async function listSiblings(tx: Db, childId: string): Promise<Sibling[]> {
  const { rows } = await sql<Sibling>`select ch.id, ch.forename || ' ' || ch.surname as name, ch.date_of_birth::text as "dateOfBirth"
    from child_sibling s join child ch on ch.local_authority_id = s.local_authority_id
      and ch.id = case when s.child_id = ${childId} then s.sibling_id else s.child_id end
    where s.child_id = ${childId} or s.sibling_id = ${childId} order by ch.date_of_birth nulls last`.execute(tx)
  return rows
}

export async function linkSiblings(tx: Db, laId: string, a: string, b: string, by: string): Promise<boolean> {
  const [first, second] = a < b ? [a, b] : [b, a]
  const { rows } = await sql<{ child_id: string }>`insert into child_sibling (local_authority_id, child_id, sibling_id, recorded_by_label)
    values (${laId}, ${first}, ${second}, ${by}) on conflict do nothing returning child_id`.execute(tx)
  return rows.length > 0
}

export async function unlinkSiblings(tx: Db, a: string, b: string): Promise<boolean> {
  const [first, second] = a < b ? [a, b] : [b, a]
  const { rows } = await sql<{ child_id: string }>`delete from child_sibling where child_id = ${first} and sibling_id = ${second} returning child_id`.execute(tx)
  return rows.length > 0
}

export type SchoolEntry = { id: string; schoolName: string; fromDate: string | null; toDate: string | null; howEnded: string | null; source: string }

export async function listSchools(tx: Db, childId: string): Promise<SchoolEntry[]> {
  const { rows } = await sql<SchoolEntry>`select id, school_name as "schoolName", from_date::text as "fromDate", to_date::text as "toDate", how_ended as "howEnded", source
    from child_school where child_id = ${childId} order by coalesce(from_date, to_date) desc nulls last, created_at desc`.execute(tx)
  return rows
}

export async function insertSchool(tx: Db, laId: string, childId: string, s: Omit<SchoolEntry, 'id'> & { schoolOrganisationId?: string | null }): Promise<void> {
  await sql`insert into child_school (local_authority_id, child_id, school_name, school_organisation_id, from_date, to_date, how_ended, source)
    values (${laId}, ${childId}, ${s.schoolName}, ${s.schoolOrganisationId ?? null}, ${s.fromDate}, ${s.toDate}, ${s.howEnded}, ${s.source})`.execute(tx)
}

export type FlagEntry = { id: string; flag: string; source: string; startsOn: string | null; endsOn: string | null }

export async function findFlag(tx: Db, childId: string, id: string): Promise<FlagEntry | undefined> {
  const { rows } = await sql<FlagEntry>`select id, flag, source, starts_on::text as "startsOn", ends_on::text as "endsOn" from child_flag where id = ${id} and child_id = ${childId}`.execute(tx)
  return rows[0]
}

export async function endFlag(tx: Db, id: string, endsOn: string): Promise<void> {
  await sql`update child_flag set ends_on = ${endsOn} where id = ${id}`.execute(tx)
}

export async function searchChildren(tx: Db, term: string, excludeId: string): Promise<Sibling[]> {
  const t = term.trim().toLowerCase()
  const id = t.replace(/\s/g, '').toUpperCase()
  const { rows } = await sql<Sibling>`select id, forename || ' ' || surname as name, date_of_birth::text as "dateOfBirth" from child
    where id <> ${excludeId} and merged_into is null and (upn = ${id} or nhs_number = ${id} or id in (select lantern_child_name_search(${t})))
    order by similarity(lower(forename || ' ' || surname), ${t}) desc limit 10`.execute(tx)
  return rows
}

export type AddressEntry = { id: string; line1: string; line2: string | null; town: string | null; postcode: string | null; fromDate: string | null; toDate: string | null; source: string }

export async function listAddressHistory(tx: Db, childId: string): Promise<AddressEntry[]> {
  const { rows } = await sql<AddressEntry>`select id, line1, line2, town, postcode, from_date::text as "fromDate", to_date::text as "toDate", source
    from child_address where child_id = ${childId} order by coalesce(from_date, created_at::date) desc, created_at desc`.execute(tx)
  return rows
}

export async function insertAddressEntry(tx: Db, laId: string, childId: string, a: Omit<AddressEntry, 'id'>): Promise<void> {
  await sql`insert into child_address (local_authority_id, child_id, line1, line2, town, postcode, from_date, to_date, source)
    values (${laId}, ${childId}, ${a.line1}, ${a.line2}, ${a.town}, ${a.postcode}, ${a.fromDate}, ${a.toDate}, ${a.source})`.execute(tx)
}
