import { sql } from 'kysely'
import type { Db } from '../../platform/db.ts'

// Tables: child (merged_into, merged_at), child_merge and child_not_duplicate (migration 0008), and
// every table that belongs to a child, whose rows a merge moves.

/** Tables whose rows belong to one child and move with a merge. child_sibling is handled on its own (pairs). */
export const CHILD_TABLES = ['child_address', 'cme_case', 'child_event', 'child_flag', 'school_notice', 'case_action', 'child_alias',
  'child_contact', 'child_school', 'placement_barrier', 'case_share', 'linkage_candidate', 'panel_referral', 'meeting_item'] as const
export type ChildTable = (typeof CHILD_TABLES)[number]

export async function notDuplicateKeys(tx: Db): Promise<string[]> {
  const { rows } = await sql<{ k: string }>`select child_a || '|' || child_b as k from child_not_duplicate`.execute(tx)
  return rows.map((r) => r.k)
}

export async function insertNotDuplicate(tx: Db, laId: string, a: string, b: string, by: string, now: Date): Promise<void> {
  const [x, y] = [a, b].sort()
  await sql`insert into child_not_duplicate (local_authority_id, child_a, child_b, decided_by, decided_at) values (${laId}, ${x}, ${y}, ${by}, ${now})
    on conflict do nothing`.execute(tx)
}

export type ChildSummary = {
  id: string; forename: string; surname: string; dateOfBirth: string | null; sex: string | null; upn: string | null; formerUpns: string[]; uln: string | null
  nhsNumber: string | null; laReference: string | null; consistentId: string | null; mergedInto: string | null; version: number
  postcode: string | null; address: string | null; counts: Record<string, number>
}

export async function childSummary(tx: Db, id: string, o: { lock?: boolean } = {}): Promise<ChildSummary | undefined> {
  const { rows } = await sql<Omit<ChildSummary, 'counts'>>`select c.id, c.forename, c.surname, to_char(c.date_of_birth, 'YYYY-MM-DD') as "dateOfBirth", c.sex, c.upn,
      c.former_upns as "formerUpns", c.uln, c.nhs_number as "nhsNumber", c.la_reference as "laReference", c.consistent_id as "consistentId",
      c.merged_into as "mergedInto", c.version, a.postcode, a.line1 as address
    from child c left join lateral (select postcode, line1 from child_address a where a.local_authority_id = c.local_authority_id and a.child_id = c.id
      order by a.to_date is null desc, a.from_date desc nulls last, a.created_at desc limit 1) a on true
    where c.id = ${id} ${o.lock ? sql`for update of c` : sql``}`.execute(tx)
  if (!rows[0]) return undefined
  const { rows: counts } = await sql<{ t: string; n: number }>`${sql.join(CHILD_TABLES.map((t) =>
    sql`select ${t}::text as t, count(*)::int as n from ${sql.table(t)} where child_id = ${id}`), sql` union all `)}`.execute(tx)
  return { ...rows[0], counts: Object.fromEntries(counts.map((c) => [c.t, c.n])) }
}

/** Moves every row of `table` from one child to another, returning the ids moved. */
export async function moveRows(tx: Db, table: ChildTable, from: string, to: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`update ${sql.table(table)} set child_id = ${to} where child_id = ${from} returning id`.execute(tx)
  return rows.map((r) => r.id)
}

/** Moves exactly these rows back to a child: what undo does with a merge's record of what it moved. */
export async function moveRowsBack(tx: Db, table: ChildTable, ids: string[], to: string): Promise<void> {
  if (!ids.length) return
  await sql`update ${sql.table(table)} set child_id = ${to} where id in (${sql.join(ids)})`.execute(tx)
}

export type SiblingLink = [string, string]

export async function siblingLinks(tx: Db, childId: string): Promise<SiblingLink[]> {
  const { rows } = await sql<{ a: string; b: string }>`select child_id as a, sibling_id as b from child_sibling where child_id = ${childId} or sibling_id = ${childId}`.execute(tx)
  return rows.map((r) => [r.a, r.b])
}

export type IdentityGaps = { dateOfBirth?: string; sex?: string; upn?: string; uln?: string; nhsNumber?: string; laReference?: string; consistentId?: string; formerUpns?: string[] }

export async function fillIdentity(tx: Db, id: string, v: IdentityGaps, now: Date): Promise<void> {
  await sql`update child set date_of_birth = coalesce(${v.dateOfBirth ?? null}::date, date_of_birth), sex = coalesce(${v.sex ?? null}, sex),
    upn = coalesce(${v.upn ?? null}, upn), uln = coalesce(${v.uln ?? null}, uln), nhs_number = coalesce(${v.nhsNumber ?? null}, nhs_number),
    la_reference = coalesce(${v.laReference ?? null}, la_reference), consistent_id = coalesce(${v.consistentId ?? null}, consistent_id),
    former_upns = coalesce(${v.formerUpns ?? null}::text[], former_upns), version = version + 1, updated_at = ${now} where id = ${id}`.execute(tx)
}

/** Puts the kept child's identity back as it was before the merge filled its gaps. */
export async function restoreIdentity(tx: Db, id: string, before: Pick<ChildSummary, 'dateOfBirth' | 'sex' | 'upn' | 'uln' | 'nhsNumber' | 'laReference' | 'consistentId' | 'formerUpns'>, now: Date): Promise<void> {
  await sql`update child set date_of_birth = ${before.dateOfBirth}::date, sex = ${before.sex}, upn = ${before.upn}, uln = ${before.uln}, nhs_number = ${before.nhsNumber},
    la_reference = ${before.laReference}, consistent_id = ${before.consistentId}, former_upns = ${before.formerUpns}::text[], version = version + 1, updated_at = ${now}
    where id = ${id}`.execute(tx)
}

export async function setMergedInto(tx: Db, id: string, into: string | null, now: Date): Promise<void> {
  await sql`update child set merged_into = ${into}, merged_at = ${into ? now : null}, version = version + 1, updated_at = ${now} where id = ${id}`.execute(tx)
}

export type MergeRecord = {
  id: string; keptChildId: string; mergedChildId: string; moved: Partial<Record<ChildTable, string[]>>
  keptBefore: Pick<ChildSummary, 'dateOfBirth' | 'sex' | 'upn' | 'uln' | 'nhsNumber' | 'laReference' | 'consistentId' | 'formerUpns'>
  added: { aliasId: string | null; siblingsAdded: SiblingLink[]; siblingsRemoved: SiblingLink[] }
  mergedByLabel: string; mergedAt: Date; undoneAt: Date | null; mergedName: string; mergedDateOfBirth: string | null
}

export async function insertMerge(tx: Db, laId: string, m: Omit<MergeRecord, 'id' | 'mergedByLabel' | 'undoneAt' | 'mergedName' | 'mergedDateOfBirth'> & { by: string }): Promise<string> {
  const { rows } = await sql<{ id: string }>`insert into child_merge (local_authority_id, kept_child_id, merged_child_id, moved, kept_before, added, merged_by, merged_at)
    values (${laId}, ${m.keptChildId}, ${m.mergedChildId}, ${JSON.stringify(m.moved)}, ${JSON.stringify(m.keptBefore)}, ${JSON.stringify(m.added)}, ${m.by}, ${m.mergedAt})
    returning id`.execute(tx)
  return rows[0].id
}

const MERGE_COLUMNS = sql`m.id, m.kept_child_id as "keptChildId", m.merged_child_id as "mergedChildId", m.moved, m.kept_before as "keptBefore", m.added,
  u.display_name as "mergedByLabel", m.merged_at as "mergedAt", m.undone_at as "undoneAt", c.forename || ' ' || c.surname as "mergedName",
  to_char(c.date_of_birth, 'YYYY-MM-DD') as "mergedDateOfBirth"`
const MERGE_FROM = sql`child_merge m join app_user u on u.local_authority_id = m.local_authority_id and u.id = m.merged_by
  join child c on c.local_authority_id = m.local_authority_id and c.id = m.merged_child_id`

export async function findMerge(tx: Db, id: string, o: { lock?: boolean } = {}): Promise<MergeRecord | undefined> {
  const { rows } = await sql<MergeRecord>`select ${MERGE_COLUMNS} from ${MERGE_FROM} where m.id = ${id} ${o.lock ? sql`for update of m` : sql``}`.execute(tx)
  return rows[0]
}

/** Merges into this child that are still in force, newest first: each can be undone from the child's page. */
export async function listMergesInto(tx: Db, childId: string): Promise<MergeRecord[]> {
  const { rows } = await sql<MergeRecord>`select ${MERGE_COLUMNS} from ${MERGE_FROM} where m.kept_child_id = ${childId} and m.undone_at is null
    order by m.merged_at desc`.execute(tx)
  return rows
}

export async function markUndone(tx: Db, id: string, by: string, now: Date): Promise<void> {
  await sql`update child_merge set undone_by = ${by}, undone_at = ${now} where id = ${id}`.execute(tx)
}

export async function mergedInto(tx: Db, childId: string): Promise<string | null> {
  const { rows } = await sql<{ m: string | null }>`select merged_into as m from child where id = ${childId}`.execute(tx)
  return rows[0]?.m ?? null
}
