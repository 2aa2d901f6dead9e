import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { createTestDatabase, usingPostgres } from '../helpers/test-db.ts'
import { withTenant, type Database } from '../../src/platform/db.ts'
import { recordAudit, verifyAuditChains } from '../../src/platform/audit.ts'
import { createLocalAuthority } from '../../src/modules/local-authorities/service.ts'
import { lantern } from '../helpers/cli.ts'

let codes = 960

/** A new LA with its creation entry and four more, so each test tampers with a chain of its own. */
async function laWithChain(database: Database): Promise<string> {
  const code = String(codes++)
  const { laId } = await createLocalAuthority(database.db, { code, name: `Chain Council ${code}` }, 'test', new Date())
  const actor = { laId, userId: null, label: 'test', ip: '127.0.0.1' }
  for (let i = 2; i <= 5; i++) {
    await withTenant(database.db, { laId }, (tx) => recordAudit(tx, actor, { action: 'record.changed', recordType: 'thing', recordId: `thing-${i}` }, new Date()))
  }
  return laId
}

// The application role cannot change audit rows at all, so tampering is done as the owner,
// who must first switch off the append-only triggers.
const tamper = (database: Database, statement: ReturnType<typeof sql>) => database.db.transaction().execute(async (tx) => {
  await sql`alter table audit_event disable trigger user`.execute(tx)
  await statement.execute(tx)
  await sql`alter table audit_event enable trigger user`.execute(tx)
})

const problemsOf = async (database: Database, laId: string) => (await verifyAuditChains(database.db)).find((r) => r.laId === laId)!.problems

describe('the audit chain', () => {
  let database: Database
  before(async () => { database = await createTestDatabase() })
  after(async () => database.close())

  it('reports an untouched chain as intact', async () => {
    const laId = await laWithChain(database)

    const report = (await verifyAuditChains(database.db)).find((r) => r.laId === laId)

    assert.deepEqual(report && { entries: report.entries, problems: report.problems }, { entries: 5, problems: [] })
  })

  it('refuses the application role any change to audit rows', async () => {
    const laId = await laWithChain(database)
    for (const statement of [sql`update audit_event set action = 'hidden'`, sql`delete from audit_event where seq = 2`]) {
      await assert.rejects(withTenant(database.db, { laId }, (tx) => statement.execute(tx)), /permission denied for table audit_event/)
    }
    assert.deepEqual(await problemsOf(database, laId), [])
  })

  it('detects an edited entry', async () => {
    const laId = await laWithChain(database)

    await tamper(database, sql`update audit_event set record_id = 'thing-99' where local_authority_id = ${laId} and seq = 3`)

    assert.deepEqual(await problemsOf(database, laId), ['entry 3 has been changed'])
  })

  it('detects a deleted entry in the middle', async () => {
    const laId = await laWithChain(database)

    await tamper(database, sql`delete from audit_event where local_authority_id = ${laId} and seq = 3`)

    assert.deepEqual(await problemsOf(database, laId), ['entries 3 to 3 are missing (deleted)', 'entry 4 does not follow the entry before it'])
  })

  it('detects a deleted last entry', async () => {
    const laId = await laWithChain(database)

    await tamper(database, sql`delete from audit_event where local_authority_id = ${laId} and seq = 5`)

    assert.deepEqual(await problemsOf(database, laId), ['the chain should end at entry 5 but ends at 4 (entries removed from the end)'])
  })
})

// The command needs a database another process can open by URL, so this runs on PostgreSQL only.
describe('lantern audit verify', { skip: !usingPostgres() && 'needs PostgreSQL (LANTERN_TEST_DB=postgres)' }, () => {
  let database: Database
  let env: Record<string, string>
  before(async () => {
    database = await createTestDatabase()
    const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(database.db)
    const url = new URL(process.env.TEST_DATABASE_URL!)
    url.pathname = `/${rows[0].name}`
    env = { DATABASE_URL: url.toString() }
  })
  after(async () => database.close())

  it('exits 0 for an intact chain and 1, naming the problem, once an entry is changed', async () => {
    const laId = await laWithChain(database)
    const intact = await lantern(['audit', 'verify'], env)
    assert.equal(intact.code, 0, intact.err)
    assert.match(intact.out, /Chain Council \d+: 5 entries, chain intact/)

    await tamper(database, sql`update audit_event set action = 'record.viewed' where local_authority_id = ${laId} and seq = 4`)
    const tampered = await lantern(['audit', 'verify'], env)

    assert.equal(tampered.code, 1, tampered.err)
    assert.match(tampered.out, /Chain Council \d+: 5 entries, 1 PROBLEMS\n {2}- entry 4 has been changed/)
  })
})
