import { parseArgs } from 'node:util'
import { readFileSync, writeFileSync, renameSync, rmSync, existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadConfig, ConfigError, type Config } from './config.ts'
import { startServer, openConfiguredDatabase } from './server.ts'
import { migrateToLatest } from './platform/migrate.ts'
import { verifyAuditChains } from './platform/audit.ts'
import { openDatabase, withTenant } from './platform/db.ts'
import { lockDataDir } from './platform/lock.ts'
import { ROLES, type Role } from './platform/access.ts'
import { deriveKey } from './platform/crypto.ts'
import { resolveSecret } from './platform/secret.ts'
import { seedDemo } from './modules/demo/seed.ts'
import { createLocalAuthority, findAuthorityByCode } from './modules/local-authorities/service.ts'
import { createUser } from './modules/users/service.ts'
import { issueInvitation } from './modules/auth/tokens.ts'
import { listOrganisationOptions } from './modules/organisations/service.ts'

const HELP = `Lantern command-line tool

  lantern serve                      start the web server (migrates first; seeds the demo LA in demo mode)
  lantern migrate                    apply database migrations
  lantern seed                       create the fictional demo Local Authority if the database is empty
  lantern la create --code 990 --name "Northmoor Borough Council"
                                     add a Local Authority to the deployment
  lantern users create --la CODE --email EMAIL --name NAME --organisation NAME --role ROLE [--role ROLE]
                                     invite a user; prints their invitation link
  lantern audit verify               check every LA's audit chain; exits 1 if an entry was changed or removed
  lantern backup FILE                copy the embedded database to FILE (stop the server first)
  lantern restore FILE               replace the embedded database with FILE (stop the server first)

Settings come from environment variables: see .env.example.`

const out = (line: string) => process.stdout.write(`${line}\n`)

async function withDatabase<T>(config: Config, fn: (db: Awaited<ReturnType<typeof openConfiguredDatabase>>['database']) => Promise<T>): Promise<T> {
  const { database, unlock } = await openConfiguredDatabase(config)
  try {
    await migrateToLatest(database.db)
    return await fn(database)
  } finally {
    await database.close()
    await unlock()
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, sub] = argv
  if (!command || command === 'help' || command === '--help') {
    out(HELP)
    return 0
  }
  const config = loadConfig()
  const now = () => new Date()

  if (command === 'serve') {
    const running = await startServer(config, out)
    const shutdown = (signal: string) => {
      out(`Received ${signal}: finishing requests and stopping.`)
      running.stop().then(() => process.exit(0), () => process.exit(1))
    }
    process.once('SIGINT', () => shutdown('SIGINT'))
    process.once('SIGTERM', () => shutdown('SIGTERM'))
    return -1
  }
  if (command === 'migrate') {
    const { database, unlock } = await openConfiguredDatabase(config)
    try {
      const applied = await migrateToLatest(database.db)
      out(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.')
    } finally {
      await database.close()
      await unlock()
    }
    return 0
  }
  if (command === 'seed') {
    return withDatabase(config, async ({ db }) => {
      out((await seedDemo(db, now())) ? 'Created the demo Local Authority.' : 'The database already has data; nothing seeded.')
      return 0
    })
  }
  if (command === 'la' && sub === 'create') {
    const { values } = parseArgs({ args: argv.slice(2), options: { code: { type: 'string' }, name: { type: 'string' } } })
    if (!values.code || !/^\d{3}$/.test(values.code) || !values.name) throw new UsageError('Give --code (3 digits) and --name')
    return withDatabase(config, async ({ db }) => {
      const { laId } = await createLocalAuthority(db, { code: values.code!, name: values.name! }, 'command line', now())
      out(`Created ${values.name} (${values.code}), id ${laId}. Invite its first administrator with "lantern users create".`)
      return 0
    })
  }
  if (command === 'users' && sub === 'create') {
    const { values } = parseArgs({ args: argv.slice(2), options: {
      la: { type: 'string' }, email: { type: 'string' }, name: { type: 'string' }, organisation: { type: 'string' }, role: { type: 'string', multiple: true },
    } })
    const roles = (values.role ?? []) as Role[]
    const problems = [
      !values.la && '--la (the LA code)', !values.email?.includes('@') && '--email', !values.name && '--name', !values.organisation && '--organisation',
      (!roles.length || roles.some((r) => !ROLES.includes(r))) && `--role (one or more of ${ROLES.join(', ')})`,
    ].filter(Boolean)
    if (problems.length) throw new UsageError(`Give ${problems.join(', ')}`)
    return withDatabase(config, async ({ db }) => {
      const la = await findAuthorityByCode(db, values.la!)
      if (!la) throw new UsageError(`There is no Local Authority with code ${values.la}`)
      const orgs = await withTenant(db, { laId: la.id }, (tx) => listOrganisationOptions(tx))
      const org = orgs.find((o) => o.name.toLowerCase() === values.organisation!.toLowerCase())
      if (!org) throw new UsageError(`No organisation called "${values.organisation}". Choose from: ${orgs.map((o) => o.name).join('; ')}`)
      const email = values.email!.trim().toLowerCase()
      const userId = await createUser(db, la.id, 'command line', { email, displayName: values.name!, organisationId: org.id, roles }, now())
      const secret = await resolveSecret(db, config.sessionSecret)
      void deriveKey(secret, 'secrets')
      await withTenant(db, { laId: la.id }, (tx) => issueInvitation({ config, now }, tx, { laId: la.id, laName: la.name, userId, email, invitedBy: userId }))
      out(`Invited ${email}. The invitation email is in the outbox; the server sends it (or shows it at /mailbox in demo mode).`)
      return 0
    })
  }
  if (command === 'audit' && sub === 'verify') {
    return withDatabase(config, async ({ db }) => {
      const reports = await verifyAuditChains(db)
      let bad = 0
      for (const r of reports) {
        out(`${r.laName}: ${r.entries} entries, ${r.problems.length ? `${r.problems.length} PROBLEMS` : 'chain intact'}`)
        for (const p of r.problems) out(`  - ${p}`)
        bad += r.problems.length
      }
      return bad ? 1 : 0
    })
  }
  if (command === 'backup' || command === 'restore') {
    const file = sub
    if (!file) throw new UsageError(`Give the file: lantern ${command} FILE`)
    if (config.database.kind !== 'pglite' || !config.database.dataDir) throw new UsageError('backup and restore are for the embedded database; for PostgreSQL use pg_dump and pg_restore')
    const dataDir = resolve(config.database.dataDir)
    if (command === 'backup') {
      const unlock = await lockDataDir(dataDir)
      try {
        const database = await openDatabase({ kind: 'pglite', dataDir })
        const dump = await database.pglite!.dumpDataDir('gzip')
        await database.close()
        writeFileSync(file, Buffer.from(await dump.arrayBuffer()))
        out(`Backed up ${dataDir} to ${file}.`)
      } finally {
        await unlock()
      }
      return 0
    }
    if (!existsSync(file)) throw new UsageError(`No such file: ${file}`)
    const unlock = await lockDataDir(dataDir)
    try {
      const staging = `${dataDir}.restoring`
      rmSync(staging, { recursive: true, force: true })
      // Load into a separate folder first, so a bad file leaves the current data untouched.
      const database = await openDatabase({ kind: 'pglite', dataDir: staging, loadDataDir: new Blob([readFileSync(file)]) })
      await migrateToLatest(database.db)
      await database.close()
      const previous = `${dataDir}.before-restore-${Date.now()}`
      renameSync(dataDir, previous)
      renameSync(staging, dataDir)
      out(`Restored ${file} into ${dataDir}. The previous data is kept in ${previous}.`)
    } finally {
      await unlock()
    }
    return 0
  }
  throw new UsageError(`Unknown command: ${argv.join(' ')}`)
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => { if (code >= 0) process.exitCode = code },
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof UsageError || (err instanceof Error && err.name === 'Error' && /Another Lantern process/.test(err.message))) {
      process.stderr.write(`${err.message}\n`)
    } else {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    }
    process.exitCode = 1
  },
)
