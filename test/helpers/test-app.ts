import type { TestContext } from 'node:test'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import * as cheerio from 'cheerio'
import { sql } from 'kysely'
import { createApp, type Deps } from '../../src/app.ts'
import { loadConfig, type Config } from '../../src/config.ts'
import { withTenant, type Database } from '../../src/platform/db.ts'
import { hmac, seal, deriveKey } from '../../src/platform/crypto.ts'
import { inlineJobs } from '../../src/platform/jobs.ts'
import { createTransport } from '../../src/platform/mail.ts'
import { backgroundJobs } from '../../src/background.ts'
import { createSession } from '../../src/platform/sessions.ts'
import type { Role } from '../../src/platform/access.ts'
import { createLocalAuthority } from '../../src/modules/local-authorities/service.ts'
import { createUser } from '../../src/modules/users/service.ts'
import { hashPassword } from '../../src/modules/auth/passwords.ts'
import { createTestDatabase } from './test-db.ts'

export const TEST_PASSWORD = 'correct horse battery staple'
export const SECRET = 'test-secret-that-is-long-enough-for-hmac-0123456789'

export type TestApp = {
  app: FastifyInstance
  database: Database
  deps: Deps
  clock: { now: Date }
  la: { id: string; name: string; organisationId: string }
  /** A browser-like client: keeps cookies, adds the CSRF token to every POST. */
  agent(): Agent
  /** A user of the LA with these roles, signed in, with an agent holding their session. */
  signedIn(roles: Role[], opts?: { email?: string; laId?: string; organisationId?: string }): Promise<{ agent: Agent; userId: string; email: string }>
  createUser(roles: Role[], opts?: { email?: string; laId?: string; totpSecret?: string; organisationId?: string }): Promise<{ userId: string; email: string }>
  addAuthority(code: string, name: string): Promise<{ id: string; name: string; organisationId: string }>
}

export type Agent = {
  cookies: Record<string, string>
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>
  post(url: string, form?: Record<string, string | string[]>, opts?: { csrf?: string | false }): Promise<LightMyRequestResponse>
  inject(opts: InjectOptions): Promise<LightMyRequestResponse>
}

let counter = 0
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', SESSION_SECRET: SECRET, DEMO: 'false', LOG_LEVEL: 'silent', BASE_URL: 'http://lantern.test', ...overrides })
}

/** Boots the real app against a fresh database for one test file or test; closed in t.after. */
export async function testApp(t: TestContext | { after(fn: () => Promise<void>): void }, opts: { config?: Record<string, string>; database?: Database } = {}): Promise<TestApp> {
  const database = opts.database ?? (await createTestDatabase())
  const config = testConfig(opts.config)
  const clock = { now: new Date() }
  const now = () => new Date(clock.now)
  const jobs = inlineJobs((err) => { throw err })
  const deps: Deps = { config, db: database.db, jobs, now, secret: SECRET, totpKey: deriveKey(SECRET, 'secrets'), logger: false }
  const app = await createApp(deps)
  // Email goes through the real outbox and job; with no SMTP or Notify configured it stays readable there.
  const transport = createTransport(config.mail)
  await jobs.start(backgroundJobs({ db: database.db, jobs, transport, now, config, schedule: false }))
  t.after(async () => {
    await app.close()
    if (!opts.database) await database.close()
  })
  const first = await createLocalAuthority(database.db, { code: '990', name: 'Northmoor Borough Council' }, 'test', now())
  const la = { id: first.laId, name: 'Northmoor Borough Council', organisationId: first.organisationId }

  const agent = (): Agent => {
    const cookies: Record<string, string> = {}
    const keep = (res: LightMyRequestResponse) => {
      for (const c of res.cookies) {
        if (c.value === '' || (c.expires && new Date(c.expires) < new Date())) delete cookies[c.name]
        else cookies[c.name] = c.value
      }
      return res
    }
    const inject = async (o: InjectOptions) => keep(await app.inject({ ...o, cookies: { ...cookies, ...(o.cookies ?? {}) } }))
    const csrfFor = () => (cookies.lantern_csrf ? hmac(SECRET, `csrf:${cookies.lantern_csrf}`) : '')
    return {
      cookies,
      inject,
      get: (url, headers) => inject({ method: 'GET', url, headers }),
      async post(url, form = {}, o = {}) {
        if (!cookies.lantern_csrf) await inject({ method: 'GET', url: '/accessibility' })
        const token = o.csrf === false ? undefined : (o.csrf ?? csrfFor())
        const body = new URLSearchParams()
        for (const [k, v] of Object.entries(form)) for (const item of Array.isArray(v) ? v : [v]) body.append(k, item)
        if (token) body.append('_csrf', token)
        return inject({ method: 'POST', url, payload: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      },
    }
  }

  const passwordHash = await hashPassword(TEST_PASSWORD)
  const makeUser: TestApp['createUser'] = async (roles, o = {}) => {
    const email = o.email ?? `user-${unique()}@example.org`
    const laId = o.laId ?? la.id
    const organisationId = o.organisationId ?? (laId === la.id ? la.organisationId : (await withTenant(database.db, { laId }, async (tx) =>
      (await sql<{ id: string }>`select id from organisation order by created_at limit 1`.execute(tx)).rows[0].id)))
    const userId = await createUser(database.db, laId, 'test', { email, displayName: `Test ${roles.join(' ') || 'nobody'}`, organisationId, roles, passwordHash }, now())
    if (o.totpSecret) {
      await withTenant(database.db, { laId }, (tx) =>
        sql`update app_user set totp_secret = ${seal(deps.totpKey, o.totpSecret!)}, totp_enabled_at = now() where id = ${userId}`.execute(tx))
    }
    return { userId, email }
  }

  return {
    app, database, deps, clock, la, agent,
    createUser: makeUser,
    async signedIn(roles, o = {}) {
      const { userId, email } = await makeUser(roles, o)
      const laId = o.laId ?? la.id
      const { token } = await withTenant(database.db, { laId }, (tx) =>
        createSession(tx, { laId, userId, stage: 'complete', method: 'password', ip: '127.0.0.1', userAgent: 'test' }, now()))
      const a = agent()
      a.cookies.lantern_session = token
      return { agent: a, userId, email }
    },
    async addAuthority(code, name) {
      const created = await createLocalAuthority(database.db, { code, name }, 'test', now())
      return { id: created.laId, name, organisationId: created.organisationId }
    },
  }
}

export const html = (res: LightMyRequestResponse) => cheerio.load(res.body)
export const textOf = (res: LightMyRequestResponse, selector: string) => html(res)(selector).text().replace(/\s+/g, ' ').trim()

/** A GOV.UK date input's three fields for an ISO date, as a browser would send them. */
export const dateFields = (name: string, iso: string): Record<string, string> => {
  const [y, m, d] = iso.split('-')
  return { [`${name}-day`]: d, [`${name}-month`]: m, [`${name}-year`]: y }
}

/**
 * A multipart form with one file, posted as a browser would, with the form's CSRF token unless
 * `csrf` is false. A null filename sends the form with no file part.
 */
export async function postFile(agent: Agent, url: string, file: { filename: string | null; content: string | Buffer }, fields: Record<string, string> = {}, csrf = true): Promise<LightMyRequestResponse> {
  if (!agent.cookies.lantern_csrf) await agent.get('/accessibility')
  const boundary = '----lanternTestBoundary'
  const parts: Buffer[] = []
  const all = { ...(csrf ? { _csrf: hmac(SECRET, `csrf:${agent.cookies.lantern_csrf}`) } : {}), ...fields }
  for (const [k, v] of Object.entries(all)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`))
  if (file.filename !== null) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`))
    parts.push(Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content))
    parts.push(Buffer.from('\r\n'))
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`))
  return agent.inject({ method: 'POST', url, payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } })
}
