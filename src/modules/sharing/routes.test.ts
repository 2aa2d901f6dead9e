import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { withTenant } from '../../platform/db.ts'
import { testApp, textOf, html, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'

describe('sharing a case with a partner organisation', () => {
  let t: TestApp
  let officer: Agent
  let police: Agent
  let health: Agent
  let caseId: string
  let policeId: string
  const cleanups: (() => Promise<void>)[] = []
  const inTenant = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(t.database.db, { laId: t.la.id }, fn)

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    const [p, h] = await inTenant(async (tx) => (await sql<{ id: string }>`insert into organisation (local_authority_id, name, kind)
      values (${t.la.id}, 'Northmoor Police Safeguarding Hub', 'police'), (${t.la.id}, 'Northmoor Community Health', 'health') returning id`.execute(tx)).rows.map((r) => r.id))
    policeId = p
    officer = (await t.signedIn(['cme_officer'])).agent
    police = (await t.signedIn(['partner_practitioner'], { organisationId: p })).agent
    health = (await t.signedIn(['partner_practitioner'], { organisationId: h })).agent
    await officer.post('/referrals', { forename: 'Quinn', surname: 'Marrowdale', sex: 'unknown', concern: 'Seen with older youths in the day.', whereaboutsKnown: 'no' })
    const path = html(await officer.get('/register?q=Quinn'))('[data-testid=register-table] a').attr('href')!
    caseId = html(await officer.get(path))('[data-testid=case]').attr('id')!.replace('case-', '')
  })
  after(async () => { for (const fn of cleanups) await fn() })

  it('asks for the organisation and the reason', async () => {
    const res = await officer.post(`/cases/${caseId}/shares`, {})
    assert.equal(res.statusCode, 400)
    assert.match(textOf(res, '.govuk-error-summary'), /Select a partner organisation[\s\S]*Enter why the organisation needs to see this case/)
    const own = await officer.post(`/cases/${caseId}/shares`, { organisationId: t.la.organisationId, reason: 'x' })
    assert.match(textOf(own, '.govuk-error-summary'), /Select a partner organisation from the list/)
  })

  it('shows a shared case to that organisation only, the minimum of it, and audits every view', async () => {
    assert.equal(html(await police.get('/shared'))('[data-testid=shared]').length, 0)
    assert.equal((await officer.post(`/cases/${caseId}/shares`, { organisationId: policeId, reason: 'Exploitation concerns: police may know where Quinn is.' })).statusCode, 303)
    const again = await officer.post(`/cases/${caseId}/shares`, { organisationId: policeId, reason: 'Again' })
    assert.match(textOf(again, '.govuk-error-summary'), /already shared with Northmoor Police Safeguarding Hub/)

    const list = await police.get('/shared')
    assert.match(textOf(list, '[data-testid=shared]'), /Quinn Marrowdale .* Referred Exploitation concerns/)
    const link = html(list)('[data-testid=shared] a').attr('href')!
    const view = await police.get(link)
    assert.match(textOf(view, '[data-testid=shared-view]'), /Concern Seen with older youths in the day\./)
    assert.equal(html(view)('[data-testid=enquiries]').length, 0, 'no enquiries, actions or chronology for a partner')
    assert.equal((await health.get(link)).statusCode, 404, 'another organisation cannot open it')
    assert.equal(html(await health.get('/shared'))('[data-testid=shared]').length, 0)
    assert.equal((await police.get('/register')).statusCode, 403)
    const views = await inTenant(async (tx) => (await sql<{ n: number }>`select count(*)::int as n from audit_event where action = 'child.viewed' and details like '%"via":"share"%'`.execute(tx)).rows[0].n)
    assert.equal(views, 1)
  })

  it('stops sharing, and the partner loses access at once', async () => {
    const page = await officer.get(`/cases/${caseId}/shares`)
    const revoke = html(page)('[data-testid=shares] form').attr('action')!
    const link = html(await police.get('/shared'))('[data-testid=shared] a').attr('href')!
    assert.equal((await officer.post(revoke, {})).statusCode, 303)
    assert.equal((await police.get(link)).statusCode, 404)
    assert.match(textOf(await officer.get(`/cases/${caseId}/shares`), '[data-testid=shares]'), /withdrawn/)
    const audit = await inTenant(async (tx) => (await sql<{ action: string }>`select action from audit_event where action like 'case.share%' order by occurred_at`.execute(tx)).rows.map((r) => r.action))
    assert.deepEqual(audit, ['case.shared', 'case.share_revoked'])
  })
})
