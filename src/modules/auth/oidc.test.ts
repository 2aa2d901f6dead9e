import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as cheerio from 'cheerio'
import { sql } from 'kysely'
import Provider from 'oidc-provider'
import { testApp, html, textOf, type Agent, type TestApp } from '../../../test/helpers/test-app.ts'
import { withTenant } from '../../platform/db.ts'

const LANTERN = 'http://lantern.test'
const CLIENT_ID = 'lantern-northmoor'
const CLIENT_SECRET = 'northmoor-client-secret-that-must-never-be-stored-plainly'
const BUTTON = 'Sign in with your Northmoor account'
const TOOK_TOO_LONG = /took too long or was started in another browser/
const NOT_CONFIRMED = /did not confirm who you are/
const NO_ACCOUNT = /There is no active Lantern account for the account you signed in with/

/**
 * A real OpenID provider on 127.0.0.1 with its development login page. Any login name is accepted
 * and becomes both the subject and the email claim. Consent is granted automatically, as an
 * organisation's own provider does for an application its administrators registered.
 */
async function startProvider(): Promise<{ issuer: string; server: Server }> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [`${LANTERN}/sign-in/oidc/callback`],
      grant_types: ['authorization_code'], response_types: ['code'],
    }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    cookies: { keys: ['oidc-test-provider-cookie-key'] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id, email: id, email_verified: true }) }),
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId })
      grant.addOIDCScope('openid email profile')
      await grant.save()
      return grant
    },
  })
  server.on('request', provider.callback())
  return { issuer, server }
}

/**
 * Plays the browser at the provider: follows redirects with a cookie jar of its own, fills in the
 * development login form (or presses Cancel), and returns the URL the provider sends back to Lantern.
 */
async function atProvider(authorizeUrl: string, action: { login: string } | 'cancel'): Promise<URL> {
  const jar = new Map<string, string>()
  let request: { url: string; form?: URLSearchParams } = { url: authorizeUrl }
  for (let hop = 0; hop < 10; hop++) {
    const res = await fetch(request.url, {
      method: request.form ? 'POST' : 'GET', body: request.form, redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    })
    for (const setCookie of res.headers.getSetCookie()) {
      const [name, value] = setCookie.split(';')[0].split(/=(.*)/s)
      jar.set(name, value)
    }
    const location = res.headers.get('location')
    if (location?.startsWith(`${LANTERN}/`)) return new URL(location)
    if (location) {
      request = { url: new URL(location, request.url).href }
      continue
    }
    const $ = cheerio.load(await res.text())
    const form = $('form:has(input[name=prompt][value=login])')
    if (!form.length) throw new Error(`Unexpected provider page (${res.status}): ${$('body').text().slice(0, 300)}`)
    request = action === 'cancel'
      ? { url: new URL($('a:contains("Cancel")').attr('href')!, request.url).href }
      : { url: new URL(form.attr('action')!, request.url).href, form: new URLSearchParams({ prompt: 'login', login: action.login, password: 'any' }) }
  }
  throw new Error('Too many redirects at the provider')
}

const pathOf = (url: URL) => `${url.pathname}${url.search}`

describe('OpenID Connect sign-in against a real provider', () => {
  let t: TestApp
  let admin: Agent
  let issuer: string
  let server: Server
  const cleanups: (() => Promise<void>)[] = []

  before(async () => {
    ({ issuer, server } = await startProvider())
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    admin = (await t.signedIn(['la_admin'])).agent
  })
  after(async () => {
    for (const fn of cleanups) await fn()
    await new Promise((resolve) => server.close(resolve))
  })

  const configure = async (overrides: Record<string, string> = {}) => {
    const res = await admin.post('/admin/single-sign-on', {
      enabled: 'yes', issuer, clientId: CLIENT_ID, clientSecret: '', buttonText: BUTTON, requireTotp: 'no', ...overrides,
    })
    assert.equal(res.statusCode, 200, textOf(res, '.govuk-error-summary'))
    return res
  }

  /** Presses the single sign-on button in a fresh browser; returns that browser and the provider URL it was sent to. */
  async function startSignIn(next = '/') {
    const agent = t.agent()
    const start = await agent.get(`/sign-in/oidc/990?next=${encodeURIComponent(next)}`)
    assert.equal(start.statusCode, 303)
    const authorizeUrl = String(start.headers.location)
    assert.ok(authorizeUrl.startsWith(`${issuer}/auth?`), authorizeUrl)
    return { agent, authorizeUrl }
  }

  async function signInAs(login: string, next = '/') {
    const { agent, authorizeUrl } = await startSignIn(next)
    const callback = await agent.get(pathOf(await atProvider(authorizeUrl, { login })))
    return { agent, callback }
  }

  const auditFor = (recordId: string, action: string) => withTenant(t.database.db, { laId: t.la.id }, async (tx) =>
    (await sql<{ details: string }>`select details from audit_event where action = ${action} and record_id = ${recordId} order by seq`.execute(tx))
      .rows.map((r) => JSON.parse(r.details) as unknown))

  const assertNotSignedIn = async (agent: Agent) => {
    assert.equal(agent.cookies.lantern_session, undefined)
    const home = await agent.get('/')
    assert.equal(home.statusCode, 303)
    assert.match(String(home.headers.location), /^\/sign-in/)
  }

  describe('the settings page', () => {
    it('is refused to staff who cannot configure sign-in', async () => {
      const { agent: officer } = await t.signedIn(['cme_officer'])

      assert.equal((await officer.get('/admin/single-sign-on')).statusCode, 403)
      assert.equal((await officer.post('/admin/single-sign-on', { enabled: 'yes', issuer, clientId: 'x', clientSecret: 'y', buttonText: 'z', requireTotp: 'no' })).statusCode, 403)
    })

    it('shows the redirect URI to register with the provider', async () => {
      const page = await admin.get('/admin/single-sign-on')

      assert.equal(page.statusCode, 200)
      assert.match(textOf(page, 'main'), /redirect URI: http:\/\/lantern\.test\/sign-in\/oidc\/callback/)
    })

    it('re-displays with an error summary when the issuer is missing', async () => {
      const res = await admin.post('/admin/single-sign-on', { enabled: 'yes', issuer: '', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, buttonText: BUTTON, requireTotp: 'no' })

      assert.equal(res.statusCode, 400)
      const $ = html(res)
      assert.equal($('.govuk-error-summary a[href="#issuer"]').text().trim(), 'Enter the issuer URL')
      assert.match($('#issuer-error').text(), /Enter the issuer URL/)
    })

    it('re-displays with an error summary when the issuer is not a URL, and asks for a first secret', async () => {
      const res = await admin.post('/admin/single-sign-on', { enabled: 'yes', issuer: 'login.example/tenant', clientId: CLIENT_ID, clientSecret: '', buttonText: BUTTON, requireTotp: 'no' })

      assert.equal(res.statusCode, 400)
      const summary = html(res)('.govuk-error-summary a').map((_i, a) => html(res)(a).attr('href')).get()
      assert.deepEqual(summary, ['#issuer', '#clientSecret'])
      assert.match(textOf(res, '.govuk-error-summary'), /Enter the issuer URL in the correct format[\s\S]*Enter the client secret/)
      assert.equal(html(res)('#issuer').val(), 'login.example/tenant')
    })

    it('stores the client secret encrypted, never shows it back, and audits the change', async () => {
      const saved = await configure({ clientSecret: CLIENT_SECRET })

      assert.match(textOf(saved, '.govuk-notification-banner, main'), /Single sign-on settings saved/)
      assert.equal(html(saved)('#clientSecret').val() ?? '', '')
      const stored = await withTenant(t.database.db, { laId: t.la.id }, async (tx) =>
        (await sql<{ secret: string; issuer: string }>`select client_secret as secret, issuer from oidc_setting`.execute(tx)).rows)
      assert.equal(stored.length, 1)
      assert.equal(stored[0].issuer, issuer)
      assert.ok(stored[0].secret.length > 0 && !stored[0].secret.includes(CLIENT_SECRET))
      const reopened = await admin.get('/admin/single-sign-on')
      assert.ok(!reopened.body.includes(CLIENT_SECRET))
      assert.match(textOf(reopened, '#clientSecret-hint'), /Leave blank to keep the secret already saved/)
      assert.deepEqual((await auditFor(t.la.id, 'settings.single_sign_on_changed')).at(-1), { enabled: true, issuer, secretChanged: true })
    })

    it('puts the button on the sign-in page only while single sign-on is on', async () => {
      await configure()
      const button = html(await t.agent().get('/sign-in'))(`a[href^="/sign-in/oidc/990"]`)
      assert.equal(button.text().trim(), BUTTON)

      await configure({ enabled: 'no' })
      assert.doesNotMatch(textOf(await t.agent().get('/sign-in'), 'main'), new RegExp(BUTTON))
      assert.equal((await t.agent().get('/sign-in/oidc/990')).statusCode, 404)
    })
  })

  describe('signing in', () => {
    it('gives an active user whose provider email matches a complete session, and audits it', async () => {
      await configure({ requireTotp: 'no' })
      const { userId, email } = await t.createUser(['cme_officer'], { email: 'sso.officer@northmoor.example' })

      const { agent, callback } = await signInAs(email, '/account')

      assert.equal(callback.statusCode, 303, textOf(callback, 'main'))
      assert.equal(callback.headers.location, '/account')
      assert.equal(agent.cookies.lantern_oidc, undefined, 'the pending sign-in cookie is cleared')
      const home = await agent.get('/')
      assert.equal(home.statusCode, 200)
      assert.equal(textOf(home, 'h1'), 'Lantern')
      assert.deepEqual(await auditFor(userId, 'auth.signed_in'), [{ method: 'oidc' }])
      const sessions = await withTenant(t.database.db, { laId: t.la.id }, async (tx) =>
        (await sql<{ stage: string; method: string }>`select stage, method from user_session where user_id = ${userId}`.execute(tx)).rows)
      assert.deepEqual(sessions, [{ stage: 'complete', method: 'oidc' }])
    })

    it('matches the provider email whatever its letter case', async () => {
      await configure({ requireTotp: 'no' })
      await t.createUser(['cme_officer'], { email: 'sso.casey@northmoor.example' })

      const { agent, callback } = await signInAs('SSO.Casey@Northmoor.example')

      assert.equal(callback.headers.location, '/')
      assert.equal((await agent.get('/')).statusCode, 200)
    })

    it('still asks for the authenticator code when the LA requires it', async () => {
      await configure({ requireTotp: 'yes' })
      const { userId, email } = await t.createUser(['cme_officer'], { email: 'sso.totp@northmoor.example', totpSecret: 'JBSWY3DPEHPK3PXP' })

      const { agent, callback } = await signInAs(email, '/account')

      assert.equal(callback.headers.location, '/sign-in/code?next=%2Faccount')
      assert.equal((await agent.get('/')).statusCode, 303, 'the session is not complete until the code is entered')
      assert.equal((await agent.get('/sign-in/code')).statusCode, 200)
      assert.deepEqual(await auditFor(userId, 'auth.signed_in'), [])
    })

    it('sends a user without an authenticator to set one up when the LA requires it', async () => {
      await configure({ requireTotp: 'yes' })
      const { email } = await t.createUser(['cme_officer'], { email: 'sso.enrol@northmoor.example' })

      const { agent, callback } = await signInAs(email)

      assert.equal(callback.headers.location, '/sign-in/set-up-authenticator')
      assert.equal((await agent.get('/sign-in/set-up-authenticator')).statusCode, 200)
    })

    it('refuses a provider account with no Lantern user', async () => {
      await configure({ requireTotp: 'no' })

      const { agent, callback } = await signInAs('stranger@elsewhere.example')

      assert.equal(callback.statusCode, 400)
      assert.match(html(callback)('[data-testid="oidc-problem"]').text(), NO_ACCOUNT)
      await assertNotSignedIn(agent)
    })

    it('refuses a deactivated user even though the provider still knows them', async () => {
      await configure({ requireTotp: 'no' })
      const { userId, email } = await t.createUser(['cme_officer'], { email: 'sso.leaver@northmoor.example' })
      assert.equal((await admin.post(`/admin/users/${userId}/deactivate`, { reason: 'Left the authority' })).statusCode, 303)

      const { agent, callback } = await signInAs(email)

      assert.equal(callback.statusCode, 400)
      assert.match(textOf(callback, 'main'), NO_ACCOUNT)
      await assertNotSignedIn(agent)
    })

    it('refuses when the person cancels at the provider', async () => {
      await configure({ requireTotp: 'no' })
      const { agent, authorizeUrl } = await startSignIn()

      const back = await atProvider(authorizeUrl, 'cancel')
      const callback = await agent.get(pathOf(back))

      assert.equal(back.searchParams.get('error'), 'access_denied')
      assert.equal(callback.statusCode, 400)
      assert.match(textOf(callback, 'main'), NOT_CONFIRMED)
      await assertNotSignedIn(agent)
    })
  })

  describe('the callback', () => {
    before(async () => {
      await configure({ requireTotp: 'no' })
      await t.createUser(['cme_officer'], { email: 'sso.state@northmoor.example' })
    })

    /** A genuine answer from the provider for a real user, with the agent that started it. */
    async function providerAnswer() {
      const { agent, authorizeUrl } = await startSignIn()
      return { agent, back: await atProvider(authorizeUrl, { login: 'sso.state@northmoor.example' }) }
    }

    it('refuses an answer arriving in a browser that did not start the sign-in', async () => {
      const { back } = await providerAnswer()
      const stranger = t.agent()

      const res = await stranger.get(pathOf(back))

      assert.equal(res.statusCode, 400)
      assert.match(textOf(res, 'main'), TOOK_TOO_LONG)
      await assertNotSignedIn(stranger)
    })

    it('refuses a tampered pending sign-in cookie', async () => {
      const { agent, back } = await providerAnswer()
      const sealed = agent.cookies.lantern_oidc
      const middle = Math.floor(sealed.length * 0.75)
      agent.cookies.lantern_oidc = `${sealed.slice(0, middle)}${sealed[middle] === 'A' ? 'B' : 'A'}${sealed.slice(middle + 1)}`

      const res = await agent.get(pathOf(back))

      assert.equal(res.statusCode, 400)
      assert.match(textOf(res, 'main'), TOOK_TOO_LONG)
      await assertNotSignedIn(agent)
    })

    it('refuses an answer that comes back after ten minutes', async () => {
      const { agent, back } = await providerAnswer()
      const started = t.clock.now
      t.clock.now = new Date(started.getTime() + 11 * 60_000)
      try {
        const res = await agent.get(pathOf(back))

        assert.equal(res.statusCode, 400)
        assert.match(textOf(res, 'main'), TOOK_TOO_LONG)
      } finally {
        t.clock.now = started
      }
      await assertNotSignedIn(agent)
    })

    it('refuses an answer whose state differs from the sign-in this browser started', async () => {
      const { agent, back } = await providerAnswer()
      back.searchParams.set('state', 'forged-state')

      const res = await agent.get(pathOf(back))

      assert.equal(res.statusCode, 400)
      assert.match(textOf(res, 'main'), NOT_CONFIRMED)
      await assertNotSignedIn(agent)
    })

    it('refuses to use the same authorisation code twice', async () => {
      const { agent, back } = await providerAnswer()
      const pending = agent.cookies.lantern_oidc
      assert.equal((await agent.get(pathOf(back))).headers.location, '/')

      const replay = t.agent()
      replay.cookies.lantern_oidc = pending
      const res = await replay.get(pathOf(back))

      assert.equal(res.statusCode, 400)
      assert.match(textOf(res, 'main'), NOT_CONFIRMED)
      await assertNotSignedIn(replay)
    })

    it('refuses an answer that arrives after single sign-on was switched off', async () => {
      const { agent, back } = await providerAnswer()
      await configure({ enabled: 'no' })
      try {
        const res = await agent.get(pathOf(back))

        assert.equal(res.statusCode, 400)
        assert.match(textOf(res, 'main'), NOT_CONFIRMED)
        await assertNotSignedIn(agent)
      } finally {
        await configure({ requireTotp: 'no' })
      }
    })
  })
})
