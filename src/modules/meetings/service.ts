import { withTenant, type Db } from '../../platform/db.ts'
import { recordAudit } from '../../platform/audit.ts'
import { actorFor, actorLabel } from '../../platform/actor.ts'
import { Conflict, Forbidden, NotFound } from '../../platform/errors.ts'
import { hasRole, type CurrentUser } from '../../platform/access.ts'
import { queueEmail } from '../../platform/mail.ts'
import { insertChildEvent } from '../register/queries.ts'
import { lockCase } from '../register/case-queries.ts'
import { missingClock } from '../register/clock.ts'
import { loadCalendarInTx } from '../calendar/service.ts'
import { listTerms, type Term } from '../calendar/queries.ts'
import { insertAction, listActionsForMeetingItems, findAction, type ActionRow } from '../actions/queries.ts'
import type { ActionInput } from '../actions/service.ts'
import { countChart } from '../reports/chart.ts'
import { previewDfeReturnInTx } from '../reports/service.ts'
import * as q from './queries.ts'

// Meetings whose agenda builds itself from the register, where every decision becomes a dated, owned
// action on the child's record, and an item not reached is carried to the next meeting.

const tenant = (user: CurrentUser) => ({ laId: user.laId, userId: user.id })

export const KIND_LABELS: Record<q.SeriesKind, string> = { weekly_officer: 'Weekly officer meeting', cme_panel: 'Formal CME panel', other: 'Other panel' }
export const DEFAULT_RULES: q.AgendaRules = {
  referred: true, newCases: true, highRisk: true, missingLong: true, missingSchoolDays: 20, protection: true, placement: true, openActions: true,
}

export async function createSeries(db: Db, user: CurrentUser, ip: string, input: Omit<q.Series, 'id' | 'chairLabel' | 'version' | 'members'> & { memberIds: string[] }, now: Date):
  Promise<{ ok: true; id: string } | { ok: false; field: string; message: string }> {
  return withTenant(db, tenant(user), async (tx) => {
    if (await q.seriesNameTaken(tx, input.name)) return { ok: false as const, field: 'name', message: 'There is already a meeting series with this name' }
    const id = await q.insertSeries(tx, user.laId, input, now)
    await recordAudit(tx, actorFor(user, ip), { action: 'meeting.series_created', recordType: 'meeting_series', recordId: id, details: { kind: input.kind } }, now)
    return { ok: true as const, id }
  })
}

/**
 * For a series that meets once a term: each term in the LA's school calendar from the current one on,
 * with the meeting planned in it, if any, so the chair can see a term without its panel.
 */
export function termPlan(terms: Term[], meetings: q.Meeting[], today: string): { term: string; startsOn: string; endsOn: string; meeting: q.Meeting | null }[] {
  return terms.filter((t) => t.endsOn >= today).sort((a, b) => a.startsOn.localeCompare(b.startsOn)).map((t) => ({
    term: t.name, startsOn: t.startsOn, endsOn: t.endsOn, meeting: meetings.find((m) => m.heldOn >= t.startsOn && m.heldOn <= t.endsOn) ?? null,
  }))
}

export async function getSeries(db: Db, user: CurrentUser, id: string, now: Date) {
  return withTenant(db, tenant(user), async (tx) => {
    const series = await seriesFor(tx, user, id)
    if (!series) throw new NotFound()
    const meetings = await q.listMeetings(tx, id)
    const terms = series.schedule === 'termly' ? termPlan(await listTerms(tx), meetings, now.toISOString().slice(0, 10)) : []
    return { series, meetings, terms, waiting: (await q.referredCases(tx, id)).length }
  })
}

/**
 * CME officers see every meeting of their LA; anyone else (a panel member from a partner agency) only the
 * series they are a member of. Anything else is "not found", as if it did not exist.
 */
async function mayAttend(tx: Db, user: CurrentUser, seriesId: string): Promise<boolean> {
  return hasRole(user, 'cme_officer') || q.isMember(tx, seriesId, user.id)
}
async function seriesFor(tx: Db, user: CurrentUser, id: string): Promise<q.Series | undefined> {
  const series = await q.findSeries(tx, id)
  return series && (await mayAttend(tx, user, series.id)) ? series : undefined
}
async function meetingFor(tx: Db, user: CurrentUser, id: string, o: { lock?: boolean } = {}): Promise<q.Meeting | undefined> {
  const meeting = await q.findMeeting(tx, id, o)
  return meeting && (await mayAttend(tx, user, meeting.seriesId)) ? meeting : undefined
}
async function itemFor(tx: Db, user: CurrentUser, id: string, o: { lock?: boolean } = {}): Promise<q.Item | undefined> {
  const item = await q.findItem(tx, id, o)
  return item && (await meetingFor(tx, user, item.meetingId)) ? item : undefined
}

/** Only the series' chair changes its agenda rules and the agenda itself, and approves minutes. */
function requireChair(user: CurrentUser, chairUserId: string) {
  if (user.id !== chairUserId) throw new Forbidden('Only the chair of this meeting can do this')
}

export async function changeRules(db: Db, user: CurrentUser, ip: string, seriesId: string, rules: q.AgendaRules, now: Date): Promise<void> {
  await withTenant(db, tenant(user), async (tx) => {
    const series = await seriesFor(tx, user, seriesId)
    if (!series) throw new NotFound()
    requireChair(user, series.chairUserId)
    await q.updateRules(tx, seriesId, rules)
    await recordAudit(tx, actorFor(user, ip), { action: 'meeting.rules_changed', recordType: 'meeting_series', recordId: seriesId }, now)
  })
}

/**
 * The agenda from the series' rules, one item per case with every reason it qualified, in the order a
 * chair would take them: carried forward first, then referrals, children at most risk, and the rest.
 */
async function buildAgenda(tx: Db, laId: string, series: q.Series, meetingId: string, heldOn: string, now: Date): Promise<number> {
  const r = series.agendaRules
  const previous = await q.previousMeeting(tx, series.id, heldOn)
  const groups: q.AgendaCandidate[][] = []
  if (previous) groups.push(await q.notDiscussedItems(tx, previous.id))
  const referred = r.referred ? await q.referredCases(tx, series.id) : []
  groups.push(referred)
  if (r.protection) groups.push(await q.protectionCases(tx, heldOn))
  if (r.highRisk) groups.push(await q.highRiskCases(tx))
  if (r.missingLong) {
    const calendar = await loadCalendarInTx(tx)
    const long: q.AgendaCandidate[] = []
    for (const c of await q.openCasesWithDates(tx)) {
      try {
        const clock = missingClock(calendar, c.since, heldOn)
        if (clock.schoolDays > r.missingSchoolDays) long.push({ caseId: c.caseId, childId: c.childId, reason: `Missing ${clock.schoolDays} school days` })
      } catch {
        // A date outside the terms entered cannot be counted; the case still appears by its other rules.
      }
    }
    groups.push(long)
  }
  if (r.placement) groups.push(await q.placementCases(tx))
  if (r.openActions) groups.push(await q.casesWithMeetingActionsDue(tx, series.id, heldOn))
  if (r.newCases) groups.push(await q.newCases(tx, previous ? new Date(`${previous.heldOn}T00:00:00Z`) : new Date(now.getTime() - 7 * 86_400_000)))
  const byCase = new Map<string, q.AgendaCandidate & { reasons: string[] }>()
  for (const group of groups) {
    for (const c of group) {
      const item = byCase.get(c.caseId)
      if (item) { if (!item.reasons.includes(c.reason)) item.reasons.push(c.reason) } else byCase.set(c.caseId, { ...c, reasons: [c.reason] })
    }
  }
  const items = [...byCase.values()].map((c, i) => ({ ...c, reasons: c.reasons.join('; '), position: i + 1 }))
  await q.insertItems(tx, laId, meetingId, items)
  await q.markReferralsTaken(tx, referred.map((x) => x.referralId), meetingId)
  return items.length
}

export async function planMeeting(db: Db, user: CurrentUser, ip: string, seriesId: string, heldOn: string, now: Date): Promise<{ ok: true; id: string } | { ok: false; message: string }> {
  return withTenant(db, tenant(user), async (tx) => {
    const series = await seriesFor(tx, user, seriesId)
    if (!series) throw new NotFound()
    if (series.schedule === 'termly') {
      const terms = await listTerms(tx)
      const term = terms.find((t) => heldOn >= t.startsOn && heldOn <= t.endsOn)
      if (!term) return { ok: false as const, message: 'This panel meets once a term: choose a date inside a school term in the LA’s school calendar' }
      const taken = (await q.listMeetings(tx, seriesId)).find((m) => m.heldOn >= term.startsOn && m.heldOn <= term.endsOn)
      if (taken) return { ok: false as const, message: `This panel already meets in the ${term.name}, on ${taken.heldOn.split('-').reverse().join('/')}` }
    }
    const id = await q.insertMeeting(tx, user.laId, seriesId, heldOn, now)
    if (!id) return { ok: false as const, message: 'This series already has a meeting on that date' }
    const items = await buildAgenda(tx, user.laId, series, id, heldOn, now)
    await recordAudit(tx, actorFor(user, ip), { action: 'meeting.planned', recordType: 'meeting', recordId: id, details: { seriesId, heldOn, items } }, now)
    return { ok: true as const, id }
  })
}

export type MeetingPage = { meeting: q.Meeting; series: q.Series; items: q.Item[]; attendance: q.Attendance[]; actions: Record<string, ActionRow[]>; isChair: boolean; amendments: q.Amendment[] }

/** The meeting with its agenda. The agenda names children, so each view is audited. */
export async function viewMeeting(db: Db, user: CurrentUser, ip: string, id: string, now: Date): Promise<MeetingPage> {
  return withTenant(db, tenant(user), async (tx) => {
    const meeting = await meetingFor(tx, user, id)
    if (!meeting) throw new NotFound()
    const series = (await seriesFor(tx, user, meeting.seriesId))!
    const items = await q.listItems(tx, id)
    const actions: Record<string, ActionRow[]> = {}
    for (const a of await listActionsForMeetingItems(tx, items.map((i) => i.id))) (actions[a.meetingItemId] ??= []).push(a)
    await recordAudit(tx, actorFor(user, ip), { action: 'meeting.viewed', recordType: 'meeting', recordId: id }, now)
    return { meeting, series, items, attendance: await q.listAttendance(tx, id, meeting.seriesId), actions, isChair: user.id === series.chairUserId, amendments: await q.listAmendments(tx, id) }
  })
}

const editable = (m: q.Meeting) => {
  if (m.state === 'approved') throw new Conflict('The minutes of this meeting are approved and cannot be changed')
  if (m.state === 'closed') throw new Conflict('This meeting is closed. Ask the chair to reopen it, or record the change at the next meeting')
}

export type ItemInput = { notes?: string; outcome: 'decided' | 'not_discussed'; decision?: string; rationale?: string; version: number; action?: ActionInput }

/** One agenda item's outcome: notes, a decision with its rationale, and optionally a new action, all on the child's record. */
export async function recordItemOutcome(db: Db, user: CurrentUser, ip: string, itemId: string, input: ItemInput, now: Date): Promise<string> {
  return withTenant(db, tenant(user), async (tx) => {
    const item = await itemFor(tx, user, itemId, { lock: true })
    if (!item) throw new NotFound()
    const meeting = (await meetingFor(tx, user, item.meetingId, { lock: true }))!
    editable(meeting)
    if (item.version !== input.version) throw new Conflict('Someone else recorded this item while you were writing. Go back to see what they recorded, then add yours.')
    const label = actorLabel(user)
    await q.recordItem(tx, itemId, { notes: input.notes ?? null, outcome: input.outcome, decision: input.decision ?? null, rationale: input.rationale ?? null, byLabel: label })
    const where = `${meeting.seriesName}, ${meeting.heldOn.split('-').reverse().join('/')}`
    // Saving again to add a second action, or to tidy the notes, does not repeat the decision on the chronology.
    const changed = item.outcome !== input.outcome || item.decision !== (input.decision ?? null) || item.rationale !== (input.rationale ?? null)
    if (changed) {
      await insertChildEvent(tx, user.laId, { childId: item.childId, caseId: item.caseId, occurredAt: now, kind: 'meeting', actorUserId: user.id, actorLabel: label,
        summary: input.outcome === 'decided' ? `${where}: decided ${input.decision}${input.rationale ? `. Why: ${input.rationale}` : ''}` : `${where}: not discussed; carried to the next meeting` })
    }
    if (input.action) {
      const c = await lockCase(tx, item.caseId)
      if (c?.closedAt) throw new Conflict('This case is closed, so no action can be added to it')
      const actionId = await insertAction(tx, user.laId, { caseId: item.caseId, childId: item.childId, kind: 'task', title: input.action.title, ...input.action.owner,
        dueOn: input.action.dueOn, priority: input.action.priority, createdByLabel: `${label} (${meeting.seriesName})`, meetingItemId: itemId }, now)
      const action = (await findAction(tx, actionId))!
      await insertChildEvent(tx, user.laId, { childId: item.childId, caseId: item.caseId, occurredAt: now, kind: 'action', actorUserId: user.id, actorLabel: label,
        summary: `Action set at ${where}: ${input.action.title}, for ${action.ownerLabel}, due ${input.action.dueOn}` })
    }
    await recordAudit(tx, actorFor(user, ip), { action: 'meeting.item_recorded', recordType: 'child', recordId: item.childId,
      details: { meetingId: meeting.id, itemId, outcome: input.outcome, actionAdded: Boolean(input.action) } }, now)
    return meeting.id
  })
}

export async function getItem(db: Db, user: CurrentUser, ip: string, itemId: string, now: Date) {
  return withTenant(db, tenant(user), async (tx) => {
    const item = await itemFor(tx, user, itemId)
    if (!item) throw new NotFound()
    const meeting = (await meetingFor(tx, user, item.meetingId))!
    const calendar = await loadCalendarInTx(tx)
    const [dates] = await q.openCasesWithDates(tx, item.caseId)
    let missing: string | null = null
    try {
      if (dates) missing = `${missingClock(calendar, dates.since, meeting.heldOn).schoolDays} school days`
    } catch { missing = 'Not known (the school calendar does not cover these dates)' }
    const actions = await listActionsForMeetingItems(tx, [itemId])
    const caseActions = await q.recentCaseActions(tx, item.caseId)
    const barriers = await q.caseBarriers(tx, item.caseId)
    await recordAudit(tx, actorFor(user, ip), { action: 'meeting.item_viewed', recordType: 'child', recordId: item.childId, details: { meetingId: meeting.id, itemId } }, now)
    return { item, meeting, missing, actions, caseActions, barriers }
  })
}

export async function changeAgenda(db: Db, user: CurrentUser, ip: string, itemId: string, change: { remove?: string; move?: 'up' | 'down' }, now: Date): Promise<string> {
  return withTenant(db, tenant(user), async (tx) => {
    const item = await itemFor(tx, user, itemId, { lock: true })
    if (!item) throw new NotFound()
    const meeting = (await meetingFor(tx, user, item.meetingId, { lock: true }))!
    requireChair(user, meeting.chairUserId)
    editable(meeting)
    if (change.remove) {
      await q.removeItem(tx, itemId, change.remove)
      await recordAudit(tx, actorFor(user, ip), { action: 'meeting.item_removed', recordType: 'meeting', recordId: meeting.id, reason: change.remove, details: { itemId } }, now)
    } else if (change.move) {
      await q.moveItem(tx, meeting.id, itemId, change.move)
    }
    return meeting.id
  })
}

export async function recordAttendance(db: Db, user: CurrentUser, ip: string, meetingId: string, rows: { userId: string; status: 'present' | 'apologies' | 'absent'; declaration: string | null }[], now: Date): Promise<void> {
  await withTenant(db, tenant(user), async (tx) => {
    const meeting = await meetingFor(tx, user, meetingId, { lock: true })
    if (!meeting) throw new NotFound()
    editable(meeting)
    const members = new Set((await q.listAttendance(tx, meetingId, meeting.seriesId)).map((a) => a.userId))
    await q.saveAttendance(tx, user.laId, meetingId, rows.filter((r) => members.has(r.userId)))
    await recordAudit(tx, actorFor(user, ip), { action: 'meeting.attendance_recorded', recordType: 'meeting', recordId: meetingId }, now)
  })
}

/** A meeting closes only when it was quorate and every item has a decision or is marked "not discussed". */
export async function closeMeeting(db: Db, user: CurrentUser, ip: string, meetingId: string, now: Date): Promise<{ ok: true } | { ok: false; problems: string[] }> {
  return withTenant(db, tenant(user), async (tx) => {
    const meeting = await meetingFor(tx, user, meetingId, { lock: true })
    if (!meeting) throw new NotFound()
    editable(meeting)
    const problems: string[] = []
    const open = (await q.listItems(tx, meetingId)).filter((i) => !i.removedReason && !i.outcome)
    if (open.length) problems.push(`${open.length} item${open.length === 1 ? ' has' : 's have'} neither a decision nor “not discussed”: ${open.map((i) => i.childName).join(', ')}`)
    const present = (await q.listAttendance(tx, meetingId, meeting.seriesId)).filter((a) => a.status === 'present').length
    if (present < meeting.quorum) problems.push(`The meeting is not quorate: ${present} member${present === 1 ? '' : 's'} recorded as present, and ${meeting.quorum} are needed`)
    if (problems.length) return { ok: false as const, problems }
    await q.setMeetingState(tx, meetingId, 'closed', now)
    await recordAudit(tx, actorFor(user, ip), { action: 'meeting.closed', recordType: 'meeting', recordId: meetingId }, now)
    return { ok: true as const }
  })
}

/** Only the chair approves; approval circulates the minutes to the members as a link (the email names no child). */
export async function approveMinutes(db: Db, user: CurrentUser, ip: string, meetingId: string, baseUrl: string, now: Date): Promise<void> {
  await withTenant(db, tenant(user), async (tx) => {
    const meeting = await meetingFor(tx, user, meetingId, { lock: true })
    if (!meeting) throw new NotFound()
    requireChair(user, meeting.chairUserId)
    if (meeting.state !== 'closed') throw new Conflict(meeting.state === 'approved' ? 'These minutes are already approved' : 'Close the meeting before approving its minutes')
    await q.setMeetingState(tx, meetingId, 'approved', now, user.id)
    const when = meeting.heldOn.split('-').reverse().join('/')
    for (const to of await q.memberEmails(tx, meeting.seriesId)) {
      await queueEmail(tx, user.laId, { to, subject: 'Lantern: meeting minutes approved',
        body: `The minutes of the ${meeting.seriesName} on ${when} have been approved.\n\nSign in to Lantern to read them: ${baseUrl}/meetings/${meetingId}` })
    }
    await recordAudit(tx, actorFor(user, ip), { action: 'meeting.minutes_approved', recordType: 'meeting', recordId: meetingId }, now)
  })
}

/** Approved minutes never change: a correction is an amendment with its reason, shown with them. */
export async function amendMinutes(db: Db, user: CurrentUser, ip: string, meetingId: string, input: { itemId?: string; correction: string; reason: string }, now: Date): Promise<void> {
  await withTenant(db, tenant(user), async (tx) => {
    const meeting = await meetingFor(tx, user, meetingId, { lock: true })
    if (!meeting) throw new NotFound()
    if (meeting.state !== 'approved') throw new Conflict('Only approved minutes take amendments. Change the record itself until the chair approves it')
    const item = input.itemId ? await itemFor(tx, user, input.itemId) : undefined
    if (input.itemId && (!item || item.meetingId !== meetingId)) throw new NotFound()
    await q.insertAmendment(tx, user.laId, { meetingId, itemId: item?.id ?? null, correction: input.correction, reason: input.reason, byLabel: actorLabel(user) }, now)
    if (item) {
      await insertChildEvent(tx, user.laId, { childId: item.childId, caseId: item.caseId, occurredAt: now, kind: 'meeting', actorUserId: user.id, actorLabel: actorLabel(user),
        summary: `Minutes of the ${meeting.seriesName}, ${meeting.heldOn.split('-').reverse().join('/')}, amended: ${input.correction}. Reason: ${input.reason}` })
    }
    await recordAudit(tx, actorFor(user, ip), { action: 'meeting.minutes_amended', recordType: 'meeting', recordId: meetingId, reason: input.reason }, now)
  })
}

export async function exportActionLog(db: Db, user: CurrentUser, ip: string, meetingId: string, now: Date) {
  return withTenant(db, tenant(user), async (tx) => {
    const meeting = await meetingFor(tx, user, meetingId)
    if (!meeting) throw new NotFound()
    const rows = await q.actionLog(tx, meetingId)
    await recordAudit(tx, actorFor(user, ip), { action: 'meeting.action_log_exported', recordType: 'meeting', recordId: meetingId, details: { rows: rows.length } }, now)
    return { meeting, rows }
  })
}

export async function referToMeeting(db: Db, user: CurrentUser, ip: string, caseId: string, input: { seriesId: string; reason: string }, now: Date): Promise<string> {
  return withTenant(db, tenant(user), async (tx) => {
    const c = await lockCase(tx, caseId)
    if (!c) throw new NotFound()
    if (c.closedAt) throw new Conflict('This case is closed. Reopen it before referring it to a meeting')
    const series = await seriesFor(tx, user, input.seriesId)
    if (!series) throw new NotFound()
    // A meeting already planned takes the case at once; otherwise the next one to be planned picks it up.
    const next = await q.nextPlannedMeeting(tx, series.id, now.toISOString().slice(0, 10))
    const reason = `Referred to the panel by ${actorLabel(user)}: ${input.reason}`
    if (next) await q.addToAgenda(tx, user.laId, next.id, { caseId, childId: c.childId, reason })
    await q.insertReferral(tx, user.laId, { seriesId: series.id, caseId, childId: c.childId, reason: input.reason, byLabel: actorLabel(user), meetingId: next?.id ?? null }, now)
    await insertChildEvent(tx, user.laId, { childId: c.childId, caseId, occurredAt: now, kind: 'meeting', actorUserId: user.id, actorLabel: actorLabel(user),
      summary: `Referred to the ${series.name}${next ? ` for ${next.heldOn.split('-').reverse().join('/')}` : ''}: ${input.reason}` })
    await recordAudit(tx, actorFor(user, ip), { action: 'meeting.case_referred', recordType: 'child', recordId: c.childId, details: { caseId, seriesId: series.id } }, now)
    return c.childId
  })
}

export async function listAllSeries(db: Db, user: CurrentUser, today: string) {
  return withTenant(db, tenant(user), async (tx) => {
    const all = await q.listSeries(tx, today)
    if (hasRole(user, 'cme_officer')) return all
    const mine = new Set(await q.seriesOfMember(tx, user.id))
    return all.filter((s) => mine.has(s.id))
  })
}
export async function peopleAndSeries(db: Db, user: CurrentUser) {
  return withTenant(db, tenant(user), async (tx) => ({ people: await q.listPeople(tx), series: await q.seriesChoices(tx) }))
}

export async function recordPdfExport(db: Db, user: CurrentUser, ip: string, meetingId: string, kind: 'agenda' | 'minutes', now: Date): Promise<void> {
  await withTenant(db, tenant(user), (tx) => recordAudit(tx, actorFor(user, ip), { action: 'meeting.pdf_exported', recordType: 'meeting', recordId: meetingId, details: { kind } }, now))
}

export type StatisticsPack = {
  meeting: q.Meeting; on: string; since: string | null; total: number; measures: { measure: string; rows: { category: string; count: number }[]; chart: string }[]
  opened: number; resolved: number; actionsDue: number; actionsOnTime: number
}

/**
 * A formal panel's statistics for its date: the register as the DfE return counts it (size, time missing
 * in the DfE bands, reasons, sex, year group), what changed since the last panel, and actions done on time.
 * Counts only: nothing names a child.
 */
export async function statisticsPack(db: Db, user: CurrentUser, meetingId: string, now: Date): Promise<StatisticsPack> {
  return withTenant(db, tenant(user), async (tx) => {
    const meeting = await meetingFor(tx, user, meetingId)
    if (!meeting) throw new NotFound()
    const today = now.toISOString().slice(0, 10)
    // A panel that has not happened yet is given today's figures.
    const on = meeting.heldOn < today ? meeting.heldOn : today
    const previous = await q.previousMeeting(tx, meeting.seriesId, meeting.heldOn)
    const register = await previewDfeReturnInTx(tx, on)
    const since = previous?.heldOn ?? null
    const from = since ?? new Date(Date.parse(`${on}T00:00:00Z`) - 91 * 86_400_000).toISOString().slice(0, 10)
    const change = await q.casesOpenedAndResolved(tx, from, on)
    const actions = await q.actionsDueAndOnTime(tx, from, on)
    return {
      meeting, on, since, total: register.total, opened: change.opened, resolved: change.resolved, actionsDue: actions.due, actionsOnTime: actions.onTime,
      measures: register.measures.slice(1).map((m, i) => ({ ...m, chart: countChart({ id: `pack-${i}`, title: m.measure,
        description: m.rows.filter((r) => r.count).map((r) => `${r.category}: ${r.count}`).join('; ') || 'No children', rows: m.rows.map((r) => ({ label: r.category, value: r.count })) }) })),
    }
  })
}

/** The chair adds any open case to a planned agenda, with the reason, which shows on the agenda. */
export async function addAgendaItem(db: Db, user: CurrentUser, ip: string, meetingId: string, input: { caseId: string; reason: string }, now: Date): Promise<void> {
  await withTenant(db, tenant(user), async (tx) => {
    const meeting = await meetingFor(tx, user, meetingId, { lock: true })
    if (!meeting) throw new NotFound()
    requireChair(user, meeting.chairUserId)
    editable(meeting)
    const c = await lockCase(tx, input.caseId)
    if (!c) throw new NotFound()
    if (c.closedAt) throw new Conflict('This case is closed, so it cannot go on the agenda')
    await q.addToAgenda(tx, user.laId, meetingId, { caseId: c.id, childId: c.childId, reason: `Added by the chair: ${input.reason}`, byChair: true })
    await recordAudit(tx, actorFor(user, ip), { action: 'meeting.item_added', recordType: 'meeting', recordId: meetingId, details: { caseId: c.id } }, now)
  })
}

export async function findCasesForAgenda(db: Db, user: CurrentUser, term: string) {
  return withTenant(db, tenant(user), (tx) => q.searchOpenCases(tx, term))
}
