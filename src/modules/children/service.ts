import { sql } from 'kysely'
import { withTenant, type Db } from '../../platform/db.ts'
import { recordAudit } from '../../platform/audit.ts'
import { actorFor, actorLabel } from '../../platform/actor.ts'
import { Conflict, NotFound } from '../../platform/errors.ts'
import type { CurrentUser } from '../../platform/access.ts'
import { FLAG_LABELS, insertChildEvent, insertFlag, type Flag } from '../register/queries.ts'
import { escalateIfNeeded } from '../actions/service.ts'
import * as q from './queries.ts'

export type Result = { ok: true } | { ok: false; field: string; message: string }

/**
 * Runs one change to a child's record: checks the child exists, then writes the change, a
 * chronology entry and the audit entry in one transaction. The summary never repeats contact details.
 */
async function change(db: Db, user: CurrentUser, ip: string, childId: string, now: Date, action: string,
  fn: (tx: Db) => Promise<{ summary: string; details?: Record<string, string | number | boolean | null> } | Result>): Promise<Result> {
  return withTenant(db, { laId: user.laId, userId: user.id }, async (tx) => {
    const child = await q.findIdentity(tx, childId, { lock: true })
    if (!child) throw new NotFound()
    const out = await fn(tx)
    if ('ok' in out) return out
    await insertChildEvent(tx, user.laId, { childId, occurredAt: now, kind: 'record', summary: out.summary, actorUserId: user.id, actorLabel: actorLabel(user) })
    await recordAudit(tx, actorFor(user, ip), { action, recordType: 'child', recordId: childId, details: out.details }, now)
    return { ok: true }
  })
}

export async function updateIdentity(db: Db, user: CurrentUser, ip: string, childId: string, input: Omit<q.Identity, 'id'>, now: Date): Promise<Result> {
  return change(db, user, ip, childId, now, 'child.updated', async (tx) => {
    const before = (await q.findIdentity(tx, childId))!
    if (before.version !== input.version) throw new Conflict('Someone else changed this child’s details while you were working on them. Go back to see the change, then try again.')
    for (const [field, column, value] of [['upn', 'upn', input.upn], ['nhsNumber', 'nhs_number', input.nhsNumber]] as const) {
      const holder = value ? await q.identifierHolder(tx, childId, column, value) : undefined
      if (holder) return { ok: false, field, message: `${holder.name} already has this ${field === 'upn' ? 'UPN' : 'NHS number'}. If they are the same child, the records need to be linked rather than given the same number` }
    }
    // A replaced UPN is kept as a former UPN, so matching still finds the child by it.
    const formerUpns = before.upn && input.upn !== before.upn && !input.formerUpns.includes(before.upn) ? [...input.formerUpns, before.upn] : input.formerUpns
    await q.updateIdentity(tx, childId, { ...input, formerUpns }, now)
    const fields: string[] = (['forename', 'surname', 'preferredName', 'dateOfBirth', 'sex', 'upn', 'uln', 'nhsNumber', 'laReference', 'consistentId'] as const)
      .filter((k) => (before[k] ?? null) !== (input[k] ?? null))
    if (formerUpns.join() !== before.formerUpns.join()) fields.push('formerUpns')
    return { summary: fields.length ? `Details changed: ${fields.map((f) => LABELS[f] ?? f).join(', ')}` : 'Details saved with no changes', details: { fields: fields.join(',') } }
  })
}

const LABELS: Record<string, string> = {
  forename: 'first name', surname: 'last name', preferredName: 'preferred name', dateOfBirth: 'date of birth', sex: 'sex', upn: 'UPN', formerUpns: 'former UPNs',
  uln: 'ULN', nhsNumber: 'NHS number', laReference: 'LA reference', consistentId: 'consistent child identifier',
}
const ALIAS_LABELS = { alias: 'Also known as', former_name: 'Former name', preferred_name: 'Preferred name' }

export const addAlias = (db: Db, user: CurrentUser, ip: string, childId: string, a: { kind: q.Alias['kind']; forename: string | null; surname: string | null }, now: Date) =>
  change(db, user, ip, childId, now, 'child.alias_added', async (tx) => {
    await q.insertAlias(tx, user.laId, childId, { ...a, recordedByLabel: actorLabel(user) })
    return { summary: `${ALIAS_LABELS[a.kind]} added: ${[a.forename, a.surname].filter(Boolean).join(' ')}` }
  })

export const removeAlias = (db: Db, user: CurrentUser, ip: string, childId: string, aliasId: string, now: Date) =>
  change(db, user, ip, childId, now, 'child.alias_removed', async (tx) => {
    const removed = await q.deleteAlias(tx, childId, aliasId)
    if (!removed) throw new NotFound()
    return { summary: `${ALIAS_LABELS[removed.kind]} removed: ${[removed.forename, removed.surname].filter(Boolean).join(' ')}` }
  })

export const addContact = (db: Db, user: CurrentUser, ip: string, childId: string, c: Omit<q.Contact, 'id'>, now: Date) =>
  change(db, user, ip, childId, now, 'child.contact_added', async (tx) => {
    await q.insertContact(tx, user.laId, childId, c, actorLabel(user))
    return { summary: `Parent or carer added: ${c.name} (${c.relationship})` }
  })

export const removeContact = (db: Db, user: CurrentUser, ip: string, childId: string, contactId: string, now: Date) =>
  change(db, user, ip, childId, now, 'child.contact_removed', async (tx) => {
    const removed = await q.deleteContact(tx, childId, contactId)
    if (!removed) throw new NotFound()
    return { summary: `Parent or carer removed: ${removed.name}` }
  })

/** A new child protection plan or care status on a child with an open case escalates to the MASH, as at referral. */
export const addFlag = (db: Db, user: CurrentUser, ip: string, childId: string, f: { flag: Flag; source: string; startsOn: string | null }, now: Date) =>
  change(db, user, ip, childId, now, 'child.flag_added', async (tx) => {
    await insertFlag(tx, user.laId, { childId, flag: f.flag, source: f.source, startsOn: f.startsOn ?? undefined, recordedByLabel: actorLabel(user) })
    const { rows } = await sql<{ id: string; pending: boolean }>`select c.id, exists (select 1 from case_action a where a.local_authority_id = c.local_authority_id
      and a.case_id = c.id and a.kind = 'mash_escalation' and a.status = 'open') as pending from cme_case c where c.child_id = ${childId} and c.closed_at is null`.execute(tx)
    for (const c of rows) if (!c.pending) await escalateIfNeeded(tx, user.laId, { caseId: c.id, childId, riskReasons: [] }, actorLabel(user), now)
    return { summary: `Known to other services: ${FLAG_LABELS[f.flag]} (${f.source})`, details: { flag: f.flag } }
  })

export const endFlag = (db: Db, user: CurrentUser, ip: string, childId: string, flagId: string, endsOn: string, now: Date) =>
  change(db, user, ip, childId, now, 'child.flag_ended', async (tx) => {
    const flag = await q.findFlag(tx, childId, flagId)
    if (!flag) throw new NotFound()
    if (flag.endsOn) throw new Conflict('This has already ended.')
    if (flag.startsOn && endsOn < flag.startsOn) return { ok: false, field: 'endsOn', message: 'The end date must be on or after the start date' }
    await q.endFlag(tx, flagId, endsOn)
    return { summary: `No longer applies from ${endsOn}: ${FLAG_LABELS[flag.flag as Flag]}`, details: { flag: flag.flag } }
  })

export const addSchool = (db: Db, user: CurrentUser, ip: string, childId: string, s: { schoolName: string; fromDate: string | null; toDate: string | null; howEnded: string | null }, now: Date) =>
  change(db, user, ip, childId, now, 'child.school_added', async (tx) => {
    await q.insertSchool(tx, user.laId, childId, { ...s, source: `Recorded by ${actorLabel(user)}` })
    return { summary: `School history added: ${s.schoolName}` }
  })

export const addAddress = (db: Db, user: CurrentUser, ip: string, childId: string, a: Omit<q.AddressEntry, 'id' | 'source'>, now: Date) =>
  change(db, user, ip, childId, now, 'child.address_added', async (tx) => {
    await q.insertAddressEntry(tx, user.laId, childId, { ...a, source: `recorded by ${actorLabel(user)}` })
    return { summary: `Address added${a.fromDate ? ` from ${a.fromDate}` : ''}${a.toDate ? ` to ${a.toDate}` : ''}` }
  })

export const linkSibling = (db: Db, user: CurrentUser, ip: string, childId: string, siblingId: string, now: Date) =>
  change(db, user, ip, childId, now, 'child.sibling_linked', async (tx) => {
    if (siblingId === childId) return { ok: false, field: 'siblingId', message: 'A child cannot be their own sibling' }
    const sibling = await q.findIdentity(tx, siblingId)
    if (!sibling) return { ok: false, field: 'siblingId', message: 'Select a child' }
    if (!(await q.linkSiblings(tx, user.laId, childId, siblingId, actorLabel(user)))) return { ok: false, field: 'siblingId', message: `${sibling.forename} ${sibling.surname} is already linked as a sibling` }
    return { summary: `Sibling linked: ${sibling.forename} ${sibling.surname}`, details: { siblingId } }
  })

export const unlinkSibling = (db: Db, user: CurrentUser, ip: string, childId: string, siblingId: string, now: Date) =>
  change(db, user, ip, childId, now, 'child.sibling_unlinked', async (tx) => {
    if (!(await q.unlinkSiblings(tx, childId, siblingId))) throw new NotFound()
    return { summary: 'Sibling link removed', details: { siblingId } }
  })
