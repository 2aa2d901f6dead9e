import { allow, hasRole } from '../../platform/access.ts'

export const ADMINISTER = allow('administer the LA', (user) => hasRole(user, 'system_admin', 'la_admin'))
