import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { testApp, textOf, html, TEST_PASSWORD, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'
import { withTenant } from '../../platform/db.ts'
import { listMailbox } from '../../platform/mail.ts'

const NEW_PASSWORD = 'copper heron lantern field'
const HOUR = 3_600_000

let t: TestApp
const cleanups: (() => Promise<void>)[] = []
before(async () => { t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) }) })
after(async () => { for (const fn of cleanups) await fn() })

type Res = Awaited<ReturnType<Agent['get']>>
const errorSummary = (res: Res) => html(res)('.govuk-error-summary a').map((_, a) => html(res)(a).text().trim()).get()
const status = async (agent: Agent, userId: string) => textOf(await agent.get(`/admin/users/${userId}`), '[data-testid=user-status]')
const isSignInRedirect = (res: Res) => res.statusCode === 303 && /^\/sign-in/.test(String(res.headers.location))

const invite = (agent: Agent, form: Record<string, string | string[]>) =>
  agent.post('/admin/users', { displayName: 'Robin Partner', email: 'robin.partner@example.org', organisationId: t.la.organisationId, roles: ['partner_practitioner'], ...form })

const invitationPath = async (email: string) => {
  const mail = (await listMailbox(t.database.db, 1000)).find((m) => m.to === email)
  const link = /https?:\/\/\S+/.exec(mail!.body)![0]
  return { subject: mail!.subject, body: mail!.body, path: link.replace('http://lantern.test', '') }
}

const userIdFrom = (res: Res) => /\/admin\/users\/([0-9a-f-]{36})/.exec(String(res.headers.location))![1]

/** The values of the edit form as it was loaded, including the updatedAt it was loaded at. */
async function editForm(agent: Agent, userId: string): Promise<Record<string, string | string[]>> {
  const $ = html(await agent.get(`/admin/users/${userId}/edit`))
  return {
    displayName: String($('input[name=displayName]').val()),
    organisationId: String($('select[name=organisationId]').val()),
    roles: $('input[name=roles]:checked').map((_, el) => String($(el).val())).get(),
    updatedAt: String($('input[name=updatedAt]').val()),
  }
}

describe('inviting users', () => {
  it('explains each problem with an invitation', async () => {
    const { agent: admin } = await t.signedIn(['la_admin'])
    const elsewhere = await t.addAuthority('981', 'Westmoor Council')
    const { email: takenElsewhere } = await t.createUser(['cme_officer'], { laId: elsewhere.id })

    assert.deepEqual(errorSummary(await admin.post('/admin/users', {})),
      ['Enter their full name', 'Enter their work email address', 'Select an organisation', 'Select at least one role'])
    assert.deepEqual(errorSummary(await invite(admin, { email: 'robin at example' })), ['Enter an email address in the correct format, like name@example.org'])
    assert.deepEqual(errorSummary(await invite(admin, { email: takenElsewhere.toUpperCase() })), ['There is already a Lantern account with this email address'])
    assert.deepEqual(errorSummary(await invite(admin, { roles: [] })), ['Select at least one role'])
  })

  it('emails a link that sets a password and leads to authenticator set-up, once only', async () => {
    const { agent: admin } = await t.signedIn(['la_admin'])

    const res = await invite(admin, { email: 'Sam.Newcomer@Example.org', displayName: 'Sam Newcomer' })

    assert.equal(res.statusCode, 303)
    assert.equal(await status(admin, userIdFrom(res)), 'Invited')
    const mail = await invitationPath('sam.newcomer@example.org')
    assert.equal(mail.subject, 'You have been invited to use Lantern')
    assert.ok(!mail.body.includes('Sam Newcomer'), 'no name in the email')
    const invitee = t.agent()
    assert.match(textOf(await invitee.get(mail.path), 'main'), /Your account is sam\.newcomer@example\.org/)
    const token = new URL(mail.path, 'http://x').searchParams.get('token')!
    const accepted = await invitee.post('/accept-invitation', { token, password: NEW_PASSWORD, confirmPassword: NEW_PASSWORD })
    assert.equal(accepted.headers.location, '/sign-in/set-up-authenticator')
    assert.match(textOf(await invitee.get('/sign-in/set-up-authenticator'), 'h1'), /Set up your authenticator app/)
    assert.equal(await status(admin, userIdFrom(res)), 'Active')

    const reused = await t.agent().get(mail.path)
    assert.equal(reused.statusCode, 410)
    assert.match(textOf(reused, 'main'), /already been used/)
  })

  it('lets an invitation link work for 72 hours and no longer', async () => {
    const { agent: admin } = await t.signedIn(['la_admin'])
    await invite(admin, { email: 'slow.starter@example.org' })
    const { path } = await invitationPath('slow.starter@example.org')
    assert.equal(t.deps.config.invitationExpiryHours, 72)

    t.clock.now = new Date(t.clock.now.getTime() + 71 * HOUR)
    assert.equal((await t.agent().get(path)).statusCode, 200)
    t.clock.now = new Date(t.clock.now.getTime() + 2 * HOUR)
    const expired = await t.agent().get(path)

    assert.equal(expired.statusCode, 410)
    assert.match(textOf(expired, 'main'), /This link has expired/)
  })

  it('lets only a system administrator give the system administrator role', async () => {
    const { agent: laAdmin } = await t.signedIn(['la_admin'])
    const { agent: sysAdmin } = await t.signedIn(['system_admin'])
    const offered = async (agent: Agent) => html(await agent.get('/admin/users/new'))('input[name=roles][value=system_admin]').length

    const refused = await invite(laAdmin, { email: 'would.be.root@example.org', roles: ['system_admin'] })
    const granted = await invite(sysAdmin, { email: 'real.root@example.org', roles: ['system_admin'] })

    assert.deepEqual(errorSummary(refused), ['Only a system administrator can give the system administrator role'])
    assert.equal(granted.statusCode, 303)
    assert.deepEqual([await offered(laAdmin), await offered(sysAdmin)], [0, 1])
  })
})

describe('changing users', () => {
  it('stops an administrator removing their own administrator role or deactivating themselves', async () => {
    const { agent: admin, userId } = await t.signedIn(['la_admin'])

    const demoted = await admin.post(`/admin/users/${userId}`, { ...(await editForm(admin, userId)), roles: ['cme_officer'] })
    const deactivated = await admin.post(`/admin/users/${userId}/deactivate`, { reason: 'Leaving' })

    assert.deepEqual(errorSummary(demoted), ['You cannot remove your own administrator role. Ask another administrator'])
    assert.equal(deactivated.statusCode, 403)
    assert.equal(await status(admin, userId), 'Active')
  })

  it('deactivates only with a reason, ends the user sessions, records the reason, and reactivates', async () => {
    const { agent: admin } = await t.signedIn(['la_admin'])
    const { agent: officer, userId, email } = await t.signedIn(['cme_officer'])

    const noReason = await admin.post(`/admin/users/${userId}/deactivate`, { reason: '  ' })
    assert.deepEqual(errorSummary(noReason), ['Enter the reason'])
    assert.equal((await officer.get('/')).statusCode, 200)

    await admin.post(`/admin/users/${userId}/deactivate`, { reason: 'Left the service' })

    assert.equal(await status(admin, userId), 'Deactivated')
    assert.ok(isSignInRedirect(await officer.get('/')))
    const audited = await withTenant(t.database.db, { laId: t.la.id }, async (tx) =>
      (await sql<{ reason: string }>`select reason from audit_event where action = 'user.deactivated' and record_id = ${userId}`.execute(tx)).rows)
    assert.deepEqual(audited, [{ reason: 'Left the service' }])

    await admin.post(`/admin/users/${userId}/reactivate`, { reason: 'Came back' })
    assert.equal(await status(admin, userId), 'Active')
    assert.equal((await t.agent().post('/sign-in', { email, password: TEST_PASSWORD })).statusCode, 303)
  })

  it('refuses to save over changes someone else made since the form was loaded', async () => {
    const { agent: admin } = await t.signedIn(['la_admin'])
    const { agent: colleague } = await t.signedIn(['la_admin'])
    const { userId } = await t.createUser(['cme_officer'])
    const mine = await editForm(admin, userId)
    const theirs = await editForm(colleague, userId)
    t.clock.now = new Date(t.clock.now.getTime() + 1000)
    assert.equal((await colleague.post(`/admin/users/${userId}`, { ...theirs, displayName: 'Their Change' })).statusCode, 303)

    const stale = await admin.post(`/admin/users/${userId}`, { ...mine, displayName: 'My Change' })

    assert.equal(stale.statusCode, 409)
    assert.match(textOf(stale, 'main'), /Someone else changed this user while you were editing/)
    assert.match(textOf(await admin.get(`/admin/users/${userId}`), 'h1'), /Their Change/)
  })
})

describe('the user list', () => {
  it('filters by status and by name or email, and pages through 25 at a time', async () => {
    const { agent: admin } = await t.signedIn(['la_admin'])
    for (let i = 0; i < 27; i++) await t.createUser(['school_user'], { email: `kingfisher.${String(i).padStart(2, '0')}@example.org` })
    const { userId: leaver } = await t.createUser(['school_user'], { email: 'kingfisher.leaver@example.org' })
    await admin.post(`/admin/users/${leaver}/deactivate`, { reason: 'Moved school' })
    const emails = (res: Res) => html(res)('table tbody td:first-child .govuk-body-s').map((_, el) => html(res)(el).text()).get()

    const first = await admin.get('/admin/users?q=KINGFISHER')
    const second = await admin.get('/admin/users?q=KINGFISHER&page=2')
    const deactivated = await admin.get('/admin/users?status=deactivated&q=kingfisher')
    const active = await admin.get('/admin/users?status=active&q=kingfisher')

    assert.match(textOf(first, 'main'), /Showing 1 to 25 of 28 users/)
    assert.match(textOf(second, 'main'), /Showing 26 to 28 of 28 users/)
    assert.equal(new Set([...emails(first), ...emails(second)]).size, 28, 'no user on both pages')
    assert.match(String(html(first)('.govuk-pagination__next a').attr('href')), /q=KINGFISHER&page=2/)
    assert.deepEqual(emails(deactivated), ['kingfisher.leaver@example.org'])
    assert.match(textOf(active, 'main'), /of 27 users/)
    assert.match(textOf(await admin.get('/admin/users?q=no-such-person'), 'main'), /No users match these filters/)
  })
})

describe('another LA users', () => {
  it('are invisible to an LA administrator, who gets page not found', async () => {
    const { agent: admin } = await t.signedIn(['la_admin'])
    const other = await t.addAuthority('982', 'Eastmoor Council')
    const { userId, email } = await t.createUser(['cme_officer'], { laId: other.id })
    const form = { displayName: 'Hijacked', organisationId: other.organisationId, roles: ['cme_officer'], updatedAt: new Date().toISOString() }

    assert.equal((await admin.get(`/admin/users/${userId}`)).statusCode, 404)
    assert.equal((await admin.get(`/admin/users/${userId}/edit`)).statusCode, 404)
    assert.equal((await admin.post(`/admin/users/${userId}`, form)).statusCode, 404)
    assert.equal((await admin.post(`/admin/users/${userId}/deactivate`, { reason: 'Reaching across' })).statusCode, 404)
    assert.match(textOf(await admin.get(`/admin/users?q=${encodeURIComponent(email)}`), 'main'), /No users match these filters/)
  })
})
