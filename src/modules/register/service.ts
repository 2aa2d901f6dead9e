import { withTenant, type Db } from '../../platform/db.ts'
import { recordAudit } from '../../platform/audit.ts'
import { actorFor, actorLabel } from '../../platform/actor.ts'
import { NotFound } from '../../platform/errors.ts'
import type { CurrentUser } from '../../platform/access.ts'
import * as q from './queries.ts'
import { copyTemplateToCase, listEnquiries, type Enquiry } from './case-queries.ts'
import { CONCERN_LABELS, type ReferralInput } from './forms.ts'
import { escalateIfNeeded } from '../actions/service.ts'
import { listActionsForCases, type ActionRow } from '../actions/queries.ts'
import { listBarriersForCases, type Barrier } from '../placement/queries.ts'
import * as cq from '../children/queries.ts'
import * as dq from '../duplicates/queries.ts'
import { findPossibleMatches, type Match } from '../children/matching.ts'
import { loadCalendarInTx } from '../calendar/service.ts'
import { missingClock, type MissingClock } from './clock.ts'

/** Each case's clocks: school days missing education (and the DfE band), and calendar days since the child was last seen. */
async function caseClocks(tx: Db, cases: q.CaseRecord[], now: Date): Promise<ChildPage['clocks']> {
  const calendar = await loadCalendarInTx(tx)
  const today = now.toISOString().slice(0, 10)
  const out: ChildPage['clocks'] = {}
  for (const c of cases) {
    const end = c.closedAt ? new Date(c.closedAt).toISOString().slice(0, 10) : today
    out[c.id] = {
      missing: missingClock(calendar, c.dateLastInEducation ?? new Date(c.openedAt).toISOString().slice(0, 10), end),
      daysSinceSeen: c.dateLastSeen ? Math.round((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${c.dateLastSeen}T00:00:00Z`)) / 86_400_000) : null,
    }
  }
  return out
}

/**
 * The suggested risk level and its reasons. A child with a child protection plan, in care, with
 * safety or exploitation concerns, or whose whereabouts are unknown is high risk (CME guidance;
 * domain brief 11.5). Officers will be able to change it with a recorded reason.
 */
export function suggestRisk(input: Pick<ReferralInput, 'concerns' | 'whereaboutsKnown'>): { level: 'standard' | 'high'; reasons: string[] } {
  const reasons: string[] = input.concerns.map((c) => CONCERN_LABELS[c])
  if (input.whereaboutsKnown === 'no') reasons.push('Whereabouts unknown')
  return { level: reasons.length ? 'high' : 'standard', reasons }
}

/** Records a referral: the child, their address if given, an open case, the first chronology entry and the audit entry, together. */
export async function makeReferral(db: Db, user: CurrentUser, ip: string, input: ReferralInput, now: Date): Promise<{ childId: string; caseId: string }> {
  return withTenant(db, { laId: user.laId, userId: user.id }, (tx) => recordReferral(tx, user, ip, input, now))
}

/** The referral inside a caller's transaction, for flows that record something else with it (an accepted linkage candidate). */
export async function recordReferral(tx: Db, user: CurrentUser, ip: string, input: ReferralInput, now: Date, source: 'referral' | 'linkage' = 'referral'): Promise<{ childId: string; caseId: string }> {
  const risk = suggestRisk(input)
  const childId = await q.insertChild(tx, user.laId, input)
  if (input.addressLine1) await q.insertAddress(tx, user.laId, childId, { line1: input.addressLine1, town: input.town, postcode: input.postcode, source: 'referral' })
  const caseId = await q.insertCase(tx, user.laId, {
    childId, riskLevel: risk.level, riskReasons: risk.reasons, concern: input.concern, whereaboutsKnown: input.whereaboutsKnown === 'yes', source,
    dateLastSeen: input.dateLastSeen, dateLastInEducation: input.dateLastInEducation, referredBy: user.id, referrerOrganisationId: user.organisationId, openedAt: now,
  })
  await copyTemplateToCase(tx, user.laId, caseId)
  for (const concern of input.concerns) {
    const flag = concern === 'child_protection_plan' || concern === 'looked_after' ? concern : undefined
    if (flag) await q.insertFlag(tx, user.laId, { childId, flag, source: `Referral by ${user.organisationName}`, recordedByLabel: actorLabel(user) })
  }
  await q.insertChildEvent(tx, user.laId, {
    childId, caseId, occurredAt: now, kind: 'referral', actorUserId: user.id, actorLabel: actorLabel(user),
    summary: `Referred as possibly missing education${risk.level === 'high' ? ` (high risk: ${risk.reasons.join('; ')})` : ''}`,
  })
  await escalateIfNeeded(tx, user.laId, { caseId, childId, riskReasons: risk.reasons }, actorLabel(user), now)
  await recordAudit(tx, actorFor(user, ip), { action: 'case.referred', recordType: 'child', recordId: childId, details: { caseId, risk: risk.level } }, now)
  return { childId, caseId }
}

export type ChildPage = {
  child: q.ChildRecord; cases: q.CaseRecord[]; enquiriesByCase: Record<string, Enquiry[]>; actionsByCase: Record<string, ActionRow[]>; barriersByCase: Record<string, Barrier[]>
  addresses: q.AddressRow[]; events: q.ChildEventRow[]; eventKinds: string[]; flags: q.FlagRow[]
  identity: cq.Identity; aliases: cq.Alias[]; contacts: cq.Contact[]; siblings: cq.Sibling[]; schools: cq.SchoolEntry[]
  clocks: Record<string, { missing: MissingClock; daysSinceSeen: number | null }>; duplicates: Match[]; merges: dq.MergeRecord[]
}

/** The record asked for was merged into another: the page to show instead. */
export class MergedRecord extends Error {
  constructor(readonly into: string) { super('merged') }
}

/** Everything on the child's page, read in one transaction that also records the view. */
export async function viewChild(db: Db, user: CurrentUser, ip: string, childId: string, now: Date, eventKind?: string): Promise<ChildPage> {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const child = await q.findChild(tx, childId)
    if (!child) throw new NotFound()
    const into = await dq.mergedInto(tx, childId)
    if (into) throw new MergedRecord(into)
    const cases = await q.listCasesForChild(tx, childId)
    const enquiriesByCase: Record<string, Enquiry[]> = {}
    for (const e of await listEnquiries(tx, cases.map((c) => c.id))) (enquiriesByCase[e.caseId] ??= []).push(e)
    const actionsByCase: Record<string, ActionRow[]> = {}
    for (const a of await listActionsForCases(tx, cases.map((c) => c.id))) (actionsByCase[a.caseId] ??= []).push(a)
    const barriersByCase: Record<string, Barrier[]> = {}
    for (const b of await listBarriersForCases(tx, cases.map((c) => c.id))) (barriersByCase[b.caseId] ??= []).push(b)
    const page = {
      child, cases, enquiriesByCase, actionsByCase, barriersByCase, addresses: await q.listAddresses(tx, childId),
      events: await q.listChildEvents(tx, childId, eventKind), eventKinds: await q.listChildEventKinds(tx, childId), flags: await q.listFlags(tx, childId),
      identity: (await cq.findIdentity(tx, childId))!, aliases: await cq.listAliases(tx, childId), contacts: await cq.listContacts(tx, childId),
      siblings: await cq.listSiblings(tx, childId), schools: await cq.listSchools(tx, childId),
      clocks: await caseClocks(tx, cases, now), merges: await dq.listMergesInto(tx, childId),
      // Every intake is compared with the children already known; the officer decides whether two records are one child.
      duplicates: (await findPossibleMatches(tx, { forename: child.forename, surname: child.surname, dateOfBirth: child.dateOfBirth, upn: child.upn, nhsNumber: child.nhsNumber }, 6, { likelyOnly: true }))
        .filter((m) => m.childId !== childId && m.strength !== 'possible'),
    }
    // Last, so the LA's audit chain head stays locked only while this entry is written and committed.
    await recordAudit(tx, actorFor(user, ip), { action: 'child.viewed', recordType: 'child', recordId: childId }, now)
    return page
  })
}
