// The import target: a school's CSV of 10,000 removal notices is applied in under 10 seconds, timed from
// the upload through the real form to the moment the status page says the notices were sent.
// Usage: npm run bench -- import --help
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import { withTenant } from '../src/platform/db.ts'
import { hashPassword } from '../src/modules/auth/passwords.ts'
import { saveOrganisation } from '../src/modules/organisations/service.ts'
import { syntheticUpn } from '../src/modules/demo/synthetic.ts'
import {
  DATABASE_OPTIONS, DATABASE_USAGE, benchUser, count, databaseVersion, machineLines, positive, rowCounts, seededAuthority, signedInCookie,
  startLantern, databaseFrom, withBenchDatabase,
} from './harness.ts'

const HELP = `npm run bench -- import [options]

Starts Lantern in production mode against a seeded database, signs in a school user, uploads a CSV of
fictional removal notices through POST /notices/import, and polls the status page until they are applied.

  --rows N               notices in the file (default 10000)
  --poll-ms N            how often to look at the status page, as a person pressing refresh (default 250)
${DATABASE_USAGE}`

const TARGET_SECONDS = 10

// Fictional pupils only: common first names, invented surnames and streets, postcodes in the unused
// ZZ99 area, phone numbers in Ofcom's drama range, and UPNs on LA number 599, which no LA has.
const FIRST = ['Amelia', 'Noah', 'Isla', 'Oliver', 'Aisha', 'Yusuf', 'Zuzanna', 'Kofi', 'Priya', 'Leo', 'Mei', 'Tomasz', 'Ruby', 'Arjun', 'Esme', 'Chidi']
const STEMS = ['Fern', 'Cinder', 'Dun', 'Ebber', 'Hollin', 'Quill', 'Tarn', 'Wex', 'Brack', 'Sedge', 'Vell', 'Orm']
const ENDS = ['hollow', 'moss', 'mere', 'ley', 'worth', 'combe', 'stead', 'ridge', 'wick', 'thorpe']
const STREETS = ['Kestrel Lane', 'Foundry Row', 'Linnet Close', 'Weaver Street', 'Sorrel Way', 'Copper Court', 'Heron Walk', 'Flax Gardens']
const POSTCODE_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ'
const HEADER = 'First name,Last name,Date of birth,Sex,UPN,Address line 1,Town,Postcode,Parent 1 name,Parent 1 phone,Ground,Deletion date'

const ukDate = (d: Date) => `${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${d.getUTCFullYear()}`

/** Valid removal notices on ground (g), moved away; deletion dates from today over the next four weeks. */
export function noticesCsv(rows: number, today: Date): string {
  const lines = [HEADER]
  const pick = <T>(items: T[], i: number) => items[i % items.length]
  for (let i = 0; i < rows; i++) {
    const surname = pick(STEMS, i) + pick(ENDS, Math.floor(i / STEMS.length))
    const dob = new Date(Date.UTC(today.getUTCFullYear() - 5 - (i % 11), i % 12, 1 + (i % 28)))
    const deletion = new Date(today.getTime() + (i % 28) * 86_400_000)
    // One pupil in ten has no UPN, as in real files from schools that have not sent census returns.
    const upn = i % 10 === 9 ? '' : syntheticUpn('599', 7331, i, 2015 + (i % 8))
    const postcode = `ZZ99 ${i % 10}${pick([...POSTCODE_LETTERS], i)}${pick([...POSTCODE_LETTERS], Math.floor(i / 20))}`
    lines.push([pick(FIRST, i * 7), surname, ukDate(dob), i % 2 ? 'M' : 'F', upn, `${1 + (i % 180)} ${pick(STREETS, i)}`, 'Northmoor', postcode,
      `${pick(FIRST, i * 3 + 1)} ${surname}`, `07700 900 ${String(i % 1000).padStart(3, '0')}`, 'g', ukDate(deletion)].join(','))
  }
  return `${lines.join('\r\n')}\r\n`
}

type Status = { state: 'applied' | 'rejected' | 'failed' | 'checking'; checked?: string; page: string }

function readStatus(html: string): Status {
  if (/govuk-panel__title[^>]*>\s*Notices sent/.test(html)) return { state: 'applied', page: html }
  if (/Nothing from .* was saved/.test(html)) return { state: 'rejected', page: html }
  if (/Checking your file/.test(html)) return { state: 'checking', checked: /Checked (\d+) of (\d+) rows/.exec(html)?.slice(1).join(' of '), page: html }
  return { state: 'failed', page: html }
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: {
    ...DATABASE_OPTIONS, rows: { type: 'string', default: '10000' }, 'poll-ms': { type: 'string', default: '250' }, help: { type: 'boolean' },
  } })
  if (values.help) return void console.log(HELP)
  const database = databaseFrom(values)
  const rows = Math.round(positive(values.rows, '--rows'))
  const pollMs = positive(values['poll-ms'], '--poll-ms')

  const prepared = await withBenchDatabase(database, async (db) => {
    const la = await seededAuthority(db, values.la)
    const existing = await withTenant(db, { laId: la.id }, async (tx) =>
      (await sql<{ id: string; name: string }>`select id, name from organisation where kind = 'school' order by created_at limit 1`.execute(tx)).rows[0])
    let school = existing
    if (!school) {
      const saved = await saveOrganisation(db, { laId: la.id, userId: null, label: 'benchmark', ip: null }, undefined, { name: 'Bench Academy', kind: 'school', urn: `999${la.code}` }, new Date())
      if (!saved.ok) throw new Error(saved.message)
      school = { id: saved.id, name: 'Bench Academy' }
    }
    const userId = await benchUser(db, la.id, {
      email: `bench.school@la${la.code}.example`, displayName: 'Bench School Office', organisationId: school.id, roles: ['school_user'],
      passwordHash: await hashPassword('benchmark password phrase, never used to sign in'),
    })
    return {
      la, school, cookie: await signedInCookie(db, la.id, userId), version: await databaseVersion(db, database),
      counts: await rowCounts(db, la.id, ['child', 'cme_case', 'school_notice', 'audit_event']),
    }
  })
  const csv = Buffer.from(noticesCsv(rows, new Date()))

  for (const line of machineLines()) console.log(line)
  console.log(`Database: ${prepared.version}`)
  console.log(`Data:     ${prepared.la.name} (${prepared.la.code}): ${Object.entries(prepared.counts).map(([t, n]) => `${t} ${count(n)}`).join(', ')}`)
  console.log(`File:     ${count(rows)} removal notices, ${(csv.length / 2 ** 20).toFixed(2)} MiB, uploaded as ${prepared.school.name}\n`)

  const lantern = await startLantern(database, { logLevel: values['log-level'], cpuProfDir: values['cpu-prof'] })
  let importId: string
  let timings: { upload: number; applied: number; cpuSeconds: number }
  const cpuBefore = lantern.cpuSeconds()
  try {
    const headers = { cookie: prepared.cookie }
    const form = await (await fetch(`${lantern.baseUrl}/notices/import`, { headers, redirect: 'manual' })).text()
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form)?.[1]
    if (!csrf) throw new Error('The import form has no CSRF token: is the school user signed in?')
    const body = new FormData()
    body.append('_csrf', csrf)
    body.append('ground', '')
    body.append('file', new Blob([csv], { type: 'text/csv' }), 'bench-notices.csv')

    const start = performance.now()
    const res = await fetch(`${lantern.baseUrl}/notices/import`, { method: 'POST', body, headers, redirect: 'manual' })
    const location = res.headers.get('location')
    if (res.status !== 303 || !location) throw new Error(`The upload answered ${res.status}: ${(await res.text()).slice(0, 500)}`)
    const upload = performance.now() - start
    importId = location.split('/').pop()!
    let status: Status
    let lastReported = ''
    for (;;) {
      status = readStatus(await (await fetch(`${lantern.baseUrl}${location}`, { headers, redirect: 'manual' })).text())
      if (status.state !== 'checking') break
      if (status.checked && status.checked !== lastReported) {
        lastReported = status.checked
        console.log(`  ${((performance.now() - start) / 1000).toFixed(1)} s: checked ${status.checked} rows`)
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs))
    }
    if (status.state !== 'applied') throw new Error(`The import was ${status.state}:\n${status.page.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 2000)}`)
    timings = { upload, applied: performance.now() - start, cpuSeconds: lantern.cpuSeconds() - cpuBefore }
  } finally {
    await lantern.stop()
  }

  const recorded = await withBenchDatabase(database, async (db) => withTenant(db, { laId: prepared.la.id }, async (tx) => ({
    ...(await sql<{ applied: number; seconds: number }>`select applied_rows as applied, extract(epoch from finished_at - created_at)::float8 as seconds
      from notice_import where id = ${importId}`.execute(tx)).rows[0],
    notices: (await sql<{ n: number }>`select count(*)::int as n from school_notice where import_id = ${importId}`.execute(tx)).rows[0].n,
  })))
  const seconds = timings.applied / 1000
  console.log([
    '',
    '| Measure | Figure |',
    '| --- | --- |',
    `| Rows in the file | ${count(rows)} (${(csv.length / 2 ** 20).toFixed(2)} MiB) |`,
    `| Upload answered (stored and queued) | ${Math.round(timings.upload)} ms |`,
    `| Upload to "Notices sent" on the status page | **${seconds.toFixed(1)} s** (${count(Math.round(rows / seconds))} rows/s) |`,
    // finished_at is stamped as the apply transaction begins, so this is the queue wait plus checking every row.
    `| Of which queued and checking rows (created_at to finished_at) | ${recorded.seconds.toFixed(1)} s |`,
    `| Notices saved | ${count(recorded.notices)} of ${count(rows)} |`,
    `| Lantern process CPU from upload to applied | ${timings.cpuSeconds.toFixed(1)} s |`,
    `| Target: under ${TARGET_SECONDS} s | ${seconds < TARGET_SECONDS && recorded.notices === rows ? 'met' : '**missed**'} |`,
  ].join('\n'))
}
