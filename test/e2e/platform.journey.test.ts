import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { createApp, type Deps } from '../../src/app.ts'
import { deriveKey } from '../../src/platform/crypto.ts'
import { pgBossJobs, type Jobs } from '../../src/platform/jobs.ts'
import { createTransport, deliverPendingEmail, SEND_EMAIL_JOB } from '../../src/platform/mail.ts'
import type { Database } from '../../src/platform/db.ts'
import { newTotpSecret, totpCode } from '../../src/modules/auth/totp.ts'
import { createLocalAuthority } from '../../src/modules/local-authorities/service.ts'
import { saveOrganisation } from '../../src/modules/organisations/service.ts'
import { createTestDatabase } from '../helpers/test-db.ts'
import { SECRET, TEST_PASSWORD, testConfig } from '../helpers/test-app.ts'
import { startSmtpServer, mailText } from '../helpers/smtp.ts'
import { launchBrowser, expectAccessible } from '../helpers/browser.ts'
import { seal } from '../../src/platform/crypto.ts'
import { createUser } from '../../src/modules/users/service.ts'
import { hashPassword } from '../../src/modules/auth/passwords.ts'
import { withTenant } from '../../src/platform/db.ts'
import { sql } from 'kysely'

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as AddressInfo
    s.close(() => resolve(port))
  })
})

// A fresh code for the next 30-second step, so a code is never reused within its step.
async function nextCode(secret: string, after?: string): Promise<string> {
  for (;;) {
    const code = await totpCode(secret, new Date())
    if (code !== after) return code
    await new Promise((r) => setTimeout(r, 1000))
  }
}

describe('platform journey: sign in with TOTP, invite a user, accept from the email, check the audit log', () => {
  let database: Database
  let browser: Browser
  let jobs: Jobs
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>
  let base: string
  let close: () => Promise<void>
  const adminSecret = newTotpSecret()

  before(async () => {
    smtp = await startSmtpServer()
    database = await createTestDatabase()
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    const config = testConfig({ BASE_URL: base, PORT: String(port), SMTP_URL: smtp.url, MAILBOX: 'false' })
    const now = () => new Date()
    const { laId, organisationId } = await createLocalAuthority(database.db, { code: '990', name: 'Northmoor Borough Council' }, 'test', now())
    await saveOrganisation(database.db, { laId, userId: null, label: 'test', ip: null }, undefined, { name: 'Riverside Academy', kind: 'school', urn: '990001' }, now())
    const adminId = await createUser(database.db, laId, 'test', { email: 'admin@northmoor.example', displayName: 'Alex Admin', organisationId, roles: ['la_admin'], passwordHash: await hashPassword(TEST_PASSWORD) }, now())
    const totpKey = deriveKey(SECRET, 'secrets')
    await withTenant(database.db, { laId }, (tx) => sql`update app_user set totp_secret = ${seal(totpKey, adminSecret)}, totp_enabled_at = now() where id = ${adminId}`.execute(tx))
    jobs = pgBossJobs(database.pool, (err) => { throw err }, 0.5)
    const deps: Deps = { config, db: database.db, jobs, now, secret: SECRET, totpKey, logger: false }
    const app = await createApp(deps)
    const transport = createTransport(config.mail)
    await jobs.start([{ name: SEND_EMAIL_JOB, handler: async () => { await deliverPendingEmail(database.db, transport, now) } }])
    await app.listen({ port, host: '127.0.0.1' })
    browser = await launchBrowser()
    close = async () => {
      await browser.close()
      await app.close()
      await jobs.stop()
      await database.close()
      await smtp.close()
    }
  })
  after(async () => close?.())

  async function visit(page: Page, heading: RegExp | string, label: string) {
    await page.waitForLoadState('load')
    const h1 = (await page.locator('h1').first().textContent())?.trim() ?? ''
    if (heading instanceof RegExp) assert.match(h1, heading, `heading on ${label}`)
    else assert.equal(h1, heading, `heading on ${label}`)
    await expectAccessible(page, label)
  }

  it('works end to end with no accessibility violations', async () => {
    const admin = await (await browser.newContext()).newPage()
    await admin.goto(`${base}/`)
    await visit(admin, 'Sign in to Lantern', 'sign-in page')
    assert.equal(await admin.locator('.govuk-header__logotype, .govuk-header__crown').count(), 0, 'no GOV.UK crown')
    assert.match((await admin.locator('[data-testid=header]').textContent()) ?? '', /Northmoor Borough Council/)

    await admin.getByTestId('sign-in').click()
    await visit(admin, 'Sign in to Lantern', 'sign-in errors')
    assert.match(await admin.locator('.govuk-error-summary').textContent() ?? '', /Enter your email address/)

    await admin.getByLabel('Email address').fill('admin@northmoor.example')
    await admin.getByLabel('Password', { exact: true }).fill(TEST_PASSWORD)
    await admin.getByTestId('sign-in').click()
    await visit(admin, 'Enter your security code', 'code page')
    await admin.getByLabel('Code from your authenticator app').fill('000000')
    await admin.getByTestId('submit-code').click()
    await visit(admin, 'Enter your security code', 'code page with error')
    await admin.getByLabel('Code from your authenticator app').fill(await nextCode(adminSecret))
    await admin.getByTestId('submit-code').click()
    await visit(admin, 'Lantern', 'home page')

    await admin.getByRole('link', { name: 'Administration' }).click()
    await visit(admin, 'Administration', 'administration page')
    await admin.getByRole('link', { name: 'Users', exact: true }).click()
    await visit(admin, 'Users', 'users list')
    await admin.getByTestId('invite-user').click()
    await visit(admin, 'Invite a user', 'invite form')
    await admin.getByTestId('send-invitation').click()
    await visit(admin, 'Invite a user', 'invite form with errors')
    assert.match(await admin.locator('.govuk-error-summary').textContent() ?? '', /Enter their full name/)
    await admin.getByLabel('Full name').fill('Sam School')
    await admin.getByLabel('Work email address').fill('sam.school@riverside.example')
    await admin.getByLabel('Organisation').selectOption({ label: 'Riverside Academy' })
    await admin.getByLabel('School user').check()
    await admin.getByTestId('send-invitation').click()
    await visit(admin, 'Sam School', 'new user page')
    assert.match(await admin.getByTestId('user-status').textContent() ?? '', /Invited/)

    const mail = await smtp.waitFor((m) => m.to.includes('sam.school@riverside.example'))
    const text = mailText(mail.raw)
    assert.doesNotMatch(text, /Sam School/, 'the email carries no name')
    const link = /(http:\/\/127\.0\.0\.1:\d+\/accept-invitation\?token=[A-Za-z0-9_-]+)/.exec(text)?.[1]
    assert.ok(link, 'the email holds the invitation link')

    const invitee = await (await browser.newContext()).newPage()
    await invitee.goto(link)
    await visit(invitee, 'Set your password', 'accept invitation')
    await invitee.getByLabel('New password', { exact: true }).fill('password1234')
    await invitee.getByLabel('Confirm new password').fill('password1234')
    await invitee.getByTestId('set-password').click()
    await visit(invitee, 'Set your password', 'accept invitation with errors')
    assert.match(await invitee.locator('.govuk-error-summary').textContent() ?? '', /common passwords|harder to guess/)
    await invitee.getByLabel('New password', { exact: true }).fill('riverside lantern kestrel')
    await invitee.getByLabel('Confirm new password').fill('riverside lantern kestrel')
    await invitee.getByTestId('set-password').click()
    await visit(invitee, 'Set up your authenticator app', 'authenticator set-up')
    const secret = (await invitee.getByTestId('totp-secret').textContent())!.trim()
    await invitee.getByLabel('Enter the 6-digit code the app shows').fill(await nextCode(secret))
    await invitee.getByTestId('submit-code').click()
    await visit(invitee, 'Save your recovery codes', 'recovery codes')
    assert.equal(await invitee.getByTestId('recovery-codes').locator('li').count(), 10)
    await invitee.getByRole('button', { name: 'I have saved my codes, continue' }).click()
    await visit(invitee, 'Lantern', 'invitee home page')
    assert.equal(await invitee.getByRole('link', { name: 'Administration' }).count(), 0, 'a school user sees no administration')
    await invitee.goto(`${base}/admin/users`)
    await visit(invitee, 'You do not have permission to see this page', 'forbidden page')

    await admin.getByRole('link', { name: 'Audit log' }).click()
    await visit(admin, 'Audit log', 'audit log')
    const table = (await admin.getByTestId('audit-table').textContent()) ?? ''
    for (const action of ['auth.signed_in', 'user.invited', 'user.invitation_accepted', 'auth.totp_enrolled']) assert.match(table, new RegExp(action.replace('.', '\\.')))
    await admin.getByLabel('User (email address)').fill('sam.school')
    await admin.getByRole('button', { name: 'Filter' }).click()
    await visit(admin, 'Audit log', 'audit log filtered')
    const filtered = (await admin.getByTestId('audit-table').textContent()) ?? ''
    assert.doesNotMatch(filtered, /user\.invited/)
    assert.match(filtered, /user\.invitation_accepted/)
    const download = admin.waitForEvent('download')
    await admin.getByTestId('export-csv').click()
    const csv = await (await (await download).createReadStream()).toArray()
    assert.match(Buffer.concat(csv).toString('utf8'), /^sequence,occurred_at,user/)

    await admin.getByTestId('sign-out').click()
    await visit(admin, 'You have signed out', 'signed out')
  })
})
