import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { testApp, textOf, type TestApp, type Agent } from '../helpers/test-app.ts'

// Bad input of every kind gets a clear 4xx page, never a 500 and never a stack trace.
describe('bad requests', () => {
  let t: TestApp
  let admin: Agent
  const cleanups: (() => Promise<void>)[] = []
  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    admin = (await t.signedIn(['la_admin'])).agent
  })
  after(async () => { for (const fn of cleanups) await fn() })

  it('refuses an oversized form with 413 and a plain explanation', async () => {
    const res = await t.agent().post('/sign-in', { email: 'a@example.org', password: 'x'.repeat(2 * 1024 * 1024) })
    assert.equal(res.statusCode, 413)
    assert.match(textOf(res, 'main'), /larger than Lantern accepts/)
  })

  it('ignores malformed and forged cookies', async () => {
    for (const cookie of ['lantern_session=garbage', 'lantern_session=' + 'A'.repeat(43), 'lantern_csrf=%%%; lantern_session==;;', '=;=;']) {
      const res = await t.app.inject({ url: '/', headers: { cookie } })
      assert.equal(res.statusCode, 303, cookie)
      assert.match(String(res.headers.location), /^\/sign-in/)
    }
  })

  it('answers unknown routes with the GOV.UK page not found', async () => {
    const res = await admin.get('/no/such/page')
    assert.equal(res.statusCode, 404)
    assert.match(textOf(res, 'h1'), /Page not found/)
  })

  it('treats ids that are not UUIDs as not found', async () => {
    assert.equal((await admin.get('/admin/users/not-a-uuid')).statusCode, 404)
    assert.equal((await admin.get('/admin/organisations/1%27%20or%201=1')).statusCode, 404)
    assert.equal((await admin.post('/calendar/bank-holidays/2027-13-45x/remove')).statusCode, 404)
  })

  it('explains invalid, used and made-up tokens in emailed links', async () => {
    for (const url of ['/accept-invitation?token=nonsense', `/reset-password?token=${'b'.repeat(43)}`, '/accept-invitation']) {
      const res = await t.agent().get(url)
      assert.equal(res.statusCode, 404, url)
      assert.match(textOf(res, 'h1'), /There is a problem with this link/)
    }
  })

  it('refuses a form sent without its CSRF token, or with a forged one', async () => {
    for (const csrf of [false, 'forged'] as const) {
      const res = await admin.post('/admin/organisations', { name: 'Team', kind: 'la_team' }, { csrf })
      assert.equal(res.statusCode, 403)
      assert.match(textOf(res, 'main'), /This form has expired or was not sent from Lantern/)
    }
  })

  it('refuses JSON and other bodies sent to form routes with a 4xx', async () => {
    const json = await admin.inject({ method: 'POST', url: '/admin/organisations', payload: '{"name":', headers: { 'content-type': 'application/json' } })
    assert.ok(json.statusCode >= 400 && json.statusCode < 500, String(json.statusCode))
    const text = await admin.inject({ method: 'POST', url: '/sign-in', payload: 'hello', headers: { 'content-type': 'text/plain' } })
    assert.ok(text.statusCode >= 400 && text.statusCode < 500, String(text.statusCode))
  })

  it('re-displays every form with an error summary and field messages when sent empty', async () => {
    const forms: [Agent, string][] = [
      [t.agent(), '/sign-in'],
      [t.agent(), '/forgot-password'],
      [admin, '/admin/users'],
      [admin, '/admin/organisations'],
      [admin, '/calendar/terms'],
      [admin, '/calendar/closures'],
      [admin, '/calendar/bank-holidays'],
      [admin, '/admin/single-sign-on'],
    ]
    for (const [agent, url] of forms) {
      const res = await agent.post(url, {})
      assert.equal(res.statusCode, 400, url)
      assert.ok(textOf(res, '.govuk-error-summary').startsWith('There is a problem'), url)
      assert.ok(textOf(res, '.govuk-error-message').length > 0, `${url} has field messages`)
    }
  })

  it('sets a nonce-based Content-Security-Policy with no inline script, and safe cookies', async () => {
    const res = await t.agent().get('/sign-in')
    const csp = String(res.headers['content-security-policy'])
    assert.match(csp, /script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/)
    assert.doesNotMatch(csp, /unsafe-inline/)
    assert.match(csp, /frame-ancestors 'none'/)
    const csrf = res.cookies.find((c) => c.name === 'lantern_csrf')!
    assert.equal(csrf.httpOnly, true)
    assert.equal(csrf.sameSite, 'Lax')
    assert.equal(res.headers['cache-control'], 'no-store')
  })

  it('never shows a stack trace', async () => {
    const pages = await Promise.all(['/no/such/page', '/admin/users/not-a-uuid', '/accept-invitation?token=x'].map((u) => admin.get(u)))
    for (const res of pages) assert.doesNotMatch(res.body, /at [\w.<>]+ \(.*:\d+:\d+\)|node_modules/)
  })
})
