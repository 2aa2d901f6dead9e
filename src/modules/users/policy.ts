import { allow, hasRole, type CurrentUser, type Role } from '../../platform/access.ts'

export const MANAGE_USERS = allow('manage users', (user) => hasRole(user, 'system_admin', 'la_admin'))

/** Only a system administrator may make another system administrator; an LA administrator cannot raise anyone above themselves. */
export const canGrantRole = (user: CurrentUser, role: Role): boolean => role !== 'system_admin' || hasRole(user, 'system_admin')

/** Nobody may deactivate themselves or remove their own administrator role, so an LA can never lock itself out by accident. */
export const canDeactivate = (user: CurrentUser, targetId: string): boolean => user.id !== targetId
