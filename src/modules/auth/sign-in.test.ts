import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { testApp, textOf, html, TEST_PASSWORD, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'
import { lastEmailTo, pathOf } from '../../../test/helpers/outbox.ts'
import { withTenant } from '../../platform/db.ts'
import { newTotpSecret, totpCode } from './totp.ts'

describe('signing in', () => {
  let t: TestApp
  const cleanups: (() => Promise<void>)[] = []
  before(async () => { t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) }) })
  after(async () => { for (const fn of cleanups) await fn() })

  const code = (secret: string, offsetSeconds = 0) => totpCode(secret, new Date(t.clock.now.getTime() + offsetSeconds * 1000))
  const auditActions = async (userId: string) => withTenant(t.database.db, { laId: t.la.id }, async (tx) =>
    (await sql<{ action: string }>`select action from audit_event where record_id = ${userId} order by seq`.execute(tx)).rows.map((r) => r.action))

  async function signIn(email: string, secret: string, agent: Agent = t.agent()): Promise<Agent> {
    const res = await agent.post('/sign-in', { email, password: TEST_PASSWORD, next: '/account' })
    assert.equal(res.headers.location, '/sign-in/code?next=%2Faccount')
    const done = await agent.post('/sign-in/code', { code: await code(secret), next: '/account' })
    assert.equal(done.headers.location, '/account')
    return agent
  }

  it('signs in with a password and an authenticator code, and records it', async () => {
    const secret = newTotpSecret()
    const { email, userId } = await t.createUser(['cme_officer'], { totpSecret: secret })

    const agent = await signIn(email, secret)

    assert.equal((await agent.get('/account')).statusCode, 200)
    assert.ok((await auditActions(userId)).includes('auth.signed_in'))
  })

  it('gives the same answer for a wrong password and an unknown email', async () => {
    const { email } = await t.createUser(['cme_officer'], { totpSecret: newTotpSecret() })
    const wrong = await t.agent().post('/sign-in', { email, password: 'not the password at all' })
    const unknown = await t.agent().post('/sign-in', { email: 'nobody@example.org', password: 'not the password at all' })
    assert.equal(wrong.statusCode, 400)
    assert.equal(textOf(wrong, '.govuk-error-summary'), textOf(unknown, '.govuk-error-summary'))
    assert.match(textOf(wrong, '.govuk-error-summary'), /Enter a correct email address and password/)
  })

  it('locks an account after five failures, until the lockout ends', async () => {
    const secret = newTotpSecret()
    const { email, userId } = await t.createUser(['cme_officer'], { totpSecret: secret })
    for (let i = 0; i < 5; i++) await t.agent().post('/sign-in', { email, password: 'wrong password guess' })

    const refused = await t.agent().post('/sign-in', { email, password: TEST_PASSWORD })
    assert.match(textOf(refused, '.govuk-error-summary'), /Your account is locked/)
    assert.ok((await auditActions(userId)).includes('auth.locked'))

    t.clock.now = new Date(t.clock.now.getTime() + 16 * 60_000)
    await signIn(email, secret)
  })

  it('accepts each authenticator code only once', async () => {
    const secret = newTotpSecret()
    const { email } = await t.createUser(['cme_officer'], { totpSecret: secret })
    await signIn(email, secret)

    const second = t.agent()
    await second.post('/sign-in', { email, password: TEST_PASSWORD })
    const replay = await second.post('/sign-in/code', { code: await code(secret) })

    assert.equal(replay.statusCode, 400)
    assert.match(textOf(replay, '.govuk-error-summary'), /not correct or has already been used/)
  })

  it('sets up the authenticator on first sign-in and gives ten single-use recovery codes', async () => {
    const { email } = await t.createUser(['school_user'])
    const agent = t.agent()
    const first = await agent.post('/sign-in', { email, password: TEST_PASSWORD })
    assert.match(String(first.headers.location), /^\/sign-in\/set-up-authenticator/)
    const page = await agent.get('/sign-in/set-up-authenticator')
    assert.match(html(page)('img.lantern-qr').attr('src') ?? '', /^data:image\/png;base64,/)
    const secret = textOf(page, '[data-testid=totp-secret]')

    const wrong = await agent.post('/sign-in/set-up-authenticator', { code: '123456' })
    assert.equal(wrong.statusCode, 400)
    const done = await agent.post('/sign-in/set-up-authenticator', { code: await code(secret) })
    const codes = html(done)('[data-testid=recovery-codes] li').map((_, el) => html(done)(el).text()).get()
    assert.equal(codes.length, 10)
    assert.equal((await agent.get('/')).statusCode, 200)

    const other = t.agent()
    await other.post('/sign-in', { email, password: TEST_PASSWORD })
    assert.equal((await other.post('/sign-in/code', { code: codes[0] })).headers.location, '/')
    const again = t.agent()
    await again.post('/sign-in', { email, password: TEST_PASSWORD })
    assert.equal((await again.post('/sign-in/code', { code: codes[0] })).statusCode, 400, 'a recovery code works once')
  })

  it('ends a session after 30 idle minutes, and 12 hours after sign-in however active', async () => {
    const secret = newTotpSecret()
    const { email } = await t.createUser(['cme_officer'], { totpSecret: secret })
    const idle = await signIn(email, secret)
    t.clock.now = new Date(t.clock.now.getTime() + 31 * 60_000)
    assert.match(String((await idle.get('/account')).headers.location), /^\/sign-in/, 'ended after 30 idle minutes')

    const busy = await signIn(email, secret, t.agent())
    const signedInAt = t.clock.now.getTime()
    // Active every 25 minutes: never idle, but the session still ends 12 hours after sign-in.
    while (t.clock.now.getTime() + 25 * 60_000 < signedInAt + 12 * 3_600_000) {
      t.clock.now = new Date(t.clock.now.getTime() + 25 * 60_000)
      assert.equal((await busy.get('/account')).statusCode, 200, 'still signed in')
    }
    t.clock.now = new Date(t.clock.now.getTime() + 25 * 60_000)
    assert.match(String((await busy.get('/account')).headers.location), /^\/sign-in/, 'ended after 12 hours')
  })

  it('signs out of one session, or of all of them', async () => {
    const secret = newTotpSecret()
    const { email } = await t.createUser(['cme_officer'], { totpSecret: secret })
    const laptop = await signIn(email, secret)
    t.clock.now = new Date(t.clock.now.getTime() + 31_000)
    const phone = await signIn(email, secret, t.agent())
    const stolenCookie = { ...laptop.cookies }

    await laptop.post('/sign-out')
    assert.match(String((await t.agent().inject({ url: '/account', cookies: stolenCookie })).headers.location), /^\/sign-in/)
    assert.equal((await phone.get('/account')).statusCode, 200)

    t.clock.now = new Date(t.clock.now.getTime() + 31_000)
    const desk = await signIn(email, secret, t.agent())
    await phone.post('/account/sign-out-everywhere')
    assert.match(String((await desk.get('/account')).headers.location), /^\/sign-in/)
  })

  it('resets a password by emailed link, once, within the hour, ending other sessions', async () => {
    const secret = newTotpSecret()
    const { email } = await t.createUser(['cme_officer'], { totpSecret: secret })
    const existing = await signIn(email, secret)

    const asked = await t.agent().post('/forgot-password', { email })
    assert.match(textOf(asked, 'h1'), /Check your email/)
    const mail = await lastEmailTo(t.database.db, t.la.id, email)
    assert.ok(mail?.link?.includes('/reset-password?token='))
    assert.doesNotMatch(mail!.body, /Test cme_officer/, 'no name in the email')

    const agent = t.agent()
    const tooShort = await agent.post('/reset-password', { token: new URL(mail!.link!).searchParams.get('token')!, password: 'short', confirmPassword: 'short' })
    assert.match(textOf(tooShort, '.govuk-error-summary'), /12 characters or more/)
    const common = await agent.post('/reset-password', { token: new URL(mail!.link!).searchParams.get('token')!, password: 'qwertyuiop123', confirmPassword: 'qwertyuiop123' })
    assert.match(textOf(common, '.govuk-error-summary'), /common passwords/)
    const changed = await agent.post('/reset-password', { token: new URL(mail!.link!).searchParams.get('token')!, password: 'a brand new passphrase', confirmPassword: 'a brand new passphrase' })
    assert.equal(changed.headers.location, '/sign-in?reset=done')
    assert.match(String((await existing.get('/account')).headers.location), /^\/sign-in/, 'old sessions end')
    assert.equal((await t.agent().get(pathOf(mail!.link!))).statusCode, 410, 'the link works once')

    await t.agent().post('/forgot-password', { email })
    const second = await lastEmailTo(t.database.db, t.la.id, email)
    t.clock.now = new Date(t.clock.now.getTime() + 61 * 60_000)
    const expired = await t.agent().get(pathOf(second!.link!))
    assert.equal(expired.statusCode, 410)
    assert.match(textOf(expired, 'main'), /This link has expired/)
  })

  it('does not say whether an address has an account when asked for a reset', async () => {
    const res = await t.agent().post('/forgot-password', { email: 'no.account@example.org' })
    assert.match(textOf(res, 'h1'), /Check your email/)
    assert.equal(await lastEmailTo(t.database.db, t.la.id, 'no.account@example.org'), undefined)
  })
})
