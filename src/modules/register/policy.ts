import { ANY_USER, allow, hasRole } from '../../platform/access.ts'

/** CME officers work the whole register of their LA; auditors read it. Administrators do not need children's records. */
export const VIEW_REGISTER = allow('view the register', (user) => hasRole(user, 'cme_officer', 'auditor'))

/** Any signed-in practitioner may tell the LA that a child may be missing education (domain brief 1.2). */
export const MAKE_REFERRAL = ANY_USER

/** Only CME officers change a case: its enquiries, status and risk. */
export const WORK_CASES = allow('work on cases', (user) => hasRole(user, 'cme_officer'))
