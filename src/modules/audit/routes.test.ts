import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { testApp, textOf, html, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'
import { withTenant } from '../../platform/db.ts'

let t: TestApp
const cleanups: (() => Promise<void>)[] = []
before(async () => { t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) }) })
after(async () => { for (const fn of cleanups) await fn() })

type Res = Awaited<ReturnType<Agent['get']>>

/** Who and what of each row in the audit table, newest first. */
const entries = (res: Res) => html(res)('[data-testid=audit-table] tbody tr').map((_, tr) => {
  const cells = html(res)(tr).find('td').map((__, td) => html(res)(td).text().trim()).get()
  return { who: cells[2], action: cells[3], recordId: html(res)(tr).find('td a').attr('title') }
}).get()

const auditRows = (where: ReturnType<typeof sql>) => withTenant(t.database.db, { laId: t.la.id }, async (tx) =>
  (await sql<{ action: string; actorUserId: string; recordId: string; details: string }>`
    select action, actor_user_id as "actorUserId", record_id as "recordId", details from audit_event where ${where} order by seq`.execute(tx)).rows)

/** Enough of RFC 4180 to read the export back: quoted fields, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted && c === '"' && text[i + 1] === '"') { cell += '"'; i++ }
    else if (c === '"') quoted = !quoted
    else if (!quoted && c === ',') { row.push(cell); cell = '' }
    else if (!quoted && c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++ }
    else cell += c
  }
  return rows
}

describe('the audit log page', () => {
  it('records each view of a user page as user.viewed, by the viewer', async () => {
    const { agent: admin, userId: adminId } = await t.signedIn(['la_admin'])
    const { userId } = await t.createUser(['cme_officer'])

    await admin.get(`/admin/users/${userId}`)

    const views = await auditRows(sql`action = 'user.viewed' and record_id = ${userId}`)
    assert.deepEqual(views.map((v) => v.actorUserId), [adminId])
  })

  it('filters by user, by record type and ID, and by action', async () => {
    const { agent: admin, email: adminEmail } = await t.signedIn(['la_admin'])
    const { agent: colleague, email: colleagueEmail } = await t.signedIn(['la_admin'])
    const { userId: first } = await t.createUser(['cme_officer'])
    const { userId: second } = await t.createUser(['cme_officer'])
    await admin.get(`/admin/users/${first}`)
    await colleague.get(`/admin/users/${second}`)

    const byUser = entries(await admin.get(`/admin/audit?user=${encodeURIComponent(colleagueEmail)}`))
    const byRecord = entries(await admin.get(`/admin/audit?recordType=user&recordId=${first}`))
    const byAction = entries(await admin.get(`/admin/audit?action=user.viewed&recordType=user&recordId=${second}`))

    assert.deepEqual(byUser.map((e) => [e.who, e.action, e.recordId]), [[colleagueEmail, 'user.viewed', second]])
    assert.deepEqual(byRecord.map((e) => [e.who, e.action]), [[adminEmail, 'user.viewed'], ['test', 'user.created']])
    assert.deepEqual(byAction.map((e) => [e.who, e.action]), [[colleagueEmail, 'user.viewed']])
  })

  it('filters by UK calendar day and explains impossible dates', async () => {
    // 23:30 GMT on 10 June is 00:30 on 11 June in British Summer Time.
    t.clock.now = new Date('2025-06-10T23:30:00Z')
    const { agent: admin } = await t.signedIn(['la_admin'])
    const { userId } = await t.createUser(['cme_officer'])
    await admin.get(`/admin/users/${userId}`)
    const day = (name: string, d: number) => `${name}-day=${d}&${name}-month=6&${name}-year=2025`
    const viewsOn = async (range: string) => entries(await admin.get(`/admin/audit?action=user.viewed&recordId=${userId}&${range}`)).length

    assert.equal(await viewsOn(`${day('from', 11)}&${day('to', 11)}`), 1)
    assert.equal(await viewsOn(`${day('from', 1)}&${day('to', 10)}`), 0)
    assert.equal(await viewsOn(day('from', 12)), 0)

    const impossible = await admin.get('/admin/audit?from-day=31&from-month=2&from-year=2025&to-day=x&to-month=1&to-year=2025')
    assert.equal(impossible.statusCode, 400)
    assert.match(textOf(impossible, '.govuk-error-summary'), /Enter a real "from" date, like 27 3 2026.*Enter a real "to" date/)
    const backwards = await admin.get(`/admin/audit?${day('from', 12)}&${day('to', 11)}`)
    assert.equal(backwards.statusCode, 400)
    assert.match(textOf(backwards, '.govuk-error-summary'), /The "to" date must be the same as or after the "from" date/)
  })
})

describe('exporting the audit log', () => {
  it('writes a CSV with a header row, quoted fields and defused formulas, and records the export', async () => {
    const { agent: admin, userId: adminId } = await t.signedIn(['la_admin'])
    const { userId, email } = await t.createUser(['cme_officer'])
    const reasons = ['=SUM(A1:A9), "urgent" said the head', '+44 7700 900123 rang', '-1 day notice', '@panel to review']
    for (const [i, reason] of reasons.entries()) await admin.post(`/admin/users/${userId}/${i % 2 ? 'reactivate' : 'deactivate'}`, { reason })

    const res = await admin.get(`/admin/audit/export.csv?recordType=user&recordId=${userId}`)

    assert.equal(res.headers['content-type'], 'text/csv; charset=utf-8')
    assert.match(String(res.headers['content-disposition']), /^attachment; filename="lantern-audit-\d{4}-\d{2}-\d{2}\.csv"$/)
    const [header, ...rows] = parseCsv(res.body)
    assert.deepEqual(header, ['sequence', 'occurred_at', 'user', 'user_id', 'action', 'record_type', 'record_id', 'ip', 'reason', 'details'])
    assert.equal(rows.length, 5)
    assert.ok(rows.every((r) => r.length === 10 && r[6] === userId))
    assert.deepEqual(rows.map((r) => r[8]).filter(Boolean).reverse(), reasons.map((r) => `'${r}`))
    assert.ok(res.body.includes(`"'=SUM(A1:A9), ""urgent"" said the head"`), 'quotes doubled inside a quoted field')
    assert.equal(rows.at(-1)![4], 'user.created')
    assert.deepEqual(JSON.parse(rows.at(-1)![9]), { email, roles: 'cme_officer' }, 'JSON details survive quoting')

    const exports = await auditRows(sql`action = 'audit.exported' and actor_user_id = ${adminId}`)
    assert.equal(exports.length, 1)
    assert.equal(JSON.parse(exports[0].details).rows, 5)
  })
})

describe('auditors', () => {
  it('read and export the audit log but cannot manage users', async () => {
    const { agent: auditor } = await t.signedIn(['auditor'])
    const { userId } = await t.createUser(['cme_officer'])

    assert.equal((await auditor.get('/admin/audit')).statusCode, 200)
    assert.equal((await auditor.get('/admin/audit/export.csv')).statusCode, 200)
    for (const url of ['/admin/users', '/admin/users/new', `/admin/users/${userId}`, `/admin/users/${userId}/edit`]) {
      assert.equal((await auditor.get(url)).statusCode, 403, url)
    }
    assert.equal((await auditor.post('/admin/users', { displayName: 'X', email: 'x@example.org', organisationId: t.la.organisationId, roles: ['auditor'] })).statusCode, 403)
    assert.equal((await auditor.post(`/admin/users/${userId}/deactivate`, { reason: 'Curious' })).statusCode, 403)
  })
})
