import { allow, hasRole } from '../../platform/access.ts'

/** CME officers upload sources, start runs and decide candidates: the work of finding children. */
export const FIND_CHILDREN = allow('find children on no roll', (user) => hasRole(user, 'cme_officer'))

/** Auditors also read sources, runs, candidates and the model, but change nothing. */
export const VIEW_FINDINGS = allow('view linkage runs', (user) => hasRole(user, 'cme_officer', 'auditor'))
