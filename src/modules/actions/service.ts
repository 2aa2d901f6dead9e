import { sumOverAuthorities, withTenant, type Db } from '../../platform/db.ts'
import { recordAudit } from '../../platform/audit.ts'
import { actorFor, actorLabel } from '../../platform/actor.ts'
import { queueEmail } from '../../platform/mail.ts'
import { Conflict, NotFound } from '../../platform/errors.ts'
import type { CurrentUser } from '../../platform/access.ts'
import { sql } from 'kysely'
import { insertChildEvent } from '../register/queries.ts'
import { lockCase } from '../register/case-queries.ts'
import { addWorkingDays } from '../calendar/days.ts'
import { loadCalendarInTx } from '../calendar/service.ts'
import * as q from './queries.ts'


/** What makes a case an immediate MASH escalation (CME statutory guidance; domain brief 1.5 and 11.5). */
export const ESCALATION_REASONS = ['The child has a child protection plan', 'The child is looked after (in care)', 'There are concerns for the child’s safety'] as const
const ESCALATING_FLAGS = ['child_protection_plan', 'looked_after'] as const

export type Owner = { ownerUserId: string | null; ownerOrganisationId: string | null }

export const parseOwner = (value: string): Owner | undefined => {
  const m = /^(user|org):([0-9a-f-]{36})$/.exec(value)
  if (!m) return undefined
  return m[1] === 'user' ? { ownerUserId: m[2], ownerOrganisationId: null } : { ownerUserId: null, ownerOrganisationId: m[2] }
}

/**
 * Opens the MASH escalation task when a case opens for a child with a child protection plan, in
 * care, or with safety concerns. Owned by the team manager when the LA has named one, otherwise by
 * the LA's own team, due today. Runs inside the caller's transaction so the case never exists without it.
 */
export async function escalateIfNeeded(tx: Db, laId: string, c: { caseId: string; childId: string; riskReasons: string[] }, actorLabel: string, now: Date): Promise<boolean> {
  const { rows: flags } = await sql<{ flag: string }>`select flag from child_flag where child_id = ${c.childId} and flag = any(${[...ESCALATING_FLAGS]})
    and (ends_on is null or ends_on >= ${now.toISOString().slice(0, 10)})`.execute(tx)
  const reasons = c.riskReasons.filter((r) => (ESCALATION_REASONS as readonly string[]).includes(r))
  if (!reasons.length && !flags.length) return false
  const settings = await q.loadSettings(tx)
  const owner = settings.teamManagerUserId ? { ownerUserId: settings.teamManagerUserId, ownerOrganisationId: null } : { ownerUserId: null, ownerOrganisationId: await q.homeOrganisationId(tx) }
  const today = now.toISOString().slice(0, 10)
  await q.insertAction(tx, laId, {
    caseId: c.caseId, childId: c.childId, kind: 'mash_escalation', title: 'Tell the multi-agency safeguarding hub (MASH) about this child today',
    ...owner, dueOn: today, priority: 'high', createdByLabel: 'Lantern (automatic escalation)',
  }, now)
  await insertChildEvent(tx, laId, { childId: c.childId, caseId: c.caseId, occurredAt: now, kind: 'escalation', actorUserId: null, actorLabel,
    summary: `Escalation to the multi-agency safeguarding hub opened: ${[...reasons, ...flags.map((f) => (f.flag === 'looked_after' ? 'looked after' : 'child protection plan'))].join('; ')}` })
  if (owner.ownerUserId) {
    const to = await q.userEmail(tx, owner.ownerUserId)
    if (to) await queueEmail(tx, laId, { to, subject: 'Lantern: an urgent escalation is waiting for you', body: 'A case needs to be escalated to the multi-agency safeguarding hub today.\n\nSign in to Lantern and open My work to see it.' })
  }
  return true
}

export type ActionInput = { title: string; owner: Owner; dueOn: string; priority: 'normal' | 'high' }

export async function createAction(db: Db, user: CurrentUser, ip: string, caseId: string, input: ActionInput, now: Date): Promise<string> {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const c = await lockCase(tx, caseId)
    if (!c) throw new NotFound()
    if (c.closedAt) throw new Conflict('This case is closed. Reopen it before adding actions.')
    const id = await q.insertAction(tx, user.laId, { caseId, childId: c.childId, kind: 'task', title: input.title, ...input.owner, dueOn: input.dueOn, priority: input.priority, createdByLabel: actorLabel(user) }, now)
    const action = await q.findAction(tx, id)
    await insertChildEvent(tx, user.laId, { childId: c.childId, caseId, occurredAt: now, kind: 'action', actorUserId: user.id, actorLabel: actorLabel(user),
      summary: `Action added: ${input.title}, for ${action!.ownerLabel}, due ${input.dueOn}` })
    await recordAudit(tx, actorFor(user, ip), { action: 'case.action_added', recordType: 'child', recordId: c.childId, details: { caseId, actionId: id, dueOn: input.dueOn } }, now)
    return c.childId
  })
}

async function lockOpenAction(tx: Db, id: string, version: number) {
  const a = await q.findAction(tx, id, { lock: true })
  if (!a) throw new NotFound()
  if (a.version !== version) throw new Conflict('Someone else changed this action while you were working on it. Go back to see the change, then try again.')
  if (a.status !== 'open') throw new Conflict('This action is already finished.')
  return a
}

export async function finishAction(db: Db, user: CurrentUser, ip: string, id: string, input: { status: 'done' | 'cancelled'; outcome: string; version: number }, now: Date): Promise<string> {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const a = await lockOpenAction(tx, id, input.version)
    await q.completeAction(tx, id, { status: input.status, outcome: input.outcome, byLabel: actorLabel(user) }, now)
    await insertChildEvent(tx, user.laId, { childId: a.childId, caseId: a.caseId, occurredAt: now, kind: 'action', actorUserId: user.id, actorLabel: actorLabel(user),
      summary: `Action ${input.status === 'done' ? 'done' : 'cancelled'}: ${a.title}. ${input.outcome}` })
    await recordAudit(tx, actorFor(user, ip), { action: input.status === 'done' ? 'case.action_done' : 'case.action_cancelled', recordType: 'child', recordId: a.childId,
      reason: input.status === 'cancelled' ? input.outcome : undefined, details: { caseId: a.caseId, actionId: id } }, now)
    return a.childId
  })
}

export async function changeAction(db: Db, user: CurrentUser, ip: string, id: string, input: { owner: Owner; dueOn: string; reason: string; version: number }, now: Date): Promise<string> {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const a = await lockOpenAction(tx, id, input.version)
    await q.rescheduleAction(tx, id, { dueOn: input.dueOn, ...input.owner })
    const after = await q.findAction(tx, id)
    await insertChildEvent(tx, user.laId, { childId: a.childId, caseId: a.caseId, occurredAt: now, kind: 'action', actorUserId: user.id, actorLabel: actorLabel(user),
      summary: `Action changed: ${a.title}, now for ${after!.ownerLabel}, due ${input.dueOn}. Reason: ${input.reason}` })
    await recordAudit(tx, actorFor(user, ip), { action: 'case.action_changed', recordType: 'child', recordId: a.childId, reason: input.reason,
      details: { caseId: a.caseId, actionId: id, fromDueOn: a.dueOn, fromOwner: a.ownerLabel, toDueOn: input.dueOn, toOwner: after!.ownerLabel } }, now)
    return a.childId
  })
}

export const ESCALATE_OVERDUE_JOB = 'actions-escalate-overdue'

/**
 * Daily: actions overdue by more than the LA's set number of working days are escalated to the
 * team manager, once each (a changed due date clears the mark). Runs per LA in that LA's tenancy;
 * the email says only that there is something to look at.
 */
export async function escalateOverdueActions(db: Db, now: Date, baseUrl: string): Promise<{ escalated: number }> {
  const escalated = await sumOverAuthorities(db, async (laId, tx) => {
    const settings = await q.loadSettings(tx)
    const calendar = await loadCalendarInTx(tx)
    const today = now.toISOString().slice(0, 10)
    // Overdue by more than N working days: the due date is before the day N working days ago.
    const cutoff = addWorkingDays(calendar, today, -settings.overdueEscalationWorkingDays)
    const overdue = await q.listOverdueUnescalated(tx, cutoff)
    if (!overdue.length) return 0
    await q.markEscalated(tx, overdue.map((a) => a.id), now)
    for (const a of overdue) {
      await insertChildEvent(tx, laId, { childId: a.childId, caseId: a.caseId, occurredAt: now, kind: 'escalation', actorUserId: null, actorLabel: 'Lantern (automatic escalation)',
        summary: `Overdue action escalated to the team manager (due ${a.dueOn})` })
    }
    await recordAudit(tx, { laId, userId: null, label: 'Lantern (scheduled job)', ip: null }, { action: 'actions.escalated', recordType: 'case_action',
      details: { count: overdue.length, olderThanWorkingDays: settings.overdueEscalationWorkingDays } }, now)
    const to = settings.teamManagerUserId ? await q.userEmail(tx, settings.teamManagerUserId) : undefined
    if (to) {
      await queueEmail(tx, laId, { to, subject: 'Lantern: overdue actions need your attention',
        body: `${overdue.length} action${overdue.length === 1 ? ' is' : 's are'} overdue by more than ${settings.overdueEscalationWorkingDays} working days.\n\nSign in to Lantern to see them: ${baseUrl}/actions/overdue` })
    }
    return overdue.length
  })
  return { escalated }
}

/** Tasks the user or their organisation owns, open first. */
export async function listTasks(db: Db, user: CurrentUser, page: number, size: number) {
  return withTenant(db, { laId: user.laId, userId: user.id }, (tx) => q.listMyActions(tx, user.id, user.organisationId, size, (page - 1) * size))
}

async function ownedAction(tx: Db, user: CurrentUser, id: string, o: { lock?: boolean } = {}) {
  const a = await q.findAction(tx, id, o)
  // Not found rather than forbidden: a task someone else owns does not exist for this user.
  if (!a || !q.ownsAction(a, user.id, user.organisationId)) throw new NotFound()
  return a
}

/** A task with the minimum of the child's record it needs. Every view is audited against the child. */
export async function viewTask(db: Db, user: CurrentUser, ip: string, id: string, now: Date) {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const action = await ownedAction(tx, user, id)
    const context = await q.taskContext(tx, action)
    await recordAudit(tx, actorFor(user, ip), { action: 'task.viewed', recordType: 'child', recordId: action.childId, details: { actionId: id } }, now)
    return { action, context }
  })
}

/** The owner's update: a note of progress, or the task done with its outcome. Both reach the child's chronology. */
export async function updateTask(db: Db, user: CurrentUser, ip: string, id: string, input: { kind: 'progress' | 'done'; note: string; version: number }, now: Date): Promise<void> {
  await withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const a = await ownedAction(tx, user, id, { lock: true })
    if (a.version !== input.version) throw new Conflict('Someone else changed this task while you were working on it. Go back to see the change, then try again.')
    if (a.status !== 'open') throw new Conflict('This task is already finished.')
    if (input.kind === 'done') await q.completeAction(tx, id, { status: 'done', outcome: input.note, byLabel: actorLabel(user) }, now)
    else await q.touchAction(tx, id)
    await insertChildEvent(tx, user.laId, { childId: a.childId, caseId: a.caseId, occurredAt: now, kind: 'action', actorUserId: user.id, actorLabel: actorLabel(user),
      summary: input.kind === 'done' ? `Action done: ${a.title}. ${input.note}` : `Progress on “${a.title}”: ${input.note}` })
    await recordAudit(tx, actorFor(user, ip), { action: input.kind === 'done' ? 'task.done' : 'task.progress', recordType: 'child', recordId: a.childId, details: { actionId: id } }, now)
  })
}
