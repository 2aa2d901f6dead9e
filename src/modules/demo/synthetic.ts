import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { withSystem, withTenant, type Db } from '../../platform/db.ts'
import { upnCheckLetter } from '../children/identifiers.ts'
import { CONCERN_LABELS } from '../register/forms.ts'
import { OPEN_STATUSES, STATUSES, STATUS_LABELS, type CaseStatus, type RegisterType } from '../register/queries.ts'

// Fictional children and their cases, made up from a seed: the demo's living register and the
// benchmarks' large LAs. Names are common first names with invented surnames, streets are invented,
// postcodes are in the unused ZZ99 area, NHS numbers are in the test range that is never issued.
// Each child and case draws from its own generator (seed and index), so the data does not depend on
// the batch size and a batch can be made without making the ones before it.

// ---- Pseudo-random numbers ----

/** mulberry32: small, fast and good enough for test data; never for anything secret. */
function mulberry32(state: number): () => number {
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const mix = (...parts: number[]): number => parts.reduce((h, p) => {
  h = Math.imul(h ^ p, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}, 0x9e3779b9)

type Rng = { next(): number; int(lo: number, hi: number): number; chance(p: number): boolean; pick<T>(items: readonly T[]): T }

function rngFor(seed: number, stream: number, index: number): Rng {
  const next = mulberry32(mix(seed, stream, index))
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1))
  return { next, int, chance: (p) => next() < p, pick: (items) => items[Math.floor(next() * items.length)] }
}

const STREAM = { child: 1, case: 2, upn: 3, nhs: 4 }

// ---- Words ----

const GIRLS = ['Amelia', 'Olivia', 'Isla', 'Ava', 'Mia', 'Ivy', 'Lily', 'Freya', 'Florence', 'Sophia', 'Grace', 'Evie', 'Poppy', 'Ella', 'Aisha', 'Fatima',
  'Maryam', 'Zara', 'Amara', 'Chloe', 'Priya', 'Ananya', 'Mei', 'Yasmin', 'Leah', 'Nadia', 'Zuzanna', 'Oliwia', 'Imani', 'Adaeze', 'Sienna', 'Ruby',
  'Maisie', 'Hannah', 'Esme', 'Niamh', 'Kayla', 'Layla', 'Sofia', 'Bethany']
const BOYS = ['Noah', 'Oliver', 'George', 'Arthur', 'Leo', 'Harry', 'Oscar', 'Muhammad', 'Jack', 'Charlie', 'Theo', 'Jacob', 'Freddie', 'Alfie', 'Ibrahim',
  'Yusuf', 'Ayaan', 'Arjun', 'Rohan', 'Kofi', 'Tomasz', 'Jakub', 'Mateo', 'Luca', 'Ethan', 'Kai', 'Reuben', 'Samuel', 'Daniel', 'Joshua', 'Caleb',
  'Tariq', 'Hamza', 'Omar', 'Chidi', 'Emeka', 'Finley', 'Ellis', 'Callum', 'Dylan']
const EITHER = ['Alex', 'Jordan', 'Riley', 'Robin', 'Sam', 'Rowan', 'Jesse', 'Ari']
// Surnames are made, never listed: a made-up stem and ending, so no real family is named.
const SURNAME_STEMS = ['Brack', 'Quill', 'Thorn', 'Ash', 'Elm', 'Penhal', 'Hollin', 'Marr', 'Wyn', 'Kest', 'Tarn', 'Vell', 'Gorr', 'Hask', 'Dunn', 'Fenn',
  'Crom', 'Brid', 'Carrow', 'Sel', 'Orm', 'Lind', 'Rath', 'Stow', 'Ember', 'Moss', 'Rook', 'Sedge', 'Wex', 'Yarr']
const SURNAME_ENDS = ['enfold', 'field', 'combe', 'bury', 'stead', 'low', 'worth', 'ridge', 'mere', 'dale', 'wick', 'thorpe', 'brook', 'holme', 'ford',
  'gate', 'shaw', 'ley', 'croft', 'well', 'hurst', 'moor', 'ington', 'acre']
const STREET_NAMES = ['Kestrel', 'Lantern', 'Mill', 'Heron', 'Cobble', 'Tanner', 'Willow', 'Foundry', 'Quarry', 'Copper', 'Bracken', 'Linnet', 'Weaver',
  'Ferry', 'Chandler', 'Orchard', 'Beacon', 'Harrow', 'Moorland', 'Sorrel', 'Bramble', 'Cinder', 'Flax', 'Wherry']
const STREET_TYPES = ['Lane', 'Road', 'Street', 'Close', 'Court', 'Way', 'Gardens', 'Terrace', 'Row', 'Walk', 'Crescent']
const TOWNS = ['Northmoor', 'Northmoor', 'Northmoor', 'Northmoor Vale', 'Moorside']
/** The letters a postcode's last two characters may use (no C, I, K, M, O or V). */
const POSTCODE_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ'

const CONCERNS = [
  'Not seen at school since the half-term break; the family have not answered calls or letters.',
  'Removed from roll after 20 school days of unexplained absence.',
  'Neighbour reports a child of school age at home every weekday.',
  'Arrived in the area recently; no school application received.',
  'Did not take up the school place offered in September.',
  'The family say they are moving away but have not said where.',
  'Seen in the town centre during school hours on several days.',
  'Health visitor reports the family have left the address.',
  'Parent says the child is home educated but no notice was given to the school.',
  'School place refused; the family want a different school.',
  'Excluded from school and no alternative provision has started.',
  'Mail returned from the last known address.',
]
const OUTCOMES = [
  'No reply to calls at different times of day; voicemail left.', 'Checked records: last attendance confirmed, no forwarding details.',
  'No trace found.', 'Spoke to a relative, who gave a possible new address.', 'Registered with a GP at the same address.',
  'Known to the service; no open involvement.', 'No record of the child.', 'Neighbours say the family moved out last month.',
]
const EXCEPTIONS = ['Not possible: the family left no contact details.', 'Not needed: the child was located before this enquiry was due.',
  'Not possible: the address is a hostel that does not share residents’ details.']
const RESOLUTIONS: Record<CaseStatus, string> = {
  referred: '', making_enquiries: '', located_awaiting_place: '',
  placed: 'Started at a school in the area; the school confirmed attendance.',
  elective_home_education: 'Parents gave written notice of home education; passed to the elective home education team.',
  left_la: 'On roll at a school in another Local Authority; that LA’s CME officer was told.',
  left_country: 'The family confirmed in writing that they have moved abroad; lost pupil record updated.',
  other_resolution: 'Receiving education through alternative provision arranged by the Local Authority.',
}
const TASKS = ['Home visit', 'Check with the last known school', 'Phone the family at a different time of day', 'Ask health for a GP registration check',
  'Write to the last known address', 'Check council tax and housing records', 'Ask the police for a welfare check', 'Chase the school admissions application',
  'Contact the CME officer in the neighbouring LA', 'Search the lost pupil database']
const FLAG_SOURCES: Record<string, string> = {
  child_protection_plan: 'Children’s social care', child_in_need: 'Children’s social care', looked_after: 'Children’s social care',
  care_leaver: 'Children’s social care', ehcp: 'SEND team', sen_support: 'School census', youth_justice: 'Youth Justice Service',
  gypsy_roma_traveller: 'School census', service_family: 'School census', young_carer: 'Young carers service', asylum_seeking: 'Home Office',
}
const OTHER_FLAGS = ['child_in_need', 'ehcp', 'sen_support', 'youth_justice', 'gypsy_roma_traveller', 'service_family', 'young_carer', 'asylum_seeking', 'care_leaver']
const RISK_REASONS = [...Object.values(CONCERN_LABELS), 'Whereabouts unknown']
// The reasons for which the app opens a MASH escalation when a case opens (actions/service.ts).
const ESCALATING_REASONS: string[] = [CONCERN_LABELS.child_protection_plan, CONCERN_LABELS.looked_after, CONCERN_LABELS.safety_concerns]

// ---- Identifiers ----

/**
 * UPN validators accept LA numbers 201-938 only, so the fictional demo LA's 990 cannot appear in a
 * UPN the forms accept. 599 is inside that range but is no LA's number, so these UPNs pass the
 * check and still belong to nobody.
 */
export const upnLaNumber = (laCode: string): string => (Number(laCode) >= 201 && Number(laCode) <= 938 ? laCode : '599')

/** A permanent UPN: the establishment and serial digits are a bijection of the index, so no two children share one. */
export function syntheticUpn(laCode: string, seed: number, index: number, issueYear: number): string {
  const digits = String((index * 7_919_993 + mix(seed, STREAM.upn)) % 10_000_000).padStart(7, '0')
  const rest = `${upnLaNumber(laCode)}${digits.slice(0, 4)}${String(issueYear % 100).padStart(2, '0')}${digits.slice(4)}`
  return upnCheckLetter(rest) + rest
}

/** An NHS number in the never-issued 999 range, or null when its digits would need the impossible check value 10. */
export function syntheticNhsNumber(seed: number, index: number): string | null {
  const nine = `999${String((index * 7919 + mix(seed, STREAM.nhs)) % 1_000_000).padStart(6, '0')}`
  const check = 11 - ([...nine].reduce((s, d, i) => s + Number(d) * (10 - i), 0) % 11)
  return check === 10 ? null : `${nine}${check === 11 ? 0 : check}`
}

// ---- Dates ----

const DAY = 86_400_000
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const iso = (ms: number) => new Date(ms).toISOString()
const addYears = (ms: number, years: number) => {
  const d = new Date(ms)
  d.setUTCFullYear(d.getUTCFullYear() + years)
  return d.getTime()
}
const weekdaysBetween = (from: number, to: number) => {
  let n = 0
  for (let t = from; t <= to; t += DAY) if (![0, 6].includes(new Date(t).getUTCDay())) n++
  return n
}

// ---- The people and settings the generated cases refer to ----

export type Person = { id: string; label: string; displayName: string; organisationId: string }

/** Who refers, who works the cases and what the LA's checklist and reasons are: read from the LA before generating. */
export type Cast = {
  laCode: string
  homeOrganisationId: string
  referrers: Person[]
  officers: Person[]
  schoolUsers: Person[]
  teamManager: Person | null
  partnerOrganisationIds: string[]
  enquiries: { code: string; label: string; required: boolean; position: number }[]
  cmeReasons: string[]
}

export type Plan = { seed: number; children: number; cases: number; now: Date; cast: Cast; newId?: () => string }

type Value = string | number | boolean | null | string[]
export type Row = Record<string, Value>
export type Batch = { child: Row[]; child_address: Row[]; cme_case: Row[]; case_enquiry: Row[]; child_event: Row[]; child_flag: Row[]; case_action: Row[]; school_notice: Row[] }

// ---- Children ----

function makeChild(plan: Plan, index: number, id: string): { child: Row; address: Row | null; dob: number } {
  const r = rngFor(plan.seed, STREAM.child, index)
  const now = plan.now.getTime()
  const sex = r.chance(0.02) ? 'unknown' : r.chance(0.5) ? 'female' : 'male'
  const forename = r.pick(sex === 'female' ? GIRLS : sex === 'male' ? BOYS : EITHER)
  const surname = r.pick(SURNAME_STEMS) + r.pick(SURNAME_ENDS)
  // Ages 4 to 16 on `now`: go back a whole number of years, then up to 364 more days.
  const dob = addYears(now, -r.int(4, 16)) - r.int(0, 364) * DAY
  const dobDate = new Date(dob)
  const issueYear = Math.min(dobDate.getUTCFullYear() + (dobDate.getUTCMonth() >= 8 ? 5 : 4), plan.now.getUTCFullYear())
  const upn = r.chance(0.8) ? syntheticUpn(plan.cast.laCode, plan.seed, index, issueYear) : null
  // 0.66 of numbers asked for, less the ~1 in 11 whose check value is impossible, leaves about 60%.
  const nhs = r.chance(0.66) ? syntheticNhsNumber(plan.seed, index) : null
  const createdAt = iso(now - r.int(1, 1000) * DAY - r.int(0, DAY - 1))
  const child: Row = { id, forename, surname, date_of_birth: isoDay(dob), sex, upn, nhs_number: nhs, created_at: createdAt, updated_at: createdAt }
  const address: Row | null = r.chance(0.92) ? {
    id: plan.newId!(), child_id: id,
    line1: `${r.int(1, 180)} ${r.pick(STREET_NAMES)} ${r.pick(STREET_TYPES)}`,
    line2: r.chance(0.15) ? `Flat ${r.int(1, 24)}` : null,
    town: r.pick(TOWNS),
    postcode: `ZZ99 ${r.int(0, 9)}${r.pick([...POSTCODE_LETTERS])}${r.pick([...POSTCODE_LETTERS])}`,
    from_date: isoDay(now - r.int(30, 2000) * DAY), source: 'import', created_at: createdAt,
  } : null
  return { child, address, dob }
}

// ---- Cases ----

/** Spreads the cases evenly over the children: case k belongs to one child in the k-th equal slice. */
function childOfCase(plan: Plan, k: number): number {
  const start = Math.floor((k * plan.children) / plan.cases)
  const end = Math.floor(((k + 1) * plan.children) / plan.cases)
  return start + Math.floor(rngFor(plan.seed, STREAM.case, k).next() * (end - start))
}

// Every status and register type appears in the first cases, so even a small register shows them all.
const FIRST_CASES: [RegisterType, CaseStatus][] = [...STATUSES.map((s): [RegisterType, CaseStatus] => ['cme', s]),
  ['ehe', 'making_enquiries'], ['other_arrangements', 'located_awaiting_place'], ['ehe', 'elective_home_education']]

function caseShape(r: Rng, k: number): [RegisterType, CaseStatus] {
  if (k < FIRST_CASES.length) return FIRST_CASES[k]
  const type: RegisterType = r.chance(0.8) ? 'cme' : r.chance(0.75) ? 'ehe' : 'other_arrangements'
  const weighted: [CaseStatus, number][] = type === 'ehe'
    ? [['referred', 15], ['making_enquiries', 30], ['elective_home_education', 35], ['placed', 12], ['left_la', 8]]
    : [['referred', 14], ['making_enquiries', 28], ['located_awaiting_place', 12], ['placed', 20], ['elective_home_education', 7],
      ['left_la', 8], ['left_country', 6], ['other_resolution', 5]]
  let roll = r.next() * weighted.reduce((s, [, w]) => s + w, 0)
  for (const [status, w] of weighted) if ((roll -= w) < 0) return [type, status]
  return [type, 'referred']
}

const isOpen = (s: CaseStatus) => (OPEN_STATUSES as readonly string[]).includes(s)

type CaseFacts = {
  id: string; child: Row; childId: string; address: Row | null; status: CaseStatus; source: string; risks: string[]; referrer: Person
  officer: Person | null; worker: Person | null; workerLabel: string; open: boolean; openedAt: number; closedAt: number | null; end: number; escalates: boolean
}

function makeCase(plan: Plan, k: number, child: Row, dob: number, address: Row | null, out: Batch): void {
  const r = rngFor(plan.seed, STREAM.case, k + 0x40000000)
  const { cast } = plan
  const now = plan.now.getTime()
  const [registerType, status] = caseShape(r, k)
  const open = isOpen(status)
  const sourceRoll = r.next()
  const source = sourceRoll < 0.62 ? 'referral' : sourceRoll < 0.92 ? 'removal_notice' : sourceRoll < 0.97 ? 'import' : 'new_pupil_notice'
  const referrer = source === 'removal_notice' && cast.schoolUsers.length ? r.pick(cast.schoolUsers) : r.pick(cast.referrers)

  // Open cases lean recent; a child is at least five when their case opens, unless only just referred.
  let openedAt = open ? now - 730 * r.next() ** 2 * DAY : now - (10 + 720 * r.next()) * DAY
  const fifth = addYears(dob, 5)
  if (openedAt < fifth) openedAt = Math.min(fifth + r.int(1, 200) * DAY, now - r.int(1, 20) * DAY)
  const closedAt = open ? null : openedAt + Math.min(r.int(5, 150) * DAY, (now - openedAt) * 0.9)
  const seen = openedAt - r.int(0, 30) * DAY
  const inEducation = seen - r.int(0, 60) * DAY
  const risks = r.chance(0.2) ? [...new Set([r.pick(RISK_REASONS), ...(r.chance(0.35) ? [r.pick(RISK_REASONS)] : [])])] : []
  const officer = cast.officers.length && !(status === 'referred' && r.chance(0.5)) ? r.pick(cast.officers) : null
  const worker = officer ?? (cast.officers.length ? r.pick(cast.officers) : null)
  const c: CaseFacts = {
    id: plan.newId!(), child, childId: child.id as string, address, status, source, risks, referrer, officer, worker,
    workerLabel: worker?.label ?? 'Children Missing Education team', open, openedAt, closedAt, end: closedAt ?? now,
    escalates: risks.some((x) => ESCALATING_REASONS.includes(x)),
  }

  out.cme_case.push({
    id: c.id, child_id: c.childId, register_type: registerType, status, risk_level: risks.length ? 'high' : 'standard', risk_reasons: risks, source,
    concern: r.pick(CONCERNS), whereabouts_known: risks.includes('Whereabouts unknown') ? false : r.chance(0.1) ? null : true,
    date_last_in_education: r.chance(0.85) && inEducation >= addYears(dob, 4) ? isoDay(inEducation) : null,
    date_last_seen: seen >= addYears(dob, 4) ? isoDay(seen) : null, referred_by: referrer.id, referrer_organisation_id: referrer.organisationId,
    opened_at: iso(openedAt), closed_at: closedAt === null ? null : iso(closedAt), resolution_note: open ? null : RESOLUTIONS[status],
    cme_reason_code: registerType === 'cme' && cast.cmeReasons.length && r.chance(0.85) ? r.pick(cast.cmeReasons) : null,
    assigned_officer_id: officer?.id ?? null, created_at: iso(openedAt), updated_at: iso(c.end),
  })
  if (Date.parse(child.created_at as string) > openedAt) child.created_at = child.updated_at = iso(openedAt)
  makeEvents(plan, r, c, makeEnquiries(plan, r, c, out), out)
  makeFlags(plan, r, c, out)
  makeActions(plan, r, c, out)
  if (source === 'removal_notice' && cast.schoolUsers.length && r.chance(0.3)) makeNotice(plan, r, c, out)
}

/** The case's copy of the LA's checklist; returns when each done enquiry was recorded, for the chronology. */
function makeEnquiries(plan: Plan, r: Rng, c: CaseFacts, out: Batch): { t: number; summary: string }[] {
  const share = { referred: 0.1, making_enquiries: 0.5, located_awaiting_place: 0.85 }[c.status as string] ?? 1
  const done: { t: number; summary: string }[] = []
  for (const item of plan.cast.enquiries) {
    const roll = r.next()
    // A closed case has every required enquiry done or excepted: the closure gate holds for seeded data too.
    const state = !c.open && item.required ? (roll < 0.88 ? 'done' : 'exception')
      : !c.open ? (roll < 0.4 ? 'done' : roll < 0.5 ? 'exception' : 'to_do')
        : roll < share * 0.92 ? 'done' : roll < share ? 'exception' : 'to_do'
    const when = c.openedAt + r.next() * (c.end - c.openedAt)
    const outcome = state === 'done' ? r.pick(OUTCOMES) : null
    out.case_enquiry.push({
      id: plan.newId!(), case_id: c.id, code: item.code, label: item.label, required: item.required, position: item.position, state,
      done_on: state === 'done' ? isoDay(when) : null, outcome, exception_reason: state === 'exception' ? r.pick(EXCEPTIONS) : null,
      recorded_by_label: state === 'to_do' ? null : c.workerLabel, updated_at: iso(state === 'to_do' ? c.openedAt : when),
    })
    if (state === 'done') done.push({ t: when, summary: `Enquiry done: ${item.label}. Outcome: ${outcome}` })
  }
  return done
}

function makeEvents(plan: Plan, r: Rng, c: CaseFacts, enquiries: { t: number; summary: string }[], out: Batch) {
  const events: Row[] = []
  const event = (t: number, kind: string, summary: string, actor: Person | null, label = actor?.label ?? c.workerLabel) => {
    const at = iso(Math.min(t, c.end))
    events.push({ id: plan.newId!(), child_id: c.childId, case_id: c.id, occurred_at: at, kind, summary, actor_user_id: actor?.id ?? null, actor_label: label, created_at: at })
  }
  event(c.openedAt, c.source === 'removal_notice' ? 'notice' : 'referral', c.source === 'removal_notice'
    ? 'Removal from roll notice received; case opened'
    : `Referred as possibly missing education${c.risks.length ? ` (high risk: ${c.risks.join('; ')})` : ''}`, c.referrer)
  if (c.escalates) event(c.openedAt + 60_000, 'escalation', `Escalation to the multi-agency safeguarding hub opened: ${c.risks.filter((x) => ESCALATING_REASONS.includes(x)).join('; ')}`, null, 'Lantern (automatic escalation)')
  if (c.officer) event(c.openedAt + r.int(1, 48) * 3_600_000, 'allocation', `Allocated to ${c.officer.displayName}`, c.worker)
  for (const e of enquiries) event(e.t, 'enquiry', e.summary, c.worker)
  const path: CaseStatus[] = ['referred', ...(c.status === 'referred' ? [] : ['making_enquiries' as const]), ...(c.status === 'located_awaiting_place' ? [c.status] : [])]
  for (let i = 1; i < path.length; i++) {
    event(c.openedAt + ((c.end - c.openedAt) * i) / (path.length + 1), 'status', `Status changed: ${STATUS_LABELS[path[i - 1]]} to ${STATUS_LABELS[path[i]]}`, c.worker)
  }
  if (c.closedAt !== null) event(c.closedAt, 'case_closed', `Case closed: ${STATUS_LABELS[path.at(-1)!]} to ${STATUS_LABELS[c.status]}. ${RESOLUTIONS[c.status]}`, c.worker)
  if (events.length < 2) event(c.openedAt + 3_600_000, 'note', 'Referral acknowledged by the Children Missing Education team', c.worker)
  // At most six: the referral and the changes of status matter most, so enquiry entries go first.
  const minor = () => events.findIndex((e) => e.kind === 'enquiry' || e.kind === 'allocation')
  while (events.length > 6 && minor() >= 0) events.splice(minor(), 1)
  out.child_event.push(...events)
}

function makeFlags(plan: Plan, r: Rng, c: CaseFacts, out: Batch) {
  const flags = new Set<string>(c.risks.includes(CONCERN_LABELS.child_protection_plan) ? ['child_protection_plan'] : [])
  if (c.risks.includes(CONCERN_LABELS.looked_after)) flags.add('looked_after')
  if (r.chance(flags.size ? 0.3 : 0.06)) flags.add(r.pick(OTHER_FLAGS))
  for (const flag of flags) {
    out.child_flag.push({ id: plan.newId!(), child_id: c.childId, flag, source: FLAG_SOURCES[flag], starts_on: isoDay(c.openedAt - r.int(30, 900) * DAY),
      ends_on: null, recorded_by_label: c.workerLabel, created_at: iso(c.openedAt) })
  }
}

function makeActions(plan: Plan, r: Rng, c: CaseFacts, out: Batch) {
  const { cast } = plan
  const now = plan.now.getTime()
  const action = (fields: Row) => out.case_action.push({
    id: plan.newId!(), case_id: c.id, child_id: c.childId, kind: 'task', priority: c.risks.length ? 'high' : 'normal', status: 'open', outcome: null,
    created_by_label: c.workerLabel, completed_at: null, completed_by_label: null, ...fields,
  })
  const owner = () => c.worker && r.chance(0.7)
    ? { owner_user_id: c.worker.id, owner_organisation_id: null }
    : { owner_user_id: null, owner_organisation_id: cast.partnerOrganisationIds.length ? r.pick(cast.partnerOrganisationIds) : cast.homeOrganisationId }
  // About one open case in ten has no next action, so the dashboard's list of those has something in it.
  const count = c.open ? (r.chance(0.1) ? 0 : r.int(1, 3)) : r.int(1, 2)
  for (let i = 0; i < count; i++) {
    const created = c.openedAt + r.next() * (c.end - c.openedAt)
    const done: Row = c.open ? {} : { status: 'done', outcome: r.pick(OUTCOMES), completed_at: iso(c.end - r.next() * (c.end - created)), completed_by_label: c.workerLabel }
    action({ title: r.pick(TASKS), ...owner(), due_on: isoDay(c.open ? now + r.int(-20, 30) * DAY : created + r.int(1, 20) * DAY), created_at: iso(created), ...done })
  }
  if (!c.escalates) return
  const manager = cast.teamManager
  const settled = !c.open || now - c.openedAt > 2 * DAY
  action({
    kind: 'mash_escalation', title: 'Escalate to the multi-agency safeguarding hub', priority: 'high',
    owner_user_id: manager?.id ?? null, owner_organisation_id: manager ? null : cast.homeOrganisationId, due_on: isoDay(c.openedAt),
    created_by_label: 'Lantern (automatic escalation)', created_at: iso(c.openedAt + 60_000),
    ...(settled ? { status: 'done', outcome: 'MASH told the same day; strategy discussion held.', completed_at: iso(Math.min(c.openedAt + r.int(1, 20) * 3_600_000, c.end)),
      completed_by_label: manager?.label ?? c.workerLabel } : {}),
  })
}

function makeNotice(plan: Plan, r: Rng, c: CaseFacts, out: Batch) {
  const school = plan.cast.schoolUsers.find((u) => u.id === c.referrer.id) ?? r.pick(plan.cast.schoolUsers)
  const ground = r.pick(['g', 'h', 'i', 'n', 'o'])
  const submitted = c.openedAt - r.int(1, 72) * 3_600_000
  const deletion = submitted + r.int(0, 5) * DAY
  const absenceTo = submitted - DAY
  const absenceFrom = absenceTo - r.int(28, 40) * DAY
  const absenceDays = weekdaysBetween(absenceFrom, absenceTo)
  const joint = ground === 'h' || ground === 'i'
  out.school_notice.push({
    id: plan.newId!(), kind: 'removal', school_organisation_id: school.organisationId, submitted_by: school.id, submitted_at: iso(submitted), source: 'form',
    forename: c.child.forename, surname: c.child.surname, date_of_birth: c.child.date_of_birth, sex: c.child.sex, upn: c.child.upn,
    address_line1: c.address?.line1 ?? null, town: c.address?.town ?? null, postcode: c.address?.postcode ?? null,
    parents: JSON.stringify([{ name: `${r.pick([...GIRLS, ...BOYS])} ${c.child.surname}`, phone: `07700 900${String(r.int(0, 999)).padStart(3, '0')}` }]),
    ground, deletion_date: isoDay(deletion), lost_pupil: ground === 'g' ? 'destination_unknown' : null,
    joint_enquiries_on: joint ? isoDay(submitted - r.int(2, 6) * DAY) : null, joint_enquiries_la_contact: joint ? (c.worker?.displayName ?? c.workerLabel) : null,
    joint_enquiries_summary: joint ? 'Home visit and calls to both parents with no answer; checked the schools of siblings.' : null,
    absence_from: ground === 'i' ? isoDay(absenceFrom) : null, absence_to: ground === 'i' ? isoDay(absenceTo) : null,
    absence_school_days: ground === 'i' ? absenceDays : null,
    attendance_codes: ground === 'i' ? Array.from({ length: absenceDays }, () => r.pick(['N', 'O', 'O', 'O', 'G'])).join('') : null,
    state: 'case_opened', child_id: c.child.id, case_id: c.id, outcome: 'Case opened', processed_by_label: c.workerLabel, processed_at: iso(c.openedAt),
    created_at: iso(submitted),
  })
}

/** The rows for children [from, to) and their cases. Pure: the same plan gives the same rows (ids come from plan.newId). */
export function generateBatch(plan: Plan, from: number, to: number): Batch {
  const p = { ...plan, newId: plan.newId ?? randomUUID }
  const out: Batch = { child: [], child_address: [], cme_case: [], case_enquiry: [], child_event: [], child_flag: [], case_action: [], school_notice: [] }
  const made = new Map<number, { child: Row; address: Row | null; dob: number }>()
  for (let i = from; i < to; i++) {
    const c = makeChild(p, i, p.newId())
    made.set(i, c)
    out.child.push(c.child)
    if (c.address) out.child_address.push(c.address)
  }
  if (!p.cases) return out
  for (let k = Math.max(0, Math.floor((from * p.cases) / p.children) - 1); k < p.cases && Math.floor((k * p.children) / p.cases) < to; k++) {
    const c = made.get(childOfCase(p, k))
    if (c) makeCase(p, k, c.child, c.dob, c.address, out)
  }
  return out
}

// ---- Writing to the database ----

const COLUMNS: Record<keyof Batch, Record<string, string>> = {
  child: { id: 'uuid', forename: 'text', surname: 'text', date_of_birth: 'date', sex: 'text', upn: 'text', nhs_number: 'text', created_at: 'timestamptz', updated_at: 'timestamptz' },
  child_address: { id: 'uuid', child_id: 'uuid', line1: 'text', line2: 'text', town: 'text', postcode: 'text', from_date: 'date', source: 'text', created_at: 'timestamptz' },
  cme_case: { id: 'uuid', child_id: 'uuid', register_type: 'text', status: 'text', risk_level: 'text', risk_reasons: 'text[]', source: 'text', concern: 'text',
    whereabouts_known: 'boolean', date_last_in_education: 'date', date_last_seen: 'date', referred_by: 'uuid', referrer_organisation_id: 'uuid',
    opened_at: 'timestamptz', closed_at: 'timestamptz', resolution_note: 'text', cme_reason_code: 'text', assigned_officer_id: 'uuid',
    created_at: 'timestamptz', updated_at: 'timestamptz' },
  case_enquiry: { id: 'uuid', case_id: 'uuid', code: 'text', label: 'text', required: 'boolean', position: 'integer', state: 'text', done_on: 'date',
    outcome: 'text', exception_reason: 'text', recorded_by_label: 'text', updated_at: 'timestamptz' },
  child_event: { id: 'uuid', child_id: 'uuid', case_id: 'uuid', occurred_at: 'timestamptz', kind: 'text', summary: 'text', actor_user_id: 'uuid',
    actor_label: 'text', created_at: 'timestamptz' },
  child_flag: { id: 'uuid', child_id: 'uuid', flag: 'text', source: 'text', starts_on: 'date', ends_on: 'date', recorded_by_label: 'text', created_at: 'timestamptz' },
  case_action: { id: 'uuid', case_id: 'uuid', child_id: 'uuid', kind: 'text', title: 'text', owner_user_id: 'uuid', owner_organisation_id: 'uuid',
    due_on: 'date', priority: 'text', status: 'text', outcome: 'text', created_by_label: 'text', created_at: 'timestamptz', completed_at: 'timestamptz',
    completed_by_label: 'text' },
  school_notice: { id: 'uuid', kind: 'text', school_organisation_id: 'uuid', submitted_by: 'uuid', submitted_at: 'timestamptz', source: 'text',
    forename: 'text', surname: 'text', date_of_birth: 'date', sex: 'text', upn: 'text', address_line1: 'text', town: 'text', postcode: 'text',
    parents: 'jsonb', ground: 'text', deletion_date: 'date', lost_pupil: 'text', joint_enquiries_on: 'date', joint_enquiries_la_contact: 'text',
    joint_enquiries_summary: 'text', absence_from: 'date', absence_to: 'date', absence_school_days: 'integer', attendance_codes: 'text',
    state: 'text', child_id: 'uuid', case_id: 'uuid', outcome: 'text', processed_by_label: 'text', processed_at: 'timestamptz', created_at: 'timestamptz' },
}

/**
 * One multi-row insert per table: each column travels as one array parameter and unnest turns the
 * arrays back into rows, so a batch of thousands is one statement. An array column (risk_reasons)
 * travels joined by '|' because unnest would flatten an array of arrays.
 */
async function insertRows(tx: Db, laId: string, table: keyof Batch, rows: Row[]): Promise<void> {
  if (!rows.length) return
  const names = Object.keys(COLUMNS[table])
  const arrays = names.map((n) => {
    const type = COLUMNS[table][n]
    const values = rows.map((row) => (type.endsWith('[]') ? (row[n] as string[]).join('|') : row[n] ?? null))
    return sql`${values}::${sql.raw(type.endsWith('[]') ? 'text' : type)}[]`
  })
  const select = names.map((n) => (COLUMNS[table][n].endsWith('[]') ? sql`string_to_array(${sql.ref(n)}, '|')` : sql.ref(n)))
  await sql`insert into ${sql.table(table)} (local_authority_id, ${sql.join(names.map((n) => sql.ref(n)))})
    select ${laId}::uuid, ${sql.join(select)} from unnest(${sql.join(arrays)}) as t(${sql.join(names.map((n) => sql.ref(n)))})`.execute(tx)
}

type PersonRow = Person & { roles: string[]; organisationKind: string }

/** Reads the LA's users, organisations, checklist and reasons inside its tenant. */
export async function loadCast(tx: Db): Promise<Cast> {
  const { rows: la } = await sql<{ code: string }>`select code from local_authority`.execute(tx)
  const { rows: people } = await sql<PersonRow>`
    select u.id, u.display_name || ', ' || o.name as label, u.display_name as "displayName", u.organisation_id as "organisationId",
      o.kind as "organisationKind", array(select r.role from user_role r where r.local_authority_id = u.local_authority_id and r.user_id = u.id order by r.role) as roles
    from app_user u join organisation o on o.local_authority_id = u.local_authority_id and o.id = u.organisation_id
    where u.status <> 'deactivated' order by u.email`.execute(tx)
  const { rows: orgs } = await sql<{ id: string; kind: string }>`select id, kind from organisation order by created_at, name`.execute(tx)
  const { rows: enquiries } = await sql<Cast['enquiries'][number]>`
    select code, label, required, position from enquiry_template_item where active order by position`.execute(tx)
  const { rows: reasons } = await sql<{ code: string }>`select code from cme_reason where active order by position`.execute(tx)
  const { rows: settings } = await sql<{ id: string | null }>`select team_manager_user_id as id from register_setting`.execute(tx)
  const has = (p: PersonRow, ...roles: string[]) => p.roles.some((role) => roles.includes(role))
  const teamManager = people.find((p) => p.id === settings[0]?.id) ?? null
  // The team manager supervises: officers carry the cases when there are any besides them.
  const staff = people.filter((p) => p !== teamManager || people.filter((o) => has(o, 'cme_officer')).length < 2)
  const referrers = staff.filter((p) => has(p, 'school_user', 'partner_practitioner', 'cme_officer', 'virtual_school_officer', 'eet_officer'))
  return {
    laCode: la[0].code,
    homeOrganisationId: (orgs.find((o) => o.kind === 'la_team') ?? orgs[0]).id,
    referrers: referrers.length ? referrers : people,
    officers: staff.filter((p) => has(p, 'cme_officer')),
    schoolUsers: people.filter((p) => has(p, 'school_user') && p.organisationKind === 'school'),
    teamManager,
    partnerOrganisationIds: orgs.filter((o) => ['police', 'health', 'social_care', 'youth_justice'].includes(o.kind)).map((o) => o.id),
    enquiries,
    cmeReasons: reasons.map((r) => r.code),
  }
}

export type SeedOptions = { laId: string; children: number; cases?: number; seed?: number; now: Date; batchSize?: number; onProgress?: (done: number, total: number) => void }
export type SeedCounts = Record<keyof Batch, number>

/**
 * Adds fictional children and cases to an LA, in one transaction per batch of children, as the
 * application role inside the LA's tenant so row-level security checks every row. Writes no audit
 * entries: seeding is not something a person did.
 */
export async function seedSyntheticChildren(db: Db, options: SeedOptions): Promise<SeedCounts> {
  const children = options.children
  const cases = options.cases ?? Math.round(children / 10)
  if (!Number.isInteger(children) || children < 1) throw new RangeError('children must be a whole number of at least 1')
  if (!Number.isInteger(cases) || cases < 0 || cases > children) throw new RangeError('cases must be a whole number no more than the number of children')
  const cast = await withTenant(db, { laId: options.laId }, loadCast)
  if (!cast.referrers.length) throw new Error('The Local Authority needs at least one user to be the referrer of its cases')
  const plan: Plan = { seed: options.seed ?? 1, children, cases, now: options.now, cast }
  const batchSize = options.batchSize ?? 5000
  const counts = Object.fromEntries(Object.keys(COLUMNS).map((t) => [t, 0])) as SeedCounts
  for (let from = 0; from < children; from += batchSize) {
    const batch = generateBatch(plan, from, Math.min(children, from + batchSize))
    await withTenant(db, { laId: options.laId }, async (tx) => {
      // Parents before children: the order of COLUMNS follows the foreign keys.
      for (const table of Object.keys(COLUMNS) as (keyof Batch)[]) {
        await insertRows(tx, options.laId, table, batch[table])
        counts[table] += batch[table].length
      }
    })
    options.onProgress?.(Math.min(children, from + batchSize), children)
  }
  // Fresh statistics, so the planner treats a newly filled register as large from the first query.
  await withSystem(db, (tx) => sql`analyze ${sql.join(Object.keys(COLUMNS).map((t) => sql.table(t)))}`.execute(tx))
  return counts
}
