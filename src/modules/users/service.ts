import { withTenant, type Db } from '../../platform/db.ts'
import { recordAudit } from '../../platform/audit.ts'
import { actorFor } from '../../platform/actor.ts'
import { Conflict, Forbidden, NotFound } from '../../platform/errors.ts'
import { endAllSessions } from '../../platform/sessions.ts'
import { hasRole, type CurrentUser, type Role } from '../../platform/access.ts'
import type { Config } from '../../config.ts'
import { findOrganisationInTx } from '../organisations/service.ts'
import { issueInvitation } from '../auth/tokens.ts'
import * as q from './queries.ts'
import { canDeactivate, canGrantRole } from './policy.ts'

export type UsersDeps = { db: Db; now: () => Date; config: Config }
export type FieldProblem = { ok: false; field: string; message: string }

function assertCanEdit(actor: CurrentUser, target: q.UserRow): void {
  // An LA administrator cannot change a system administrator's account.
  if (target.roles.includes('system_admin') && !hasRole(actor, 'system_admin')) throw new Forbidden()
}

function roleProblem(actor: CurrentUser, roles: Role[], targetId?: string): FieldProblem | undefined {
  const refused = roles.find((r) => !canGrantRole(actor, r))
  if (refused) return { ok: false, field: 'roles', message: 'Only a system administrator can give the system administrator role' }
  if (targetId === actor.id && !roles.some((r) => r === 'la_admin' || r === 'system_admin')) {
    return { ok: false, field: 'roles', message: 'You cannot remove your own administrator role. Ask another administrator' }
  }
  return undefined
}

export async function inviteUser(
  deps: UsersDeps, actor: CurrentUser, ip: string,
  input: { email: string; displayName: string; organisationId: string; roles: Role[] },
): Promise<{ ok: true; id: string } | FieldProblem> {
  const problem = roleProblem(actor, input.roles)
  if (problem) return problem
  const now = deps.now()
  return withTenant(deps.db, { laId: actor.laId, userId: actor.id }, async (tx) => {
    if (!(await findOrganisationInTx(tx, input.organisationId))) return { ok: false, field: 'organisationId', message: 'Select an organisation' } as const
    if (await q.emailInUse(tx, input.email)) return { ok: false, field: 'email', message: 'There is already a Lantern account with this email address' } as const
    const id = await q.insertUser(tx, actor.laId, { ...input, status: 'invited' })
    await q.setRoles(tx, actor.laId, id, input.roles)
    await issueInvitation(deps, tx, { laId: actor.laId, laName: actor.laName, userId: id, email: input.email, invitedBy: actor.id })
    await recordAudit(tx, actorFor(actor, ip), { action: 'user.invited', recordType: 'user', recordId: id,
      details: { email: input.email, organisationId: input.organisationId, roles: input.roles.join(' ') } }, now)
    return { ok: true, id } as const
  })
}

export async function updateUser(
  deps: UsersDeps, actor: CurrentUser, ip: string, id: string,
  input: { displayName: string; organisationId: string; roles: Role[]; updatedAt: string },
): Promise<{ ok: true } | FieldProblem> {
  const problem = roleProblem(actor, input.roles, id)
  if (problem) return problem
  const now = deps.now()
  return withTenant(deps.db, { laId: actor.laId, userId: actor.id }, async (tx) => {
    const target = await q.findUser(tx, id)
    if (!target) throw new NotFound()
    assertCanEdit(actor, target)
    if (new Date(target.updatedAt).toISOString() !== input.updatedAt) {
      throw new Conflict('Someone else changed this user while you were editing. Reload the page to see their changes, then make yours again.')
    }
    if (!(await findOrganisationInTx(tx, input.organisationId))) return { ok: false, field: 'organisationId', message: 'Select an organisation' } as const
    await q.updateUserDetails(tx, id, input, now)
    await q.setRoles(tx, actor.laId, id, input.roles)
    await recordAudit(tx, actorFor(actor, ip), { action: 'user.changed', recordType: 'user', recordId: id,
      details: { organisationId: input.organisationId, roles: input.roles.join(' '), previousRoles: target.roles.join(' ') } }, now)
    return { ok: true } as const
  })
}

export async function deactivateUser(deps: UsersDeps, actor: CurrentUser, ip: string, id: string, reason: string): Promise<void> {
  if (!canDeactivate(actor, id)) throw new Forbidden('You cannot deactivate your own account')
  const now = deps.now()
  await withTenant(deps.db, { laId: actor.laId, userId: actor.id }, async (tx) => {
    const target = await q.findUser(tx, id)
    if (!target) throw new NotFound()
    assertCanEdit(actor, target)
    await q.setUserStatus(tx, id, 'deactivated', now)
    const ended = await endAllSessions(tx, id, 'deactivated', now)
    await recordAudit(tx, actorFor(actor, ip), { action: 'user.deactivated', recordType: 'user', recordId: id, reason, details: { sessionsEnded: ended } }, now)
  })
}

export async function reactivateUser(deps: UsersDeps, actor: CurrentUser, ip: string, id: string, reason: string): Promise<void> {
  const now = deps.now()
  await withTenant(deps.db, { laId: actor.laId, userId: actor.id }, async (tx) => {
    const target = await q.findUser(tx, id)
    if (!target) throw new NotFound()
    assertCanEdit(actor, target)
    if (target.status !== 'deactivated') return
    // Someone deactivated before accepting their invitation goes back to invited and needs a new link.
    const status = target.hasPassword ? 'active' : 'invited'
    await q.setUserStatus(tx, id, status, now)
    await recordAudit(tx, actorFor(actor, ip), { action: 'user.reactivated', recordType: 'user', recordId: id, reason }, now)
  })
}

export async function resendInvitation(deps: UsersDeps, actor: CurrentUser, ip: string, id: string): Promise<void> {
  const now = deps.now()
  await withTenant(deps.db, { laId: actor.laId, userId: actor.id }, async (tx) => {
    const target = await q.findUser(tx, id)
    if (!target) throw new NotFound()
    assertCanEdit(actor, target)
    if (target.status !== 'invited') throw new Conflict('This person has already accepted their invitation')
    await issueInvitation(deps, tx, { laId: actor.laId, laName: actor.laName, userId: id, email: target.email, invitedBy: actor.id })
    await recordAudit(tx, actorFor(actor, ip), { action: 'user.invitation_resent', recordType: 'user', recordId: id }, now)
  })
}

export async function resetAuthenticator(deps: UsersDeps, actor: CurrentUser, ip: string, id: string, reason: string): Promise<void> {
  const now = deps.now()
  await withTenant(deps.db, { laId: actor.laId, userId: actor.id }, async (tx) => {
    const target = await q.findUser(tx, id)
    if (!target) throw new NotFound()
    assertCanEdit(actor, target)
    await q.resetTotp(tx, id, now)
    const ended = await endAllSessions(tx, id, 'authenticator reset', now)
    await recordAudit(tx, actorFor(actor, ip), { action: 'user.authenticator_reset', recordType: 'user', recordId: id, reason, details: { sessionsEnded: ended } }, now)
  })
}

/**
 * Creates a user outside the invitation flow: for the command line (which then prints an
 * invitation link) and the demo seed (which sets a known demo password).
 */
export async function createUser(
  db: Db, laId: string, by: string,
  input: { email: string; displayName: string; organisationId: string; roles: Role[]; passwordHash?: string },
  now: Date,
): Promise<string> {
  return withTenant(db, { laId }, async (tx) => {
    const id = await q.insertUser(tx, laId, { ...input, status: input.passwordHash ? 'active' : 'invited' })
    await q.setRoles(tx, laId, id, input.roles)
    await recordAudit(tx, { laId, userId: null, label: by, ip: null }, { action: 'user.created', recordType: 'user', recordId: id,
      details: { email: input.email, roles: input.roles.join(' ') } }, now)
    return id
  })
}
