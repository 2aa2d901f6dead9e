import { withTenant, type Db } from '../../platform/db.ts'
import { recordAudit } from '../../platform/audit.ts'
import { actorFor, actorLabel } from '../../platform/actor.ts'
import { NotFound } from '../../platform/errors.ts'
import type { CurrentUser } from '../../platform/access.ts'
import * as cq from '../children/queries.ts'
import { insertChildEvent } from '../register/queries.ts'
import { inWorker } from '../no-roll/service.ts'
import { loadRegister } from '../no-roll/queries.ts'
import type { DuplicatePair } from './find.ts'
import * as q from './queries.ts'

// Register hygiene: likely duplicate children, found by the linkage engine; an officer compares two
// records, merges one into the other (everything belonging to the duplicate moves to the child kept),
// and can undo the merge from the kept child's page. Every step is audited.

export const DUPLICATE_MINIMUM = 0.5
const SHOWN = 100

const tenant = (user: CurrentUser) => ({ laId: user.laId, userId: user.id })

export type DuplicateRow = DuplicatePair & { left: q.ChildSummary; right: q.ChildSummary }

/** The strongest likely duplicates on the register (at most 100), with both records; the list is audited as a view of children's details. */
export async function listDuplicates(db: Db, user: CurrentUser, ip: string, now: Date): Promise<DuplicateRow[]> {
  // The register as the linkage runs read it, keyed by child id ("c:<id>" there) so pairs name the children.
  const { children, exclude } = await withTenant(db, tenant(user), async (tx) => ({
    children: (await loadRegister(tx)).map((c) => ({ ...c, key: c.key.slice(2) })), exclude: await q.notDuplicateKeys(tx),
  }))
  const pairs = await inWorker({ task: 'duplicates', children, minimum: DUPLICATE_MINIMUM, limit: SHOWN, exclude })
  return withTenant(db, tenant(user), async (tx) => {
    const out: DuplicateRow[] = []
    for (const p of pairs) {
      const [left, right] = [await q.childSummary(tx, p.a), await q.childSummary(tx, p.b)]
      // A record merged since the list was worked out is no longer a duplicate to offer.
      if (left && right && !left.mergedInto && !right.mergedInto) out.push({ ...p, left, right })
    }
    // The list shows each child's details, so the audit names every child shown, not just how many pairs.
    // Audit details are flat values (they are hashed into the chain), so the ids are one comma-separated string.
    const shown = [...new Set(out.flatMap((p) => [p.left.id, p.right.id]))]
    await recordAudit(tx, actorFor(user, ip), { action: 'child.duplicates_viewed', recordType: 'child', details: { pairs: out.length, childIds: shown.join(',') } }, now)
    return out
  })
}

export type MergePlan = {
  keep: q.ChildSummary; merge: q.ChildSummary
  /** Why the two cannot be merged, if they cannot. */
  blocker: string | null
  /** Identity fields the kept record lacks and will take from the duplicate. */
  fills: { field: string; label: string; value: string }[]
  /** The duplicate's UPN, kept as a former UPN when the two differ. */
  formerUpn: string | null
  alias: boolean
}

const FILLABLE: [keyof q.IdentityGaps & keyof q.ChildSummary, string][] = [
  ['dateOfBirth', 'Date of birth'], ['sex', 'Sex'], ['upn', 'UPN'], ['uln', 'ULN'], ['nhsNumber', 'NHS number'], ['laReference', 'LA reference'], ['consistentId', 'Consistent child identifier'],
]

export function planMerge(keep: q.ChildSummary, merge: q.ChildSummary): MergePlan {
  let blocker: string | null = null
  if (keep.id === merge.id) blocker = 'A record cannot be merged into itself'
  else if (keep.mergedInto || merge.mergedInto) blocker = 'One of these records has already been merged into another. Refresh the list of duplicates'
  else if (keep.nhsNumber && merge.nhsNumber && keep.nhsNumber !== merge.nhsNumber) blocker = 'The two records have different NHS numbers, so they are different children. Check the NHS numbers before merging'
  else if (keep.dateOfBirth && merge.dateOfBirth && keep.dateOfBirth !== merge.dateOfBirth && Math.abs(Date.parse(keep.dateOfBirth) - Date.parse(merge.dateOfBirth)) > 366 * 86_400_000) {
    blocker = 'The dates of birth are more than a year apart. Correct the wrong one on the child’s record first if they are the same child'
  }
  const fills = FILLABLE.filter(([f]) => !keep[f] && merge[f]).map(([f, label]) => ({ field: f, label, value: String(merge[f]) }))
  const formerUpn = keep.upn && merge.upn && keep.upn !== merge.upn && !keep.formerUpns.includes(merge.upn) ? merge.upn : null
  const alias = `${keep.forename} ${keep.surname}`.toLowerCase() !== `${merge.forename} ${merge.surname}`.toLowerCase()
  return { keep, merge, blocker, fills, formerUpn, alias }
}

export async function previewMerge(db: Db, user: CurrentUser, ip: string, keepId: string, mergeId: string, now: Date): Promise<MergePlan> {
  return withTenant(db, tenant(user), async (tx) => {
    const [keep, merge] = [await q.childSummary(tx, keepId), await q.childSummary(tx, mergeId)]
    if (!keep || !merge) throw new NotFound()
    await recordAudit(tx, actorFor(user, ip), { action: 'child.merge_previewed', recordType: 'child', recordId: keepId, details: { mergeChildId: mergeId } }, now)
    return planMerge(keep, merge)
  })
}

export type MergeOutcome = { ok: true; mergeId: string } | { ok: false; reason: string }

/** Moves everything of `mergeId` to `keepId` and hides the duplicate, recording exactly what moved so undo can put it back. */
export async function mergeChildren(db: Db, user: CurrentUser, ip: string, input: { keepId: string; mergeId: string; keepVersion: number; mergeVersion: number }, now: Date): Promise<MergeOutcome> {
  return withTenant(db, tenant(user), async (tx) => {
    // Locked in id order, so two officers merging the same pair either way round cannot deadlock.
    const [first, second] = [input.keepId, input.mergeId].sort()
    const locked = { [first]: await q.childSummary(tx, first, { lock: true }), [second]: await q.childSummary(tx, second, { lock: true }) }
    const keep = locked[input.keepId]
    const merge = locked[input.mergeId]
    if (!keep || !merge) throw new NotFound()
    if (keep.version !== input.keepVersion || merge.version !== input.mergeVersion) {
      return { ok: false as const, reason: 'One of the records changed while you were looking at them. Check the comparison again before merging' }
    }
    const plan = planMerge(keep, merge)
    if (plan.blocker) return { ok: false as const, reason: plan.blocker }
    const label = actorLabel(user)

    const moved: Partial<Record<q.ChildTable, string[]>> = {}
    for (const table of q.CHILD_TABLES) {
      const ids = await q.moveRows(tx, table, merge.id, keep.id)
      if (ids.length) moved[table] = ids
    }
    const siblingsRemoved: q.SiblingLink[] = []
    const siblingsAdded: q.SiblingLink[] = []
    for (const [a, b] of await q.siblingLinks(tx, merge.id)) {
      await cq.unlinkSiblings(tx, a, b)
      siblingsRemoved.push([a, b])
      const other = a === merge.id ? b : a
      if (other !== keep.id && (await cq.linkSiblings(tx, user.laId, keep.id, other, label))) siblingsAdded.push([keep.id, other].sort() as q.SiblingLink)
    }
    const aliasId = plan.alias ? await cq.insertAlias(tx, user.laId, keep.id, { kind: 'alias', forename: merge.forename, surname: merge.surname, recordedByLabel: label }) : null
    const gaps: q.IdentityGaps = Object.fromEntries(plan.fills.map((f) => [f.field, f.value]))
    const formerUpns = [...new Set([...keep.formerUpns, ...merge.formerUpns, ...(plan.formerUpn ? [plan.formerUpn] : [])])].filter((u) => u !== (keep.upn ?? gaps.upn))
    if (plan.fills.length || formerUpns.length !== keep.formerUpns.length) await q.fillIdentity(tx, keep.id, { ...gaps, formerUpns }, now)
    await q.setMergedInto(tx, merge.id, keep.id, now)
    const mergeId = await q.insertMerge(tx, user.laId, {
      keptChildId: keep.id, mergedChildId: merge.id, moved, mergedAt: now, by: user.id,
      keptBefore: { dateOfBirth: keep.dateOfBirth, sex: keep.sex, upn: keep.upn, uln: keep.uln, nhsNumber: keep.nhsNumber, laReference: keep.laReference, consistentId: keep.consistentId, formerUpns: keep.formerUpns },
      added: { aliasId, siblingsAdded, siblingsRemoved },
    })
    await insertChildEvent(tx, user.laId, { childId: keep.id, occurredAt: now, kind: 'record', actorUserId: user.id, actorLabel: label,
      summary: `Merged with a duplicate record (${merge.forename} ${merge.surname}${merge.dateOfBirth ? `, born ${merge.dateOfBirth.split('-').reverse().join('/')}` : ''}): its cases, addresses, chronology and other details are now on this record` })
    await recordAudit(tx, actorFor(user, ip), { action: 'child.merged', recordType: 'child', recordId: keep.id,
      details: { mergedChildId: merge.id, mergeId, rowsMoved: Object.values(moved).reduce((n, ids) => n + ids.length, 0) } }, now)
    return { ok: true as const, mergeId }
  })
}

/** Puts a merge back: the rows it moved return to the duplicate, the kept record's identity is restored, and the duplicate reappears. */
export async function undoMerge(db: Db, user: CurrentUser, ip: string, mergeId: string, now: Date): Promise<{ ok: true; keptChildId: string; mergedChildId: string } | { ok: false; keptChildId: string; reason: string }> {
  return withTenant(db, tenant(user), async (tx) => {
    const m = await q.findMerge(tx, mergeId, { lock: true })
    if (!m) throw new NotFound()
    if (m.undoneAt) return { ok: false as const, keptChildId: m.keptChildId, reason: 'This merge has already been undone' }
    const [first, second] = [m.keptChildId, m.mergedChildId].sort()
    await q.childSummary(tx, first, { lock: true })
    await q.childSummary(tx, second, { lock: true })
    for (const table of q.CHILD_TABLES) await q.moveRowsBack(tx, table, m.moved[table] ?? [], m.mergedChildId)
    for (const [a, b] of m.added.siblingsAdded) await cq.unlinkSiblings(tx, a, b)
    for (const [a, b] of m.added.siblingsRemoved) await cq.linkSiblings(tx, user.laId, a, b, actorLabel(user))
    if (m.added.aliasId) await cq.deleteAlias(tx, m.keptChildId, m.added.aliasId)
    // Only what the merge filled in goes back, and only if no one has changed it since.
    const kept = (await q.childSummary(tx, m.keptChildId))!
    const merged = (await q.childSummary(tx, m.mergedChildId))!
    const restored: Record<string, unknown> = { ...kept }
    for (const [f] of FILLABLE) if (m.keptBefore[f] === null && kept[f] !== null && kept[f] === merged[f]) restored[f] = null
    const addedUpns = new Set([...merged.formerUpns, merged.upn].filter((u) => u && !m.keptBefore.formerUpns.includes(u)))
    restored.formerUpns = kept.formerUpns.filter((u) => !addedUpns.has(u))
    await q.restoreIdentity(tx, m.keptChildId, restored as q.MergeRecord['keptBefore'], now)
    await q.setMergedInto(tx, m.mergedChildId, null, now)
    await q.markUndone(tx, mergeId, user.id, now)
    for (const childId of [m.keptChildId, m.mergedChildId]) {
      await insertChildEvent(tx, user.laId, { childId, occurredAt: now, kind: 'record', actorUserId: user.id, actorLabel: actorLabel(user),
        summary: `A merge of two records was undone: ${m.mergedName} is a separate record again` })
    }
    await recordAudit(tx, actorFor(user, ip), { action: 'child.merge_undone', recordType: 'child', recordId: m.keptChildId, details: { mergedChildId: m.mergedChildId, mergeId } }, now)
    return { ok: true as const, keptChildId: m.keptChildId, mergedChildId: m.mergedChildId }
  })
}

export async function markNotDuplicate(db: Db, user: CurrentUser, ip: string, a: string, b: string, now: Date): Promise<void> {
  await withTenant(db, tenant(user), async (tx) => {
    if (!(await q.childSummary(tx, a)) || !(await q.childSummary(tx, b)) || a === b) throw new NotFound()
    await q.insertNotDuplicate(tx, user.laId, a, b, user.id, now)
    await recordAudit(tx, actorFor(user, ip), { action: 'child.not_duplicate', recordType: 'child', recordId: a, details: { otherChildId: b } }, now)
  })
}
