import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { sql } from 'kysely'
import Provider from 'oidc-provider'
import { testApp, textOf, type TestApp, type Agent } from '../../../test/helpers/test-app.ts'
import { withTenant } from '../../platform/db.ts'

const CLIENT_ID = 'lantern-test'
const CLIENT_SECRET = 'a-client-secret-known-only-to-this-test'

/**
 * Signs in at the real provider the way a browser would: follow redirects, keep cookies, fill in
 * the provider's development login form, approve consent, and stop at Lantern's callback.
 */
async function throughProvider(authorizeUrl: string, login: string): Promise<string> {
  const jar = new Map<string, string>()
  let url = authorizeUrl
  let method = 'GET'
  let body: URLSearchParams | undefined
  for (let hop = 0; hop < 20; hop++) {
    const res = await fetch(url, {
      method, body, redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const [name, ...value] = pair.split('=')
      jar.set(name, value.join('='))
    }
    const location = res.headers.get('location')
    if (location?.startsWith('http://lantern.test/')) return location
    if (location) {
      url = new URL(location, url).href
      method = 'GET'
      body = undefined
      continue
    }
    const html = await res.text()
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1]
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1]
    if (!action || !prompt) throw new Error(`Unexpected provider page (${res.status}): ${html.slice(0, 300)}`)
    url = new URL(action, url).href
    method = 'POST'
    body = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt })
  }
  throw new Error('Too many redirects at the provider')
}

describe('signing in with OpenID Connect against a real provider', () => {
  let t: TestApp
  let admin: Agent
  let server: Server
  let issuer: string
  const cleanups: (() => Promise<void>)[] = []

  before(async () => {
    server = createServer()
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const provider = new Provider(issuer, {
      clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: ['http://lantern.test/sign-in/oidc/callback'] }],
      claims: { openid: ['sub'], email: ['email', 'email_verified'] },
      cookies: { keys: ['oidc-test-cookie-key'] },
      findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id, email: id, email_verified: true }) }),
    })
    server.on('request', provider.callback())
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    admin = (await t.signedIn(['la_admin'])).agent
  })
  after(async () => {
    for (const fn of cleanups) await fn()
    await new Promise((r) => server.close(r))
  })

  const configure = (form: Record<string, string>) => admin.post('/admin/single-sign-on', {
    enabled: 'yes', issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, buttonText: 'Sign in with Northmoor account', requireTotp: 'no', ...form,
  })

  async function signInAs(email: string): Promise<{ agent: Agent; callback: Awaited<ReturnType<Agent['get']>> }> {
    const agent = t.agent()
    const start = await agent.get('/sign-in/oidc/990?next=%2Faccount')
    assert.equal(start.statusCode, 303)
    assert.ok(String(start.headers.location).startsWith(`${issuer}/auth?`))
    const back = await throughProvider(String(start.headers.location), email)
    const callback = await agent.get(back.replace('http://lantern.test', ''))
    return { agent, callback }
  }

  it('validates the settings and keeps the client secret encrypted', async () => {
    const bad = await admin.post('/admin/single-sign-on', { enabled: 'yes', issuer: 'not a url', clientId: '', buttonText: '', requireTotp: 'no' })
    assert.equal(bad.statusCode, 400)
    assert.match(textOf(bad, '.govuk-error-summary'), /Enter the issuer URL in the correct format[\s\S]*Enter the client ID[\s\S]*Enter the client secret/)

    assert.equal((await configure({})).statusCode, 200)

    const stored = await withTenant(t.database.db, { laId: t.la.id }, async (tx) =>
      (await sql<{ secret: string }>`select client_secret as secret from oidc_setting`.execute(tx)).rows[0].secret)
    assert.ok(!stored.includes(CLIENT_SECRET))
    assert.match(textOf(await t.agent().get('/sign-in'), 'main'), /Sign in with Northmoor account/)
    const { agent: officer } = await t.signedIn(['cme_officer'])
    assert.equal((await officer.get('/admin/single-sign-on')).statusCode, 403)
  })

  it('signs in an invited, active user whose provider email matches, and audits it', async () => {
    await configure({ requireTotp: 'no' })
    const { userId, email } = await t.createUser(['cme_officer'], { email: 'sso.officer@northmoor.example' })

    const { agent, callback } = await signInAs(email)

    assert.equal(callback.headers.location, '/account', textOf(callback, 'main'))
    assert.equal((await agent.get('/account')).statusCode, 200)
    const audit = await withTenant(t.database.db, { laId: t.la.id }, async (tx) =>
      (await sql<{ details: string }>`select details from audit_event where action = 'auth.signed_in' and record_id = ${userId}`.execute(tx)).rows)
    assert.deepEqual(audit.map((a) => JSON.parse(a.details)), [{ method: 'oidc' }])
  })

  it('still asks for the authenticator code when the LA requires it', async () => {
    await configure({ requireTotp: 'yes', clientSecret: '' })
    await t.createUser(['cme_officer'], { email: 'sso.totp@northmoor.example', totpSecret: 'JBSWY3DPEHPK3PXP' })
    await t.createUser(['cme_officer'], { email: 'sso.new@northmoor.example' })

    assert.equal((await signInAs('sso.totp@northmoor.example')).callback.headers.location, '/sign-in/code?next=%2Faccount')
    assert.equal((await signInAs('sso.new@northmoor.example')).callback.headers.location, '/sign-in/set-up-authenticator')
  })

  it('refuses someone the provider knows but Lantern does not', async () => {
    await configure({ requireTotp: 'no', clientSecret: '' })
    const { agent, callback } = await signInAs('stranger@elsewhere.example')
    assert.equal(callback.statusCode, 400)
    assert.match(textOf(callback, 'main'), /no active Lantern account/)
    assert.match(String((await agent.get('/account')).headers.location), /^\/sign-in/)
  })

  it('refuses a callback whose state does not match the sign-in that started it', async () => {
    await t.createUser(['cme_officer'], { email: 'sso.state@northmoor.example' })
    const agent = t.agent()
    const start = await agent.get('/sign-in/oidc/990')
    const back = new URL(await throughProvider(String(start.headers.location), 'sso.state@northmoor.example'))
    back.searchParams.set('state', 'forged-state')

    const res = await agent.get(`${back.pathname}${back.search}`)

    assert.equal(res.statusCode, 400)
    assert.match(String((await agent.get('/account')).headers.location), /^\/sign-in/)
    const noCookie = await t.agent().get(`/sign-in/oidc/callback${back.search}`)
    assert.match(textOf(noCookie, 'main'), /took too long or was started in another browser/)
  })

  it('offers no single sign-on when it is switched off', async () => {
    await configure({ enabled: 'no', clientSecret: '' })
    assert.equal((await t.agent().get('/sign-in/oidc/990')).statusCode, 404)
    assert.doesNotMatch(textOf(await t.agent().get('/sign-in'), 'main'), /Sign in with Northmoor account/)
  })
})
