import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import { PUBLIC } from '../../src/platform/access.ts'
import { hmac } from '../../src/platform/crypto.ts'
import { SECRET, TEST_PASSWORD, html, testApp, textOf, type Agent, type TestApp } from '../helpers/test-app.ts'

// A frame of a stack trace ("at fn (/app/src/x.ts:12:5)") or any path into the installed code.
const STACK_TRACE = /(?:file:\/\/|node:|\/)[^\s()"'<>]*:\d+:\d+|node_modules/
const FORM_EXPIRED = /This form has expired or was not sent from Lantern/

/** A GOV.UK error page with this status and heading, and nothing of the server's insides. */
function assertErrorPage(res: LightMyRequestResponse, status: number, heading: RegExp, label = '') {
  assert.equal(res.statusCode, status, `${label} status`)
  assert.match(String(res.headers['content-type']), /^text\/html/, `${label} is a page`)
  assert.equal(html(res)('html').hasClass('govuk-template'), true, `${label} uses the GOV.UK template`)
  assert.match(textOf(res, 'h1'), heading, `${label} heading`)
  assert.doesNotMatch(res.body, STACK_TRACE, `${label} shows no stack trace`)
}

const formBody = (fields: Record<string, string>) => new URLSearchParams(fields).toString()

// Bad input of every kind gets a clear 4xx page, never a 500, and never the server's insides.
describe('bad input', () => {
  let t: TestApp
  let admin: Agent
  let officer: Agent
  const cleanups: (() => Promise<void>)[] = []

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    // A route that fails the way a lost database connection would, to see what a 500 shows.
    t.app.get('/test/fails', { config: { access: PUBLIC } }, async () => {
      throw new Error('connect ECONNREFUSED postgres://lantern:hunter2@db.internal:5432')
    })
    admin = (await t.signedIn(['la_admin'])).agent
    officer = (await t.signedIn(['cme_officer'])).agent
  })
  after(async () => { for (const fn of cleanups) await fn() })

  describe('oversized bodies', () => {
    for (const [label, size] of [['2 MB', 2 * 1024 * 1024], ['just over the 256 KB form limit', 256 * 1024 + 1]] as const) {
      it(`refuses a ${label} form with the 413 page`, async () => {
        const res = await t.agent().post('/sign-in', { email: 'a@example.org', password: 'x'.repeat(size) })

        assertErrorPage(res, 413, /What you sent is too large/)
        assert.match(textOf(res, 'main'), /larger than Lantern accepts/)
      })
    }
  })

  describe('malformed cookies', () => {
    const COOKIE_HEADERS = {
      'a made-up session': 'lantern_session=garbage',
      'a well-formed but unknown session': `lantern_session=${randomBytes(32).toString('base64url')}`,
      'an 8 KB session': `lantern_session=${'x'.repeat(8192)}`,
      'a made-up CSRF cookie': 'lantern_csrf=garbage',
      'broken percent-encoding': 'lantern_csrf=%E0%A4%A; lantern_session=%',
      'non-ASCII values': 'lantern_session="\u00ff\u00fe"; lantern_csrf=\u00e9',
      'names and values missing': '=;=;',
      'only separators': ';;;;',
      'a name with no value': 'lantern_session',
    }

    for (const [label, cookie] of Object.entries(COOKIE_HEADERS)) {
      it(`shows public pages normally and sends protected pages to sign in, given ${label}`, async () => {
        const signIn = await t.app.inject({ url: '/sign-in', headers: { cookie } })
        const home = await t.app.inject({ url: '/', headers: { cookie } })

        assert.equal(signIn.statusCode, 200)
        assert.equal(home.statusCode, 303)
        assert.match(String(home.headers.location), /^\/sign-in\?next=/)
      })
    }

    it('clears a session cookie that matches no session', async () => {
      const res = await t.app.inject({ url: '/sign-in', headers: { cookie: 'lantern_session=garbage' } })

      const cleared = res.cookies.find((c) => c.name === 'lantern_session')
      assert.ok(cleared, 'the cookie is cleared')
      assert.equal(cleared.value, '')
    })

    it('replaces a malformed CSRF cookie, and refuses a form sent with it', async () => {
      const page = await t.app.inject({ url: '/sign-in', headers: { cookie: 'lantern_csrf=garbage' } })
      const form = await t.app.inject({
        method: 'POST', url: '/sign-in', headers: { cookie: 'lantern_csrf=garbage', 'content-type': 'application/x-www-form-urlencoded' },
        payload: formBody({ email: 'a@example.org', password: 'x', _csrf: hmac(SECRET, 'csrf:garbage') }),
      })

      assert.match(String(page.cookies.find((c) => c.name === 'lantern_csrf')?.value), /^[A-Za-z0-9_-]{43}$/)
      assertErrorPage(form, 403, /You do not have permission/)
      assert.match(textOf(form, 'main'), FORM_EXPIRED)
    })
  })

  describe('unknown addresses', () => {
    it('answers an unknown page with the GOV.UK page not found, signed in or not', async () => {
      for (const agent of [t.agent(), admin]) {
        const res = await agent.get('/no/such/page')

        assertErrorPage(res, 404, /^Page not found$/)
        assert.match(textOf(res, 'main'), /check it is correct/)
      }
    })

    it('answers unknown methods and unknown form addresses with page not found, not a CSRF refusal', async () => {
      const requests = [
        admin.post('/no/such/form', {}),
        admin.inject({ method: 'DELETE', url: '/sign-in' }),
        admin.inject({ method: 'PUT', url: '/admin/users' }),
        admin.inject({ method: 'PATCH', url: `/admin/users/${randomUUID()}` }),
      ]

      for (const res of await Promise.all(requests)) assertErrorPage(res, 404, /^Page not found$/)
    })

    it('refuses an address with broken percent-encoding with a 400', async () => {
      const res = await admin.get('/admin/users/%E0%A4%A')

      assert.equal(res.statusCode, 400)
      assert.doesNotMatch(res.body, STACK_TRACE)
    })
  })

  describe('ids that are not UUIDs', () => {
    const NOT_IDS = ['not-a-uuid', '1', "1'%20or%201=1", `${randomUUID()}x`, '..%2F..%2Fetc%2Fpasswd']
    const pages = (id: string): [() => Agent, string, string][] => [
      [() => admin, 'GET', `/admin/users/${id}`],
      [() => admin, 'GET', `/admin/users/${id}/edit`],
      [() => admin, 'GET', `/admin/users/${id}/deactivate`],
      [() => admin, 'POST', `/admin/users/${id}/deactivate`],
      [() => admin, 'POST', `/admin/users/${id}/resend-invitation`],
      [() => admin, 'GET', `/admin/organisations/${id}`],
      [() => admin, 'POST', `/calendar/terms/${id}/remove`],
      [() => admin, 'POST', `/calendar/bank-holidays/${id}/remove`],
      [() => officer, 'GET', `/children/${id}`],
      [() => officer, 'GET', `/cases/${id}/status`],
      [() => officer, 'POST', `/cases/${id}/risk`],
      [() => officer, 'GET', `/cases/${randomUUID()}/enquiries/${id}`],
    ]

    for (const id of NOT_IDS) {
      it(`treats "${id}" as page not found wherever an id belongs`, async () => {
        for (const [agent, method, url] of pages(id)) {
          const res = method === 'GET' ? await agent().get(url) : await agent().post(url, { reason: 'Testing', level: 'high', version: '1' })

          assertErrorPage(res, 404, /^Page not found$/, `${method} ${url}`)
        }
      })
    }

    it('treats an organisation id in a form that is not a UUID as not found', async () => {
      const res = await admin.post('/admin/organisations', { id: 'not-a-uuid', name: 'Team', kind: 'la_team' })

      assertErrorPage(res, 404, /^Page not found$/)
    })
  })

  describe('made-up links from emails', () => {
    const token = randomBytes(32).toString('base64url')
    const LINKS: [string, string, Record<string, string>?][] = [
      ['GET', '/accept-invitation?token=nonsense'],
      ['GET', `/reset-password?token=${token}`],
      ['GET', '/accept-invitation'],
      ['GET', '/reset-password?token='],
      ['POST', '/accept-invitation', { token: 'nonsense', password: TEST_PASSWORD, confirm: TEST_PASSWORD }],
      ['POST', '/reset-password', { token, password: TEST_PASSWORD, confirm: TEST_PASSWORD }],
    ]

    for (const [method, url, form] of LINKS) {
      it(`explains the problem with ${method} ${url}`, async () => {
        const agent = t.agent()

        const res = method === 'GET' ? await agent.get(url) : await agent.post(url, form)

        assertErrorPage(res, 404, /There is a problem with this link/)
      })
    }
  })

  describe('forms without their CSRF token', () => {
    const CASES: [string, string | false][] = [['no token', false], ['a forged token', 'forged'], ['a token signed with another secret', hmac('another-secret', 'csrf:x')]]

    for (const [label, csrf] of CASES) {
      it(`refuses a form with ${label}, says why, and changes nothing`, async () => {
        const name = `Unwanted team ${randomUUID()}`

        const signIn = await t.agent().post('/sign-in', { email: 'a@example.org', password: 'x' }, { csrf })
        const create = await admin.post('/admin/organisations', { name, kind: 'la_team' }, { csrf })

        for (const res of [signIn, create]) {
          assertErrorPage(res, 403, /You do not have permission/)
          assert.match(textOf(res, 'main'), FORM_EXPIRED)
        }
        assert.doesNotMatch((await admin.get('/admin/organisations')).body, new RegExp(name))
      })
    }

    it("refuses another browser's valid token", async () => {
      const other = t.agent()
      await other.get('/sign-in')
      const theirs = hmac(SECRET, `csrf:${other.cookies.lantern_csrf}`)

      const res = await admin.post('/admin/organisations', { name: 'Team', kind: 'la_team' }, { csrf: theirs })

      assertErrorPage(res, 403, /You do not have permission/)
    })
  })

  describe('bodies that are not HTML forms', () => {
    const csrfOf = async (agent: Agent) => {
      await agent.get('/accessibility')
      return hmac(SECRET, `csrf:${agent.cookies.lantern_csrf}`)
    }
    const BODIES: [string, string, (csrf: string) => string][] = [
      ['JSON, even with a valid token', 'application/json', (csrf) => JSON.stringify({ _csrf: csrf, name: 'JSON team', kind: 'la_team' })],
      ['JSON null', 'application/json', () => 'null'],
      ['plain text', 'text/plain', (csrf) => `_csrf=${csrf}&name=Text team&kind=la_team`],
      ['multipart form data', 'multipart/form-data; boundary=x', () => '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nTeam\r\n--x--'],
      ['XML', 'application/xml', () => '<name>Team</name>'],
    ]

    for (const [label, type, payload] of BODIES) {
      it(`refuses ${label} with 415, and changes nothing`, async () => {
        const csrf = await csrfOf(admin)

        const res = await admin.inject({
          method: 'POST', url: '/admin/organisations', payload: payload(csrf), headers: { 'content-type': type, 'x-csrf-token': csrf },
        })

        assertErrorPage(res, 415, /There is a problem with your request/)
        assert.match(textOf(res, 'main'), /Use the forms on Lantern pages/)
        assert.doesNotMatch((await admin.get('/admin/organisations')).body, /JSON team|Text team/)
      })
    }

    it('treats a form sent with no body at all as an empty form', async () => {
      const csrf = await csrfOf(admin)

      const res = await admin.inject({ method: 'POST', url: '/admin/organisations', headers: { 'x-csrf-token': csrf } })

      assert.equal(res.statusCode, 400)
      assert.ok(textOf(res, '.govuk-error-summary').startsWith('There is a problem'))
    })
  })

  describe('fields and query parameters sent twice', () => {
    it('reads a repeated query parameter as its first value, on every page that reads the query', async () => {
      const pages: [Agent, string][] = [
        [admin, '/admin/users?q=a&q=b&status=active&status=invited&page=1&page=2'],
        [admin, '/admin/audit?user=a&user=b&action=x&action=y&from-day=1&from-day=2'],
        [admin, '/admin/audit/export.csv?user=a&user=b'],
        [admin, '/calendar?days=1&days=2&year=2030&year=2031&done=term&done=x'],
        [officer, '/register?q=a&q=b&status=open&status=closed&type=a&type=b&risk=high&risk=standard'],
        [t.agent(), '/sign-in?next=/a&next=/b&reset=done&reset=x'],
        [t.agent(), '/reset-password?token=a&token=b'],
      ]

      for (const [agent, url] of pages) {
        const res = await agent.get(url)

        assert.ok(res.statusCode < 500, `${url}: ${res.statusCode}`)
      }
      const users = await admin.get('/admin/users?q=first&q=second')
      assert.equal(html(users)('input[name="q"]').val(), 'first')
    })

    it('re-displays forms whose fields were sent twice, rather than failing', async () => {
      const twice = { name: ['a', 'b'], kind: ['la_team', 'school'], email: ['a@example.org', 'b@example.org'], password: ['x', 'y'], displayName: ['a', 'b'], organisationId: ['a', 'b'], startsOn: ['2030-01-01', 'x'], date: ['a', 'b'], title: ['a', 'b'], reason: ['a', 'b'] }
      const forms: [Agent, string][] = [
        [t.agent(), '/sign-in'], [t.agent(), '/forgot-password'], [admin, '/admin/users'], [admin, '/admin/organisations'],
        [admin, '/calendar/terms'], [admin, '/calendar/closures'], [admin, '/calendar/bank-holidays'], [admin, '/admin/single-sign-on'], [admin, '/referrals'],
      ]

      for (const [agent, url] of forms) {
        const res = await agent.post(url, twice)

        assert.equal(res.statusCode, 400, url)
      }
    })
  })

  describe('forms sent empty', () => {
    let deactivateUrl: string
    before(async () => {
      const { userId } = await t.createUser(['school_user'])
      deactivateUrl = `/admin/users/${userId}/deactivate`
    })

    const FORMS: [string, () => Agent, () => string, (() => Record<string, string>)?][] = [
      ['sign in', () => t.agent(), () => '/sign-in'],
      ['forgot password', () => t.agent(), () => '/forgot-password'],
      ['invite a user', () => admin, () => '/admin/users'],
      ['add an organisation', () => admin, () => '/admin/organisations'],
      ['change an organisation', () => admin, () => '/admin/organisations', () => ({ id: t.la.organisationId })],
      ['add a term', () => admin, () => '/calendar/terms'],
      ['add a closure', () => admin, () => '/calendar/closures'],
      ['add a bank holiday', () => admin, () => '/calendar/bank-holidays'],
      ['single sign-on settings', () => admin, () => '/admin/single-sign-on'],
      ['the reason for deactivating a user', () => admin, () => deactivateUrl],
      ['refer a child', () => admin, () => '/referrals'],
    ]

    for (const [label, agent, url, form] of FORMS) {
      it(`re-displays ${label} with an error summary linked to each field message`, async () => {
        const res = await agent().post(url(), form?.() ?? {})

        assert.equal(res.statusCode, 400)
        const $ = html(res)
        assert.match($('title').text(), /^Error: /)
        assert.ok(textOf(res, '.govuk-error-summary').startsWith('There is a problem'))
        const messages = $('.govuk-error-message')
        assert.ok(messages.length > 0, 'has field messages')
        const links = $('.govuk-error-summary a').map((_, a) => $(a).attr('href')).get()
        assert.equal(links.length, messages.length, 'one summary link per field message')
        for (const href of links) assert.equal($(`[id="${href.slice(1)}"]`).length, 1, `${href} leads to a field`)
      })
    }
  })

  describe('server failures', () => {
    it('shows the GOV.UK problem page and hides what went wrong', async () => {
      const res = await t.agent().get('/test/fails')

      assertErrorPage(res, 500, /Sorry, there is a problem with the service/)
      assert.doesNotMatch(res.body, /hunter2|ECONNREFUSED|db\.internal/)
    })

    it('hides what went wrong from clients that ask for JSON too', async () => {
      const res = await t.app.inject({ url: '/test/fails', headers: { accept: 'application/json' } })

      assert.equal(res.statusCode, 500)
      assert.deepEqual(Object.keys(res.json()).sort(), ['error', 'message'])
      assert.doesNotMatch(res.body, /hunter2|ECONNREFUSED|db\.internal|stack/)
    })
  })

  describe('headers on every page', () => {
    const PARAMS: Record<string, string> = { ':laCode': '990', ':file': 'init.js', '*': 'images/favicon.ico' }
    const concrete = (url: string) => url.replace(/:[A-Za-z]+|\*/g, (param) => PARAMS[param] ?? randomUUID())

    /** The script nonce from the CSP header, after checking the policy allows no other inline script. */
    function scriptNonce(res: LightMyRequestResponse, label: string): string {
      const csp = String(res.headers['content-security-policy'] ?? '')
      const scriptSrc = /(?:^|;)\s*script-src ([^;]*)/.exec(csp)?.[1] ?? ''
      const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(scriptSrc)?.[1]
      assert.ok(nonce, `${label}: script-src has a nonce (${csp})`)
      assert.doesNotMatch(scriptSrc, /unsafe-inline|unsafe-eval/, label)
      assert.match(csp, /default-src 'self'/, label)
      assert.match(csp, /object-src 'none'/, label)
      assert.match(csp, /frame-ancestors 'none'/, label)
      return nonce
    }

    it('gives every HTML page, error pages included, a Content-Security-Policy with a fresh nonce and no inline script without it', async () => {
      const responses: [string, LightMyRequestResponse][] = []
      const gets = t.app.lanternRoutes.filter((r) => r.method === 'GET' && r.url !== '/test/fails')
      for (const [who, agent] of [['signed out', t.agent()], ['admin', admin], ['officer', officer]] as const) {
        for (const r of gets) responses.push([`${who} GET ${r.url}`, await agent.get(concrete(r.url))])
      }
      responses.push(['404', await admin.get('/no/such/page')])
      responses.push(['403', await officer.get('/admin')])
      responses.push(['413', await t.agent().post('/sign-in', { password: 'x'.repeat(300 * 1024) })])
      responses.push(['415', await admin.inject({ method: 'POST', url: '/admin/organisations', payload: '{}', headers: { 'content-type': 'application/json' } })])
      responses.push(['400 form', await admin.post('/calendar/terms', {})])
      responses.push(['500', await t.agent().get('/test/fails')])

      const pages = responses.filter(([, res]) => String(res.headers['content-type']).startsWith('text/html'))
      assert.ok(pages.length > 40, `checked ${pages.length} pages`)
      const nonces = new Set<string>()
      for (const [label, res] of pages) {
        const nonce = scriptNonce(res, label)
        nonces.add(nonce)
        const $ = html(res)
        $('script:not([src])').each((_, script) => assert.equal($(script).attr('nonce'), nonce, `${label}: inline script carries the nonce`))
        assert.equal(res.headers['cache-control'], 'no-store', `${label}: not cached`)
        assert.equal(res.headers['x-content-type-options'], 'nosniff', label)
      }
      assert.equal(nonces.size, pages.length, 'every response has its own nonce')
    })

    it('sets the session and CSRF cookies HttpOnly, SameSite=Lax and for the whole site', async () => {
      const { email } = await t.createUser(['school_user'])
      const agent = t.agent()
      const page = await agent.get('/sign-in')

      const signIn = await agent.post('/sign-in', { email, password: TEST_PASSWORD })

      assert.equal(signIn.statusCode, 303, 'signed in')
      const cookies = [page.cookies.find((c) => c.name === 'lantern_csrf'), signIn.cookies.find((c) => c.name === 'lantern_session')]
      for (const cookie of cookies) {
        assert.ok(cookie, 'cookie is set')
        assert.deepEqual({ httpOnly: cookie.httpOnly, sameSite: cookie.sameSite, path: cookie.path }, { httpOnly: true, sameSite: 'Lax', path: '/' }, cookie.name)
      }
    })
  })
})

// Over HTTPS the cookies also carry Secure and the __Host- prefix, which pins them to this host.
describe('cookies over HTTPS', () => {
  let t: TestApp
  const cleanups: (() => Promise<void>)[] = []
  before(async () => { t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) }, { config: { COOKIE_SECURE: 'true' } }) })
  after(async () => { for (const fn of cleanups) await fn() })

  it('marks the session and CSRF cookies Secure, HttpOnly and SameSite=Lax, with the __Host- prefix', async () => {
    const { email } = await t.createUser(['school_user'])
    const page = await t.app.inject({ url: '/sign-in' })
    const csrf = page.cookies.find((c) => c.name === '__Host-lantern_csrf')
    assert.ok(csrf, 'CSRF cookie is set')

    const signIn = await t.app.inject({
      method: 'POST', url: '/sign-in', cookies: { '__Host-lantern_csrf': csrf.value }, headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: formBody({ email, password: TEST_PASSWORD, _csrf: hmac(SECRET, `csrf:${csrf.value}`) }),
    })

    assert.equal(signIn.statusCode, 303, 'signed in')
    const session = signIn.cookies.find((c) => c.name === '__Host-lantern_session')
    for (const cookie of [csrf, session]) {
      assert.ok(cookie, 'cookie is set')
      assert.deepEqual(
        { secure: cookie.secure, httpOnly: cookie.httpOnly, sameSite: cookie.sameSite, path: cookie.path, domain: cookie.domain },
        { secure: true, httpOnly: true, sameSite: 'Lax', path: '/', domain: undefined }, cookie.name)
    }
  })
})
