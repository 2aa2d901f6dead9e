import { allow, hasRole } from '../../platform/access.ts'

/** Auditors read the log but change nothing; administrators read it to answer questions about their users. */
export const VIEW_AUDIT = allow('view the audit log', (user) => hasRole(user, 'system_admin', 'la_admin', 'auditor'))
