import { allow, hasRole } from '../../platform/access.ts'

/** School users send their school's notices and see only those, with what became of them. */
export const SEND_NOTICES = allow('send school notices', (user) => hasRole(user, 'school_user'))

/** The CME team reads every notice to the LA; auditors read them too. */
export const READ_NOTICES = allow('read school notices', (user) => hasRole(user, 'cme_officer', 'auditor'))

/** Only CME officers decide what happens to a notice. */
export const PROCESS_NOTICES = allow('process school notices', (user) => hasRole(user, 'cme_officer'))

/** A notice's page: the school that sent it, or the CME team. */
export const VIEW_NOTICE = allow('view a school notice', (user) => hasRole(user, 'school_user', 'cme_officer', 'auditor'))
