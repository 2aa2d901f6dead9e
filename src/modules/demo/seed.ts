import { seedDemoFinding } from './finding.ts'
import { createSeries, DEFAULT_RULES, planMeeting } from '../meetings/service.ts'
import { sql } from 'kysely'
import { withTenant, type Db } from '../../platform/db.ts'
import type { Role } from '../../platform/access.ts'
import { createLocalAuthority, countAuthorities } from '../local-authorities/service.ts'
import { saveOrganisation } from '../organisations/service.ts'
import { createUser } from '../users/service.ts'
import { addClosure, addTerm } from '../calendar/service.ts'
import { hashPassword } from '../auth/passwords.ts'
import { makeReferral } from '../register/service.ts'
import { seedSyntheticChildren } from './synthetic.ts'

// Everything here is fictional: Northmoor is not a real Local Authority, and 990 is not a real LA code.
export const DEMO_LA = { code: '990', name: 'Northmoor Borough Council' }
export const DEMO_PASSWORD = 'northmoor lantern demo'
export const DEMO_USERS: { email: string; displayName: string; org: string; roles: Role[] }[] = [
  { email: 'admin@northmoor.example', displayName: 'Alex Admin', org: 'Northmoor Borough Council', roles: ['la_admin', 'system_admin'] },
  { email: 'cme.officer@northmoor.example', displayName: 'Casey Officer', org: 'Northmoor Children Missing Education team', roles: ['cme_officer', 'panel_member'] },
  { email: 'school@riverside.example', displayName: 'Sam School', org: 'Riverside Academy', roles: ['school_user'] },
  { email: 'auditor@northmoor.example', displayName: 'Ari Auditor', org: 'Northmoor Borough Council', roles: ['auditor'] },
  { email: 'cme.officer2@northmoor.example', displayName: 'Drew Officer', org: 'Northmoor Children Missing Education team', roles: ['cme_officer'] },
  { email: 'team.manager@northmoor.example', displayName: 'Taylor Manager', org: 'Northmoor Children Missing Education team', roles: ['cme_officer'] },
  { email: 'attendance@brackenfold.example', displayName: 'Morgan Attendance', org: 'Brackenfold Primary School', roles: ['school_user'] },
  { email: 'pastoral@quillfield.example', displayName: 'Jamie Pastoral', org: 'Quillfield Academy', roles: ['school_user'] },
  { email: 'safeguarding@northmoor-police.example', displayName: 'Parker Practitioner', org: 'Northmoor Police Safeguarding Hub', roles: ['partner_practitioner'] },
]
const TEAM_MANAGER = 'team.manager@northmoor.example'

const ORGANISATIONS = [
  { name: 'Northmoor Children Missing Education team', kind: 'la_team' as const, urn: null },
  { name: 'Northmoor Virtual School', kind: 'la_team' as const, urn: null },
  { name: 'Riverside Academy', kind: 'school' as const, urn: '990001' },
  { name: 'Northmoor Police Safeguarding Hub', kind: 'police' as const, urn: null },
  { name: 'Northmoor Community Health', kind: 'health' as const, urn: null },
  { name: 'Brackenfold Primary School', kind: 'school' as const, urn: '990002' },
  { name: 'Quillfield Academy', kind: 'school' as const, urn: '990003' },
  { name: 'Lantern Hill Primary School', kind: 'school' as const, urn: '990004' },
  { name: 'Moorside High School', kind: 'school' as const, urn: '990005' },
]

const TERMS = [
  { name: 'Autumn term 2025', startsOn: '2025-09-02', endsOn: '2025-12-19' },
  { name: 'Spring term 2026', startsOn: '2026-01-05', endsOn: '2026-03-27' },
  { name: 'Summer term 2026', startsOn: '2026-04-13', endsOn: '2026-07-21' },
  { name: 'Autumn term 2026', startsOn: '2026-09-02', endsOn: '2026-12-18' },
  { name: 'Spring term 2027', startsOn: '2027-01-04', endsOn: '2027-03-25' },
  { name: 'Summer term 2027', startsOn: '2027-04-12', endsOn: '2027-07-21' },
]
const CLOSURES = [
  { kind: 'half_term' as const, description: 'Autumn half term', startsOn: '2025-10-27', endsOn: '2025-10-31' },
  { kind: 'half_term' as const, description: 'Spring half term', startsOn: '2026-02-16', endsOn: '2026-02-20' },
  { kind: 'half_term' as const, description: 'Summer half term', startsOn: '2026-05-26', endsOn: '2026-05-29' },
  { kind: 'inset' as const, description: 'INSET day', startsOn: '2026-09-02', endsOn: '2026-09-02' },
  { kind: 'half_term' as const, description: 'Autumn half term', startsOn: '2026-10-26', endsOn: '2026-10-30' },
  { kind: 'half_term' as const, description: 'Spring half term', startsOn: '2027-02-15', endsOn: '2027-02-19' },
  { kind: 'half_term' as const, description: 'Summer half term', startsOn: '2027-06-01', endsOn: '2027-06-04' },
]

// Invented children: names, dates and addresses are made up, and the UPNs use the fictional LA code 990.
const DEMO_REFERRALS: { forename: string; surname: string; dateOfBirth?: string; sex: 'female' | 'male' | 'unknown'; addressLine1?: string; town?: string; postcode?: string; concern: string; whereaboutsKnown: 'yes' | 'no'; concerns?: ('child_protection_plan' | 'looked_after' | 'safety_concerns' | 'exploitation_concerns')[] }[] = [
  { forename: 'Ellis', surname: 'Brackenfold', dateOfBirth: '2012-05-14', sex: 'male', addressLine1: '4 Mill Lane', town: 'Northmoor', concern: 'Not seen at Riverside Academy since half term; the family say they are moving away.', whereaboutsKnown: 'yes' },
  { forename: 'Priya', surname: 'Ashcombe', dateOfBirth: '2014-11-02', sex: 'female', concern: 'Neighbour reports a girl of primary age at home every weekday.', whereaboutsKnown: 'yes' },
  { forename: 'Tomasz', surname: 'Quillfield', dateOfBirth: '2011-01-23', sex: 'male', concern: 'Removed from roll after 20 days of unexplained absence; phone numbers do not connect.', whereaboutsKnown: 'no' },
  { forename: 'Maisie', surname: 'Thornbury', dateOfBirth: '2013-08-30', sex: 'female', addressLine1: '17 Harrow Court', town: 'Northmoor', concern: 'Child on a protection plan; school place refused twice.', whereaboutsKnown: 'yes', concerns: ['child_protection_plan'] },
  { forename: 'Kofi', surname: 'Elmstead', dateOfBirth: '2010-03-09', sex: 'male', concern: 'Seen with older youths during school hours; not on any roll we know of.', whereaboutsKnown: 'yes', concerns: ['exploitation_concerns'] },
  { forename: 'Ruby', surname: 'Penhallow', sex: 'female', concern: 'Arrived in the area in the summer; no school application received.', whereaboutsKnown: 'yes' },
]

/** Creates the fictional demo LA with its organisations, users and calendar, once. Returns false if data exists. */
export async function seedDemo(db: Db, now: Date): Promise<boolean> {
  if ((await countAuthorities(db)) > 0) return false
  const by = 'demo seed'
  const { laId, organisationId } = await createLocalAuthority(db, DEMO_LA, by, now)
  const actor = { laId, userId: null, label: by, ip: null }
  const orgIds = new Map<string, string>([[DEMO_LA.name, organisationId]])
  for (const org of ORGANISATIONS) {
    const saved = await saveOrganisation(db, actor, undefined, org, now)
    if (saved.ok) orgIds.set(org.name, saved.id)
  }
  const passwordHash = await hashPassword(DEMO_PASSWORD)
  const userIds = new Map<string, string>()
  for (const u of DEMO_USERS) {
    userIds.set(u.email, await createUser(db, laId, by, { email: u.email, displayName: u.displayName, organisationId: orgIds.get(u.org)!, roles: u.roles, passwordHash }, now))
  }
  const school = DEMO_USERS[2]
  const referrer = {
    id: userIds.get(school.email)!, laId, laName: DEMO_LA.name, email: school.email, displayName: school.displayName,
    organisationId: orgIds.get(school.org)!, organisationName: school.org, roles: school.roles, sessionId: '',
  }
  for (const [i, r] of DEMO_REFERRALS.entries()) {
    await makeReferral(db, referrer, '127.0.0.1', { upn: undefined, nhsNumber: undefined, dateLastSeen: undefined, dateLastInEducation: undefined, dateOfBirth: undefined, addressLine1: undefined, town: undefined, postcode: undefined, ...r, concerns: r.concerns ?? [] }, new Date(now.getTime() - (DEMO_REFERRALS.length - i) * 86_400_000))
  }
  // Two children referred twice under slightly different names, for the register's duplicates page.
  for (const r of [
    { forename: 'Elis', surname: 'Brackenfold', dateOfBirth: '2012-05-14', sex: 'male' as const, addressLine1: '4 Mill Lane', town: 'Northmoor', concern: 'Family moving; not attending since October.', whereaboutsKnown: 'yes' as const },
    { forename: 'Maisy', surname: 'Thornbury', dateOfBirth: '2013-08-30', sex: 'female' as const, addressLine1: '17 Harrow Court', town: 'Northmoor', concern: 'Refused a school place; mother says she is home educating.', whereaboutsKnown: 'yes' as const },
  ]) {
    await makeReferral(db, referrer, '127.0.0.1', { upn: undefined, nhsNumber: undefined, dateLastSeen: undefined, dateLastInEducation: undefined, postcode: undefined, ...r, concerns: [] }, now)
  }
  for (const term of TERMS) await addTerm(db, actor, term, now)
  for (const closure of CLOSURES) await addClosure(db, actor, closure, now)
  await withTenant(db, { laId }, (tx) => sql`update register_setting set team_manager_user_id = ${userIds.get(TEAM_MANAGER)!}, updated_at = ${now}`.execute(tx))
  // A few hundred cases in every state, so a newcomer sees a register that has been in use for a while.
  await seedSyntheticChildren(db, { laId, children: 1500, cases: 300, seed: 1, now })
  await seedDemoFinding(db, laId, userIds.get(DEMO_USERS[1].email)!, now)
  // The weekly officer meeting, chaired by the team manager, with next week's agenda already built.
  const manager = DEMO_USERS.find((u) => u.email === TEAM_MANAGER)!
  const chair = { ...referrer, id: userIds.get(TEAM_MANAGER)!, email: manager.email, displayName: manager.displayName, organisationId: orgIds.get(manager.org)!, organisationName: manager.org, roles: manager.roles }
  const series = await createSeries(db, chair, '127.0.0.1', { name: 'Weekly CME officer meeting', kind: 'weekly_officer', schedule: 'weekly', chairUserId: chair.id,
    memberIds: DEMO_USERS.filter((u) => u.roles.includes('cme_officer')).map((u) => userIds.get(u.email)!), quorum: 2, agendaRules: { ...DEFAULT_RULES, missingLong: false, placement: false } }, now)
  if (series.ok) await planMeeting(db, chair, '127.0.0.1', series.id, new Date(now.getTime() + 7 * 86_400_000).toISOString().slice(0, 10), now)
  return true
}
