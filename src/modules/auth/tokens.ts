import { withNoTenant, withTenant, type Db } from '../../platform/db.ts'
import { recordAudit } from '../../platform/audit.ts'
import { queueEmail } from '../../platform/mail.ts'
import { createSession, endAllSessions } from '../../platform/sessions.ts'
import { withinRateLimit } from '../../platform/rate-limit.ts'
import { formatDateTime } from '../../platform/views.ts'
import * as q from './queries.ts'
import { hashPassword } from './passwords.ts'
import type { AuthDeps, Client } from './service.ts'

export type LinkState = { ok: true; token: q.OneTimeToken; laId: string } | { ok: false; reason: 'unknown' | 'used' | 'expired' }

/** Finds a one-time link's token and says whether it can still be used. */
export async function checkLink(deps: AuthDeps, token: string, purpose: q.TokenPurpose): Promise<LinkState> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return { ok: false, reason: 'unknown' }
  const found = await withNoTenant(deps.db, (tx) => q.findTokenLa(tx, token))
  if (!found) return { ok: false, reason: 'unknown' }
  const row = await withTenant(deps.db, { laId: found.laId }, (tx) => q.findOneTimeToken(tx, found.tokenId))
  if (!row || row.purpose !== purpose) return { ok: false, reason: 'unknown' }
  if (row.usedAt) return { ok: false, reason: 'used' }
  if (new Date(row.expiresAt) <= deps.now()) return { ok: false, reason: 'expired' }
  if (purpose === 'invitation' && row.userStatus !== 'invited') return { ok: false, reason: 'used' }
  if (purpose === 'password_reset' && row.userStatus !== 'active') return { ok: false, reason: 'unknown' }
  return { ok: true, token: row, laId: found.laId }
}

/** Creates an invitation link and emails it, in the caller's transaction. */
export async function issueInvitation(
  deps: Pick<AuthDeps, 'config' | 'now'>,
  tx: Db,
  invite: { laId: string; laName: string; userId: string; email: string; invitedBy: string },
): Promise<void> {
  const expiresAt = new Date(deps.now().getTime() + deps.config.invitationExpiryHours * 3_600_000)
  const token = await q.createOneTimeToken(tx, { laId: invite.laId, userId: invite.userId, purpose: 'invitation', expiresAt, createdBy: invite.invitedBy })
  await queueEmail(tx, invite.laId, {
    to: invite.email,
    subject: 'You have been invited to use Lantern',
    body: [
      `You have been invited to use Lantern, the system ${invite.laName} and its partners use to keep every child in view.`,
      '',
      'To accept the invitation and set your password, open this link:',
      `${deps.config.baseUrl}/accept-invitation?token=${token}`,
      '',
      `The link works once and expires at ${formatDateTime(expiresAt)} (UK time).`,
      'If you were not expecting this email, you can ignore it.',
    ].join('\n'),
  })
}

/** Accepts an invitation: sets the password, activates the account, and starts a session that must set up TOTP. */
export async function acceptInvitation(deps: AuthDeps, token: string, password: string, client: Client): Promise<{ ok: true; sessionToken: string } | { ok: false; reason: 'unknown' | 'used' | 'expired' }> {
  const state = await checkLink(deps, token, 'invitation')
  if (!state.ok) return state
  const now = deps.now()
  const passwordHash = await hashPassword(password)
  return withTenant(deps.db, { laId: state.laId, userId: state.token.userId }, async (tx) => {
    if (!(await q.markTokenUsed(tx, state.token.id, now))) return { ok: false, reason: 'used' } as const
    await q.setPassword(tx, state.token.userId, passwordHash, now)
    await q.activateUser(tx, state.token.userId, now)
    await recordAudit(tx, { laId: state.laId, userId: state.token.userId, label: state.token.email, ip: client.ip },
      { action: 'user.invitation_accepted', recordType: 'user', recordId: state.token.userId }, now)
    const { token: sessionToken } = await createSession(tx, { laId: state.laId, userId: state.token.userId, stage: 'enrol', method: 'password', ip: client.ip, userAgent: client.userAgent }, now)
    return { ok: true, sessionToken } as const
  })
}

/**
 * Emails a reset link if the address belongs to an active account. The caller shows the same
 * page either way, so the form cannot be used to find out who has an account.
 */
export async function requestPasswordReset(deps: AuthDeps, email: string, client: Client): Promise<void> {
  if (!(await withinRateLimit(deps.db, `reset-ip:${client.ip}`, 15 * 60, 20))) return
  if (!(await withinRateLimit(deps.db, `reset-email:${email}`, 60 * 60, 3))) return
  const ids = await withNoTenant(deps.db, (tx) => q.findLoginIds(tx, email))
  if (!ids) return
  const now = deps.now()
  await withTenant(deps.db, { laId: ids.laId, userId: ids.userId }, async (tx) => {
    const user = await q.findSignInUser(tx, ids.userId)
    if (!user || user.status !== 'active') return
    const expiresAt = new Date(now.getTime() + deps.config.passwordResetExpiryMinutes * 60_000)
    const token = await q.createOneTimeToken(tx, { laId: ids.laId, userId: user.id, purpose: 'password_reset', expiresAt, createdBy: null })
    await queueEmail(tx, ids.laId, {
      to: user.email,
      subject: 'Reset your Lantern password',
      body: [
        'Someone asked to reset the password for your Lantern account.',
        '',
        'To choose a new password, open this link:',
        `${deps.config.baseUrl}/reset-password?token=${token}`,
        '',
        `The link works once and expires at ${formatDateTime(expiresAt)} (UK time).`,
        'If you did not ask for this, you can ignore this email: your password has not changed.',
      ].join('\n'),
    })
    await recordAudit(tx, { laId: ids.laId, userId: user.id, label: user.email, ip: client.ip },
      { action: 'auth.password_reset_requested', recordType: 'user', recordId: user.id }, now)
  })
}

/** Sets a new password from a reset link and ends every session, so a thief's session dies with the old password. */
export async function resetPassword(deps: AuthDeps, token: string, password: string, client: Client): Promise<{ ok: true } | { ok: false; reason: 'unknown' | 'used' | 'expired' }> {
  const state = await checkLink(deps, token, 'password_reset')
  if (!state.ok) return state
  const now = deps.now()
  const passwordHash = await hashPassword(password)
  return withTenant(deps.db, { laId: state.laId, userId: state.token.userId }, async (tx) => {
    if (!(await q.markTokenUsed(tx, state.token.id, now))) return { ok: false, reason: 'used' } as const
    await q.setPassword(tx, state.token.userId, passwordHash, now)
    const ended = await endAllSessions(tx, state.token.userId, 'password reset', now)
    await recordAudit(tx, { laId: state.laId, userId: state.token.userId, label: state.token.email, ip: client.ip },
      { action: 'auth.password_reset', recordType: 'user', recordId: state.token.userId, details: { sessionsEnded: ended } }, now)
    return { ok: true } as const
  })
}
