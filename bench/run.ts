// Platform benchmarks: audit appends, an authenticated page under concurrent load, and password hashing.
// Usage: npm run bench            (embedded PGlite)
//        BENCH_DATABASE_URL=postgres://... npm run bench   (also PostgreSQL; the user must be able to create databases)
// The register and import benchmarks run against a seeded database instead:
//        npm run bench -- register --help
//        npm run bench -- import --help
//        npm run bench -- finding --help
import { cpus, totalmem } from 'node:os'
import { performance } from 'node:perf_hooks'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { sql } from 'kysely'
import { withTenant } from '../src/platform/db.ts'
import { recordAudit } from '../src/platform/audit.ts'
import { hashPassword, verifyPassword } from '../src/modules/auth/passwords.ts'
import { testApp } from '../test/helpers/test-app.ts'

const cleanups: (() => Promise<void>)[] = []
const holder = { after: (fn: () => Promise<void>) => void cleanups.push(fn) }

function get(port: number, path: string, cookie: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { cookie } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end()
  })
}

async function bench(target: 'pglite' | 'postgres') {
  process.env.LANTERN_TEST_DB = target
  if (target === 'postgres') process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL
  const t = await testApp(holder)
  const { agent, userId } = await t.signedIn(['la_admin'])
  const actor = { laId: t.la.id, userId, label: 'bench@example.org', ip: '127.0.0.1' }

  // 1. Audit appends, one transaction each (the normal case: one change, one entry).
  const appends = 2000
  let start = performance.now()
  for (let i = 0; i < appends; i++) {
    await withTenant(t.database.db, { laId: t.la.id, userId }, (tx) => recordAudit(tx, actor, { action: 'bench.event', recordType: 'user', recordId: String(i) }, new Date()))
  }
  const appendMs = performance.now() - start

  // 2. Fill to 50,000 entries, then load the first page of the audit log with 10 requests in flight.
  await withTenant(t.database.db, { laId: t.la.id, userId }, async (tx) => {
    for (let i = appends; i < 50_000; i++) await recordAudit(tx, actor, { action: 'bench.bulk', recordType: 'user', recordId: String(i) }, new Date())
  })
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  const port = (t.app.server.address() as AddressInfo).port
  const cookie = `lantern_session=${agent.cookies.lantern_session}`
  const total = 400
  const concurrency = 10
  const latencies: number[] = []
  let next = 0
  start = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      next++
      const s = performance.now()
      const status = await get(port, process.env.BENCH_PATH ?? '/admin/audit', cookie)
      if (status !== 200) throw new Error(`status ${status}`)
      latencies.push(performance.now() - s)
    }
  }))
  const pageMs = performance.now() - start
  latencies.sort((a, b) => a - b)
  const count = (await sql<{ n: number }>`select count(*)::int as n from audit_event`.execute(t.database.db)).rows[0].n
  for (const c of cleanups.splice(0)) await c()
  return {
    target,
    auditAppendsPerSecond: Math.round(appends / (appendMs / 1000)),
    auditEntries: count,
    auditPageRequestsPerSecond: Math.round(total / (pageMs / 1000)),
    auditPageP50ms: Math.round(latencies[Math.floor(total * 0.5)]),
    auditPageP95ms: Math.round(latencies[Math.floor(total * 0.95)]),
  }
}

async function platform() {
  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  console.log(`Machine: ${cpus().length} x ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`)
  const hash = await hashPassword('benchmark password phrase')
  const s = performance.now()
  for (let i = 0; i < 10; i++) await verifyPassword(hash, 'benchmark password phrase')
  console.log(`argon2id verify (m=19 MiB, t=2): ${Math.round((performance.now() - s) / 10)} ms each`)
  const results = [await bench('pglite')]
  if (process.env.BENCH_DATABASE_URL) results.push(await bench('postgres'))
  console.table(results)
}

const [command, ...args] = process.argv.slice(2)
const benchmarks: Record<string, () => Promise<{ main(args: string[]): Promise<void> }>> = {
  register: () => import('./register.ts'),
  import: () => import('./import.ts'),
  finding: () => import('./finding.ts'),
}
if (command === undefined || command === 'platform') {
  await platform()
} else if (benchmarks[command]) {
  const { UsageError } = await import('./harness.ts')
  try {
    await (await benchmarks[command]()).main(args)
  } catch (err) {
    if (!(err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')))) throw err
    console.error(`${err.message}\nSee: npm run bench -- ${command} --help`)
    process.exitCode = 2
  }
} else {
  console.error(`Unknown benchmark "${command}": use platform (the default), register, import or finding`)
  process.exitCode = 2
}
