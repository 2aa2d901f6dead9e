import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import fastifyStatic from '@fastify/static'
import type { Config } from './config.ts'
import type { Db } from './platform/db.ts'
import type { Jobs } from './platform/jobs.ts'
import { PUBLIC, type Access } from './platform/access.ts'
import { security } from './platform/security.ts'
import { authenticate } from './platform/authenticate.ts'
import { createViewEnvironment, views, GOVUK_DIST, type NavItem, type PageContext } from './platform/views.ts'
import { errorHandler, notFoundHandler } from './platform/error-pages.ts'
import { NotFound } from './platform/errors.ts'
import { PUBLIC_ASSETS, SRC } from './platform/paths.ts'
import { authRoutes } from './modules/auth/routes.ts'
import { linkRoutes } from './modules/auth/link-routes.ts'
import { oidcRoutes } from './modules/auth/oidc-routes.ts'
import { publicAuthorities } from './modules/auth/oidc.ts'
import { pageRoutes } from './modules/pages/routes.ts'
import { userRoutes } from './modules/users/routes.ts'
import { organisationRoutes } from './modules/organisations/routes.ts'
import { auditRoutes } from './modules/audit/routes.ts'
import { calendarRoutes } from './modules/calendar/routes.ts'
import { mailboxRoutes } from './modules/mailbox/routes.ts'
import { registerRoutes } from './modules/register/routes.ts'
import { caseRoutes } from './modules/register/case-routes.ts'
import { reportRoutes } from './modules/reports/routes.ts'
import { VIEW_REGISTER } from './modules/register/policy.ts'
import { actionRoutes } from './modules/actions/routes.ts'
import { noticeRoutes } from './modules/notices/routes.ts'
import { noticeImportRoutes } from './modules/notices/import-routes.ts'
import { placementRoutes } from './modules/placement/routes.ts'
import { childRoutes } from './modules/children/routes.ts'
import { registerSettingsRoutes } from './modules/register-settings/routes.ts'
import { sharingRoutes } from './modules/sharing/routes.ts'
import { noRollRoutes } from './modules/no-roll/routes.ts'
import { duplicateRoutes } from './modules/duplicates/routes.ts'
import { meetingRoutes } from './modules/meetings/routes.ts'
import { taskRoutes } from './modules/actions/task-routes.ts'
import { TAKE_PART } from './modules/meetings/policy.ts'
import { VIEW_FINDINGS } from './modules/no-roll/policy.ts'
import { SEE_SHARED } from './modules/sharing/policy.ts'
import { READ_NOTICES, SEND_NOTICES } from './modules/notices/policy.ts'
import { TASKS_NAV, WORK_ACTIONS } from './modules/actions/policy.ts'
import { VIEW_AUDIT } from './modules/audit/policy.ts'
import { VIEW_CALENDAR } from './modules/calendar/policy.ts'
import { ADMINISTER } from './modules/pages/policy.ts'

export type RouteInfo = { method: string; url: string; access: Access | undefined }

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its access rule: the access-matrix test checks each against each role. */
    lanternRoutes: RouteInfo[]
  }
}

export type Deps = {
  config: Config
  db: Db
  jobs: Jobs
  now: () => Date
  /** Signs CSRF tokens; from SESSION_SECRET or generated once and kept in the database. */
  secret: string
  /** Encrypts TOTP seeds, OIDC client secrets and the OIDC sign-in cookie. */
  totpKey: Buffer
  logger?: boolean
}

// Navigation shows only what the user's roles allow, using the same rules that guard the routes.
const NAVIGATION: { text: string; href: string; access?: Access }[] = [
  { text: 'Home', href: '/' },
  { text: 'Dashboard', href: '/dashboard', access: VIEW_REGISTER },
  { text: 'Register', href: '/register', access: VIEW_REGISTER },
  { text: 'My work', href: '/my-work', access: WORK_ACTIONS },
  { text: 'Notices', href: '/notices/inbox', access: READ_NOTICES },
  { text: 'Notices', href: '/notices', access: SEND_NOTICES },
  { text: 'Shared with you', href: '/shared', access: SEE_SHARED },
  { text: 'Find children', href: '/find', access: VIEW_FINDINGS },
  { text: 'Meetings', href: '/meetings', access: TAKE_PART },
  { text: 'Your tasks', href: '/tasks', access: TASKS_NAV },
  { text: 'Referrals', href: '/referrals' },
  { text: 'School calendar', href: '/calendar', access: VIEW_CALENDAR },
  { text: 'Administration', href: '/admin', access: ADMINISTER },
  { text: 'Audit log', href: '/admin/audit', access: VIEW_AUDIT },
  { text: 'Your account', href: '/account' },
]

function pageContext(deps: Deps) {
  return async (request: FastifyRequest): Promise<PageContext> => {
    const user = request.user
    const path = request.url.split('?')[0]
    let headerName = user?.laName
    if (!headerName) {
      // Before sign-in we do not know the LA; a single-LA deployment still shows its own name.
      const authorities = await publicAuthorities(deps.db).catch(() => [])
      headerName = authorities.length === 1 ? authorities[0].name : 'Lantern'
    }
    const navigation: NavItem[] = user
      ? NAVIGATION.filter((n) => !n.access || (n.access.kind === 'user' && n.access.allow(user))).map((n) => ({
          text: n.text, href: n.href,
          active: n.href === '/' ? path === '/' : path === n.href || path.startsWith(`${n.href}/`) && !(n.href === '/admin' && path.startsWith('/admin/audit')),
        }))
      : []
    return { user, headerName, navigation, mailbox: deps.config.mail.mailbox }
  }
}

// Routes read each query parameter as one string; a name repeated in a crafted address keeps its first value.
function firstValues(query: string): Record<string, string> {
  const values: Record<string, string> = Object.create(null)
  for (const [name, value] of new URLSearchParams(query)) if (!Object.hasOwn(values, name)) values[name] = value
  return values
}

export async function createApp(deps: Deps): Promise<FastifyInstance> {
  const development = deps.config.env === 'development'
  const app = Fastify({
    logger: deps.logger === false ? false : {
      level: deps.config.logLevel,
      // Log the path only: query strings can carry one-time tokens, and no personal data belongs in logs.
      serializers: {
        req: (req: { method: string; url: string; id: string }) => ({ method: req.method, path: req.url.split('?')[0], id: req.id }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        // Database errors carry the offending values in `detail` (an email, a name): keep them out of logs.
        err: (err: Error & { code?: string }) => ({ type: err.name, message: err.message, code: err.code, stack: err.stack ?? '' }),
      },
    },
    genReqId: () => randomUUID(),
    trustProxy: deps.config.trustProxy,
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, querystringParser: firstValues },
  })

  const routes: RouteInfo[] = []
  app.decorate('lanternRoutes', routes)
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url, access: route.config?.access })
  })
  // Set before any plugin registers: child contexts take the error handler in force when they are created.
  app.setErrorHandler(errorHandler(development))
  await app.register(security, { secret: deps.secret, cookieSecure: deps.config.cookieSecure, production: deps.config.env === 'production' })
  await app.register(authenticate, {
    db: deps.db, cookieSecure: deps.config.cookieSecure, now: deps.now,
    limits: { idleMinutes: deps.config.sessionIdleMinutes, absoluteHours: deps.config.sessionAbsoluteHours },
  })
  await app.register(views, { env: createViewEnvironment(), context: pageContext(deps) })

  // Static files are served by explicit routes so that they, like every route, declare their access.
  await app.register(fastifyStatic, { root: PUBLIC_ASSETS, serve: false })
  const govukAssets = join(GOVUK_DIST, 'govuk', 'assets')
  app.get('/assets/*', { config: { access: PUBLIC } }, async (request, reply) => {
    return reply.header('cache-control', 'public, max-age=86400').sendFile((request.params as Record<string, string>)['*'], govukAssets)
  })
  app.get('/govuk/:file', { config: { access: PUBLIC } }, async (request, reply) => {
    const { file } = request.params as { file: string }
    if (!/^govuk-frontend\.min\.(js|css)(\.map)?$/.test(file)) throw new NotFound()
    return reply.header('cache-control', 'public, max-age=86400').sendFile(file, join(GOVUK_DIST, 'govuk'))
  })
  app.get('/public/:file', { config: { access: PUBLIC } }, async (request, reply) => {
    const { file } = request.params as { file: string }
    if (file === 'app.css') return reply.header('cache-control', 'public, max-age=3600').sendFile(file, PUBLIC_ASSETS)
    if (['init.js', 'favicon.svg', 'source-progress.js', 'run-progress.js'].includes(file)) return reply.header('cache-control', 'public, max-age=3600').sendFile(file, join(SRC, 'public'))
    throw new NotFound()
  })

  await app.register(pageRoutes(deps))
  await app.register(authRoutes(deps))
  await app.register(linkRoutes(deps))
  await app.register(oidcRoutes(deps))
  await app.register(userRoutes(deps))
  await app.register(organisationRoutes(deps))
  await app.register(auditRoutes(deps))
  await app.register(calendarRoutes(deps))
  await app.register(registerRoutes(deps))
  await app.register(caseRoutes(deps))
  await app.register(reportRoutes(deps))
  await app.register(actionRoutes(deps))
  await app.register(noticeRoutes(deps))
  await app.register(noticeImportRoutes(deps))
  await app.register(placementRoutes(deps))
  await app.register(childRoutes(deps))
  await app.register(registerSettingsRoutes(deps))
  await app.register(sharingRoutes(deps))
  await app.register(noRollRoutes(deps))
  await app.register(duplicateRoutes(deps))
  await app.register(meetingRoutes(deps))
  await app.register(taskRoutes(deps))
  if (deps.config.mail.mailbox) await app.register(mailboxRoutes(deps))
  app.setNotFoundHandler(notFoundHandler)
  return app
}
