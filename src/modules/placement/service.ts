import { sumOverAuthorities, withTenant, type Db } from '../../platform/db.ts'
import { recordAudit } from '../../platform/audit.ts'
import { actorFor, actorLabel } from '../../platform/actor.ts'
import { queueEmail } from '../../platform/mail.ts'
import { Conflict, NotFound } from '../../platform/errors.ts'
import type { CurrentUser } from '../../platform/access.ts'
import { addCalendarDays, countSchoolDays } from '../calendar/days.ts'
import { loadCalendarInTx } from '../calendar/service.ts'
import { insertChildEvent } from '../register/queries.ts'
import { lockCase } from '../register/case-queries.ts'
import { homeOrganisationId, insertAction, loadSettings, userEmail } from '../actions/queries.ts'
import * as q from './queries.ts'


/** An academy asked, through the Secretary of State, to admit a child "can be expected" to answer within 7 calendar days (domain brief 1.8). */
export const ACADEMY_RESPONSE_DAYS = 7

export async function addBarrier(db: Db, user: CurrentUser, ip: string, caseId: string, input: { kind: q.BarrierKind; schoolName?: string; occurredOn: string; reason: string }, now: Date): Promise<string> {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const c = await lockCase(tx, caseId)
    if (!c) throw new NotFound()
    if (c.closedAt) throw new Conflict('This case is closed. Reopen it before recording placement barriers.')
    const responseDueOn = input.kind === 'direction_request_academy' ? addCalendarDays(input.occurredOn, ACADEMY_RESPONSE_DAYS) : null
    const id = await q.insertBarrier(tx, user.laId, { caseId, childId: c.childId, kind: input.kind, schoolName: input.schoolName ?? null, occurredOn: input.occurredOn,
      reason: input.reason, responseDueOn, recordedByLabel: actorLabel(user) })
    await insertChildEvent(tx, user.laId, { childId: c.childId, caseId, occurredAt: now, kind: 'placement', actorUserId: user.id, actorLabel: actorLabel(user),
      summary: `${q.BARRIER_LABELS[input.kind]}${input.schoolName ? `: ${input.schoolName}` : ''} on ${input.occurredOn}. ${input.reason}${responseDueOn ? ` Response due by ${responseDueOn}.` : ''}` })
    await recordAudit(tx, actorFor(user, ip), { action: 'case.barrier_added', recordType: 'child', recordId: c.childId, details: { caseId, barrierId: id, kind: input.kind } }, now)
    return c.childId
  })
}

export async function resolveBarrier(db: Db, user: CurrentUser, ip: string, id: string, input: { outcome: string; resolvedOn: string; version: number }, now: Date): Promise<string> {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const b = await q.findBarrier(tx, id, { lock: true })
    if (!b) throw new NotFound()
    if (b.version !== input.version) throw new Conflict('Someone else changed this barrier while you were working on it. Go back to see the change, then try again.')
    if (b.resolvedOn) throw new Conflict('This barrier has already been resolved.')
    if (input.resolvedOn < b.occurredOn) throw new Conflict('The date it was resolved cannot be before the date it happened.')
    await q.resolveBarrier(tx, id, input)
    await insertChildEvent(tx, user.laId, { childId: b.childId, caseId: b.caseId, occurredAt: now, kind: 'placement', actorUserId: user.id, actorLabel: actorLabel(user),
      summary: `Resolved: ${q.BARRIER_LABELS[b.kind]}${b.schoolName ? ` (${b.schoolName})` : ''}. ${input.outcome}` })
    await recordAudit(tx, actorFor(user, ip), { action: 'case.barrier_resolved', recordType: 'child', recordId: b.childId, details: { caseId: b.caseId, barrierId: id } }, now)
    return b.childId
  })
}

/**
 * Daily, with the overdue actions: a child who has waited for a school place (since the first
 * barrier on their case) longer than the LA's target, in school days, is escalated to the team
 * manager once, with an action and an email that holds no personal data.
 */
export async function escalatePlacementWaits(db: Db, now: Date, baseUrl: string): Promise<{ escalated: number }> {
  const escalated = await sumOverAuthorities(db, async (laId, tx) => {
    const settings = await loadSettings(tx)
    const calendar = await loadCalendarInTx(tx)
    const today = now.toISOString().slice(0, 10)
    const over = (await q.listWaitingUnescalated(tx)).filter((w) => countSchoolDays(calendar, addCalendarDays(w.since, 1), today) > settings.placementTargetSchoolDays)
    if (!over.length) return 0
    const owner = settings.teamManagerUserId ? { ownerUserId: settings.teamManagerUserId, ownerOrganisationId: null } : { ownerUserId: null, ownerOrganisationId: await homeOrganisationId(tx) }
    const label = 'Lantern (automatic escalation)'
    for (const w of over) {
      await q.markPlacementEscalated(tx, w.caseId, now)
      await insertAction(tx, laId, { caseId: w.caseId, childId: w.childId, kind: 'task', ...owner, dueOn: today, priority: 'high', createdByLabel: label,
        title: `Child has waited more than ${settings.placementTargetSchoolDays} school days for a school place: decide how to escalate` }, now)
      await insertChildEvent(tx, laId, { childId: w.childId, caseId: w.caseId, occurredAt: now, kind: 'escalation', actorUserId: null, actorLabel: label,
        summary: `Waiting for a school place since ${w.since}, longer than the LA’s target of ${settings.placementTargetSchoolDays} school days: escalated to the team manager` })
    }
    await recordAudit(tx, { laId, userId: null, label: 'Lantern (scheduled job)', ip: null }, { action: 'placement.escalated', recordType: 'cme_case',
      details: { count: over.length, targetSchoolDays: settings.placementTargetSchoolDays } }, now)
    const to = settings.teamManagerUserId ? await userEmail(tx, settings.teamManagerUserId) : undefined
    if (to) {
      await queueEmail(tx, laId, { to, subject: 'Lantern: children waiting too long for a school place',
        body: `${over.length} child${over.length === 1 ? ' has' : 'ren have'} waited longer than the LA’s target for a school place.\n\nSign in to Lantern to see your actions: ${baseUrl}/my-work` })
    }
    return over.length
  })
  return { escalated }
}
