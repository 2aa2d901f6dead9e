import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { ROLES, type Role } from '../../src/platform/access.ts'
import { testApp, type TestApp } from '../helpers/test-app.ts'

// Who may use each route. Written out by hand, so that a change to any rule, or a new route without
// an entry here, fails this test and gets a second look.
const ADMINS: Role[] = ['system_admin', 'la_admin']
const AUDIT_READERS: Role[] = ['system_admin', 'la_admin', 'auditor']
type Expected = 'public' | 'signing-in' | 'any user' | Role[]
const EXPECTED: Record<string, Expected> = {
  'GET /assets/*': 'public',
  'GET /govuk/:file': 'public',
  'GET /public/:file': 'public',
  'GET /': 'any user',
  'GET /admin': ADMINS,
  'GET /accessibility': 'public',
  'GET /privacy': 'public',
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  'GET /sign-in': 'public',
  'POST /sign-in': 'public',
  'GET /sign-in/code': 'signing-in',
  'POST /sign-in/code': 'signing-in',
  'GET /sign-in/set-up-authenticator': 'signing-in',
  'POST /sign-in/set-up-authenticator': 'signing-in',
  'POST /sign-out': 'public',
  'GET /signed-out': 'public',
  'POST /account/sign-out-everywhere': 'any user',
  'GET /account': 'any user',
  'GET /forgot-password': 'public',
  'POST /forgot-password': 'public',
  'GET /reset-password': 'public',
  'POST /reset-password': 'public',
  'GET /accept-invitation': 'public',
  'POST /accept-invitation': 'public',
  'GET /sign-in/oidc/:laCode': 'public',
  'GET /sign-in/oidc/callback': 'public',
  'GET /admin/single-sign-on': ADMINS,
  'POST /admin/single-sign-on': ADMINS,
  'GET /admin/users': ADMINS,
  'GET /admin/users/new': ADMINS,
  'POST /admin/users': ADMINS,
  'GET /admin/users/:id': ADMINS,
  'GET /admin/users/:id/edit': ADMINS,
  'POST /admin/users/:id': ADMINS,
  'GET /admin/users/:id/deactivate': ADMINS,
  'POST /admin/users/:id/deactivate': ADMINS,
  'GET /admin/users/:id/reactivate': ADMINS,
  'POST /admin/users/:id/reactivate': ADMINS,
  'GET /admin/users/:id/reset-authenticator': ADMINS,
  'POST /admin/users/:id/reset-authenticator': ADMINS,
  'POST /admin/users/:id/resend-invitation': ADMINS,
  'GET /admin/organisations': ADMINS,
  'GET /admin/organisations/new': ADMINS,
  'GET /admin/organisations/:id': ADMINS,
  'POST /admin/organisations': ADMINS,
  'GET /admin/audit': AUDIT_READERS,
  'GET /admin/audit/export.csv': AUDIT_READERS,
  'GET /calendar': 'any user',
  'GET /calendar/terms/new': ADMINS,
  'POST /calendar/terms': ADMINS,
  'GET /calendar/closures/new': ADMINS,
  'POST /calendar/closures': ADMINS,
  'GET /calendar/bank-holidays/new': ADMINS,
  'POST /calendar/bank-holidays': ADMINS,
  'POST /calendar/:kind/:key/remove': ADMINS,
  'GET /mailbox': 'public',
  'GET /referrals/new': 'any user',
  'POST /referrals': 'any user',
  'GET /referrals': 'any user',
  'GET /register': ['cme_officer', 'auditor'],
  'GET /children/:id': ['cme_officer', 'auditor'],
  'GET /cases/:caseId/enquiries/:enquiryId': ['cme_officer'],
  'POST /cases/:caseId/enquiries/:enquiryId': ['cme_officer'],
  'GET /cases/:caseId/status': ['cme_officer'],
  'POST /cases/:caseId/status': ['cme_officer'],
  'GET /cases/:caseId/risk': ['cme_officer'],
  'POST /cases/:caseId/risk': ['cme_officer'],
}

const PARAMS: Record<string, string> = { ':laCode': '990', ':file': 'init.js', ':kind': 'terms', '*': 'images/favicon.ico' }
const concrete = (url: string) => url.replace(/:[A-Za-z]+|\*/g, (p) => PARAMS[p] ?? randomUUID())

describe('every route against every role', () => {
  let t: TestApp
  const cleanups: (() => Promise<void>)[] = []
  before(async () => { t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) }) })
  after(async () => { for (const fn of cleanups) await fn() })

  it('has an expected access rule written down for every route the app registers', () => {
    const registered = t.app.lanternRoutes.map((r) => `${r.method} ${r.url}`).sort()
    assert.deepEqual(registered, Object.keys(EXPECTED).sort())
    for (const r of t.app.lanternRoutes) assert.ok(r.access, `${r.method} ${r.url} declares an access rule`)
  })

  for (const [route, expected] of Object.entries(EXPECTED)) {
    const [method, url] = route.split(' ')
    it(`${route} allows ${Array.isArray(expected) ? expected.join(', ') : expected}, and no one else`, async () => {
      const send = async (agent: ReturnType<TestApp['agent']>) =>
        method === 'GET' ? agent.get(concrete(url)) : agent.post(concrete(url), {})

      const anonymous = await send(t.agent())
      if (expected === 'public') assert.notEqual(anonymous.statusCode, 403, 'signed out')
      else if (expected === 'signing-in') assert.equal(anonymous.headers.location, '/', 'signed out: nothing to continue')
      else assert.match(String(anonymous.headers.location), /^\/sign-in/, 'signed out goes to sign-in')

      for (const role of ROLES) {
        // A fresh user per request, so routes that sign out cannot spoil the next request.
        const { agent } = await t.signedIn([role])
        const res = await send(agent)
        const allowed = expected === 'public' || expected === 'any user' || (Array.isArray(expected) && expected.includes(role))
        if (expected === 'signing-in') {
          assert.equal(res.headers.location, '/', `${role}: already signed in`)
        } else if (allowed) {
          assert.notEqual(res.statusCode, 403, `${role} is allowed`)
          // Signing out of every session rightly ends at the sign-in page, with a message.
          const location = String(res.headers.location ?? '')
          assert.ok(!/^\/sign-in(\?next=|$)/.test(location), `${role} is not sent to sign in (${location})`)
          assert.ok(res.statusCode < 500, `${role}: ${res.statusCode}`)
        } else {
          assert.equal(res.statusCode, 403, `${role} is refused`)
        }
      }
    })
  }
})
