import type { FastifyInstance } from 'fastify'
import type { Config } from './config.ts'
import { createApp, type Deps } from './app.ts'
import { openDatabase, type Database } from './platform/db.ts'
import { migrateToLatest } from './platform/migrate.ts'
import { lockDataDir } from './platform/lock.ts'
import { resolveSecret } from './platform/secret.ts'
import { deriveKey } from './platform/crypto.ts'
import { pgBossJobs, type Jobs } from './platform/jobs.ts'
import { createTransport } from './platform/mail.ts'
import { backgroundJobs } from './background.ts'
import { seedDemo, DEMO_PASSWORD, DEMO_USERS } from './modules/demo/seed.ts'

export type Running = { app: FastifyInstance; database: Database; jobs: Jobs; stop(): Promise<void> }

/** Opens (and for PGlite, locks) the database named by the configuration. */
export async function openConfiguredDatabase(config: Config): Promise<{ database: Database; unlock: () => Promise<void> }> {
  if (config.database.kind === 'postgres') return { database: await openDatabase(config.database), unlock: async () => {} }
  const dataDir = config.database.dataDir
  const unlock = dataDir ? await lockDataDir(dataDir) : async () => {}
  try {
    return { database: await openDatabase({ kind: 'pglite', dataDir }), unlock }
  } catch (err) {
    await unlock()
    throw err
  }
}

/** Starts Lantern: database, migrations, demo data, jobs and the web server. */
export async function startServer(config: Config, log: (line: string) => void): Promise<Running> {
  const { database, unlock } = await openConfiguredDatabase(config)
  const now = () => new Date()
  const applied = await migrateToLatest(database.db)
  if (applied.length) log(`Applied migrations: ${applied.join(', ')}`)
  const seeded = config.demo ? await seedDemo(database.db, now()) : false
  const secret = await resolveSecret(database.db, config.sessionSecret)
  const jobErrors: { log?: FastifyInstance['log'] } = {}
  const jobs = pgBossJobs(database.pool, (err) => jobErrors.log?.error({ err }, 'background job failed'))
  const deps: Deps = { config, db: database.db, jobs, now, secret, totpKey: deriveKey(secret, 'secrets') }
  const app = await createApp(deps)
  jobErrors.log = app.log
  const transport = createTransport(config.mail)
  await jobs.start(backgroundJobs({ db: database.db, jobs, transport, now, config, schedule: true }))
  await app.listen({ port: config.port, host: config.host })

  const where = config.database.kind === 'postgres' ? 'PostgreSQL' : `the embedded database in ${config.database.dataDir}`
  log(`Lantern is running at ${config.baseUrl} on ${where}.`)
  if (config.demo) {
    log(seeded ? 'Created the fictional demo Local Authority, Northmoor Borough Council.' : 'Using the existing data.')
    log(`Sign in as ${DEMO_USERS.map((u) => u.email).join(', ')}`)
    log(`with the password "${DEMO_PASSWORD}". On first sign-in you will set up an authenticator app (any TOTP app).`)
  }
  if (config.mail.mailbox) log(`Emails are shown at ${config.baseUrl}/mailbox${transport.name === 'mailbox' ? ' (no mail server is configured)' : ''}.`)

  let stopping: Promise<void> | undefined
  const stop = () => (stopping ??= (async () => {
    await app.close()
    await jobs.stop()
    await database.close()
    await unlock()
  })())
  return { app, database, jobs, stop }
}
