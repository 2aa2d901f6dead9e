import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { testApp, textOf, html, TEST_PASSWORD, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'
import { lastEmailTo, pathOf } from '../../../test/helpers/outbox.ts'

describe('managing users', () => {
  let t: TestApp
  let admin: Agent
  let adminId: string
  const cleanups: (() => Promise<void>)[] = []
  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    ;({ agent: admin, userId: adminId } = await t.signedIn(['la_admin']))
  })
  after(async () => { for (const fn of cleanups) await fn() })

  const invite = (agent: Agent, form: Record<string, string | string[]>) =>
    agent.post('/admin/users', { displayName: 'Pat Partner', organisationId: t.la.organisationId, roles: ['partner_practitioner'], ...form })

  it('invites a user, who sets a password from the emailed link and goes on to set up TOTP', async () => {
    const res = await invite(admin, { email: 'Pat.Partner@Example.org' })
    assert.equal(res.statusCode, 303)
    const page = await admin.get(String(res.headers.location))
    assert.match(textOf(page, '[data-testid=user-status]'), /Invited/)

    const mail = await lastEmailTo(t.database.db, t.la.id, 'pat.partner@example.org')
    assert.equal(mail?.subject, 'You have been invited to use Lantern')
    assert.doesNotMatch(mail!.body, /Pat Partner/)
    const invitee = t.agent()
    const form = await invitee.get(pathOf(mail!.link!))
    assert.match(textOf(form, 'main'), /Your account is pat\.partner@example\.org/)
    const token = new URL(mail!.link!).searchParams.get('token')!
    const mismatch = await invitee.post('/accept-invitation', { token, password: 'kestrel lantern harbour', confirmPassword: 'kestrel lantern harbor' })
    assert.match(textOf(mismatch, '.govuk-error-summary'), /The passwords do not match/)
    const accepted = await invitee.post('/accept-invitation', { token, password: 'kestrel lantern harbour', confirmPassword: 'kestrel lantern harbour' })
    assert.equal(accepted.headers.location, '/sign-in/set-up-authenticator')
    assert.equal((await t.agent().get(pathOf(mail!.link!))).statusCode, 410, 'the link works once')
  })

  it('explains each problem with an invitation', async () => {
    let res = await admin.post('/admin/users', {})
    assert.deepEqual(html(res)('.govuk-error-summary a').map((_, a) => html(res)(a).text()).get(),
      ['Enter their full name', 'Enter their work email address', 'Select an organisation', 'Select at least one role'])
    res = await invite(admin, { email: 'not-an-email' })
    assert.match(textOf(res, '.govuk-error-summary'), /correct format/)
    res = await invite(admin, { email: 'pat.partner@example.org' })
    assert.match(textOf(res, '.govuk-error-summary'), /already a Lantern account/)
    const other = await t.addAuthority('994', 'Eastshire Council')
    const elsewhere = await t.createUser(['cme_officer'], { laId: other.id })
    res = await invite(admin, { email: elsewhere.email })
    assert.match(textOf(res, '.govuk-error-summary'), /already a Lantern account/, 'addresses are unique across LAs')
    res = await invite(admin, { email: 'rogue.role@example.org', roles: ['made_up_role'] })
    assert.match(textOf(res, '.govuk-error-summary'), /Select a valid option/)
  })

  it('lets only a system administrator give the system administrator role', async () => {
    const refused = await invite(admin, { email: 'would.be.sysadmin@example.org', roles: ['system_admin'] })
    assert.match(textOf(refused, '.govuk-error-summary'), /Only a system administrator can give/)
    const { agent: sysadmin } = await t.signedIn(['system_admin'])
    assert.equal((await invite(sysadmin, { email: 'new.sysadmin@example.org', roles: ['system_admin'] })).statusCode, 303)
  })

  it('stops administrators removing their own administrator role or deactivating themselves', async () => {
    const own = await admin.get(`/admin/users/${adminId}/edit`)
    const updatedAt = html(own)('input[name=updatedAt]').val() as string
    const res = await admin.post(`/admin/users/${adminId}`, { displayName: 'Admin', organisationId: t.la.organisationId, roles: ['cme_officer'], updatedAt })
    assert.match(textOf(res, '.govuk-error-summary'), /cannot remove your own administrator role/)
    assert.equal((await admin.post(`/admin/users/${adminId}/deactivate`, { reason: 'testing' })).statusCode, 403)
  })

  it('refuses to overwrite changes someone else saved first', async () => {
    const { userId } = await t.createUser(['cme_officer'])
    const form = await admin.get(`/admin/users/${userId}/edit`)
    const updatedAt = html(form)('input[name=updatedAt]').val() as string
    const values = { displayName: 'First change', organisationId: t.la.organisationId, roles: ['cme_officer'], updatedAt }
    t.clock.now = new Date(t.clock.now.getTime() + 1000)
    assert.equal((await admin.post(`/admin/users/${userId}`, values)).statusCode, 303)

    const stale = await admin.post(`/admin/users/${userId}`, { ...values, displayName: 'Second change' })

    assert.equal(stale.statusCode, 409)
    assert.match(textOf(stale, 'main'), /Someone else changed this user/)
    assert.match(textOf(await admin.get(`/admin/users/${userId}`), 'h1'), /First change/)
  })

  it('deactivates with a reason, ending the user sessions, and reactivates', async () => {
    const { agent: officer, userId, email } = await t.signedIn(['cme_officer'])
    const noReason = await admin.post(`/admin/users/${userId}/deactivate`, { reason: '' })
    assert.match(textOf(noReason, '.govuk-error-summary'), /Enter the reason/)

    await admin.post(`/admin/users/${userId}/deactivate`, { reason: 'Left the authority' })

    assert.match(String((await officer.get('/')).headers.location), /^\/sign-in/)
    const signIn = await t.agent().post('/sign-in', { email, password: TEST_PASSWORD })
    assert.match(textOf(signIn, '.govuk-error-summary'), /Enter a correct email address and password/)
    const audit = await admin.get(`/admin/audit?recordType=user&recordId=${userId}&action=user.deactivated`)
    assert.match(textOf(audit, '[data-testid=audit-table]'), /Left the authority/)

    await admin.post(`/admin/users/${userId}/reactivate`, { reason: 'Returned' })
    assert.equal((await t.agent().post('/sign-in', { email, password: TEST_PASSWORD })).statusCode, 303)
  })

  it('filters and pages the user list', async () => {
    for (let i = 0; i < 26; i++) await t.createUser(['school_user'], { email: `pupil.helper.${i}@example.org` })
    const first = await admin.get('/admin/users?q=pupil.helper')
    assert.match(textOf(first, 'main'), /Showing 1 to 25 of 26 users/)
    const second = await admin.get('/admin/users?q=pupil.helper&page=2')
    assert.match(textOf(second, 'main'), /Showing 26 to 26 of 26 users/)
    const invited = await admin.get('/admin/users?status=invited')
    assert.match(textOf(invited, 'table'), /new\.sysadmin@example\.org/)
    assert.doesNotMatch(textOf(invited, 'table'), /pupil\.helper/)
  })

  it('cannot see or change users of another LA', async () => {
    const other = await t.addAuthority('995', 'Southmoor Council')
    const { userId } = await t.createUser(['cme_officer'], { laId: other.id })
    assert.equal((await admin.get(`/admin/users/${userId}`)).statusCode, 404)
    assert.equal((await admin.post(`/admin/users/${userId}/deactivate`, { reason: 'reach across' })).statusCode, 404)
    assert.doesNotMatch(textOf(await admin.get('/admin/users?q=Southmoor'), 'main'), /Southmoor/)
  })

  it('records that a user record was viewed', async () => {
    const { userId } = await t.createUser(['auditor'])
    await admin.get(`/admin/users/${userId}`)
    const audit = await admin.get(`/admin/audit?recordType=user&recordId=${userId}`)
    assert.match(textOf(audit, '[data-testid=audit-table]'), /user\.viewed/)
  })
})

describe('invitation links expire', () => {
  const cleanups: (() => Promise<void>)[] = []
  after(async () => { for (const fn of cleanups) await fn() })

  it('refuses an invitation link after 72 hours', async () => {
    const t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    const { agent: admin } = await t.signedIn(['la_admin'])
    await admin.post('/admin/users', { displayName: 'Late Starter', email: 'late@example.org', organisationId: t.la.organisationId, roles: ['eet_officer'] })
    const mail = await lastEmailTo(t.database.db, t.la.id, 'late@example.org')
    t.clock.now = new Date(t.clock.now.getTime() + 73 * 3_600_000)
    const res = await t.agent().get(pathOf(mail!.link!))
    assert.equal(res.statusCode, 410)
    assert.match(textOf(res, 'main'), /This link has expired[\s\S]*Ask your Lantern administrator to send you a new invitation/)
  })
})
