import { sql } from 'kysely'
import type { Db } from '../../platform/db.ts'
import { randomToken, sha256 } from '../../platform/crypto.ts'

export type LoginIds = { laId: string; userId: string }

/** Runs with no LA set: the one lookup that tells us which LA an email address belongs to. */
export async function findLoginIds(tx: Db, email: string): Promise<LoginIds | undefined> {
  const { rows } = await sql<LoginIds>`select local_authority_id as "laId", user_id as "userId" from lantern_find_login(${email})`.execute(tx)
  return rows[0]
}

export type SignInUser = {
  id: string
  email: string
  displayName: string
  status: 'invited' | 'active' | 'deactivated'
  passwordHash: string | null
  totpSecret: string | null
  totpEnabledAt: Date | null
  totpLastStep: string | null
  failedAttempts: number
  lockedUntil: Date | null
}

export async function findSignInUser(tx: Db, userId: string): Promise<SignInUser | undefined> {
  const { rows } = await sql<SignInUser>`
    select id, email, display_name as "displayName", status, password_hash as "passwordHash", totp_secret as "totpSecret",
      totp_enabled_at as "totpEnabledAt", totp_last_step as "totpLastStep", failed_attempts as "failedAttempts",
      locked_until as "lockedUntil"
    from app_user where id = ${userId}`.execute(tx)
  return rows[0]
}

/** Counts a failed password or code; locks the account once the limit is reached. Returns whether it is now locked. */
export async function recordFailure(tx: Db, userId: string, max: number, lockMinutes: number, now: Date): Promise<boolean> {
  const { rows } = await sql<{ locked: boolean }>`
    update app_user set
      -- A lockout that has run its course starts the count again, so one slip after it does not relock.
      failed_attempts = case when locked_until <= ${now} then 1 else failed_attempts + 1 end,
      locked_until = case
        when (case when locked_until <= ${now} then 1 else failed_attempts + 1 end) >= ${max} then ${now}::timestamptz + make_interval(mins => ${lockMinutes})
        when locked_until <= ${now} then null
        else locked_until end,
      updated_at = ${now}
    where id = ${userId}
    returning locked_until is not null and locked_until > ${now} as locked`.execute(tx)
  return rows[0]?.locked ?? false
}

export async function clearFailures(tx: Db, userId: string, now: Date): Promise<void> {
  await sql`update app_user set failed_attempts = 0, locked_until = null, last_sign_in_at = ${now}, updated_at = ${now}
    where id = ${userId}`.execute(tx)
}

export async function setPendingTotpSecret(tx: Db, userId: string, sealedSecret: string): Promise<void> {
  await sql`update app_user set totp_secret = ${sealedSecret}, totp_enabled_at = null where id = ${userId}`.execute(tx)
}

export async function enableTotp(tx: Db, userId: string, step: number, now: Date): Promise<void> {
  await sql`update app_user set totp_enabled_at = ${now}, totp_last_step = ${step}, updated_at = ${now} where id = ${userId}`.execute(tx)
}

export async function setTotpLastStep(tx: Db, userId: string, step: number): Promise<void> {
  await sql`update app_user set totp_last_step = ${step} where id = ${userId}`.execute(tx)
}

export async function replaceRecoveryCodes(tx: Db, laId: string, userId: string, hashes: string[]): Promise<void> {
  await sql`delete from recovery_code where user_id = ${userId}`.execute(tx)
  for (const codeHash of hashes) {
    await sql`insert into recovery_code (local_authority_id, user_id, code_hash) values (${laId}, ${userId}, ${codeHash})`.execute(tx)
  }
}

export async function useRecoveryCode(tx: Db, userId: string, codeHash: string, now: Date): Promise<boolean> {
  const result = await sql`update recovery_code set used_at = ${now}
    where user_id = ${userId} and code_hash = ${codeHash} and used_at is null`.execute(tx)
  return Number(result.numAffectedRows ?? 0) === 1
}

export async function countUnusedRecoveryCodes(tx: Db, userId: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*) as n from recovery_code where user_id = ${userId} and used_at is null`.execute(tx)
  return Number(rows[0].n)
}

export async function setPassword(tx: Db, userId: string, passwordHash: string, now: Date): Promise<void> {
  await sql`update app_user set password_hash = ${passwordHash}, failed_attempts = 0, locked_until = null, updated_at = ${now}
    where id = ${userId}`.execute(tx)
}

export async function activateUser(tx: Db, userId: string, now: Date): Promise<void> {
  await sql`update app_user set status = 'active', updated_at = ${now} where id = ${userId} and status = 'invited'`.execute(tx)
}

export type TokenPurpose = 'invitation' | 'password_reset'

export async function createOneTimeToken(
  tx: Db,
  t: { laId: string; userId: string; purpose: TokenPurpose; expiresAt: Date; createdBy: string | null },
): Promise<string> {
  // A new link replaces any earlier unused one for the same purpose.
  await sql`update one_time_token set used_at = now() where user_id = ${t.userId} and purpose = ${t.purpose} and used_at is null`.execute(tx)
  const token = randomToken()
  await sql`insert into one_time_token (local_authority_id, user_id, purpose, token_hash, expires_at, created_by)
    values (${t.laId}, ${t.userId}, ${t.purpose}, ${sha256(token)}, ${t.expiresAt}, ${t.createdBy})`.execute(tx)
  return token
}

export async function findTokenLa(tx: Db, token: string): Promise<{ laId: string; tokenId: string } | undefined> {
  const { rows } = await sql<{ laId: string; tokenId: string }>`
    select local_authority_id as "laId", token_id as "tokenId" from lantern_find_token(${sha256(token)})`.execute(tx)
  return rows[0]
}

export type OneTimeToken = {
  id: string
  userId: string
  purpose: TokenPurpose
  expiresAt: Date
  usedAt: Date | null
  email: string
  userStatus: string
  laName: string
}

export async function findOneTimeToken(tx: Db, tokenId: string): Promise<OneTimeToken | undefined> {
  const { rows } = await sql<OneTimeToken>`
    select t.id, t.user_id as "userId", t.purpose, t.expires_at as "expiresAt", t.used_at as "usedAt", u.email,
      u.status as "userStatus", la.name as "laName"
    from one_time_token t
    join app_user u on u.local_authority_id = t.local_authority_id and u.id = t.user_id
    join local_authority la on la.id = t.local_authority_id
    where t.id = ${tokenId}`.execute(tx)
  return rows[0]
}

export async function markTokenUsed(tx: Db, tokenId: string, now: Date): Promise<boolean> {
  const result = await sql`update one_time_token set used_at = ${now} where id = ${tokenId} and used_at is null`.execute(tx)
  return Number(result.numAffectedRows ?? 0) === 1
}

export type SessionSummary = { id: string; createdAt: Date; lastSeenAt: Date; ip: string | null; userAgent: string | null; method: string }

export async function listActiveSessions(tx: Db, userId: string): Promise<SessionSummary[]> {
  const { rows } = await sql<SessionSummary>`
    select id, created_at as "createdAt", last_seen_at as "lastSeenAt", ip, user_agent as "userAgent", method
    from user_session where user_id = ${userId} and ended_at is null and stage = 'complete'
    order by last_seen_at desc`.execute(tx)
  return rows
}
