import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { testApp, textOf, html, TEST_PASSWORD, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'
import { withTenant } from '../../platform/db.ts'
import { listMailbox } from '../../platform/mail.ts'
import { newTotpSecret, totpCode } from './totp.ts'

const NEW_PASSWORD = 'willow kettle orchard moon'

let t: TestApp
const cleanups: (() => Promise<void>)[] = []
before(async () => { t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) }) })
after(async () => { for (const fn of cleanups) await fn() })

const later = (ms: number) => { t.clock.now = new Date(t.clock.now.getTime() + ms) }
const MINUTE = 60_000
const errorSummary = (res: Awaited<ReturnType<Agent['get']>>) => textOf(res, '.govuk-error-summary')
const isSignInRedirect = (res: Awaited<ReturnType<Agent['get']>>) => res.statusCode === 303 && /^\/sign-in/.test(String(res.headers.location))

const auditActions = (userId: string) => withTenant(t.database.db, { laId: t.la.id }, async (tx) =>
  (await sql<{ action: string }>`select action from audit_event where record_id = ${userId} order by seq`.execute(tx)).rows.map((r) => r.action))

/** A user with an authenticator already set up. */
async function userWithTotp() {
  const secret = newTotpSecret()
  return { secret, ...(await t.createUser(['cme_officer'], { totpSecret: secret })) }
}

async function signIn(email: string, secret: string, agent = t.agent()): Promise<Agent> {
  const password = await agent.post('/sign-in', { email, password: TEST_PASSWORD })
  assert.equal(password.headers.location, '/sign-in/code?next=%2F')
  const code = await agent.post('/sign-in/code', { code: await totpCode(secret, t.clock.now), next: '/' })
  assert.equal(code.headers.location, '/')
  return agent
}

describe('signing in with a password and an authenticator code', () => {
  it('lands on the home page and records the sign-in', async () => {
    const { email, secret, userId } = await userWithTotp()

    const agent = await signIn(email, secret)

    assert.equal((await agent.get('/')).statusCode, 200)
    assert.ok((await auditActions(userId)).includes('auth.signed_in'))
  })

  it('gives the same message for a wrong password and an unknown email, and records the failure', async () => {
    const { email, userId } = await userWithTotp()

    const wrong = await t.agent().post('/sign-in', { email, password: 'not my password at all' })
    const unknown = await t.agent().post('/sign-in', { email: 'nobody.here@example.org', password: 'not my password at all' })

    assert.equal(wrong.statusCode, 400)
    assert.match(errorSummary(wrong), /Enter a correct email address and password/)
    assert.equal(errorSummary(unknown), errorSummary(wrong))
    assert.deepEqual((await auditActions(userId)).filter((a) => a.startsWith('auth.')), ['auth.sign_in_failed'])
  })

  it('locks the account after five failures and refuses even the right password until the lockout ends', async () => {
    const { signInMaxFailures, lockoutMinutes } = t.deps.config
    assert.deepEqual([signInMaxFailures, lockoutMinutes], [5, 15])
    const { email, secret, userId } = await userWithTotp()
    for (let i = 1; i < signInMaxFailures; i++) await t.agent().post('/sign-in', { email, password: `wrong guess number ${i}` })

    const last = await t.agent().post('/sign-in', { email, password: 'wrong guess, the last one' })
    later((lockoutMinutes - 1) * MINUTE)
    const rightTooSoon = await t.agent().post('/sign-in', { email, password: TEST_PASSWORD })

    assert.match(errorSummary(last), /Your account is locked because of too many failed attempts. Wait 15 minutes/)
    assert.equal(rightTooSoon.statusCode, 400)
    assert.match(errorSummary(rightTooSoon), /Your account is locked/)
    assert.ok((await auditActions(userId)).includes('auth.locked'))
    later(2 * MINUTE)
    await signIn(email, secret)
  })

  it('refuses an authenticator code that has already been used', async () => {
    const { email, secret } = await userWithTotp()
    await signIn(email, secret)

    const second = t.agent()
    await second.post('/sign-in', { email, password: TEST_PASSWORD })
    const replay = await second.post('/sign-in/code', { code: await totpCode(secret, t.clock.now) })

    assert.equal(replay.statusCode, 400)
    assert.match(errorSummary(replay), /not correct or has already been used/)
  })

  it('sets up the authenticator on first sign-in, shows ten recovery codes, and each works once', async () => {
    const { email } = await t.createUser(['school_user'])
    const agent = t.agent()

    const first = await agent.post('/sign-in', { email, password: TEST_PASSWORD })
    assert.match(String(first.headers.location), /^\/sign-in\/set-up-authenticator/)
    assert.ok(isSignInRedirect(await agent.get('/')), 'not signed in until the authenticator is set up')
    const setUp = await agent.get('/sign-in/set-up-authenticator')
    assert.match(html(setUp)('img.lantern-qr').attr('src') ?? '', /^data:image\/png;base64,/)
    const secret = textOf(setUp, '[data-testid=totp-secret]')
    assert.match(secret, /^[A-Z2-7]{16,}$/)

    const done = await agent.post('/sign-in/set-up-authenticator', { code: await totpCode(secret, t.clock.now) })
    const codes = html(done)('[data-testid=recovery-codes] li').map((_, el) => html(done)(el).text()).get()
    assert.equal(codes.length, 10)
    assert.equal((await agent.get('/')).statusCode, 200)

    const withRecovery = t.agent()
    await withRecovery.post('/sign-in', { email, password: TEST_PASSWORD })
    assert.equal((await withRecovery.post('/sign-in/code', { code: codes[0] })).headers.location, '/')
    const reused = t.agent()
    await reused.post('/sign-in', { email, password: TEST_PASSWORD })
    assert.equal((await reused.post('/sign-in/code', { code: codes[0] })).statusCode, 400)
  })
})

describe('ending sessions', () => {
  it('signs out: the old session cookie then goes to sign-in', async () => {
    const { agent } = await t.signedIn(['cme_officer'])
    const oldCookies = { ...agent.cookies }

    const res = await agent.post('/sign-out')

    assert.equal(res.headers.location, '/signed-out')
    assert.ok(isSignInRedirect(await t.agent().inject({ url: '/', cookies: oldCookies })))
  })

  it('signs out of every session of the user at once', async () => {
    const { email, secret } = await userWithTotp()
    const laptop = await signIn(email, secret)
    later(31_000) // the next step's code, since each code works once
    const phone = await signIn(email, secret)

    const res = await phone.post('/account/sign-out-everywhere')

    assert.equal(res.headers.location, '/sign-in?signedOut=all')
    assert.ok(isSignInRedirect(await laptop.get('/')))
    assert.ok(isSignInRedirect(await phone.get('/')))
  })

  it('ends a session left idle for more than 30 minutes', async () => {
    const { agent } = await t.signedIn(['cme_officer'])
    later(29 * MINUTE)
    assert.equal((await agent.get('/')).statusCode, 200)

    later(31 * MINUTE)

    assert.ok(isSignInRedirect(await agent.get('/')))
  })

  it('ends a session 12 hours after sign-in however active it is', async () => {
    const { agent } = await t.signedIn(['cme_officer'])
    // A request every 20 minutes keeps it from going idle, up to 11h40m after sign-in.
    for (let i = 0; i < 35; i++) {
      later(20 * MINUTE)
      assert.equal((await agent.get('/')).statusCode, 200)
    }
    later(19 * MINUTE)
    assert.equal((await agent.get('/')).statusCode, 200, 'still signed in at 11h59m')

    later(2 * MINUTE)

    assert.ok(isSignInRedirect(await agent.get('/')))
  })

  it('stops a deactivated user session from working', async () => {
    const { agent, userId } = await t.signedIn(['cme_officer'])
    // Set the status directly, leaving the session open, to test the check made on every request.
    await withTenant(t.database.db, { laId: t.la.id }, (tx) => sql`update app_user set status = 'deactivated' where id = ${userId}`.execute(tx))

    assert.ok(isSignInRedirect(await agent.get('/')))
  })
})

describe('resetting a forgotten password', () => {
  const outbox = async () => (await listMailbox(t.database.db, 1000))
  const tokenOf = (body: string) => /\/reset-password\?token=([A-Za-z0-9_-]+)/.exec(body)![1]
  const resetForm = (token: string, password: string, confirmPassword = password) =>
    t.agent().post('/reset-password', { token, password, confirmPassword })

  it('shows the same page for an unknown email and sends nothing', async () => {
    const before = (await outbox()).length

    const res = await t.agent().post('/forgot-password', { email: 'unknown.person@example.org' })

    assert.equal(res.statusCode, 200)
    assert.match(textOf(res, 'h1'), /Check your email/)
    assert.equal((await outbox()).length, before)
  })

  it('emails a link that holds nothing personal beyond the link itself', async () => {
    const { email, userId } = await userWithTotp()

    const res = await t.agent().post('/forgot-password', { email })

    assert.match(textOf(res, 'h1'), /Check your email/)
    const sent = (await outbox()).filter((m) => m.to === email)
    assert.equal(sent.length, 1)
    assert.equal(sent[0].subject, 'Reset your Lantern password')
    assert.deepEqual(sent[0].body.match(/https?:\/\/\S+/g), [`http://lantern.test/reset-password?token=${tokenOf(sent[0].body)}`])
    for (const personal of [email, userId, 'Test cme_officer', t.la.name]) assert.ok(!sent[0].body.includes(personal), `no ${personal}`)
  })

  it('sets a new password once, ending existing sessions, and explains weak or mismatched passwords', async () => {
    const { email, secret, userId } = await userWithTotp()
    const existing = await signIn(email, secret)
    await t.agent().post('/forgot-password', { email })
    const token = tokenOf((await outbox()).find((m) => m.to === email)!.body)

    assert.match(errorSummary(await resetForm(token, 'too short')), /Password must be 12 characters or more/)
    assert.match(errorSummary(await resetForm(token, 'password1234')), /on a list of common passwords/)
    assert.match(errorSummary(await resetForm(token, NEW_PASSWORD, 'willow kettle orchard sun')), /The passwords do not match/)
    const changed = await resetForm(token, NEW_PASSWORD)

    assert.equal(changed.headers.location, '/sign-in?reset=done')
    assert.ok(isSignInRedirect(await existing.get('/')), 'sessions from before the reset end')
    const again = await resetForm(token, 'another fine passphrase')
    assert.equal(again.statusCode, 410)
    assert.match(textOf(again, 'main'), /already been used/)
    assert.equal((await t.agent().post('/sign-in', { email, password: NEW_PASSWORD })).statusCode, 303)
    assert.ok((await auditActions(userId)).includes('auth.password_reset'))
  })

  it('refuses a link more than 60 minutes old', async () => {
    const { email } = await userWithTotp()
    await t.agent().post('/forgot-password', { email })
    const link = `/reset-password?token=${tokenOf((await outbox()).find((m) => m.to === email)!.body)}`
    assert.equal(t.deps.config.passwordResetExpiryMinutes, 60)

    later(59 * MINUTE)
    assert.equal((await t.agent().get(link)).statusCode, 200)
    later(2 * MINUTE)
    const expired = await t.agent().get(link)

    assert.equal(expired.statusCode, 410)
    assert.match(textOf(expired, 'main'), /This link has expired/)
  })
})
