import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import nunjucks from 'nunjucks'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SRC } from './paths.ts'
import { ROLE_LABELS, type CurrentUser, type Role } from './access.ts'

const require = createRequire(import.meta.url)
export const GOVUK_DIST = join(dirname(require.resolve('govuk-frontend/package.json')), 'dist')

const LONDON = 'Europe/London'
const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: LONDON })
const calendarDateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })
const timeFormat = new Intl.DateTimeFormat('en-GB', { hour: 'numeric', minute: '2-digit', hour12: true, timeZone: LONDON })

/** "4 June 2026", the GOV.UK style. Plain YYYY-MM-DD dates are calendar dates and are not shifted by time zone. */
export function formatDate(value: Date | string | null | undefined): string {
  if (!value) return ''
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return calendarDateFormat.format(new Date(`${value}T00:00:00Z`))
  }
  return dateFormat.format(new Date(value))
}

/** "4 June 2026 at 3:04pm" in UK time. */
export function formatDateTime(value: Date | string | null | undefined): string {
  if (!value) return ''
  const d = new Date(value)
  return `${dateFormat.format(d)} at ${timeFormat.format(d).replace(' ', '').toLowerCase()}`
}

const shortFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: LONDON })

/** "4 Jun 2026, 3:04pm" for dense tables. */
export function formatShortDateTime(value: Date | string | null | undefined): string {
  if (!value) return ''
  const d = new Date(value)
  return `${shortFormat.format(d)}, ${timeFormat.format(d).replace(' ', '').toLowerCase()}`
}

export function createViewEnvironment(): nunjucks.Environment {
  const env = new nunjucks.Environment(
    new nunjucks.FileSystemLoader([join(SRC, 'views'), join(SRC, 'modules'), GOVUK_DIST], { noCache: false }),
    { autoescape: true, throwOnUndefined: false },
  )
  env.addFilter('date', formatDate)
  env.addFilter('dateTime', formatDateTime)
  env.addFilter('shortDateTime', formatShortDateTime)
  env.addFilter('roleLabel', (role: Role) => ROLE_LABELS[role] ?? role)
  return env
}

export type NavItem = { text: string; href: string; active?: boolean }

export type PageContext = {
  user?: CurrentUser
  headerName: string
  navigation: NavItem[]
  mailbox: boolean
}

declare module 'fastify' {
  interface FastifyReply {
    /** Renders a template with the layout's context (CSP nonce, CSRF token, user, navigation). */
    page(template: string, model?: Record<string, unknown>, status?: number): Promise<FastifyReply>
  }
}

export type ViewOptions = {
  env: nunjucks.Environment
  /** Builds the header and navigation for the current request. */
  context: (request: FastifyRequest) => Promise<PageContext>
}

export const views = fp(async (app: FastifyInstance, opts: ViewOptions) => {
  app.decorateReply('page', async function (template: string, model: Record<string, unknown> = {}, status = 200) {
    const request = this.request
    const context = await opts.context(request)
    const html = opts.env.render(template, {
      ...context,
      ...model,
      cspNonce: this.cspNonce?.script,
      csrfToken: request.csrfToken,
      currentPath: request.url.split('?')[0],
    })
    return this.code(status).type('text/html; charset=utf-8').send(html)
  })
})
