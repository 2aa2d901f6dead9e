import { withTenant, type Db } from '../../platform/db.ts'
import { recordAudit } from '../../platform/audit.ts'
import { actorFor, actorLabel } from '../../platform/actor.ts'
import { Conflict, NotFound } from '../../platform/errors.ts'
import type { CurrentUser } from '../../platform/access.ts'
import * as cq from './case-queries.ts'
import { insertChildEvent, OPEN_STATUSES, REGISTER_TYPE_LABELS, STATUS_LABELS, type CaseStatus, type RegisterType } from './queries.ts'

const isOpenStatus = (s: CaseStatus) => (OPEN_STATUSES as readonly string[]).includes(s)

async function lockOpenCase(tx: Db, caseId: string, version?: number) {
  const c = await cq.lockCase(tx, caseId)
  if (!c) throw new NotFound()
  if (version !== undefined && c.version !== version) {
    throw new Conflict('Someone else changed this case while you were working on it. Go back to the child’s page to see the change, then try again.')
  }
  if (c.closedAt) throw new Conflict('This case is closed. Reopen it before changing it.')
  return c
}

export type EnquiryInput = { state: 'done'; doneOn: string; outcome: string } | { state: 'exception'; exceptionReason: string }

export async function recordEnquiryOutcome(db: Db, user: CurrentUser, ip: string, caseId: string, enquiryId: string, input: EnquiryInput, now: Date): Promise<string> {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const c = await lockOpenCase(tx, caseId)
    const enquiry = await cq.findEnquiry(tx, caseId, enquiryId)
    if (!enquiry) throw new NotFound()
    await cq.recordEnquiry(tx, enquiryId, { ...input, recordedByLabel: actorLabel(user) }, now)
    const summary = input.state === 'done'
      ? `Enquiry done: ${enquiry.label}. Outcome: ${input.outcome}`
      : `Enquiry not possible: ${enquiry.label}. Reason: ${input.exceptionReason}`
    await insertChildEvent(tx, user.laId, { childId: c.childId, caseId, occurredAt: now, kind: 'enquiry', summary, actorUserId: user.id, actorLabel: actorLabel(user) })
    await recordAudit(tx, actorFor(user, ip), { action: 'case.enquiry_recorded', recordType: 'child', recordId: c.childId,
      reason: input.state === 'exception' ? input.exceptionReason : undefined, details: { caseId, enquiry: enquiry.label, state: input.state } }, now)
    return c.childId
  })
}

export type StatusResult = { ok: true; childId: string } | { ok: false; outstanding: string[] }

/**
 * Moves a case on. Closing it as resolved is refused while any required enquiry is neither done
 * nor excepted with a reason: the gate that stops a child being closed without the enquiries made.
 */
export async function changeStatus(db: Db, user: CurrentUser, ip: string, caseId: string, input: { status: CaseStatus; note?: string; version: number }, now: Date): Promise<StatusResult> {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const c = await lockOpenCase(tx, caseId, input.version)
    const closing = !isOpenStatus(input.status)
    if (closing) {
      const outstanding = (await cq.listEnquiries(tx, [caseId])).filter((e) => e.required && e.state === 'to_do').map((e) => e.label)
      if (outstanding.length) return { ok: false, outstanding } as const
    }
    await cq.updateCaseStatus(tx, caseId, input.status, closing, input.note, now)
    const summary = `${closing ? 'Case closed' : 'Status changed'}: ${STATUS_LABELS[c.status]} to ${STATUS_LABELS[input.status]}${input.note ? `. ${input.note}` : ''}`
    await insertChildEvent(tx, user.laId, { childId: c.childId, caseId, occurredAt: now, kind: closing ? 'case_closed' : 'status', summary, actorUserId: user.id, actorLabel: actorLabel(user) })
    await recordAudit(tx, actorFor(user, ip), { action: closing ? 'case.closed' : 'case.status_changed', recordType: 'child', recordId: c.childId,
      reason: input.note, details: { caseId, from: c.status, to: input.status } }, now)
    return { ok: true, childId: c.childId } as const
  })
}

/** An officer's judgement overrides the suggested risk level, with the reason recorded. */
export async function changeRisk(db: Db, user: CurrentUser, ip: string, caseId: string, input: { level: 'standard' | 'high'; reason: string; version: number }, now: Date): Promise<string> {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const c = await lockOpenCase(tx, caseId, input.version)
    await cq.updateCaseRisk(tx, caseId, input.level, [input.reason], now)
    await insertChildEvent(tx, user.laId, { childId: c.childId, caseId, occurredAt: now, kind: 'risk',
      summary: `Risk changed from ${c.riskLevel} to ${input.level}. Reason: ${input.reason}`, actorUserId: user.id, actorLabel: actorLabel(user) })
    await recordAudit(tx, actorFor(user, ip), { action: 'case.risk_changed', recordType: 'child', recordId: c.childId, reason: input.reason,
      details: { caseId, from: c.riskLevel, to: input.level } }, now)
    return c.childId
  })
}

export type DetailsResult = { ok: true; childId: string } | { ok: false; field: string; message: string }

/** Moves the case between registers, sets the CME reason the DfE return counts, or gives it to an officer. */
export async function changeDetails(db: Db, user: CurrentUser, ip: string, caseId: string,
  input: { registerType: string; cmeReasonCode: string | null; assignedOfficerId: string | null; note?: string; version: number }, now: Date): Promise<DetailsResult> {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const c = await lockOpenCase(tx, caseId, input.version)
    const before = (await cq.findCaseDetails(tx, caseId))!
    const reasons = await cq.listReasons(tx)
    const officers = await cq.listOfficers(tx)
    if (input.cmeReasonCode && !reasons.some((r) => r.value === input.cmeReasonCode)) return { ok: false, field: 'cmeReasonCode', message: 'Select a reason from the list' }
    if (input.assignedOfficerId && !officers.some((o) => o.value === input.assignedOfficerId)) return { ok: false, field: 'assignedOfficerId', message: 'Select a CME officer from the list' }
    const after = { registerType: input.registerType, cmeReasonCode: input.cmeReasonCode, assignedOfficerId: input.assignedOfficerId }
    await cq.updateCaseDetails(tx, caseId, after, now)
    const changes: string[] = []
    if (before.registerType !== after.registerType) changes.push(`moved from ${REGISTER_TYPE_LABELS[before.registerType as RegisterType]} to ${REGISTER_TYPE_LABELS[after.registerType as RegisterType]}`)
    if (before.cmeReasonCode !== after.cmeReasonCode) changes.push(`reason set to ${reasons.find((r) => r.value === after.cmeReasonCode)?.text ?? 'not recorded'}`)
    if (before.assignedOfficerId !== after.assignedOfficerId) changes.push(`officer set to ${officers.find((o) => o.value === after.assignedOfficerId)?.text ?? 'nobody'}`)
    if (changes.length) {
      await insertChildEvent(tx, user.laId, { childId: c.childId, caseId, occurredAt: now, kind: 'case_details', actorUserId: user.id, actorLabel: actorLabel(user),
        summary: `Case ${changes.join('; ')}${input.note ? `. ${input.note}` : ''}` })
    }
    await recordAudit(tx, actorFor(user, ip), { action: 'case.details_changed', recordType: 'child', recordId: c.childId, reason: input.note,
      details: { caseId, registerType: after.registerType, cmeReasonCode: after.cmeReasonCode, assignedOfficerId: after.assignedOfficerId } }, now)
    return { ok: true, childId: c.childId }
  })
}
