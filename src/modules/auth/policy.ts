import { allow, hasRole } from '../../platform/access.ts'

/** Single sign-on settings change how everyone in the LA signs in: administrators only. */
export const CONFIGURE_SIGN_IN = allow('configure sign-in', (user) => hasRole(user, 'system_admin', 'la_admin'))
