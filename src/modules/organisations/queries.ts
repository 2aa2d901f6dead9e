import { sql } from 'kysely'
import type { Db } from '../../platform/db.ts'

export const ORGANISATION_KINDS = ['la_team', 'school', 'police', 'health', 'social_care', 'youth_justice', 'voluntary_sector', 'other_la'] as const
export type OrganisationKind = (typeof ORGANISATION_KINDS)[number]

export const KIND_LABELS: Record<OrganisationKind, string> = {
  la_team: 'Local Authority team',
  school: 'School',
  police: 'Police',
  health: 'Health',
  social_care: "Children's social care",
  youth_justice: 'Youth justice',
  voluntary_sector: 'Voluntary sector',
  other_la: 'Another Local Authority',
}

export type Organisation = { id: string; name: string; kind: OrganisationKind; urn: string | null; users: number; updatedAt: Date }

export async function listOrganisations(tx: Db): Promise<Organisation[]> {
  const { rows } = await sql<Organisation>`
    select o.id, o.name, o.kind, o.urn, o.updated_at as "updatedAt",
      (select count(*)::int from app_user u where u.local_authority_id = o.local_authority_id and u.organisation_id = o.id) as users
    from organisation o order by o.name`.execute(tx)
  return rows
}

export async function findOrganisation(tx: Db, id: string): Promise<Organisation | undefined> {
  const { rows } = await sql<Organisation>`
    select id, name, kind, urn, updated_at as "updatedAt", 0 as users from organisation where id = ${id}`.execute(tx)
  return rows[0]
}

export async function findOrganisationByUrn(tx: Db, urn: string): Promise<{ id: string } | undefined> {
  const { rows } = await sql<{ id: string }>`select id from organisation where urn = ${urn}`.execute(tx)
  return rows[0]
}

export async function insertOrganisation(tx: Db, laId: string, o: { name: string; kind: OrganisationKind; urn: string | null }): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    insert into organisation (local_authority_id, name, kind, urn) values (${laId}, ${o.name}, ${o.kind}, ${o.urn}) returning id`.execute(tx)
  return rows[0].id
}

export async function updateOrganisation(tx: Db, id: string, o: { name: string; kind: OrganisationKind; urn: string | null }, now: Date): Promise<void> {
  await sql`update organisation set name = ${o.name}, kind = ${o.kind}, urn = ${o.urn}, updated_at = ${now} where id = ${id}`.execute(tx)
}
