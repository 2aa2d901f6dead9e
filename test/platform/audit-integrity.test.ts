import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { testApp, textOf, type TestApp, type Agent } from '../helpers/test-app.ts'
import { verifyAuditChains, recordAudit } from '../../src/platform/audit.ts'
import { withTenant } from '../../src/platform/db.ts'

// Tampering is done on the owner's connection with the append-only trigger switched off:
// the application role cannot change audit rows at all, as the tenancy tests show.
async function tamper(t: TestApp, statement: ReturnType<typeof sql>) {
  await t.database.db.transaction().execute(async (tx) => {
    await sql`alter table audit_event disable trigger audit_event_append_only`.execute(tx)
    await statement.execute(tx)
    await sql`alter table audit_event enable trigger audit_event_append_only`.execute(tx)
  })
}

const problemsFor = async (t: TestApp, laId: string) => (await verifyAuditChains(t.database.db)).find((r) => r.laId === laId)!.problems

describe('audit log integrity', () => {
  let t: TestApp
  const cleanups: (() => Promise<void>)[] = []
  before(async () => { t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) }) })
  after(async () => { for (const fn of cleanups) await fn() })

  async function freshChain(code: string, entries: number): Promise<string> {
    const la = await t.addAuthority(code, `Chain test ${code}`)
    const actor = { laId: la.id, userId: null, label: 'test', ip: '127.0.0.1' }
    for (let i = 0; i < entries; i++) {
      await withTenant(t.database.db, { laId: la.id }, (tx) => recordAudit(tx, actor, { action: 'test.event', recordType: 'thing', recordId: String(i), details: { n: i } }, new Date()))
    }
    return la.id
  }

  it('finds every chain intact when nothing has been touched', async () => {
    const laId = await freshChain('901', 5)
    const report = (await verifyAuditChains(t.database.db)).find((r) => r.laId === laId)!
    assert.deepEqual(report.problems, [])
    assert.equal(report.entries, 6, 'five entries and the LA creation')
  })

  it('detects an edited entry', async () => {
    const laId = await freshChain('902', 5)
    await tamper(t, sql`update audit_event set record_id = 'someone else' where local_authority_id = ${laId} and seq = 3`)
    assert.deepEqual(await problemsFor(t, laId), ['entry 3 has been changed'])
  })

  it('detects a deleted entry in the middle', async () => {
    const laId = await freshChain('903', 5)
    await tamper(t, sql`delete from audit_event where local_authority_id = ${laId} and seq = 4`)
    const problems = await problemsFor(t, laId)
    assert.ok(problems.includes('entries 4 to 4 are missing (deleted)'), problems.join('; '))
    assert.ok(problems.includes('entry 5 does not follow the entry before it'))
  })

  it('detects entries removed from the end', async () => {
    const laId = await freshChain('904', 5)
    await tamper(t, sql`delete from audit_event where local_authority_id = ${laId} and seq >= 5`)
    assert.match((await problemsFor(t, laId)).join(), /should end at entry 6 but ends at 4/)
  })

  it('keeps chains separate per LA, so one LA tampering does not hide in another', async () => {
    const good = await freshChain('905', 3)
    const bad = await freshChain('906', 3)
    await tamper(t, sql`update audit_event set action = 'quietly changed' where local_authority_id = ${bad} and seq = 2`)
    assert.deepEqual(await problemsFor(t, good), [])
    assert.deepEqual(await problemsFor(t, bad), ['entry 2 has been changed'])
  })
})

describe('audit log page and export', () => {
  let t: TestApp
  let admin: Agent
  const cleanups: (() => Promise<void>)[] = []
  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    admin = (await t.signedIn(['la_admin'])).agent
  })
  after(async () => { for (const fn of cleanups) await fn() })

  it('exports filtered entries as CSV, defusing spreadsheet formulas, and records the export', async () => {
    await admin.post('/admin/organisations', { name: '=HYPERLINK("http://evil.example","click"), "quoted"', kind: 'la_team' })

    const res = await admin.get('/admin/audit/export.csv?action=organisation.created')

    assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8')
    assert.match(String(res.headers['content-disposition']), /attachment; filename="lantern-audit-\d{4}-\d{2}-\d{2}\.csv"/)
    const lines = res.body.trim().split('\r\n')
    assert.equal(lines[0], 'sequence,occurred_at,user,user_id,action,record_type,record_id,ip,reason,details')
    assert.ok(lines.slice(1).every((l) => l.includes('organisation.created')))
    assert.match(res.body, /"\{""kind"":""la_team"",""name"":""=HYPERLINK/, 'the JSON details are quoted and escaped')
    const audit = await admin.get('/admin/audit?action=audit.exported')
    assert.match(textOf(audit, '[data-testid=audit-table]'), /audit\.exported/)
  })

  it('filters by date in UK time and explains impossible dates', async () => {
    const today = new Date().toISOString().slice(0, 10).split('-')
    const q = (prefix: string, [y, m, d]: string[]) => `${prefix}-day=${d}&${prefix}-month=${m}&${prefix}-year=${y}`
    const within = await admin.get(`/admin/audit?${q('from', today)}&${q('to', today)}`)
    assert.equal(within.statusCode, 200)
    assert.match(textOf(within, 'main'), /Showing 1 to/)
    const before = await admin.get(`/admin/audit?${q('to', ['2020', '01', '01'])}`)
    assert.match(textOf(before, 'main'), /No entries match these filters/)
    const bad = await admin.get('/admin/audit?from-day=31&from-month=2&from-year=2026')
    assert.equal(bad.statusCode, 400)
    assert.match(textOf(bad, '.govuk-error-summary'), /Enter a real "from" date/)
    const backwards = await admin.get(`/admin/audit?${q('from', ['2026', '05', '02'])}&${q('to', ['2026', '05', '01'])}`)
    assert.match(textOf(backwards, '.govuk-error-summary'), /must be the same as or after/)
  })

  it('lets an auditor read the log but not manage users', async () => {
    const { agent: auditor } = await t.signedIn(['auditor'])
    assert.equal((await auditor.get('/admin/audit')).statusCode, 200)
    assert.equal((await auditor.get('/admin/users')).statusCode, 403)
    assert.equal((await auditor.post('/admin/organisations', { name: 'x', kind: 'la_team' })).statusCode, 403)
  })

  it('shows only the LA own entries', async () => {
    const other = await t.addAuthority('907', 'Far Away Council')
    const page = await admin.get(`/admin/audit?recordType=local_authority&recordId=${other.id}`)
    assert.match(textOf(page, 'main'), /No entries match these filters/)
  })
})
