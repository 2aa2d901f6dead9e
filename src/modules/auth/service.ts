import type { Config } from '../../config.ts'
import { withNoTenant, withTenant, type Db } from '../../platform/db.ts'
import { recordAudit, type AuditActor } from '../../platform/audit.ts'
import { seal, unseal } from '../../platform/crypto.ts'
import { createSession, endAllSessions, endSession, setSessionStage, type Session } from '../../platform/sessions.ts'
import { withinRateLimit } from '../../platform/rate-limit.ts'
import * as q from './queries.ts'
import { verifyPassword } from './passwords.ts'
import { hashRecoveryCode, matchingStep, newRecoveryCodes, newTotpSecret, qrDataUrl, totpUri } from './totp.ts'

export type AuthDeps = { db: Db; now: () => Date; config: Config; totpKey: Buffer }
export type Client = { ip: string; userAgent: string | null }

export type SignInResult =
  | { ok: true; token: string; stage: 'totp' | 'enrol' }
  | { ok: false; reason: 'invalid' | 'locked' | 'rate_limited' }

const actor = (laId: string, user: { id: string; email: string }, ip: string): AuditActor => ({ laId, userId: user.id, label: user.email, ip })
const isLocked = (u: q.SignInUser, now: Date) => u.lockedUntil !== null && new Date(u.lockedUntil) > now

export async function signInWithPassword(deps: AuthDeps, email: string, password: string, client: Client): Promise<SignInResult> {
  const now = deps.now()
  if (!(await withinRateLimit(deps.db, `sign-in:${client.ip}`, 15 * 60, 50))) return { ok: false, reason: 'rate_limited' }
  const ids = await withNoTenant(deps.db, (tx) => q.findLoginIds(tx, email))
  if (!ids) {
    await verifyPassword(null, password)
    return { ok: false, reason: 'invalid' }
  }
  return withTenant(deps.db, { laId: ids.laId, userId: ids.userId }, async (tx) => {
    const user = await q.findSignInUser(tx, ids.userId)
    if (!user || user.status !== 'active') {
      await verifyPassword(null, password)
      return { ok: false, reason: 'invalid' } as const
    }
    if (isLocked(user, now)) return { ok: false, reason: 'locked' } as const
    if (!(await verifyPassword(user.passwordHash, password))) {
      const locked = await q.recordFailure(tx, user.id, deps.config.signInMaxFailures, deps.config.lockoutMinutes, now)
      await recordAudit(tx, actor(ids.laId, user, client.ip), { action: locked ? 'auth.locked' : 'auth.sign_in_failed', recordType: 'user', recordId: user.id }, now)
      return { ok: false, reason: locked ? 'locked' : 'invalid' } as const
    }
    const stage = user.totpEnabledAt ? 'totp' : 'enrol'
    const { token } = await createSession(tx, { laId: ids.laId, userId: user.id, stage, method: 'password', ip: client.ip, userAgent: client.userAgent }, now)
    return { ok: true, token, stage } as const
  })
}

export type CodeResult = { ok: true } | { ok: false; reason: 'invalid' | 'locked' | 'rate_limited' }

/** Checks the authenticator code, or a recovery code, for a session part-way through sign-in. */
export async function verifySecondFactor(deps: AuthDeps, session: Session, code: string, client: Client): Promise<CodeResult> {
  const now = deps.now()
  if (!(await withinRateLimit(deps.db, `code:${session.userId}`, 15 * 60, 30))) return { ok: false, reason: 'rate_limited' }
  return withTenant(deps.db, { laId: session.laId, userId: session.userId }, async (tx) => {
    const user = await q.findSignInUser(tx, session.userId)
    if (!user || user.status !== 'active' || !user.totpSecret || !user.totpEnabledAt) return { ok: false, reason: 'invalid' } as const
    const who = actor(session.laId, user, client.ip)
    if (isLocked(user, now)) {
      await endSession(tx, session.id, 'locked', now)
      return { ok: false, reason: 'locked' } as const
    }
    const trimmed = code.replace(/\s/g, '')
    let accepted = false
    if (/^\d{6}$/.test(trimmed)) {
      const secret = unseal(deps.totpKey, user.totpSecret)
      const step = await matchingStep(secret, trimmed, now, user.totpLastStep === null ? null : Number(user.totpLastStep))
      if (step !== undefined) {
        await q.setTotpLastStep(tx, user.id, step)
        accepted = true
      }
    } else if (trimmed.length >= 12 && (await q.useRecoveryCode(tx, user.id, hashRecoveryCode(trimmed), now))) {
      accepted = true
      await recordAudit(tx, who, { action: 'auth.recovery_code_used', recordType: 'user', recordId: user.id }, now)
    }
    if (!accepted) {
      const locked = await q.recordFailure(tx, user.id, deps.config.signInMaxFailures, deps.config.lockoutMinutes, now)
      await recordAudit(tx, who, { action: locked ? 'auth.locked' : 'auth.code_failed', recordType: 'user', recordId: user.id }, now)
      if (locked) await endSession(tx, session.id, 'locked', now)
      return { ok: false, reason: locked ? 'locked' : 'invalid' } as const
    }
    await q.clearFailures(tx, user.id, now)
    await setSessionStage(tx, session.id, 'complete')
    await recordAudit(tx, who, { action: 'auth.signed_in', recordType: 'user', recordId: user.id, details: { method: session.method } }, now)
    return { ok: true } as const
  })
}

export type Enrolment = { secret: string; qr: string; account: string }

/** Starts (or continues) setting up an authenticator app: the secret is kept sealed until a code proves it works. */
export async function startTotpEnrolment(deps: AuthDeps, session: Session): Promise<Enrolment> {
  return withTenant(deps.db, { laId: session.laId, userId: session.userId }, async (tx) => {
    const user = await q.findSignInUser(tx, session.userId)
    if (!user) throw new Error('User not found for session')
    let secret = user.totpSecret && !user.totpEnabledAt ? unseal(deps.totpKey, user.totpSecret) : undefined
    if (!secret) {
      secret = newTotpSecret()
      await q.setPendingTotpSecret(tx, user.id, seal(deps.totpKey, secret))
    }
    const qr = await qrDataUrl(totpUri(secret, user.email, `Lantern (${session.user.laName})`))
    return { secret, qr, account: user.email }
  })
}

export async function completeTotpEnrolment(deps: AuthDeps, session: Session, code: string, client: Client): Promise<{ ok: true; recoveryCodes: string[] } | { ok: false }> {
  const now = deps.now()
  return withTenant(deps.db, { laId: session.laId, userId: session.userId }, async (tx) => {
    const user = await q.findSignInUser(tx, session.userId)
    if (!user?.totpSecret || user.totpEnabledAt) return { ok: false } as const
    const secret = unseal(deps.totpKey, user.totpSecret)
    const usedStep = await matchingStep(secret, code.replace(/\s/g, ''), now, null)
    if (usedStep === undefined) return { ok: false } as const
    await q.enableTotp(tx, user.id, usedStep, now)
    const recoveryCodes = newRecoveryCodes()
    await q.replaceRecoveryCodes(tx, session.laId, user.id, recoveryCodes.map(hashRecoveryCode))
    await q.clearFailures(tx, user.id, now)
    await setSessionStage(tx, session.id, 'complete')
    const who = actor(session.laId, user, client.ip)
    await recordAudit(tx, who, { action: 'auth.totp_enrolled', recordType: 'user', recordId: user.id }, now)
    await recordAudit(tx, who, { action: 'auth.signed_in', recordType: 'user', recordId: user.id, details: { method: session.method } }, now)
    return { ok: true, recoveryCodes } as const
  })
}

export async function signOut(deps: AuthDeps, session: Session, ip: string): Promise<void> {
  const now = deps.now()
  await withTenant(deps.db, { laId: session.laId, userId: session.userId }, async (tx) => {
    await endSession(tx, session.id, 'signed out', now)
    if (session.stage === 'complete') {
      await recordAudit(tx, actor(session.laId, session.user, ip), { action: 'auth.signed_out', recordType: 'user', recordId: session.userId }, now)
    }
  })
}

export async function signOutEverywhere(deps: AuthDeps, session: Session, ip: string): Promise<number> {
  const now = deps.now()
  return withTenant(deps.db, { laId: session.laId, userId: session.userId }, async (tx) => {
    const ended = await endAllSessions(tx, session.userId, 'signed out of all sessions', now)
    await recordAudit(tx, actor(session.laId, session.user, ip), {
      action: 'auth.signed_out_everywhere', recordType: 'user', recordId: session.userId, details: { sessions: ended },
    }, now)
    return ended
  })
}
