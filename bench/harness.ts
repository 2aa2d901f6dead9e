// What the register and import benchmarks share: their command-line options, the machine they ran on,
// getting the seeded database ready, and running Lantern in its own process as `lantern serve` runs
// in production, so that the load generator does not share the server's event loop.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { cpus, totalmem, release } from 'node:os'
import { createServer, type AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import { loadConfig } from '../src/config.ts'
import { openConfiguredDatabase } from '../src/server.ts'
import { migrateToLatest } from '../src/platform/migrate.ts'
import { withTenant, type Db } from '../src/platform/db.ts'
import { randomToken } from '../src/platform/crypto.ts'
import { createSession } from '../src/platform/sessions.ts'
import { cookieName } from '../src/platform/security.ts'
import { sessionCookieName } from '../src/platform/authenticate.ts'
import type { Role } from '../src/platform/access.ts'
import { createUser } from '../src/modules/users/service.ts'
import { findAuthorityByCode } from '../src/modules/local-authorities/service.ts'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

export type BenchDatabase = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string }

/** parseArgs options every database benchmark takes. */
export const DATABASE_OPTIONS = {
  db: { type: 'string', default: 'pglite' },
  'database-url': { type: 'string' },
  'data-dir': { type: 'string' },
  la: { type: 'string', default: '990' },
  'log-level': { type: 'string', default: 'info' },
  'cpu-prof': { type: 'string' },
} as const

export const DATABASE_USAGE = `  --db postgres|pglite   which database (default pglite)
  --database-url URL     PostgreSQL database already seeded (default: $BENCH_DATABASE_URL)
  --data-dir DIR         PGlite data directory already seeded (default: $BENCH_DATA_DIR or ./data/bench)
  --la CODE              the seeded Local Authority (default 990)
  --log-level LEVEL      the server's LOG_LEVEL (default info, as in production)
  --cpu-prof DIR         write the server's V8 CPU profile to DIR when it stops

Seed first, for example:
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/lantern_bench2 npm run lantern -- seed --children 200000 --cases 20000
  DATA_DIR=./data/bench npm run lantern -- seed --children 200000 --cases 20000`

export class UsageError extends Error {}

export function databaseFrom(values: { db?: string; 'database-url'?: string; 'data-dir'?: string }): BenchDatabase {
  if (values.db === 'postgres') {
    const url = values['database-url'] ?? process.env.BENCH_DATABASE_URL
    if (!url) throw new UsageError('Give --database-url postgres://… (or set BENCH_DATABASE_URL) for --db postgres')
    return { kind: 'postgres', url }
  }
  if (values.db === 'pglite') return { kind: 'pglite', dataDir: resolve(values['data-dir'] ?? process.env.BENCH_DATA_DIR ?? './data/bench') }
  throw new UsageError('--db must be postgres or pglite')
}

export const databaseEnv = (t: BenchDatabase): Record<string, string> => (t.kind === 'postgres' ? { DATABASE_URL: t.url } : { DATA_DIR: t.dataDir })

export function positive(value: string | undefined, name: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a number greater than 0`)
  return n
}

export function machineLines(): string[] {
  const model = cpus()[0]?.model ?? 'unknown CPU'
  return [
    `Machine:  ${cpus().length} × ${model}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}`,
    `Node:     ${process.version}`,
  ]
}

/**
 * Opens the seeded database (locking a PGlite directory, as the server would), brings its schema up to
 * date and runs fn. It is closed again before the server starts: embedded PGlite has one owner at a time.
 */
export async function withBenchDatabase<T>(bench: BenchDatabase, fn: (db: Db) => Promise<T>): Promise<T> {
  const { database, unlock } = await openConfiguredDatabase(loadConfig(databaseEnv(bench)))
  try {
    await migrateToLatest(database.db)
    return await fn(database.db)
  } finally {
    await database.close()
    await unlock()
  }
}

export type Authority = { id: string; name: string; code: string }

export async function seededAuthority(db: Db, code: string): Promise<Authority> {
  const la = await findAuthorityByCode(db, code)
  const children = la ? await withTenant(db, { laId: la.id }, async (tx) => (await sql<{ n: number }>`select count(*)::int as n from child`.execute(tx)).rows[0].n) : 0
  if (!la || children === 0) throw new UsageError(`The database has no children in the Local Authority with code ${code}: seed it first (see --help)`)
  return { ...la, code }
}

export async function databaseVersion(db: Db, bench: BenchDatabase): Promise<string> {
  const { rows } = await sql<{ v: string }>`select current_setting('server_version') as v`.execute(db)
  if (bench.kind === 'postgres') return `PostgreSQL ${rows[0].v}`
  const pkg = JSON.parse(readFileSync(new URL('../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8')) as { version: string }
  return `PGlite ${pkg.version} (PostgreSQL ${rows[0].v}, embedded, one connection)`
}

export async function rowCounts(db: Db, laId: string, tables: string[]): Promise<Record<string, number>> {
  return withTenant(db, { laId }, async (tx) => {
    const counts: Record<string, number> = {}
    for (const t of tables) counts[t] = (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(t)}`.execute(tx)).rows[0].n
    return counts
  })
}

/** An active user with a password, made once and found again on later runs by their email. */
export async function benchUser(db: Db, laId: string, u: { email: string; displayName: string; organisationId: string; roles: Role[]; passwordHash: string }): Promise<string> {
  const found = await withTenant(db, { laId }, async (tx) => (await sql<{ id: string }>`select id from app_user where email = ${u.email}`.execute(tx)).rows[0])
  return found?.id ?? createUser(db, laId, 'benchmark', u, new Date())
}

/**
 * A fully signed-in session (past the password and the authenticator code), as the Cookie header a
 * browser would send to the production server: __Host- cookies, and a CSRF cookie already set.
 */
export async function signedInCookie(db: Db, laId: string, userId: string): Promise<string> {
  const { token } = await withTenant(db, { laId, userId }, (tx) =>
    createSession(tx, { laId, userId, stage: 'complete', method: 'password', ip: '127.0.0.1', userAgent: 'lantern benchmark' }, new Date()))
  return `${sessionCookieName(true)}=${token}; ${cookieName('lantern_csrf', true)}=${randomToken()}`
}

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  server.close()
  await once(server, 'close')
  return port
}

export type Lantern = {
  baseUrl: string
  /** Seconds of CPU the server process has used so far. */
  cpuSeconds(): number
  /** Peak resident memory of the server process, in MiB. */
  peakMemoryMiB(): number
  stop(): Promise<void>
}

// Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ) on every architecture Node supports.
const TICKS_PER_SECOND = 100

/** Starts `lantern serve` in production mode on a free port and waits until it listens. */
export async function startLantern(bench: BenchDatabase, o: { logLevel: string; cpuProfDir?: string }): Promise<Lantern> {
  const port = await freePort()
  const baseUrl = `http://127.0.0.1:${port}`
  const env: Record<string, string | undefined> = {
    ...process.env, DATABASE_URL: undefined, DATA_DIR: undefined, ...databaseEnv(bench),
    NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), BASE_URL: baseUrl, SESSION_SECRET: randomToken(48), LOG_LEVEL: o.logLevel,
  }
  const flags = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : []
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', 'src/cli.ts', 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000) })
  const exited = once(child, 'exit')
  await new Promise<void>((resolve, reject) => {
    let ready = false
    let out = ''
    const timer = setTimeout(() => reject(new Error(`Lantern did not start within 120 s:\n${stderr}`)), 120_000)
    // The server logs every request at info level: keep reading after it is ready, so its pipe never fills.
    child.stdout.on('data', (chunk: Buffer) => {
      if (ready) return
      out += chunk.toString()
      if (/Lantern is running/.test(out)) {
        ready = true
        clearTimeout(timer)
        resolve()
      }
    })
    void exited.then(([code]) => {
      clearTimeout(timer)
      if (!ready) reject(new Error(`Lantern stopped with code ${code} before it was ready:\n${stderr}`))
    })
  })
  const stat = () => readFileSync(`/proc/${child.pid}/status`, 'utf8')
  return {
    baseUrl,
    cpuSeconds() {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(')').pop()!.trim().split(' ')
      return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
    },
    peakMemoryMiB: () => Math.round(Number(/VmHWM:\s+(\d+)/.exec(stat())?.[1] ?? 0) / 1024),
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Busy and total CPU time of the whole machine (every core), from /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  const [, ...numbers] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = numbers.map(Number)
  const busy = user + nice + system + irq + softirq + steal
  return { busy, total: busy + idle + iowait }
}

export const ms = (n: number) => (Number.isNaN(n) ? 'none answered' : `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`)
export const count = (n: number) => n.toLocaleString('en-GB')
