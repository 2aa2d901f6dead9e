import { sql } from 'kysely'
import type { Db } from '../../platform/db.ts'
import type { Role } from '../../platform/access.ts'

export type UserStatus = 'invited' | 'active' | 'deactivated'
export type UserRow = {
  id: string
  email: string
  displayName: string
  status: UserStatus
  organisationId: string
  organisationName: string
  roles: Role[]
  lastSignInAt: Date | null
  totpEnabled: boolean
  hasPassword: boolean
  updatedAt: Date
}

const SELECT_USER = sql`
  select u.id, u.email, u.display_name as "displayName", u.status, u.organisation_id as "organisationId",
    o.name as "organisationName", u.last_sign_in_at as "lastSignInAt", u.totp_enabled_at is not null as "totpEnabled", u.password_hash is not null as "hasPassword",
    u.updated_at as "updatedAt",
    coalesce((select array_agg(r.role order by r.role) from user_role r
      where r.local_authority_id = u.local_authority_id and r.user_id = u.id), '{}') as roles
  from app_user u join organisation o on o.local_authority_id = u.local_authority_id and o.id = u.organisation_id`

export type UserFilter = { status?: UserStatus; search?: string; limit: number; offset: number }

export async function listUsers(tx: Db, f: UserFilter): Promise<{ rows: UserRow[]; total: number }> {
  const search = f.search ? `%${f.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null
  const where = sql`where (${f.status ?? null}::text is null or u.status = ${f.status ?? null})
    and (${search}::text is null or u.email ilike ${search} or u.display_name ilike ${search})`
  const { rows } = await sql<UserRow>`${SELECT_USER} ${where} order by u.display_name, u.email limit ${f.limit} offset ${f.offset}`.execute(tx)
  const { rows: count } = await sql<{ n: number }>`select count(*)::int as n from app_user u ${where}`.execute(tx)
  return { rows, total: count[0].n }
}

export async function findUser(tx: Db, id: string): Promise<UserRow | undefined> {
  const { rows } = await sql<UserRow>`${SELECT_USER} where u.id = ${id}`.execute(tx)
  return rows[0]
}

/** Looks across every LA: email addresses are unique in the deployment, not just within an LA. */
export async function emailInUse(tx: Db, email: string): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from lantern_find_login(${email})`.execute(tx)
  return rows[0].n > 0
}

export async function insertUser(tx: Db, laId: string, u: { email: string; displayName: string; organisationId: string; status: UserStatus; passwordHash?: string }): Promise<string> {
  const { rows } = await sql<{ id: string }>`
    insert into app_user (local_authority_id, email, display_name, organisation_id, status, password_hash)
    values (${laId}, ${u.email}, ${u.displayName}, ${u.organisationId}, ${u.status}, ${u.passwordHash ?? null}) returning id`.execute(tx)
  return rows[0].id
}

export async function setRoles(tx: Db, laId: string, userId: string, roles: Role[]): Promise<void> {
  await sql`delete from user_role where user_id = ${userId}`.execute(tx)
  for (const role of roles) await sql`insert into user_role (local_authority_id, user_id, role) values (${laId}, ${userId}, ${role})`.execute(tx)
}

export async function updateUserDetails(tx: Db, id: string, u: { displayName: string; organisationId: string }, now: Date): Promise<void> {
  await sql`update app_user set display_name = ${u.displayName}, organisation_id = ${u.organisationId}, updated_at = ${now} where id = ${id}`.execute(tx)
}

export async function setUserStatus(tx: Db, id: string, status: UserStatus, now: Date): Promise<void> {
  await sql`update app_user set status = ${status}, updated_at = ${now} where id = ${id}`.execute(tx)
}

/** Clears the authenticator so the user sets it up again at next sign-in (lost phone, no recovery codes). */
export async function resetTotp(tx: Db, id: string, now: Date): Promise<void> {
  await sql`update app_user set totp_secret = null, totp_enabled_at = null, totp_last_step = null, updated_at = ${now} where id = ${id}`.execute(tx)
  await sql`delete from recovery_code where user_id = ${id}`.execute(tx)
}
