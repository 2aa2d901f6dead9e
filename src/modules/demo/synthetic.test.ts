import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql, type RawBuilder } from 'kysely'
import { withSystem, withTenant, type Database, type Db } from '../../platform/db.ts'
import type { Role } from '../../platform/access.ts'
import { createLocalAuthority } from '../local-authorities/service.ts'
import { saveOrganisation } from '../organisations/service.ts'
import { createUser } from '../users/service.ts'
import { nhsNumberProblem, postcodeProblem, upnProblem } from '../children/identifiers.ts'
import { DEFAULT_ENQUIRIES } from '../register/enquiry-template.ts'
import { createTestDatabase } from '../../../test/helpers/test-db.ts'
import { generateBatch, seedSyntheticChildren, type Batch, type Cast, type Plan, type SeedCounts } from './synthetic.ts'

const NOW = new Date('2026-03-10T10:00:00Z')

const person = (n: number, label: string) => ({ id: `00000000-0000-4000-8000-00000000000${n}`, label, displayName: label.split(',')[0], organisationId: `10000000-0000-4000-8000-00000000000${n}` })
const CAST: Cast = {
  laCode: '931',
  homeOrganisationId: '10000000-0000-4000-8000-000000000009',
  referrers: [person(1, 'Casey Officer, CME team'), person(2, 'Sam School, Riverside Academy')],
  officers: [person(1, 'Casey Officer, CME team')],
  schoolUsers: [person(2, 'Sam School, Riverside Academy')],
  teamManager: null,
  partnerOrganisationIds: ['10000000-0000-4000-8000-000000000008'],
  enquiries: DEFAULT_ENQUIRIES.map((e, position) => ({ ...e, position })),
  cmeReasons: ['moved_abroad', 'other'],
}

function plan(overrides: Partial<Plan> = {}): Plan {
  let n = 0
  return { seed: 42, children: 2000, cases: 200, now: NOW, cast: CAST, newId: () => `id-${n++}`, ...overrides }
}

const withoutIds = (rows: Record<string, unknown>[]) => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !['id', 'child_id', 'case_id'].includes(k))))

describe('the synthetic data generator', () => {
  it('makes the same data from the same seed, and different data from another', () => {
    const first = generateBatch(plan(), 0, 2000)
    const again = generateBatch(plan(), 0, 2000)
    const other = generateBatch(plan({ seed: 43 }), 0, 2000)

    assert.deepEqual(again, first)
    assert.notDeepEqual(withoutIds(other.child), withoutIds(first.child))
  })

  it('makes the same children and cases whatever the batch size', () => {
    const whole = generateBatch(plan(), 0, 2000)
    const parts = [generateBatch(plan(), 0, 700), generateBatch(plan(), 700, 1300), generateBatch(plan(), 1300, 2000)]

    for (const table of ['child', 'cme_case', 'case_enquiry', 'child_event', 'case_action'] as const) {
      assert.deepEqual(withoutIds(parts.flatMap((p) => p[table])), withoutIds(whole[table]), table)
    }
  })

  it('gives only identifiers that pass the checks: UPNs, NHS numbers in the test range, ZZ99 postcodes', () => {
    const batch = generateBatch(plan(), 0, 2000)
    const upns = batch.child.map((c) => c.upn as string | null).filter((u) => u !== null)
    const nhs = batch.child.map((c) => c.nhs_number as string | null).filter((n) => n !== null)

    for (const upn of upns) assert.equal(upnProblem(upn), undefined, upn)
    assert.ok(upns.every((u) => u.slice(1, 4) === '931'), 'UPNs carry the LA number')
    assert.equal(new Set(upns).size, upns.length, 'no two children share a UPN')
    for (const n of nhs) assert.equal(nhsNumberProblem(n), undefined, n)
    assert.ok(nhs.every((n) => n.startsWith('999')), 'NHS numbers are in the never-issued test range')
    assert.equal(new Set(nhs).size, nhs.length, 'no two children share an NHS number')
    for (const a of batch.child_address) assert.equal(postcodeProblem(a.postcode as string), undefined, a.postcode as string)
    assert.ok(batch.child_address.every((a) => (a.postcode as string).startsWith('ZZ99 ')))
    assert.ok(upns.length > 1500 && upns.length < 1700, `about 80% have a UPN (${upns.length})`)
    assert.ok(nhs.length > 1100 && nhs.length < 1300, `about 60% have an NHS number (${nhs.length})`)
  })

  it('gives the fictional demo LA code a UPN number the checks accept', () => {
    const upns = generateBatch(plan({ cast: { ...CAST, laCode: '990' } }), 0, 200).child.map((c) => c.upn).filter(Boolean) as string[]

    assert.ok(upns.every((u) => upnProblem(u) === undefined && u.slice(1, 4) === '599'))
  })

  it('makes children aged 4 to 16', () => {
    const ages = generateBatch(plan(), 0, 2000).child.map((c) => {
      const dob = new Date(`${c.date_of_birth as string}T00:00:00Z`)
      const birthday = new Date(Date.UTC(NOW.getUTCFullYear(), dob.getUTCMonth(), dob.getUTCDate()))
      return NOW.getUTCFullYear() - dob.getUTCFullYear() - (birthday > NOW ? 1 : 0)
    })

    assert.equal(Math.min(...ages), 4)
    assert.equal(Math.max(...ages), 16)
  })
})

type Seeded = { database: Database; db: Db; laId: string; otherLaId: string; counts: SeedCounts; auditBefore: number; auditAfter: number }

async function seededLa(): Promise<Seeded> {
  const database = await createTestDatabase()
  const db = database.db
  const { laId, organisationId } = await createLocalAuthority(db, { code: '990', name: 'Northmoor Borough Council' }, 'test', NOW)
  const other = await createLocalAuthority(db, { code: '991', name: 'Southmoor Borough Council' }, 'test', NOW)
  const actor = { laId, userId: null, label: 'test', ip: null }
  const orgs: Record<string, string> = {}
  for (const [name, kind, urn] of [['Riverside Academy', 'school', '990001'], ['Northmoor Police', 'police', null]] as const) {
    const saved = await saveOrganisation(db, actor, undefined, { name, kind, urn }, NOW)
    if (saved.ok) orgs[name] = saved.id
  }
  const users: [string, string, Role[]][] = [['officer@northmoor.example', organisationId, ['cme_officer']],
    ['school@riverside.example', orgs['Riverside Academy'], ['school_user']], ['police@northmoor.example', orgs['Northmoor Police'], ['partner_practitioner']],
    ['admin@northmoor.example', organisationId, ['la_admin']]]
  for (const [email, org, roles] of users) await createUser(db, laId, 'test', { email, displayName: email.split('@')[0], organisationId: org, roles }, NOW)
  const audit = () => withSystem(db, async (tx) => (await sql<{ n: number }>`select count(*)::int as n from audit_event`.execute(tx)).rows[0].n)
  const auditBefore = await audit()
  const counts = await seedSyntheticChildren(db, { laId, children: 2000, seed: 7, now: NOW, batchSize: 600 })
  return { database, db, laId, otherLaId: other.laId, counts, auditBefore, auditAfter: await audit() }
}

/** The values a check constraint allows, read from the database so a new status cannot be missed. */
async function allowed(tx: Db, constraint: string): Promise<string[]> {
  const { rows } = await sql<{ def: string }>`select pg_get_constraintdef(oid) as def from pg_constraint where conname = ${constraint}`.execute(tx)
  return [...rows[0].def.matchAll(/'([a-z_]+)'::text/g)].map((m) => m[1]).sort()
}

describe('seeding synthetic children into an LA', () => {
  let s: Seeded
  const inLa = <T>(fn: (tx: Db) => Promise<T>) => withTenant(s.db, { laId: s.laId }, fn)
  const rows = async <T>(query: RawBuilder<T>) => inLa(async (tx) => (await query.execute(tx)).rows)

  before(async () => { s = await seededLa() })
  after(async () => { await s.database.close() })

  it('writes the rows it counts, one case for about every ten children', async () => {
    const [n] = await rows(sql<Record<keyof Batch, number>>`select
      (select count(*)::int from child) as child, (select count(*)::int from child_address) as child_address,
      (select count(*)::int from cme_case) as cme_case, (select count(*)::int from case_enquiry) as case_enquiry,
      (select count(*)::int from child_event) as child_event, (select count(*)::int from child_flag) as child_flag,
      (select count(*)::int from case_action) as case_action, (select count(*)::int from school_notice) as school_notice`)

    assert.deepEqual(n, s.counts)
    assert.equal(n.child, 2000)
    assert.equal(n.cme_case, 200)
    assert.equal(n.case_enquiry, 200 * DEFAULT_ENQUIRIES.length)
    assert.ok(n.school_notice > 0)
  })

  it('uses every status and register type the database allows', async () => {
    const used = await rows(sql<{ status: string[]; types: string[] }>`
      select array_agg(distinct status order by status) as status, array_agg(distinct register_type order by register_type) as types from cme_case`)
    const statuses = await inLa((tx) => allowed(tx, 'cme_case_status_check'))
    const types = await inLa((tx) => allowed(tx, 'cme_case_register_type_check'))

    assert.equal(statuses.length, 8)
    assert.deepEqual(used[0].status, statuses)
    assert.deepEqual(used[0].types, types)
  })

  it('closes cases only as the app would: a closing date, a note, and no required enquiry left to do', async () => {
    const [c] = await rows(sql<{ badClosed: number; badOpen: number; gate: number; openToDo: number; openDone: number }>`select
      (select count(*)::int from cme_case where status not in ('referred', 'making_enquiries', 'located_awaiting_place')
        and (closed_at is null or resolution_note is null or closed_at < opened_at or closed_at > ${NOW})) as "badClosed",
      (select count(*)::int from cme_case where status in ('referred', 'making_enquiries', 'located_awaiting_place') and closed_at is not null) as "badOpen",
      (select count(*)::int from cme_case k join case_enquiry e on e.case_id = k.id
        where k.closed_at is not null and e.required and e.state = 'to_do') as gate,
      (select count(*)::int from cme_case k join case_enquiry e on e.case_id = k.id where k.closed_at is null and e.state = 'to_do') as "openToDo",
      (select count(*)::int from cme_case k join case_enquiry e on e.case_id = k.id where k.closed_at is null and e.state = 'done') as "openDone"`)

    assert.deepEqual([c.badClosed, c.badOpen, c.gate], [0, 0, 0])
    assert.ok(c.openToDo > 0 && c.openDone > 0, 'open cases have a mix of enquiries to do and done')
  })

  it('gives every case a sensible history: 2 to 6 chronology entries, dates before the case opened, real referrers', async () => {
    const [c] = await rows(sql<{ events: number; dates: number; referrers: number; officers: number; high: number }>`select
      (select count(*)::int from cme_case k where (select count(*) from child_event e where e.case_id = k.id) not between 2 and 6) as events,
      (select count(*)::int from cme_case k join child ch on ch.id = k.child_id where k.opened_at > ${NOW} or k.date_last_seen > (k.opened_at at time zone 'UTC')::date
        or k.date_last_in_education > k.date_last_seen or k.date_last_seen < ch.date_of_birth) as dates,
      (select count(*)::int from cme_case k join app_user u on u.id = k.referred_by where u.organisation_id <> k.referrer_organisation_id) as referrers,
      (select count(*)::int from cme_case k where k.assigned_officer_id is not null and not exists
        (select 1 from user_role r where r.user_id = k.assigned_officer_id and r.role = 'cme_officer')) as officers,
      (select count(*)::int from cme_case where risk_level = 'high') as high`)

    assert.deepEqual([c.events, c.dates, c.referrers, c.officers], [0, 0, 0, 0])
    assert.ok(c.high >= 20 && c.high <= 60, `about 20% high risk (${c.high})`)
  })

  it('gives open cases actions, some overdue, some missing, and escalates child protection cases to the MASH', async () => {
    const [c] = await rows(sql<{ overdue: number; noAction: number; open: number; mash: number; shouldEscalate: number; closedOpen: number }>`select
      (select count(*)::int from case_action where status = 'open' and due_on < ${NOW}::date) as overdue,
      (select count(*)::int from cme_case k where closed_at is null and not exists (select 1 from case_action a where a.case_id = k.id and a.status = 'open')) as "noAction",
      (select count(*)::int from cme_case where closed_at is null) as open,
      (select count(distinct case_id)::int from case_action where kind = 'mash_escalation') as mash,
      (select count(*)::int from cme_case where 'The child has a child protection plan' = any(risk_reasons)) as "shouldEscalate",
      (select count(*)::int from case_action a join cme_case k on k.id = a.case_id where k.closed_at is not null and (a.status <> 'done' or a.completed_by_label is null)) as "closedOpen"`)

    assert.ok(c.overdue > 0)
    assert.ok(c.noAction > 0 && c.noAction < c.open / 4, `a few open cases have no next action (${c.noAction} of ${c.open})`)
    assert.ok(c.mash >= c.shouldEscalate && c.shouldEscalate > 0)
    assert.equal(c.closedOpen, 0)
  })

  it('flags some children and links school notices to their cases', async () => {
    const [c] = await rows(sql<{ flagged: number; withCase: number; badNotices: number }>`select
      (select count(distinct child_id)::int from child_flag) as flagged, (select count(distinct child_id)::int from cme_case) as "withCase",
      (select count(*)::int from school_notice n join cme_case k on k.id = n.case_id
        where k.source <> 'removal_notice' or k.child_id <> n.child_id or n.kind <> 'removal' or n.ground not in ('g', 'h', 'i', 'n', 'o')) as "badNotices"`)

    assert.ok(c.flagged >= c.withCase * 0.05 && c.flagged <= c.withCase * 0.3, `about 15% of children with a case are flagged (${c.flagged} of ${c.withCase})`)
    assert.equal(c.badNotices, 0)
  })

  it('writes inside the LA only, and leaves the audit log alone', async () => {
    const seenByOther = await withTenant(s.db, { laId: s.otherLaId }, async (tx) =>
      (await sql<{ n: number }>`select (select count(*) from child) + (select count(*) from cme_case) + (select count(*) from child_event) as n`.execute(tx)).rows[0].n)
    const byLa = await withSystem(s.db, async (tx) => (await sql<{ la: string; n: number }>`select local_authority_id as la, count(*)::int as n from child group by 1`.execute(tx)).rows)

    assert.equal(Number(seenByOther), 0)
    assert.deepEqual(byLa, [{ la: s.laId, n: 2000 }])
    assert.equal(s.auditAfter, s.auditBefore)
  })
})
