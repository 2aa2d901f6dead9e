import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import { readFileSync, writeFileSync, renameSync, rmSync, existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { loadConfig, ConfigError, type Config } from './config.ts'
import { startServer, openConfiguredDatabase } from './server.ts'
import { migrateToLatest } from './platform/migrate.ts'
import { verifyAuditChains } from './platform/audit.ts'
import { openDatabase, withTenant, type Db } from './platform/db.ts'
import { lockDataDir } from './platform/lock.ts'
import { ROLES, type Role } from './platform/access.ts'
import { deriveKey } from './platform/crypto.ts'
import { resolveSecret } from './platform/secret.ts'
import { seedDemo, DEMO_LA, DEMO_PASSWORD } from './modules/demo/seed.ts'
import { seedSyntheticChildren } from './modules/demo/synthetic.ts'
import { hashPassword } from './modules/auth/passwords.ts'
import { createLocalAuthority, findAuthorityByCode } from './modules/local-authorities/service.ts'
import { createUser } from './modules/users/service.ts'
import { issueInvitation } from './modules/auth/tokens.ts'
import { listOrganisationOptions, saveOrganisation } from './modules/organisations/service.ts'
import { MATCH_HELP, runMatchCommand } from './modules/linkage/command.ts'

const HELP = `Lantern command-line tool

  lantern serve                      start the web server (migrates first; seeds the demo LA in demo mode)
  lantern migrate                    apply database migrations
  lantern seed                       create the fictional demo Local Authority if the database is empty
  lantern seed --children N [--cases M] [--la CODE] [--seed S]
                                     add N fictional children and M cases (default N/10) to the LA with code
                                     CODE (default 990), creating it if needed; for benchmarks
  lantern la create --code 990 --name "Northmoor Borough Council"
                                     add a Local Authority to the deployment
  lantern users create --la CODE --email EMAIL --name NAME --organisation NAME --role ROLE [--role ROLE]
                                     invite a user; prints their invitation link
  lantern audit verify               check every LA's audit chain; exits 1 if an entry was changed or removed
  lantern backup FILE                copy the embedded database to FILE (stop the server first)
  lantern restore FILE               replace the embedded database with FILE (stop the server first)
${MATCH_HELP}

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
  // Record linkage works on files alone, so it needs neither settings nor a database.
  if (command === 'match') return runMatchCommand(argv.slice(1), out, (line) => process.stderr.write(`${line}\n`))
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
  if (command === 'seed' && argv.length > 1) return seedSynthetic(config, argv.slice(1))
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

const count = (n: number) => n.toLocaleString('en-GB')

function wholeNumber(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  const n = /^\d+$/.test(value.replace(/[,_]/g, '')) ? Number(value.replace(/[,_]/g, '')) : NaN
  if (!(n >= min && n <= max)) throw new UsageError(`${name} must be a whole number from ${count(min)} to ${count(max)}`)
  return n
}

/** A new LA for synthetic data, with a CME officer and a school user for its cases to refer to. */
async function createSyntheticAuthority(db: Db, config: Config, code: string, now: Date): Promise<{ id: string; name: string }> {
  const name = code === DEMO_LA.code ? DEMO_LA.name : `Synthetic Local Authority ${code}`
  const { laId, organisationId } = await createLocalAuthority(db, { code, name }, 'command line', now)
  const school = await saveOrganisation(db, { laId, userId: null, label: 'command line', ip: null }, undefined,
    { name: `Synthetic Academy ${code}`, kind: 'school', urn: `990${code}` }, now)
  if (!school.ok) throw new Error(school.message)
  // In demo mode the two users get the demo password, so a benchmark or a person can sign in as them.
  const passwordHash = config.demo ? await hashPassword(DEMO_PASSWORD) : undefined
  const users: { email: string; displayName: string; organisationId: string; roles: Role[] }[] = [
    { email: `cme.officer@la${code}.example`, displayName: 'Casey Officer', organisationId, roles: ['cme_officer'] },
    { email: `school@la${code}.example`, displayName: 'Sam School', organisationId: school.id, roles: ['school_user'] },
  ]
  for (const u of users) await createUser(db, laId, 'command line', { ...u, passwordHash }, now)
  out(`Created ${name} (${code}) with users ${users.map((u) => u.email).join(' and ')}${passwordHash ? ` (password "${DEMO_PASSWORD}")` : ' (invited, no password yet)'}.`)
  return { id: laId, name }
}

/** `lantern seed --children N`: fictional children and cases in bulk, in a new or an existing LA. */
async function seedSynthetic(config: Config, args: string[]): Promise<number> {
  let values: Record<string, string | undefined>
  try {
    values = parseArgs({ args, options: { children: { type: 'string' }, cases: { type: 'string' }, la: { type: 'string' }, seed: { type: 'string' } } }).values
  } catch (err) {
    throw new UsageError(`${(err as Error).message}. Use: lantern seed --children N [--cases M] [--la CODE] [--seed S]`)
  }
  if (values.children === undefined) throw new UsageError('Give --children N: how many fictional children to add')
  const children = wholeNumber(values.children, '--children', 1, 2_000_000)!
  const cases = wholeNumber(values.cases, '--cases', 0, children) ?? Math.round(children / 10)
  const requestedSeed = wholeNumber(values.seed, '--seed', 0, 4_294_967_295)
  const code = values.la ?? DEMO_LA.code
  if (!/^\d{3}$/.test(code)) throw new UsageError('--la must be a 3-digit LA code, like 990')

  return withDatabase(config, async ({ db }) => {
    const started = performance.now()
    const now = new Date()
    const la = (await findAuthorityByCode(db, code)) ?? (await createSyntheticAuthority(db, config, code, now))
    const existing = await withTenant(db, { laId: la.id }, async (tx) => (await sql<{ n: number }>`select count(*)::int as n from child`.execute(tx)).rows[0].n)
    // Without --seed a second run adds different children rather than the same ones again.
    const seed = requestedSeed ?? existing + 1
    out(`Adding ${count(children)} children and ${count(cases)} cases to ${la.name} (${code}) with seed ${seed}...`)
    let reported = 0
    const counts = await seedSyntheticChildren(db, { laId: la.id, children, cases, seed, now, onProgress: (done, total) => {
      if (done === total || done - reported >= total / 10) {
        reported = done
        out(`  ${count(done)} of ${count(total)} children (${((performance.now() - started) / 1000).toFixed(1)} s)`)
      }
    } })
    const labels: [keyof typeof counts, string][] = [['child', 'children'], ['child_address', 'addresses'], ['cme_case', 'cases'], ['case_enquiry', 'enquiries'],
      ['child_event', 'chronology entries'], ['child_flag', 'flags'], ['case_action', 'actions'], ['school_notice', 'school notices']]
    out(`Added in ${((performance.now() - started) / 1000).toFixed(1)} seconds:`)
    for (const [table, label] of labels) out(`  ${label.padEnd(20)}${count(counts[table]).padStart(11)}`)
    return 0
  })
}

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
