// "Who is on no roll" end to end in the app: N roll records and N population records stored as sources,
// then a run (load from the database, link in the worker thread, store the candidates) timed, while a
// second client keeps loading a page to show the app stays responsive during the run.
// Usage: npm run bench -- finding [--records N] [--db pglite|postgres]   (postgres needs BENCH_DATABASE_URL)
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { sql } from 'kysely'
import { withTenant } from '../src/platform/db.ts'
import { testApp } from '../test/helpers/test-app.ts'
import { generateLink, type SynthRow } from '../src/modules/linkage/synth.ts'
import * as q from '../src/modules/no-roll/queries.ts'
import { LINK_THRESHOLD, processRun } from '../src/modules/no-roll/service.ts'
import { machineLines } from './harness.ts'

const HELP = `npm run bench -- finding [options]

  --records N     records in the roll and in the population source (default 100000)
  --errors R      share of fields with an error in the population source (default 0.1)
  --db pglite|postgres  (postgres: a role in BENCH_DATABASE_URL that can create databases)`

function get(port: number, path: string, cookie: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { cookie } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)) })
    req.on('error', reject)
    req.end()
  })
}

const stored = (rows: SynthRow[], roll: boolean): q.StoredRecord[] => rows.filter((r) => r.date_of_birth).map((r, i) => ({
  rowNo: i + 1, recordRef: r.id, forename: r.forename, surname: r.surname, dateOfBirth: r.date_of_birth, sex: r.sex || null, postcode: r.postcode || null,
  address: roll ? null : r.address || null, nhsNumber: roll ? null : r.nhs_number || null, upn: null,
}))

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { records: { type: 'string', default: '100000' }, errors: { type: 'string', default: '0.1' }, db: { type: 'string', default: 'pglite' }, help: { type: 'boolean' } } })
  if (values.help) return void console.log(HELP)
  const n = Number(values.records)
  if (values.db === 'postgres') {
    if (!process.env.BENCH_DATABASE_URL) throw new Error('--db postgres needs BENCH_DATABASE_URL')
    process.env.LANTERN_TEST_DB = 'postgres'
    process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL
  }
  const cleanups: (() => Promise<void>)[] = []
  const t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
  try {
    const { agent, userId } = await t.signedIn(['cme_officer'])
    const { left, right } = generateLink({ people: Math.round(n / 0.95), duplicateRate: 0, errorRate: Number(values.errors), seed: 9, overlap: 0.9 })
    const today = new Date().toISOString().slice(0, 10)
    let mark = performance.now()
    const runId = await withTenant(t.database.db, { laId: t.la.id, userId }, async (tx) => {
      const ids: string[] = []
      for (const [kind, type, records] of [['roll', 'School census', stored(left.slice(0, n), true)], ['population', 'GP registrations', stored(right.slice(0, n), false)]] as const) {
        const id = await q.insertSource(tx, t.la.id, { kind, sourceType: type, dataDate: today, suppliedBy: 'bench', filename: 'bench.csv', format: 'csv', state: 'ready', payload: '', headers: [], uploadedBy: userId, now: new Date() })
        await q.insertRecords(tx, t.la.id, id, records)
        ids.push(id)
      }
      return q.insertRun(tx, t.la.id, { referenceDate: today, sourceIds: ids, threshold: LINK_THRESHOLD, by: userId, now: new Date() })
    })
    const storeMs = performance.now() - mark

    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const port = (t.app.server.address() as AddressInfo).port
    const cookie = `lantern_session=${agent.cookies.lantern_session}`
    const latencies: number[] = []
    let running = true
    const probe = (async () => {
      while (running) {
        const s = performance.now()
        if ((await get(port, '/find', cookie)) !== 200) throw new Error('page failed')
        latencies.push(performance.now() - s)
        await new Promise((r) => setTimeout(r, 50))
      }
    })()
    mark = performance.now()
    await processRun(t.database.db, t.la.id, runId, () => new Date())
    const runMs = performance.now() - mark
    running = false
    await probe
    const summary = (await withTenant(t.database.db, { laId: t.la.id }, (tx) => sql<{ summary: q.RunSummary }>`select summary from linkage_run where id = ${runId}`.execute(tx))).rows[0].summary
    latencies.sort((a, b) => a - b)
    for (const line of machineLines()) console.log(line)
    console.log(`Database: ${values.db}`)
    console.table([{
      records: `${n} x ${n}`, storeSeconds: +(storeMs / 1000).toFixed(1), runSeconds: +(runMs / 1000).toFixed(1),
      candidates: summary.candidates, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      pagesDuringRun: latencies.length, pageP50ms: Math.round(latencies[Math.floor(latencies.length * 0.5)] ?? 0), pageP95ms: Math.round(latencies[Math.floor(latencies.length * 0.95)] ?? 0),
      pageMaxMs: Math.round(latencies.at(-1) ?? 0),
    }])
    console.log('Run stages (ms):', summary.timings)
  } finally {
    for (const c of cleanups) await c()
  }
}
