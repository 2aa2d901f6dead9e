import { VIEW_FINDINGS } from '../no-roll/policy.ts'
import { TAKE_PART } from '../meetings/policy.ts'
import type { FastifyPluginAsync } from 'fastify'
import { sql } from 'kysely'
import type { Deps } from '../../app.ts'
import { ANY_USER, PUBLIC } from '../../platform/access.ts'
import { pendingMigrations } from '../../platform/migrate.ts'
import { ADMINISTER } from './policy.ts'
import { MANAGE_USERS } from '../users/policy.ts'
import { VIEW_AUDIT } from '../audit/policy.ts'
import { EDIT_CALENDAR } from '../calendar/policy.ts'
import { CONFIGURE_SIGN_IN } from '../auth/policy.ts'
import { VIEW_REGISTER } from '../register/policy.ts'

/** The home page, the administration index, statutory footer pages and health checks. */
export function pageRoutes(deps: Deps): FastifyPluginAsync {
  return async (app) => {
    app.get('/', { config: { access: ANY_USER } }, async (request, reply) => {
      const user = request.user!
      const can = {
        manageUsers: MANAGE_USERS.kind === 'user' && MANAGE_USERS.allow(user),
        viewAudit: VIEW_AUDIT.kind === 'user' && VIEW_AUDIT.allow(user),
        editCalendar: EDIT_CALENDAR.kind === 'user' && EDIT_CALENDAR.allow(user),
        viewRegister: VIEW_REGISTER.kind === 'user' && VIEW_REGISTER.allow(user),
        findChildren: VIEW_FINDINGS.kind === 'user' && VIEW_FINDINGS.allow(user),
        meetings: TAKE_PART.kind === 'user' && TAKE_PART.allow(user),
      }
      return reply.page('pages/views/home.njk', { title: 'Home', can })
    })

    app.get('/admin', { config: { access: ADMINISTER } }, async (request, reply) => {
      const user = request.user!
      const ssoAllowed = CONFIGURE_SIGN_IN.kind === 'user' && CONFIGURE_SIGN_IN.allow(user)
      return reply.page('pages/views/admin.njk', { title: 'Administration', ssoAllowed })
    })

    app.get('/accessibility', { config: { access: PUBLIC } }, async (_request, reply) =>
      reply.page('pages/views/accessibility.njk', { title: 'Accessibility statement' }))

    app.get('/privacy', { config: { access: PUBLIC } }, async (_request, reply) =>
      reply.page('pages/views/privacy.njk', { title: 'Privacy notice' }))

    app.get('/health/live', { config: { access: PUBLIC } }, async (_request, reply) => reply.send({ status: 'ok' }))

    app.get('/health/ready', { config: { access: PUBLIC } }, async (_request, reply) => {
      try {
        await sql`select 1`.execute(deps.db)
        const pending = await pendingMigrations(deps.db)
        if (pending.length) return reply.code(503).send({ status: 'unavailable', reason: 'migrations not applied', pending })
        return reply.send({ status: 'ok' })
      } catch {
        return reply.code(503).send({ status: 'unavailable', reason: 'database not reachable' })
      }
    })
  }
}
