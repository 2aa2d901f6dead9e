import { ANY_USER, allow, hasRole } from '../../platform/access.ts'

/** Everyone signed in may read the calendar: every statutory clock depends on it. */
export const VIEW_CALENDAR = ANY_USER
export const EDIT_CALENDAR = allow('edit the school calendar', (user) => hasRole(user, 'system_admin', 'la_admin'))
