import { withTenant, type Db } from '../../platform/db.ts'
import { recordAudit } from '../../platform/audit.ts'
import { actorFor } from '../../platform/actor.ts'
import { NotFound } from '../../platform/errors.ts'
import type { CurrentUser } from '../../platform/access.ts'
import { listOfficers } from '../register/case-queries.ts'
import { loadSettings } from '../actions/queries.ts'
import * as q from './queries.ts'

export type Result = { ok: true } | { ok: false; field: string; message: string }

const run = <T>(db: Db, user: CurrentUser, fn: (tx: Db) => Promise<T>) => withTenant(db, { laId: user.laId, userId: user.id }, fn)

export async function loadRegisterSettings(db: Db, user: CurrentUser) {
  return run(db, user, async (tx) => ({ settings: await loadSettings(tx), officers: await listOfficers(tx), reasons: await q.listAllReasons(tx), template: await q.listTemplate(tx) }))
}

export async function saveSettings(db: Db, user: CurrentUser, ip: string, s: { overdueEscalationWorkingDays: number; teamManagerUserId: string | null; placementTargetSchoolDays: number }, now: Date): Promise<Result> {
  return run(db, user, async (tx) => {
    if (s.teamManagerUserId && !(await listOfficers(tx)).some((o) => o.value === s.teamManagerUserId)) return { ok: false, field: 'teamManagerUserId', message: 'Select a CME officer from the list' }
    await q.updateSettings(tx, s, now)
    await recordAudit(tx, actorFor(user, ip), { action: 'register.settings_changed', recordType: 'register_setting', details: { ...s } }, now)
    return { ok: true }
  })
}

export async function addReason(db: Db, user: CurrentUser, ip: string, label: string, now: Date): Promise<Result> {
  return run(db, user, async (tx) => {
    const code = q.codeFor(label)
    if (!(await q.insertReason(tx, user.laId, { code, label }))) return { ok: false, field: 'label', message: 'There is already a reason like this one' }
    await recordAudit(tx, actorFor(user, ip), { action: 'register.reason_added', recordType: 'cme_reason', details: { code, label } }, now)
    return { ok: true }
  })
}

/** Reasons are switched off rather than deleted: cases and past returns still name them. */
export async function toggleReason(db: Db, user: CurrentUser, ip: string, code: string, now: Date): Promise<void> {
  await run(db, user, async (tx) => {
    const r = await q.toggleReason(tx, code)
    if (!r) throw new NotFound()
    await recordAudit(tx, actorFor(user, ip), { action: r.active ? 'register.reason_restored' : 'register.reason_retired', recordType: 'cme_reason', details: { code } }, now)
  })
}

export async function addEnquiry(db: Db, user: CurrentUser, ip: string, i: { label: string; required: boolean }, now: Date): Promise<Result> {
  return run(db, user, async (tx) => {
    const code = q.codeFor(i.label)
    if (!(await q.insertTemplateItem(tx, user.laId, { ...i, code }))) return { ok: false, field: 'label', message: 'There is already an enquiry like this one' }
    await recordAudit(tx, actorFor(user, ip), { action: 'register.enquiry_added', recordType: 'enquiry_template_item', details: { code, required: i.required } }, now)
    return { ok: true }
  })
}

/** Changes apply to cases opened from now on; open cases keep the checklist they started with. */
export async function changeEnquiry(db: Db, user: CurrentUser, ip: string, id: string, change: 'active' | 'required', now: Date): Promise<void> {
  await run(db, user, async (tx) => {
    const item = await q.updateTemplateItem(tx, id, change)
    if (!item) throw new NotFound()
    await recordAudit(tx, actorFor(user, ip), { action: 'register.enquiry_changed', recordType: 'enquiry_template_item', recordId: id,
      details: { code: item.code, active: item.active, required: item.required } }, now)
  })
}
