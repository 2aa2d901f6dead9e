import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { sql } from 'kysely'
import { withTenant } from '../../platform/db.ts'
import { dateFields, html, testApp, textOf, type Agent, type TestApp } from '../../../test/helpers/test-app.ts'
import { upnCheckLetter } from '../children/identifiers.ts'
import { nhsCheckDigit } from '../linkage/normalise.ts'
import { generatePeople } from '../linkage/synth.ts'

// Fictional children only. UPNs use LA code 820 with made-up serials; NHS numbers are made up with a valid check digit.
const upn = (n: string) => { const rest = `820${n.padStart(9, '0')}`; return `${upnCheckLetter(rest)}${rest}` }
const nhs = (first9: string) => `${first9}${nhsCheckDigit(first9)}`

describe('duplicate records on the register: compare, merge and undo', () => {
  let t: TestApp
  let officer: Agent
  const cleanups: (() => Promise<void>)[] = []
  const inTenant = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(t.database.db, { laId: t.la.id }, fn)
  const one = async <T>(query: ReturnType<typeof sql<T>>) => inTenant(async (tx) => (await query.execute(tx)).rows[0])
  const childId = (surname: string, forename: string) => one(sql<{ id: string }>`select id from child where surname = ${surname} and forename = ${forename}`).then((r) => r!.id)
  const refer = (fields: Record<string, string>) => officer.post('/referrals', { sex: 'female', concern: 'Not seen at school this term', whereaboutsKnown: 'yes', ...fields })
  let keep = ''
  let dupe = ''
  let sibling = ''

  before(async () => {
    t = await testApp({ after: (fn: () => Promise<void>) => void cleanups.push(fn) })
    t.clock.now = new Date('2026-11-25T10:00:00Z')
    officer = (await t.signedIn(['cme_officer'])).agent
    // A register of generated children for the model to learn from; then the pair under test.
    const people = generatePeople({ people: 300, duplicateRate: 0, errorRate: 0, seed: 3 })
    await inTenant(async (tx) => {
      for (const p of people) {
        await sql`insert into child (local_authority_id, forename, surname, date_of_birth, sex) values (${t.la.id}, ${p.forename}, ${p.surname}, ${p.date_of_birth}, ${p.sex === 'F' ? 'female' : 'male'})`.execute(tx)
      }
    })
    await refer({ forename: 'Ada', surname: 'Quillfeather', ...dateFields('dateOfBirth', '2014-03-02'), addressLine1: '4 Fernhollow Road', postcode: 'ZZ99 3AB' })
    await refer({ forename: 'Adah', surname: 'Quillfeather', ...dateFields('dateOfBirth', '2014-03-02'), addressLine1: '4 Fernhollow Road', postcode: 'ZZ99 3AB', upn: upn('300000001'), nhsNumber: nhs('999000123') })
    await refer({ forename: 'Bryn', surname: 'Quillfeather', ...dateFields('dateOfBirth', '2011-07-19'), sex: 'male', addressLine1: '4 Fernhollow Road', postcode: 'ZZ99 3AB' })
    keep = await childId('Quillfeather', 'Ada')
    dupe = await childId('Quillfeather', 'Adah')
    sibling = await childId('Quillfeather', 'Bryn')
    await officer.post(`/children/${dupe}/siblings`, { siblingId: sibling })
  })
  after(async () => { for (const fn of cleanups) await fn() })

  it('lists likely duplicates for CME officers only, and audits the list', async () => {
    const school = (await t.signedIn(['school_user'])).agent
    assert.equal((await school.get('/register/duplicates')).statusCode, 403)
    const page = await officer.get('/register/duplicates')
    assert.equal(page.statusCode, 200)
    const rows = html(page)('[data-testid=duplicates] tbody tr').map((_, r) => html(page)(r).text().replace(/\s+/g, ' ')).get()
    assert.ok(rows.some((r) => /Ada Quillfeather/.test(r) && /Adah Quillfeather/.test(r)), rows.join('\n'))
    assert.ok(!rows.some((r) => /Bryn Quillfeather/.test(r) && /Adah? Quillfeather/.test(r)), 'a brother at the same address is not offered as a duplicate')
    assert.equal((await one(sql<{ n: number }>`select count(*)::int as n from audit_event where action = 'child.duplicates_viewed'`))!.n, 1)
    const shown = (await one(sql<{ ids: string }>`select details::jsonb->>'childIds' as ids from audit_event where action = 'child.duplicates_viewed'`))!.ids.split(',')
    assert.ok(shown.length >= 2 && shown.every((id) => /^[0-9a-f-]{36}$/.test(id)), 'the audit names each child the list showed')
  })

  it('shows what a merge will do, and refuses children with different NHS numbers', async () => {
    const page = await officer.get(`/children/merge?keep=${keep}&merge=${dupe}`)
    assert.equal(page.statusCode, 200)
    const plan = textOf(page, '[data-testid=plan]')
    assert.match(plan, /UPN .* is added to the record kept[\s\S]*NHS number .* is added[\s\S]*“Adah Quillfeather” is kept as another name/)
    assert.equal(html(page)('[data-testid=swap]').attr('href'), `/children/merge?keep=${dupe}&merge=${keep}`)

    await refer({ forename: 'Cora', surname: 'Brightwater', ...dateFields('dateOfBirth', '2013-05-05'), nhsNumber: nhs('999000211') })
    await refer({ forename: 'Cora', surname: 'Brightwater', ...dateFields('dateOfBirth', '2013-05-05'), nhsNumber: nhs('999000262') })
    const [c1, c2] = (await inTenant(async (tx) => (await sql<{ id: string; version: number }>`select id, version from child where surname = 'Brightwater' order by nhs_number`.execute(tx)).rows))
    const blocked = await officer.get(`/children/merge?keep=${c1.id}&merge=${c2.id}`)
    assert.match(textOf(blocked, '[data-testid=blocker]'), /different NHS numbers/)
    assert.equal(html(blocked)('[data-testid=merge]').length, 0)
    const forced = await officer.post('/children/merge', { keepId: c1.id, mergeId: c2.id, keepVersion: String(c1.version), mergeVersion: String(c2.version) })
    assert.equal(forced.statusCode, 409)
    assert.equal((await one(sql<{ n: number }>`select count(*)::int as n from child where merged_into is not null`))!.n, 0)
  })

  it('refuses a merge if either record changed since the comparison', async () => {
    const versions = await inTenant(async (tx) => (await sql<{ id: string; version: number }>`select id, version from child where id in (${keep}, ${dupe})`.execute(tx)).rows)
    const v = Object.fromEntries(versions.map((r) => [r.id, r.version]))
    const stale = await officer.post('/children/merge', { keepId: keep, mergeId: dupe, keepVersion: String(v[keep] - 1 || 99), mergeVersion: String(v[dupe]) })
    assert.equal(stale.statusCode, 409)
    assert.match(textOf(stale, '.govuk-error-summary'), /changed while you were looking/)
  })

  it('merges: everything moves to the record kept, the duplicate is hidden, and the merge is audited', async () => {
    const versions = await inTenant(async (tx) => (await sql<{ id: string; version: number }>`select id, version from child where id in (${keep}, ${dupe})`.execute(tx)).rows)
    const v = Object.fromEntries(versions.map((r) => [r.id, r.version]))
    const res = await officer.post('/children/merge', { keepId: keep, mergeId: dupe, keepVersion: String(v[keep]), mergeVersion: String(v[dupe]) })
    assert.equal(res.statusCode, 303)
    const page = await officer.get(res.headers.location as string)
    assert.match(textOf(page, '.govuk-notification-banner'), /The records were merged/)
    assert.match(textOf(page, '[data-testid=merges]'), /Adah Quillfeather, born 2 March 2014: merged by/)
    const kept = await one(sql<{ upn: string; nhs: string; cases: number; aliases: number }>`select upn, nhs_number as nhs,
      (select count(*)::int from cme_case where child_id = ${keep}) as cases, (select count(*)::int from child_alias where child_id = ${keep}) as aliases from child where id = ${keep}`)
    assert.deepEqual(kept, { upn: upn('300000001'), nhs: nhs('999000123'), cases: 2, aliases: 1 })
    assert.equal((await one(sql<{ n: number }>`select count(*)::int as n from child_sibling where ${keep} in (child_id, sibling_id) and ${sibling} in (child_id, sibling_id)`))!.n, 1)
    const gone = await officer.get(`/children/${dupe}`)
    assert.equal(gone.statusCode, 303)
    assert.equal(gone.headers.location, `/children/${keep}?from=merged`)
    assert.doesNotMatch(textOf(await officer.get('/register/duplicates'), 'main'), /Adah Quillfeather/)
    assert.equal((await one(sql<{ n: number }>`select count(*)::int as n from audit_event where action = 'child.merged' and record_id = ${keep}`))!.n, 1)
  })

  it('undoes a merge exactly, once', async () => {
    const merge = (await one(sql<{ id: string }>`select id from child_merge where kept_child_id = ${keep}`))!.id
    const res = await officer.post(`/children/merges/${merge}/undo`, {})
    assert.equal(res.statusCode, 303)
    assert.equal(res.headers.location, `/children/${dupe}?unmerged=1`)
    const back = await officer.get(res.headers.location as string)
    assert.match(textOf(back, 'h1'), /Adah Quillfeather/)
    const state = await one(sql<{ upn: string | null; nhs: string | null; keptCases: number; dupeCases: number; aliases: number; merged: string | null }>`select
      (select upn from child where id = ${keep}) as upn, (select nhs_number from child where id = ${keep}) as nhs,
      (select count(*)::int from cme_case where child_id = ${keep}) as "keptCases", (select count(*)::int from cme_case where child_id = ${dupe}) as "dupeCases",
      (select count(*)::int from child_alias where child_id = ${keep}) as aliases, (select merged_into from child where id = ${dupe}) as merged`)
    assert.deepEqual(state, { upn: null, nhs: null, keptCases: 1, dupeCases: 1, aliases: 0, merged: null })
    assert.equal((await one(sql<{ n: number }>`select count(*)::int as n from child_sibling where ${dupe} in (child_id, sibling_id) and ${sibling} in (child_id, sibling_id)`))!.n, 1)
    assert.equal((await one(sql<{ n: number }>`select count(*)::int as n from child_sibling where ${keep} in (child_id, sibling_id)`))!.n, 0)
    await officer.post(`/children/merges/${merge}/undo`, {})
    assert.equal((await one(sql<{ n: number }>`select count(*)::int as n from audit_event where action = 'child.merge_undone'`))!.n, 1)
  })

  it('remembers two records an officer says are different children', async () => {
    assert.equal((await officer.post('/register/duplicates/different', { a: dupe, b: keep })).statusCode, 303)
    const page = await officer.get('/register/duplicates')
    const rows = html(page)('[data-testid=duplicates] tbody tr').map((_, r) => html(page)(r).text().replace(/\s+/g, ' ')).get()
    assert.ok(!rows.some((r) => /Ada Quillfeather/.test(r) && /Adah Quillfeather/.test(r)))
  })

  it('keeps other LAs out', async () => {
    const other = await t.addAuthority('992', 'Farther Council')
    const outsider = (await t.signedIn(['cme_officer'], { laId: other.id })).agent
    assert.equal((await outsider.get(`/children/merge?keep=${keep}&merge=${dupe}`)).statusCode, 404)
    assert.equal((await outsider.post('/children/merge', { keepId: keep, mergeId: dupe, keepVersion: '1', mergeVersion: '1' })).statusCode, 404)
    const merge = (await one(sql<{ id: string }>`select id from child_merge limit 1`))!.id
    assert.equal((await outsider.post(`/children/merges/${merge}/undo`, {})).statusCode, 404)
    assert.equal((await outsider.post('/register/duplicates/different', { a: keep, b: dupe })).statusCode, 404)
  })
})
