// The register's target: with 200,000 children and 20,000 cases, the register's first page with a
// filter and a child's page each answer in under 50 ms at the 95th percentile with 50 signed-in users
// at once. Usage: npm run bench -- register --help
import { Agent, request } from 'node:http'
import { cpus } from 'node:os'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { sql } from 'kysely'
import { withTenant } from '../src/platform/db.ts'
import { hashPassword } from '../src/modules/auth/passwords.ts'
import {
  DATABASE_OPTIONS, DATABASE_USAGE, UsageError, benchUser, count, databaseVersion, machineCpu, machineLines, ms, positive, rowCounts,
  seededAuthority, signedInCookie, startLantern, databaseFrom, withBenchDatabase, type Lantern,
} from './harness.ts'

const HELP = `npm run bench -- register [options]

Starts Lantern in production mode against a seeded database, signs in one CME officer per connection,
and loads the register's first page filtered to high risk, then the pages of children who have cases.

  --connections N        concurrent signed-in users, one connection each (default 50)
  --duration S           seconds measured for each page (default 20)
  --warmup S             seconds of the same load first, not measured (default 5)
  --children N           how many children's pages to rotate through (default 1000)
  --pages LIST           which pages to load, of register and child (default register,child)
  --rate N               instead of asking again as soon as answered, the users ask N pages a second in all,
                         at random moments, as people who read each page before the next
${DATABASE_USAGE}`

const TARGET_P95_MS = 50

type Measured = {
  requests: number
  seconds: number
  perSecond: number
  megabytesPerSecond: number
  p50: number; p95: number; p99: number; max: number
  non2xx: number; errors: number; timeouts: number
  /** Cores' worth of CPU used by the Lantern process, and by the whole machine (load generator and database included). */
  serverCores: number; machineCores: number
  serverCpuMsPerRequest: number
}

const percentile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] : NaN)

type Run = { latencies: number[]; seconds: number; bytes: number; non2xx: number; errors: number; timeouts: number }
type LoadOptions = { connections: number; seconds: number; rate?: number; cookies: string[]; path: () => string }

/** autocannon: every connection asks again as soon as it is answered, so this finds the most the server can do. */
function closedLoop(lantern: Lantern, o: LoadOptions): Promise<Run> {
  const latencies: number[] = []
  let connection = 0
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url: lantern.baseUrl, connections: o.connections, duration: o.seconds, timeout: 30,
      // Each connection is one user: their own session cookie on every request they make.
      setupClient: (client) => {
        const cookie = o.cookies[connection++ % o.cookies.length]
        client.setRequests([{ method: 'GET', headers: { cookie }, setupRequest: (request) => ({ ...request, path: o.path() }) }])
      },
    }, (err, res) => (err ? reject(err) : resolve({
      latencies, seconds: res.duration, bytes: res.throughput.total, non2xx: res.non2xx, errors: res.errors, timeouts: res.timeouts,
    })))
    // autocannon's own histogram has no 95th percentile and keeps only 2xx; keep every response's time.
    instance.on('response', (_client, _status, _bytes, elapsed) => { latencies.push(elapsed) })
  })
}

/**
 * Users who read each page before asking for the next: requests arrive at random (Poisson) times at
 * `rate` a second, each from the next user in turn on their own keep-alive connection. autocannon's
 * rate limit sends every connection's request at the start of each second together, which measures a
 * burst, not this. Latency runs from the moment the user asked, so a request kept waiting counts in full.
 */
async function openLoop(lantern: Lantern, o: LoadOptions & { rate: number }): Promise<Run> {
  const users = o.cookies.slice(0, o.connections).map((cookie) => ({ cookie, agent: new Agent({ keepAlive: true, maxSockets: 1 }) }))
  const run: Run = { latencies: [], seconds: o.seconds, bytes: 0, non2xx: 0, errors: 0, timeouts: 0 }
  const pending: Promise<void>[] = []
  const start = performance.now()
  for (let at = 0, turn = 0; at < o.seconds * 1000; at += -Math.log(1 - Math.random()) * (1000 / o.rate), turn++) {
    const wait = start + at - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    const user = users[turn % users.length]
    const asked = start + at
    pending.push(new Promise<void>((resolve) => {
      const req = request(`${lantern.baseUrl}${o.path()}`, { agent: user.agent, headers: { cookie: user.cookie }, timeout: 30_000 }, (res) => {
        res.on('data', (chunk: Buffer) => { run.bytes += chunk.length })
        res.on('end', () => {
          run.latencies.push(performance.now() - asked)
          if ((res.statusCode ?? 0) >= 300) run.non2xx++
          resolve()
        })
      })
      req.on('timeout', () => { run.timeouts++; req.destroy() })
      req.on('error', () => { run.errors++; resolve() })
      req.end()
    }))
  }
  await Promise.all(pending)
  for (const u of users) u.agent.destroy()
  return run
}

async function load(lantern: Lantern, o: LoadOptions): Promise<Measured> {
  const cpuBefore = lantern.cpuSeconds()
  const machineBefore = machineCpu()
  const run = o.rate ? await openLoop(lantern, { ...o, rate: o.rate }) : await closedLoop(lantern, o)
  const machineAfter = machineCpu()
  const serverCpu = lantern.cpuSeconds() - cpuBefore
  const cores = (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)
  const latencies = run.latencies.sort((a, b) => a - b)
  return {
    requests: latencies.length,
    seconds: run.seconds,
    perSecond: latencies.length / run.seconds,
    megabytesPerSecond: run.bytes / run.seconds / 2 ** 20,
    p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95), p99: percentile(latencies, 0.99), max: latencies[latencies.length - 1] ?? NaN,
    non2xx: run.non2xx, errors: run.errors, timeouts: run.timeouts,
    serverCores: serverCpu / run.seconds,
    machineCores: cores * cpus().length,
    serverCpuMsPerRequest: (serverCpu * 1000) / Math.max(1, latencies.length),
  }
}

/** One request as the user would see it, to fail early if the page is not the page (a sign-in redirect, an error). */
async function checkPage(lantern: Lantern, path: string, cookie: string, expect: RegExp): Promise<number> {
  const res = await fetch(`${lantern.baseUrl}${path}`, { headers: { cookie }, redirect: 'manual' })
  const body = await res.text()
  if (res.status !== 200 || !expect.test(body)) throw new Error(`GET ${path} answered ${res.status} without ${expect}: is the session signed in?`)
  return Buffer.byteLength(body)
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: {
    ...DATABASE_OPTIONS,
    connections: { type: 'string', default: '50' }, duration: { type: 'string', default: '20' }, warmup: { type: 'string', default: '5' },
    children: { type: 'string', default: '1000' }, pages: { type: 'string', default: 'register,child' }, rate: { type: 'string' }, help: { type: 'boolean' },
  } })
  if (values.help) return void console.log(HELP)
  const database = databaseFrom(values)
  const connections = Math.round(positive(values.connections, '--connections'))
  const seconds = positive(values.duration, '--duration')
  const warmup = Number(values.warmup)
  const childPages = Math.round(positive(values.children, '--children'))
  const rate = values.rate === undefined ? undefined : positive(values.rate, '--rate')

  const prepared = await withBenchDatabase(database, async (db) => {
    const la = await seededAuthority(db, values.la)
    const passwordHash = await hashPassword('benchmark password phrase, never used to sign in')
    const { homeOrganisationId, childIds, filtered } = await withTenant(db, { laId: la.id }, async (tx) => ({
      homeOrganisationId: (await sql<{ id: string }>`select id from organisation where kind = 'la_team' order by created_at limit 1`.execute(tx)).rows[0].id,
      // Spread over the whole register rather than the oldest or newest cases, so caches are not flattered.
      childIds: (await sql<{ id: string }>`select child_id as id from cme_case group by child_id order by md5(child_id::text) limit ${childPages}`.execute(tx)).rows.map((r) => r.id),
      filtered: (await sql<{ n: number }>`select count(*)::int as n from cme_case
        where risk_level = 'high' and status in ('referred', 'making_enquiries', 'located_awaiting_place')`.execute(tx)).rows[0].n,
    }))
    const cookies: string[] = []
    for (let i = 1; i <= connections; i++) {
      const userId = await benchUser(db, la.id, {
        email: `bench.officer.${i}@la${la.code}.example`, displayName: `Bench Officer ${i}`, organisationId: homeOrganisationId, roles: ['cme_officer'], passwordHash,
      })
      cookies.push(await signedInCookie(db, la.id, userId))
    }
    const counts = await rowCounts(db, la.id, ['child', 'cme_case', 'case_enquiry', 'child_event', 'case_action', 'child_flag', 'school_notice', 'audit_event'])
    return { la, cookies, childIds, filtered, counts, version: await databaseVersion(db, database) }
  })

  for (const line of machineLines()) console.log(line)
  console.log(`Database: ${prepared.version}`)
  console.log(`Data:     ${prepared.la.name} (${prepared.la.code}): ${Object.entries(prepared.counts).map(([t, n]) => `${t} ${count(n)}`).join(', ')}`)
  console.log(`          ${count(prepared.filtered)} open high-risk cases match the register's filter`)
  console.log(`Load:     ${connections} connections, each a different signed-in CME officer, ${rate ? `${rate} requests/s in all` : 'each asking again as soon as answered'}; ${warmup} s warm-up, then ${seconds} s measured per page\n`)

  const lantern = await startLantern(database, { logLevel: values['log-level'], cpuProfDir: values['cpu-prof'] })
  try {
    let child = 0
    const chosen = values.pages.split(',')
    const pages = [
      { key: 'register', name: 'Register, first page, high risk', path: () => '/register?risk=high', check: /data-testid="register-table"/ },
      { key: 'child', name: 'A child’s page', path: () => `/children/${prepared.childIds[child++ % prepared.childIds.length]}`, check: /Chronology|Cases?/ },
    ].filter((p) => chosen.includes(p.key))
    if (!pages.length) throw new UsageError('--pages must name register, child or both')
    const results: { name: string; bytes: number; m: Measured }[] = []
    for (const page of pages) {
      const bytes = await checkPage(lantern, page.path(), prepared.cookies[0], page.check)
      if (warmup > 0) await load(lantern, { connections, seconds: warmup, rate, cookies: prepared.cookies, path: page.path })
      const m = await load(lantern, { connections, seconds, rate, cookies: prepared.cookies, path: page.path })
      // Requests cut off when the load stopped are still being served: wait behind them, so the next page starts on an idle server.
      await checkPage(lantern, page.path(), prepared.cookies[0], page.check)
      results.push({ name: page.name, bytes, m })
      console.log(`${page.name}: ${count(m.requests)} requests in ${m.seconds} s, p50 ${ms(m.p50)}, p95 ${ms(m.p95)}, p99 ${ms(m.p99)}, max ${ms(m.max)}, non-2xx ${m.non2xx}`)
    }
    console.log(`\nServer peak memory: ${lantern.peakMemoryMiB()} MiB\n`)
    const row = (label: string, f: (m: Measured, bytes: number) => string) => `| ${label} | ${results.map((r) => f(r.m, r.bytes)).join(' | ')} |`
    console.log([
      `| Measure | ${results.map((r) => r.name).join(' | ')} |`,
      `| --- | ${results.map(() => '---').join(' | ')} |`,
      row('Requests measured', (m) => `${count(m.requests)} in ${m.seconds} s`),
      row('Throughput', (m) => `${Math.round(m.perSecond)} requests/s (${m.megabytesPerSecond.toFixed(1)} MiB/s)`),
      row('Latency p50 / p95 / p99 / max', (m) => `${ms(m.p50)} / **${ms(m.p95)}** / ${ms(m.p99)} / ${ms(m.max)}`),
      row(`Target: p95 under ${TARGET_P95_MS} ms`, (m) => (m.p95 < TARGET_P95_MS && m.non2xx + m.errors === 0 ? 'met' : '**missed**')),
      row('Non-2xx / errors / timeouts', (m) => `${m.non2xx} / ${m.errors} / ${m.timeouts}`),
      row('Page size', (_m, bytes) => `${Math.round(bytes / 1024)} KiB`),
      row('Lantern process CPU (1 core = 1.00)', (m) => `${m.serverCores.toFixed(2)} cores, ${m.serverCpuMsPerRequest.toFixed(1)} ms a request`),
      row('Whole machine CPU', (m) => `${m.machineCores.toFixed(2)} of ${cpus().length} cores`),
    ].join('\n'))
  } finally {
    await lantern.stop()
  }
}
