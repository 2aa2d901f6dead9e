import { withTenant, type Db } from '../../platform/db.ts'
import { recordAudit } from '../../platform/audit.ts'
import { actorFor, actorLabel } from '../../platform/actor.ts'
import { Conflict, NotFound } from '../../platform/errors.ts'
import type { CurrentUser } from '../../platform/access.ts'
import { insertChildEvent } from '../register/queries.ts'
import { lockCase } from '../register/case-queries.ts'
import * as q from './queries.ts'

export type Result = { ok: true; childId: string } | { ok: false; field: string; message: string }

export async function shareCase(db: Db, user: CurrentUser, ip: string, caseId: string, input: { organisationId: string; reason: string }, now: Date): Promise<Result> {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const c = await lockCase(tx, caseId)
    if (!c) throw new NotFound()
    if (c.closedAt) throw new Conflict('This case is closed. Reopen it before sharing it.')
    const org = (await q.listPartnerOrganisations(tx)).find((o) => o.value === input.organisationId)
    if (!org) return { ok: false, field: 'organisationId', message: 'Select a partner organisation from the list' }
    if (!(await q.insertShare(tx, user.laId, { caseId, childId: c.childId, organisationId: org.value, reason: input.reason, by: actorLabel(user) }, now))) {
      return { ok: false, field: 'organisationId', message: `This case is already shared with ${org.text}` }
    }
    await insertChildEvent(tx, user.laId, { childId: c.childId, caseId, occurredAt: now, kind: 'share', actorUserId: user.id, actorLabel: actorLabel(user),
      summary: `Shared with ${org.text}. Reason: ${input.reason}` })
    await recordAudit(tx, actorFor(user, ip), { action: 'case.shared', recordType: 'child', recordId: c.childId, reason: input.reason, details: { caseId, organisationId: org.value } }, now)
    return { ok: true, childId: c.childId }
  })
}

export async function revokeShare(db: Db, user: CurrentUser, ip: string, caseId: string, shareId: string, now: Date): Promise<string> {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const share = await q.revokeShare(tx, caseId, shareId, actorLabel(user), now)
    if (!share) throw new NotFound()
    await insertChildEvent(tx, user.laId, { childId: share.childId, caseId, occurredAt: now, kind: 'share', actorUserId: user.id, actorLabel: actorLabel(user),
      summary: `No longer shared with ${share.organisationName}` })
    await recordAudit(tx, actorFor(user, ip), { action: 'case.share_revoked', recordType: 'child', recordId: share.childId, details: { caseId, organisationId: share.organisationId } }, now)
    return share.childId
  })
}

/** A partner's view of a shared case. Every view is audited, like any view of a child's record. */
export async function viewShared(db: Db, user: CurrentUser, ip: string, shareId: string, now: Date): Promise<q.SharedView> {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const view = await q.findSharedView(tx, shareId, user.organisationId)
    if (!view) throw new NotFound()
    await recordAudit(tx, actorFor(user, ip), { action: 'child.viewed', recordType: 'child', recordId: view.childId, details: { via: 'share', shareId } }, now)
    return view
  })
}
