import { withTenant, type Db } from '../../platform/db.ts'
import { recordAudit } from '../../platform/audit.ts'
import { actorFor, actorLabel } from '../../platform/actor.ts'
import { Conflict, Forbidden, NotFound } from '../../platform/errors.ts'
import { hasRole, type CurrentUser } from '../../platform/access.ts'
import { countSchoolDays } from '../calendar/days.ts'
import { loadCalendarInTx } from '../calendar/service.ts'
import { findPossibleMatches, type Match } from '../children/matching.ts'
import * as rq from '../register/queries.ts'
import * as cq from '../register/case-queries.ts'
import { escalateIfNeeded } from '../actions/service.ts'
import { GROUND_INFO, groundLabel, type Ground } from './grounds.ts'
import type { NewPupilNoticeInput, ProcessNoticeInput, RemovalNoticeInput } from './forms.ts'
import * as q from './queries.ts'
import { insertSchool } from '../children/queries.ts'


/** The rules a notice is checked against: today, and the LA's school calendar for ground (i). */
export async function noticeRules(db: Db, user: CurrentUser, now: Date) {
  const calendar = await withTenant(db, { laId: user.laId, userId: user.id }, (tx) => loadCalendarInTx(tx))
  return { today: now.toISOString().slice(0, 10), schoolDays: (from: string, to: string) => countSchoolDays(calendar, from, to) }
}

/** A school user's own organisation, which must be a school: notices come from schools only. */
export async function schoolOf(tx: Db, user: CurrentUser): Promise<q.SchoolOrganisation> {
  const org = await q.findOrganisation(tx, user.organisationId)
  if (!org || org.kind !== 'school') throw new Forbidden('Your account belongs to an organisation that is not a school, so it cannot send school notices. Ask your LA administrator to check it.')
  return org
}

export async function submitNotice(db: Db, user: CurrentUser, ip: string, kind: q.NoticeKind, input: RemovalNoticeInput | NewPupilNoticeInput, rules: { schoolDays: (a: string, b: string) => number }, now: Date): Promise<string> {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const school = await schoolOf(tx, user)
    const v = input as RemovalNoticeInput
    const absenceSchoolDays = v.ground === 'i' && v.absenceFrom && v.absenceTo ? rules.schoolDays(v.absenceFrom, v.absenceTo) : undefined
    const id = await q.insertNotice(tx, user.laId, { kind, schoolOrganisationId: school.id, submittedBy: user.id, submittedAt: now, source: 'form', input, absenceSchoolDays })
    await recordAudit(tx, actorFor(user, ip), { action: 'notice.submitted', recordType: 'school_notice', recordId: id, details: { kind, ground: v.ground ?? null } }, now)
    return id
  })
}

export type NoticePage = { notice: q.Notice; matches: Match[]; chosenChild?: rq.ChildRecord }

/** A notice with the children it may be about. Reading it is reading a child's record, so it is audited. */
export async function viewNotice(db: Db, user: CurrentUser, ip: string, id: string, now: Date): Promise<NoticePage> {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const notice = await q.findNotice(tx, id)
    if (!notice) throw new NotFound()
    const officer = hasRole(user, 'cme_officer', 'auditor')
    // A school sees its own notices only; another school's are as if they did not exist.
    if (!officer && notice.schoolOrganisationId !== user.organisationId) throw new NotFound()
    await recordAudit(tx, actorFor(user, ip), { action: 'notice.viewed', recordType: 'school_notice', recordId: id }, now)
    const matches = officer && notice.state === 'received'
      ? await findPossibleMatches(tx, { forename: notice.forename, surname: notice.surname, dateOfBirth: notice.dateOfBirth, upn: notice.upn, postcode: notice.postcode })
      : []
    return { notice, matches }
  })
}

export type ProcessResult = { ok: true; childId: string } | { ok: false; field: string; message: string }

/**
 * The officer's decision on a notice, in one transaction: link it to a child (an existing one the
 * officer chose, or a new record), then open a case, add it to the child's open case, record it
 * with no case, or (for a new pupil) close the child's case as placed.
 */
export async function processNotice(db: Db, user: CurrentUser, ip: string, id: string, input: ProcessNoticeInput, now: Date): Promise<ProcessResult> {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const n = await q.findNotice(tx, id, { lock: true })
    if (!n) throw new NotFound()
    if (n.version !== input.version) throw new Conflict('Someone else changed this notice while you were looking at it. Go back to the notice to see what they did.')
    if (n.state !== 'received') throw new Conflict('This notice has already been dealt with.')
    const fail = (field: string, message: string) => ({ ok: false, field, message }) as const
    const info = n.ground ? GROUND_INFO[n.ground as Ground] : undefined

    let child: rq.ChildRecord | undefined
    if (input.child !== 'new') {
      child = /^[0-9a-f-]{36}$/.test(input.child) ? await rq.findChild(tx, input.child) : undefined
      if (!child) return fail('child', 'Select the child this notice is about, or that it is a new child')
    }
    const openCase = child ? (await rq.listCasesForChild(tx, child.id)).find((c) => !c.closedAt) : undefined
    const allowed = n.kind === 'removal' ? ['open_case', 'add_to_case', 'record'] : ['close_case', 'record']
    if (!allowed.includes(input.action)) return fail('action', 'Select what to do with the notice')
    if (input.action === 'open_case' && openCase) return fail('action', 'This child already has an open case: add the notice to it instead')
    if ((input.action === 'add_to_case' || input.action === 'close_case') && !openCase) return fail('action', 'This child has no open case. Choose another option')
    if (input.action === 'record' && n.kind === 'removal' && info?.destination === 'required' && !input.destinationConfirmed) {
      return fail('destinationConfirmed', `Confirm that ${n.futureSchool ?? 'the new school'} has the child on its roll before recording the notice without a case`)
    }

    const childId = child?.id ?? await rq.insertChild(tx, user.laId, { forename: n.forename, surname: n.surname, dateOfBirth: n.dateOfBirth ?? undefined, sex: n.sex ?? undefined, upn: n.upn ?? undefined })
    if (n.addressLine1) {
      const known = (await rq.listAddresses(tx, childId)).some((a) => a.line1 === n.addressLine1 && a.postcode === n.postcode)
      if (!known) await rq.insertAddress(tx, user.laId, childId, { line1: n.addressLine1, town: n.town, postcode: n.postcode, source: n.kind === 'removal' ? 'removal notice' : 'new pupil notice' })
    }
    const from = `${n.schoolName}`
    const label = actorLabel(user)
    let caseId: string | null = openCase?.id ?? null
    let state: q.NoticeState
    let summary: string

    if (input.action === 'open_case') {
      const highRisk = info?.highRisk || n.lostPupil === 'destination_unknown'
      const riskReasons = highRisk ? [`Removed from roll under ground ${groundLabel(n.ground!)}${n.lostPupil === 'destination_unknown' ? ', destination not known' : ''}`] : []
      const dayBefore = n.absenceFrom ? new Date(Date.parse(`${n.absenceFrom}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10) : undefined
      caseId = await rq.insertCase(tx, user.laId, {
        childId, riskLevel: highRisk ? 'high' : 'standard', riskReasons, source: 'removal_notice', registerType: input.registerType ?? (info?.handling === 'ehe' ? 'ehe' : 'cme'),
        concern: `Removal from roll notice from ${from}: ground ${groundLabel(n.ground!)}, deletion on ${n.deletionDate}.${n.notes ? ` ${n.notes}` : ''}`.slice(0, 4000),
        whereaboutsKnown: n.lostPupil === 'destination_unknown' ? false : null, dateLastInEducation: dayBefore,
        referredBy: n.submittedBy, referrerOrganisationId: n.schoolOrganisationId, openedAt: now,
      })
      await cq.copyTemplateToCase(tx, user.laId, caseId)
      await escalateIfNeeded(tx, user.laId, { caseId, childId, riskReasons }, label, now)
      state = 'case_opened'
      summary = `Removal from roll notice from ${from} (ground ${groundLabel(n.ground!)}): case opened`
    } else if (input.action === 'add_to_case') {
      state = 'added_to_case'
      summary = `Removal from roll notice from ${from} (ground ${groundLabel(n.ground!)}) added to the open case`
    } else if (input.action === 'close_case') {
      const reason = `Not needed: the child was admitted to ${from}, starting ${n.startDate} (new pupil notice)`
      for (const e of (await cq.listEnquiries(tx, [openCase!.id])).filter((e) => e.state === 'to_do')) {
        await cq.recordEnquiry(tx, e.id, { state: 'exception', exceptionReason: reason, recordedByLabel: label }, now)
      }
      await cq.updateCaseStatus(tx, openCase!.id, 'placed', true, `Admitted to ${from}, starting ${n.startDate}. Evidence: new pupil notice.${input.outcome ? ` ${input.outcome}` : ''}`, now)
      state = 'case_closed'
      summary = `New pupil notice from ${from} (starting ${n.startDate}): case closed as placed in school`
    } else {
      caseId = null
      state = 'recorded'
      summary = `${n.kind === 'removal' ? `Removal from roll notice from ${from} (ground ${groundLabel(n.ground!)})` : `New pupil notice from ${from} (starting ${n.startDate})`} recorded without a case: ${input.outcome}`
    }
    // The notice is also a fact about the child's schooling: it goes on their school history.
    await insertSchool(tx, user.laId, childId, n.kind === 'removal'
      ? { schoolName: n.schoolName, schoolOrganisationId: n.schoolOrganisationId, fromDate: null, toDate: n.deletionDate, howEnded: `Removed from roll under ground ${groundLabel(n.ground!)}`, source: 'Removal from roll notice' }
      : { schoolName: n.schoolName, schoolOrganisationId: n.schoolOrganisationId, fromDate: n.startDate, toDate: null, howEnded: null, source: 'New pupil notice' })
    await q.markProcessed(tx, id, { state, childId, caseId, outcome: input.outcome, byLabel: label }, now)
    await rq.insertChildEvent(tx, user.laId, { childId, caseId: caseId ?? undefined, occurredAt: now, kind: n.kind === 'removal' ? 'removal_notice' : 'new_pupil_notice', summary, actorUserId: user.id, actorLabel: label })
    await recordAudit(tx, actorFor(user, ip), { action: 'notice.processed', recordType: 'child', recordId: childId, reason: input.outcome,
      details: { noticeId: id, action: input.action, caseId, newChild: !child } }, now)
    return { ok: true, childId }
  })
}
