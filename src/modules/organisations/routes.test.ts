import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { testApp, textOf, html, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'

describe('organisations', () => {
  let t: TestApp
  let admin: Agent
  const cleanups: (() => Promise<void>)[] = []
  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    admin = (await t.signedIn(['la_admin'])).agent
  })
  after(async () => { for (const fn of cleanups) await fn() })

  it('adds a school with its URN and lists it', async () => {
    const res = await admin.post('/admin/organisations', { name: 'Hillside Primary School', kind: 'school', urn: '990002' })

    assert.equal(res.statusCode, 303)
    const list = await admin.get('/admin/organisations')
    assert.match(textOf(list, 'table'), /Hillside Primary School School 990002/)
  })

  it('needs a URN of 6 or 7 digits for a school, and no other organisation may have it', async () => {
    let res = await admin.post('/admin/organisations', { name: 'No URN School', kind: 'school', urn: '' })
    assert.equal(res.statusCode, 400)
    assert.match(textOf(res, '.govuk-error-summary'), /Enter the school's URN/)
    res = await admin.post('/admin/organisations', { name: 'Bad URN School', kind: 'school', urn: '12ab' })
    assert.match(textOf(res, '.govuk-error-summary'), /URN must be 6 or 7 digits/)
    res = await admin.post('/admin/organisations', { name: 'Copy School', kind: 'school', urn: '990002' })
    assert.match(textOf(res, '.govuk-error-summary'), /Another organisation already has this URN/)
  })

  it('explains a missing name and kind', async () => {
    const res = await admin.post('/admin/organisations', {})
    assert.equal(res.statusCode, 400)
    assert.match(textOf(res, '.govuk-error-summary'), /Enter the organisation name/)
    assert.match(textOf(res, '.govuk-error-summary'), /Select the kind of organisation/)
  })

  it('changes an organisation and records the change', async () => {
    const list = await admin.get('/admin/organisations')
    const href = html(list)('a:contains("Hillside Primary School")').attr('href')!
    const id = href.split('/').pop()!

    const res = await admin.post('/admin/organisations', { id, name: 'Hillside Primary Academy', kind: 'school', urn: '990002' })

    assert.equal(res.statusCode, 303)
    assert.match(textOf(await admin.get(href), 'h1'), /Change Hillside Primary Academy/)
    const audit = await admin.get(`/admin/audit?recordType=organisation&recordId=${id}`)
    assert.match(textOf(audit, '[data-testid=audit-table]'), /organisation\.changed/)
  })

  it('cannot see or change another LA organisation', async () => {
    const other = await t.addAuthority('993', 'Westshire County Council')
    assert.equal((await admin.get(`/admin/organisations/${other.organisationId}`)).statusCode, 404)
    assert.equal((await admin.post('/admin/organisations', { id: other.organisationId, name: 'Taken over', kind: 'la_team' })).statusCode, 404)
  })
})

describe('health checks', () => {
  const cleanups: (() => Promise<void>)[] = []
  after(async () => { for (const fn of cleanups) await fn() })

  it('reports live and ready, without signing in', async () => {
    const t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    const live = await t.app.inject({ url: '/health/live' })
    const ready = await t.app.inject({ url: '/health/ready' })
    assert.deepEqual([live.statusCode, live.json()], [200, { status: 'ok' }])
    assert.deepEqual([ready.statusCode, ready.json()], [200, { status: 'ok' }])
  })
})
