import { sql } from 'kysely'
import { withTenant, withSystem, type Db } from '../../platform/db.ts'
import { recordAudit } from '../../platform/audit.ts'
import { seedBankHolidays } from '../calendar/queries.ts'
import { seedEnquiryTemplate, seedRegisterDefaults } from '../register/case-queries.ts'

export type NewAuthority = { code: string; name: string }

/**
 * Adds a Local Authority to the deployment with its own organisation and the default bank
 * holidays. The LA row itself is created as the owner: no tenant exists yet to create it in.
 */
export async function createLocalAuthority(db: Db, la: NewAuthority, by: string, now: Date): Promise<{ laId: string; organisationId: string }> {
  if (!/^\d{3}$/.test(la.code)) throw new Error('The LA code must be 3 digits, like 931')
  const laId = await withSystem(db, async (tx) => {
    const { rows } = await sql<{ id: string }>`insert into local_authority (code, name) values (${la.code}, ${la.name}) returning id`.execute(tx)
    return rows[0].id
  })
  const organisationId = await withTenant(db, { laId }, async (tx) => {
    const { rows } = await sql<{ id: string }>`insert into organisation (local_authority_id, name, kind)
      values (${laId}, ${la.name}, 'la_team') returning id`.execute(tx)
    await seedBankHolidays(tx, laId)
    await seedEnquiryTemplate(tx, laId)
    await seedRegisterDefaults(tx, laId)
    await recordAudit(tx, { laId, userId: null, label: by, ip: null }, { action: 'local_authority.created', recordType: 'local_authority', recordId: laId, details: { ...la } }, now)
    return rows[0].id
  })
  return { laId, organisationId }
}

export async function findAuthorityByCode(db: Db, code: string): Promise<{ id: string; name: string } | undefined> {
  return withSystem(db, async (tx) => {
    const { rows } = await sql<{ id: string; name: string }>`select id, name from local_authority where code = ${code}`.execute(tx)
    return rows[0]
  })
}

export async function countAuthorities(db: Db): Promise<number> {
  return withSystem(db, async (tx) => {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from local_authority`.execute(tx)
    return rows[0].n
  })
}
