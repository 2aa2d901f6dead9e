import { allow, hasRole } from '../../platform/access.ts'

export const MANAGE_ORGANISATIONS = allow('manage organisations', (user) => hasRole(user, 'system_admin', 'la_admin'))
