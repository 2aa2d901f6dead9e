import { sql } from 'kysely'
import { withNoTenant, type Db } from './db.ts'
import { randomToken, sha256 } from './crypto.ts'
import type { CurrentUser, Role } from './access.ts'

export type SessionStage = 'totp' | 'enrol' | 'complete'
export type SessionMethod = 'password' | 'oidc'

export type Session = {
  id: string
  laId: string
  userId: string
  stage: SessionStage
  method: SessionMethod
  user: CurrentUser
}

export type SessionLimits = { idleMinutes: number; absoluteHours: number }

export async function createSession(
  tx: Db,
  s: { laId: string; userId: string; stage: SessionStage; method: SessionMethod; ip: string | null; userAgent: string | null },
  now: Date,
): Promise<{ token: string; sessionId: string }> {
  const token = randomToken()
  const { rows } = await sql<{ id: string }>`
    insert into user_session (local_authority_id, user_id, token_hash, stage, method, ip, user_agent, created_at, last_seen_at)
    values (${s.laId}, ${s.userId}, ${sha256(token)}, ${s.stage}, ${s.method}, ${s.ip}, ${(s.userAgent ?? '').slice(0, 300)}, ${now}, ${now})
    returning id`.execute(tx)
  return { token, sessionId: rows[0].id }
}

type SessionRow = {
  id: string
  laId: string
  userId: string
  stage: SessionStage
  method: SessionMethod
  createdAt: Date
  lastSeenAt: Date
  userStatus: string
  email: string
  displayName: string
  organisationId: string
  organisationName: string
  laName: string
  roles: Role[]
}

async function findSessionRow(tx: Db, sessionId: string): Promise<SessionRow | undefined> {
  const { rows } = await sql<SessionRow>`
    select s.id, s.local_authority_id as "laId", s.user_id as "userId", s.stage, s.method,
      s.created_at as "createdAt", s.last_seen_at as "lastSeenAt", u.status as "userStatus", u.email,
      u.display_name as "displayName", u.organisation_id as "organisationId", o.name as "organisationName",
      la.name as "laName",
      coalesce((select array_agg(r.role order by r.role) from user_role r
        where r.local_authority_id = u.local_authority_id and r.user_id = u.id), '{}') as roles
    from user_session s
    join app_user u on u.local_authority_id = s.local_authority_id and u.id = s.user_id
    join organisation o on o.local_authority_id = u.local_authority_id and o.id = u.organisation_id
    join local_authority la on la.id = s.local_authority_id
    where s.id = ${sessionId} and s.ended_at is null`.execute(tx)
  return rows[0]
}

/**
 * Finds the live session for a cookie's token, ending it instead if it has been idle too long,
 * passed its absolute limit, or its user has been deactivated.
 */
export async function findSession(db: Db, token: string, limits: SessionLimits, now: Date): Promise<Session | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined
  // One transaction, not two: the lookup finds the LA, which is then set for the rest of this transaction.
  return withNoTenant(db, async (tx) => {
    const { rows } = await sql<{ laId: string; sessionId: string }>`
      select local_authority_id as "laId", session_id as "sessionId", set_config('lantern.la_id', local_authority_id::text, true)
      from lantern_find_session(${sha256(token)})`.execute(tx)
    const found = rows[0]
    if (!found) return undefined
    const row = await findSessionRow(tx, found.sessionId)
    if (!row) return undefined
    const idleFor = now.getTime() - new Date(row.lastSeenAt).getTime()
    const age = now.getTime() - new Date(row.createdAt).getTime()
    const reason =
      row.userStatus !== 'active' && row.stage === 'complete' ? 'user deactivated'
      : idleFor > limits.idleMinutes * 60_000 ? 'idle timeout'
      : age > limits.absoluteHours * 3_600_000 ? 'absolute timeout'
      : undefined
    if (reason) {
      await endSession(tx, row.id, reason, now)
      return undefined
    }
    // Writing on every request would make each page view a write; a minute's precision is enough for a 30-minute timeout.
    if (idleFor > 60_000) {
      await sql`update user_session set last_seen_at = ${now} where id = ${row.id}`.execute(tx)
    }
    return {
      id: row.id,
      laId: row.laId,
      userId: row.userId,
      stage: row.stage,
      method: row.method,
      user: {
        id: row.userId,
        laId: row.laId,
        laName: row.laName,
        email: row.email,
        displayName: row.displayName,
        organisationId: row.organisationId,
        organisationName: row.organisationName,
        roles: row.roles,
        sessionId: row.id,
      },
    }
  })
}

export async function setSessionStage(tx: Db, sessionId: string, stage: SessionStage): Promise<void> {
  await sql`update user_session set stage = ${stage} where id = ${sessionId} and ended_at is null`.execute(tx)
}

export async function endSession(tx: Db, sessionId: string, reason: string, now: Date): Promise<void> {
  await sql`update user_session set ended_at = ${now}, ended_reason = ${reason}
    where id = ${sessionId} and ended_at is null`.execute(tx)
}

export async function endAllSessions(tx: Db, userId: string, reason: string, now: Date): Promise<number> {
  const result = await sql`update user_session set ended_at = ${now}, ended_reason = ${reason}
    where user_id = ${userId} and ended_at is null`.execute(tx)
  return Number(result.numAffectedRows ?? 0)
}
