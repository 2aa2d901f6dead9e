import { withTenant, type Db } from '../../platform/db.ts'
import { recordAudit, type AuditActor } from '../../platform/audit.ts'
import { NotFound } from '../../platform/errors.ts'
import * as q from './queries.ts'

export type OrganisationInput = { name: string; kind: q.OrganisationKind; urn: string | null }
export type SaveResult = { ok: true; id: string } | { ok: false; field: 'urn'; message: string }

/** For other modules: the LA's organisations, to choose from. */
export const listOrganisationOptions = (tx: Db) => q.listOrganisations(tx)
export const findOrganisationInTx = (tx: Db, id: string) => q.findOrganisation(tx, id)

export async function saveOrganisation(db: Db, actor: AuditActor, id: string | undefined, input: OrganisationInput, now: Date): Promise<SaveResult> {
  return withTenant(db, { laId: actor.laId, userId: actor.userId }, async (tx) => {
    if (input.urn) {
      const clash = await q.findOrganisationByUrn(tx, input.urn)
      if (clash && clash.id !== id) return { ok: false, field: 'urn', message: 'Another organisation already has this URN' } as const
    }
    const isNew = !id
    if (id) {
      if (!(await q.findOrganisation(tx, id))) throw new NotFound()
      await q.updateOrganisation(tx, id, input, now)
    } else {
      id = await q.insertOrganisation(tx, actor.laId, input)
    }
    await recordAudit(tx, actor, { action: isNew ? 'organisation.created' : 'organisation.changed', recordType: 'organisation', recordId: id,
      details: { name: input.name, kind: input.kind, urn: input.urn } }, now)
    return { ok: true, id } as const
  })
}
