import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { createTestDatabase } from '../helpers/test-db.ts'
import { withNoTenant, withTenant, type Database } from '../../src/platform/db.ts'
import { createLocalAuthority } from '../../src/modules/local-authorities/service.ts'

// Row-level security must hold even when application code forgets its own conditions.
describe('tenancy enforced by row-level security', () => {
  let database: Database
  let north: string
  let south: string
  let southOrg: string

  before(async () => {
    database = await createTestDatabase()
    north = (await createLocalAuthority(database.db, { code: '991', name: 'North Testshire' }, 'test', new Date())).laId
    const created = await createLocalAuthority(database.db, { code: '992', name: 'South Testshire' }, 'test', new Date())
    south = created.laId
    southOrg = created.organisationId
  })
  after(async () => database.close())

  it('runs requests as a role that is neither superuser nor able to bypass row-level security', async () => {
    const role = await withTenant(database.db, { laId: north }, async (tx) =>
      (await sql<{ rolsuper: boolean; rolbypassrls: boolean; name: string }>`
        select rolsuper, rolbypassrls, current_user as name from pg_roles where rolname = current_user`.execute(tx)).rows[0])
    assert.deepEqual(role, { rolsuper: false, rolbypassrls: false, name: 'lantern_app' })
  })

  it('shows nothing from any tenant table when no LA is set', async () => {
    const counts = await withNoTenant(database.db, async (tx) => ({
      organisations: (await sql<{ n: number }>`select count(*)::int as n from organisation`.execute(tx)).rows[0].n,
      authorities: (await sql<{ n: number }>`select count(*)::int as n from local_authority`.execute(tx)).rows[0].n,
      holidays: (await sql<{ n: number }>`select count(*)::int as n from bank_holiday`.execute(tx)).rows[0].n,
      audit: (await sql<{ n: number }>`select count(*)::int as n from audit_event`.execute(tx)).rows[0].n,
    }))
    assert.deepEqual(counts, { organisations: 0, authorities: 0, holidays: 0, audit: 0 })
  })

  it('shows an LA only its own rows, even with no where clause', async () => {
    const seen = await withTenant(database.db, { laId: north }, async (tx) =>
      (await sql<{ la: string }>`select distinct local_authority_id as la from organisation`.execute(tx)).rows.map((r) => r.la))
    assert.deepEqual(seen, [north])
    const names = await withTenant(database.db, { laId: north }, async (tx) =>
      (await sql<{ name: string }>`select name from local_authority`.execute(tx)).rows.map((r) => r.name))
    assert.deepEqual(names, ['North Testshire'])
  })

  it('refuses to write a row into another LA', async () => {
    await assert.rejects(
      withTenant(database.db, { laId: north }, (tx) =>
        sql`insert into organisation (local_authority_id, name, kind) values (${south}, 'Sneaky team', 'la_team')`.execute(tx)),
      /row-level security/,
    )
  })

  it('cannot update or delete another LA rows: they are invisible, so nothing changes', async () => {
    const result = await withTenant(database.db, { laId: north }, async (tx) => ({
      updated: Number((await sql`update organisation set name = 'Hijacked' where id = ${southOrg}`.execute(tx)).numAffectedRows),
      deleted: Number((await sql`delete from bank_holiday where local_authority_id = ${south}`.execute(tx)).numAffectedRows),
    }))
    assert.deepEqual(result, { updated: 0, deleted: 0 })
    const name = await withTenant(database.db, { laId: south }, async (tx) =>
      (await sql<{ name: string }>`select name from organisation where id = ${southOrg}`.execute(tx)).rows[0].name)
    assert.equal(name, 'South Testshire')
  })

  it('cannot move a row into another LA by updating its LA id', async () => {
    await assert.rejects(
      withTenant(database.db, { laId: north }, (tx) => sql`update organisation set local_authority_id = ${south}`.execute(tx)),
      /row-level security|violates/,
    )
  })

  it('forgets the LA when the transaction ends', async () => {
    await withTenant(database.db, { laId: north }, async () => undefined)
    const count = await withNoTenant(database.db, async (tx) => (await sql<{ n: number }>`select count(*)::int as n from organisation`.execute(tx)).rows[0].n)
    assert.equal(count, 0)
  })

  it('keeps the audit log append-only for the application role', async () => {
    await assert.rejects(
      withTenant(database.db, { laId: north }, (tx) => sql`update audit_event set action = 'edited'`.execute(tx)),
      /permission denied|append-only/,
    )
    await assert.rejects(
      withTenant(database.db, { laId: north }, (tx) => sql`delete from audit_event`.execute(tx)),
      /permission denied|append-only/,
    )
  })

  it('holds tenancy under concurrent transactions for different LAs', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => {
      const la = i % 2 ? north : south
      return withTenant(database.db, { laId: la }, async (tx) =>
        (await sql<{ la: string }>`select distinct local_authority_id as la from bank_holiday`.execute(tx)).rows.map((r) => r.la).join() === la)
    }))
    assert.ok(results.every(Boolean))
  })
})
