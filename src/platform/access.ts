import type { FastifyReply, FastifyRequest } from 'fastify'

export const ROLES = [
  'system_admin',
  'la_admin',
  'cme_officer',
  'panel_member',
  'school_user',
  'partner_practitioner',
  'eet_officer',
  'virtual_school_officer',
  'training_admin',
  'auditor',
] as const
export type Role = (typeof ROLES)[number]

export const ROLE_LABELS: Record<Role, string> = {
  system_admin: 'System administrator',
  la_admin: 'LA administrator',
  cme_officer: 'CME officer',
  panel_member: 'Panel member',
  school_user: 'School user',
  partner_practitioner: 'Partner practitioner',
  eet_officer: 'EET officer',
  virtual_school_officer: 'Virtual school officer',
  training_admin: 'Training administrator',
  auditor: 'Auditor (read only)',
}

export type CurrentUser = {
  id: string
  laId: string
  laName: string
  email: string
  displayName: string
  organisationId: string
  organisationName: string
  roles: Role[]
  sessionId: string
}

export const hasRole = (user: CurrentUser, ...roles: Role[]): boolean => roles.some((r) => user.roles.includes(r))

/**
 * What a route needs. Every route must declare one (the app refuses to start otherwise), so a
 * forgotten check denies rather than allows.
 * - public: anyone, signed in or not
 * - signing-in: a session part-way through sign-in (password accepted, TOTP still to do)
 * - user: a fully signed-in user for whom `allow` returns true
 */
export type Access =
  | { kind: 'public' }
  | { kind: 'signing-in' }
  | { kind: 'user'; name: string; allow: (user: CurrentUser) => boolean }

export const PUBLIC: Access = { kind: 'public' }
export const SIGNING_IN: Access = { kind: 'signing-in' }
export const allow = (name: string, rule: (user: CurrentUser) => boolean): Access => ({ kind: 'user', name, allow: rule })
export const ANY_USER = allow('any signed-in user', () => true)

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access
  }
}

export function accessOf(request: FastifyRequest): Access | undefined {
  return request.routeOptions.config.access
}

/** For redirects after sign-in: only a path on this site, never another host. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/'
}

export function redirectToSignIn(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : ''
  return reply.redirect(`/sign-in${next}`, 303)
}
