import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import { ROLES, type Role } from '../../src/platform/access.ts'
import { sql } from 'kysely'
import { withTenant } from '../../src/platform/db.ts'
import { createSession } from '../../src/platform/sessions.ts'
import { testApp, type Agent, type TestApp } from '../helpers/test-app.ts'

// Who may use each route, written out by hand: changing a rule, or adding a route without an entry
// here, fails this test, so every change to access gets a second look.
type Rule = 'public' | 'signing-in' | 'any user' | readonly Role[]
const ADMINS = ['system_admin', 'la_admin'] as const
const AUDIT_READERS = ['system_admin', 'la_admin', 'auditor'] as const
const REGISTER_READERS = ['cme_officer', 'auditor'] as const
const CASE_WORKERS = ['cme_officer'] as const

const EXPECTED: Record<string, Rule> = {
  // Static files
  'GET /assets/*': 'public',
  'GET /govuk/:file': 'public',
  'GET /public/:file': 'public',
  // Pages
  'GET /': 'any user',
  'GET /admin': ADMINS,
  'GET /accessibility': 'public',
  'GET /privacy': 'public',
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  // Signing in and out
  'GET /sign-in': 'public',
  'POST /sign-in': 'public',
  'GET /sign-in/code': 'signing-in',
  'POST /sign-in/code': 'signing-in',
  'GET /sign-in/set-up-authenticator': 'signing-in',
  'POST /sign-in/set-up-authenticator': 'signing-in',
  'POST /sign-out': 'public',
  'GET /signed-out': 'public',
  'GET /account': 'any user',
  'POST /account/sign-out-everywhere': 'any user',
  // Emailed links
  'GET /forgot-password': 'public',
  'POST /forgot-password': 'public',
  'GET /reset-password': 'public',
  'POST /reset-password': 'public',
  'GET /accept-invitation': 'public',
  'POST /accept-invitation': 'public',
  // Single sign-on
  'GET /sign-in/oidc/:laCode': 'public',
  'GET /sign-in/oidc/callback': 'public',
  'GET /admin/single-sign-on': ADMINS,
  'POST /admin/single-sign-on': ADMINS,
  // Users
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
  // Organisations
  'GET /admin/organisations': ADMINS,
  'GET /admin/organisations/new': ADMINS,
  'GET /admin/organisations/:id': ADMINS,
  'POST /admin/organisations': ADMINS,
  // Register settings
  'GET /admin/register': ADMINS,
  'POST /admin/register/settings': ADMINS,
  'POST /admin/register/reasons': ADMINS,
  'POST /admin/register/reasons/:code/toggle': ADMINS,
  'POST /admin/register/enquiries': ADMINS,
  'POST /admin/register/enquiries/:id/active': ADMINS,
  'POST /admin/register/enquiries/:id/required': ADMINS,
  // Audit log
  'GET /admin/audit': AUDIT_READERS,
  'GET /admin/audit/export.csv': AUDIT_READERS,
  // School calendar
  'GET /calendar': 'any user',
  'GET /calendar/terms/new': ADMINS,
  'POST /calendar/terms': ADMINS,
  'GET /calendar/closures/new': ADMINS,
  'POST /calendar/closures': ADMINS,
  'GET /calendar/bank-holidays/new': ADMINS,
  'POST /calendar/bank-holidays': ADMINS,
  'POST /calendar/:kind/:key/remove': ADMINS,
  // Local mailbox (never registered in production)
  'GET /mailbox': 'public',
  // Referrals, the register and cases
  'GET /referrals/new': 'any user',
  'POST /referrals': 'any user',
  'GET /referrals': 'any user',
  'GET /register': REGISTER_READERS,
  'GET /children/:id': REGISTER_READERS,
  'POST /register/views': REGISTER_READERS,
  // The child's record
  'GET /cases/:caseId/shares': CASE_WORKERS,
  'POST /cases/:caseId/shares': CASE_WORKERS,
  'POST /cases/:caseId/shares/:shareId/revoke': CASE_WORKERS,
  'GET /shared': ['partner_practitioner'],
  'GET /shared/:shareId': ['partner_practitioner'],
  'GET /children/:id/identity': CASE_WORKERS,
  'POST /children/:id/identity': CASE_WORKERS,
  'GET /children/:id/names': CASE_WORKERS,
  'POST /children/:id/names': CASE_WORKERS,
  'POST /children/:id/names/:aliasId/remove': CASE_WORKERS,
  'GET /children/:id/addresses': CASE_WORKERS,
  'POST /children/:id/addresses': CASE_WORKERS,
  'GET /children/:id/contacts': CASE_WORKERS,
  'POST /children/:id/contacts': CASE_WORKERS,
  'POST /children/:id/contacts/:contactId/remove': CASE_WORKERS,
  'GET /children/:id/flags': CASE_WORKERS,
  'POST /children/:id/flags': CASE_WORKERS,
  'POST /children/:id/flags/:flagId/end': CASE_WORKERS,
  'GET /children/:id/schools': CASE_WORKERS,
  'POST /children/:id/schools': CASE_WORKERS,
  'GET /children/:id/siblings': CASE_WORKERS,
  'POST /children/:id/siblings': CASE_WORKERS,
  'POST /children/:id/siblings/:siblingId/remove': CASE_WORKERS,
  'POST /register/views/:id/delete': REGISTER_READERS,
  'GET /cases/:caseId/enquiries/:enquiryId': CASE_WORKERS,
  'POST /cases/:caseId/enquiries/:enquiryId': CASE_WORKERS,
  'GET /cases/:caseId/status': CASE_WORKERS,
  'POST /cases/:caseId/status': CASE_WORKERS,
  'GET /cases/:caseId/risk': CASE_WORKERS,
  'POST /cases/:caseId/risk': CASE_WORKERS,
  'GET /cases/:caseId/details': CASE_WORKERS,
  'GET /cases/:caseId/barriers/new': CASE_WORKERS,
  'POST /cases/:caseId/barriers': CASE_WORKERS,
  'GET /barriers/:id': CASE_WORKERS,
  'POST /barriers/:id/resolve': CASE_WORKERS,
  'POST /cases/:caseId/details': CASE_WORKERS,
  // The dashboard, the termly DfE return and register exports
  'GET /dashboard': REGISTER_READERS,
  'GET /reports/dfe-return': REGISTER_READERS,
  'POST /reports/dfe-return': REGISTER_READERS,
  'GET /register/export': REGISTER_READERS,
  'POST /register/export': REGISTER_READERS,
  // Actions and the officers' queues
  'GET /cases/:caseId/actions/new': CASE_WORKERS,
  'POST /cases/:caseId/actions': CASE_WORKERS,
  'GET /actions/:id': CASE_WORKERS,
  'POST /actions/:id/finish': CASE_WORKERS,
  'POST /actions/:id/change': CASE_WORKERS,
  'GET /my-work': CASE_WORKERS,
  'GET /actions/overdue': CASE_WORKERS,
  // School notices
  'GET /notices': ['school_user'],
  'GET /notices/removal/new': ['school_user'],
  'POST /notices/removal': ['school_user'],
  'GET /notices/new-pupil/new': ['school_user'],
  'POST /notices/new-pupil': ['school_user'],
  'GET /notices/inbox': REGISTER_READERS,
  'GET /notices/:id': ['school_user', 'cme_officer', 'auditor'],
  'POST /notices/:id/process': CASE_WORKERS,
  'GET /notices/import': ['school_user'],
  'POST /notices/import': ['school_user'],
  'GET /notices/imports/:id': ['school_user'],
  // Task-shaped access for action owners
  'GET /tasks': 'any user',
  'GET /tasks/:id': 'any user',
  'POST /tasks/:id': 'any user',
  // Meetings
  'GET /meetings': ['cme_officer', 'panel_member'],
  'GET /meetings/series/new': CASE_WORKERS,
  'POST /meetings/series': CASE_WORKERS,
  'GET /meetings/series/:id': ['cme_officer', 'panel_member'],
  'POST /meetings/series/:id/rules': ['cme_officer', 'panel_member'],
  'POST /meetings/series/:id/meetings': ['cme_officer', 'panel_member'],
  'GET /meetings/:id': ['cme_officer', 'panel_member'],
  'POST /meetings/:id/attendance': ['cme_officer', 'panel_member'],
  'POST /meetings/:id/items': ['cme_officer', 'panel_member'],
  'POST /meetings/:id/close': ['cme_officer', 'panel_member'],
  'POST /meetings/:id/approve': ['cme_officer', 'panel_member'],
  'POST /meetings/:id/amendments': ['cme_officer', 'panel_member'],
  'GET /meetings/:id/actions.csv': ['cme_officer', 'panel_member'],
  'GET /meetings/:id/:kind.pdf': ['cme_officer', 'panel_member'],
  'GET /meetings/:id/statistics': ['cme_officer', 'panel_member'],
  'GET /meetings/:id/items/:itemId': ['cme_officer', 'panel_member'],
  'POST /meetings/:id/items/:itemId': ['cme_officer', 'panel_member'],
  'POST /meetings/:id/items/:itemId/remove': ['cme_officer', 'panel_member'],
  'POST /meetings/:id/items/:itemId/move': ['cme_officer', 'panel_member'],
  'GET /cases/:caseId/refer-to-meeting': CASE_WORKERS,
  'POST /cases/:caseId/refer-to-meeting': CASE_WORKERS,
  // Register hygiene: duplicates, merge and undo
  'GET /register/duplicates': CASE_WORKERS,
  'POST /register/duplicates/different': CASE_WORKERS,
  'GET /children/merge': CASE_WORKERS,
  'POST /children/merge': CASE_WORKERS,
  'POST /children/merges/:id/undo': CASE_WORKERS,
  // Finding children on no roll
  'GET /find': REGISTER_READERS,
  'GET /find/sources/new': CASE_WORKERS,
  'POST /find/sources': CASE_WORKERS,
  'GET /find/sources/:id': REGISTER_READERS,
  'GET /find/sources/:id/mapping': CASE_WORKERS,
  'POST /find/sources/:id/mapping': CASE_WORKERS,
  'GET /find/runs/new': CASE_WORKERS,
  'POST /find/runs': CASE_WORKERS,
  'GET /find/runs/:id': REGISTER_READERS,
  'GET /find/candidates/:id': REGISTER_READERS,
  'POST /find/candidates/:id/accept': CASE_WORKERS,
  'POST /find/candidates/:id/dismiss': CASE_WORKERS,
  'GET /find/model': REGISTER_READERS,
  'GET /find/runs/:id/model': REGISTER_READERS,
  'GET /find/area': REGISTER_READERS,
  'GET /find/sources/:id/progress': REGISTER_READERS,
  'GET /find/runs/:id/progress': REGISTER_READERS,
  'POST /find/area': CASE_WORKERS,
}

// These end the session that sends them, so each of their requests gets a session of its own.
const ENDS_SESSION = new Set(['POST /sign-out', 'POST /account/sign-out-everywhere'])

// Real values where a made-up UUID would not reach the route's access check in a meaningful way.
const PARAMS: Record<string, string> = { ':laCode': '990', ':file': 'init.js', '*': 'images/favicon.ico', ':kind': 'bank-holidays', ':key': '2031-05-05' }
const concrete = (url: string) => url.replace(/:[A-Za-z]+|\*/g, (param) => PARAMS[param] ?? randomUUID())

type Actor = 'signed out' | 'part signed in' | Role
const ACTORS: Actor[] = ['signed out', 'part signed in', ...ROLES]
type Outcome = 'admitted' | 'refused' | 'sent to sign in' | 'sent home' | `failed with ${number}`

function expectedOutcome(rule: Rule, actor: Actor): Outcome {
  if (rule === 'public') return 'admitted'
  if (rule === 'signing-in') return actor === 'part signed in' ? 'admitted' : 'sent home'
  if (actor === 'signed out' || actor === 'part signed in') return 'sent to sign in'
  return rule === 'any user' || rule.includes(actor) ? 'admitted' : 'refused'
}

function outcomeOf(res: LightMyRequestResponse, rule: Rule): Outcome {
  if (res.statusCode >= 500) return `failed with ${res.statusCode}`
  if (res.statusCode === 403) return 'refused'
  const location = res.statusCode >= 300 && res.statusCode < 400 ? String(res.headers.location) : undefined
  // A sign-in link with a message (after signing out everywhere) is a page's answer, not the access check.
  if (location !== undefined && /^\/sign-in(\?next=|$)/.test(location)) return 'sent to sign in'
  // Only signing-in routes turn people away by sending them home; elsewhere it is the page's own
  // choice (the sign-in page sends someone already signed in to the home page).
  if (location === '/' && rule === 'signing-in') return 'sent home'
  return 'admitted'
}

describe('access to every route, for every role', () => {
  let t: TestApp
  const agents = new Map<Actor, Agent>()
  const cleanups: (() => Promise<void>)[] = []

  // A session that has passed the password but not the authenticator code; an administrator, to
  // show that half a sign-in opens none of their pages.
  const partSignedIn = async (): Promise<Agent> => {
    const { userId } = await t.createUser(['la_admin'])
    const { token } = await withTenant(t.database.db, { laId: t.la.id }, (tx) =>
      createSession(tx, { laId: t.la.id, userId, stage: 'totp', method: 'password', ip: '127.0.0.1', userAgent: 'test' }, t.clock.now))
    const agent = t.agent()
    agent.cookies.lantern_session = token
    return agent
  }
  // School users belong to a school, as the notices pages require; everyone else to the LA.
  let schoolId: string
  const newAgent = async (actor: Actor): Promise<Agent> =>
    actor === 'signed out' ? t.agent() : actor === 'part signed in' ? partSignedIn()
      : (await t.signedIn([actor], actor === 'school_user' ? { organisationId: schoolId } : {})).agent

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    schoolId = await withTenant(t.database.db, { laId: t.la.id }, async (tx) => (await sql<{ id: string }>`insert into organisation (local_authority_id, name, kind, urn)
      values (${t.la.id}, 'Matrix Primary School', 'school', '990777') returning id`.execute(tx)).rows[0].id)
    for (const actor of ACTORS) agents.set(actor, await newAgent(actor))
  })
  after(async () => { for (const fn of cleanups) await fn() })

  it('has an access rule written down for exactly the routes the app registers', () => {
    const registered = t.app.lanternRoutes.map((r) => `${r.method} ${r.url}`).sort()

    assert.deepEqual(registered, Object.keys(EXPECTED).sort())
  })

  for (const [route, rule] of Object.entries(EXPECTED)) {
    const [method, url] = route.split(' ')
    const who = typeof rule === 'string' ? rule : rule.join(', ')

    it(`${route} admits ${who}, and no one else`, async () => {
      const expected = Object.fromEntries(ACTORS.map((actor) => [actor, expectedOutcome(rule, actor)]))

      const seen: Record<string, Outcome> = {}
      for (const actor of ACTORS) {
        const agent = ENDS_SESSION.has(route) ? await newAgent(actor) : agents.get(actor)!
        const res = method === 'GET' ? await agent.get(concrete(url)) : await agent.post(concrete(url), {})
        seen[actor] = outcomeOf(res, rule)
      }

      assert.deepEqual(seen, expected)
    })
  }

  it('keeps every shared session usable to the end, so no outcome above came from a lost session', async () => {
    for (const role of ROLES) {
      const res = await agents.get(role)!.get('/account')

      assert.equal(res.statusCode, 200, role)
    }
  })
})
