import { allow, hasRole } from '../../platform/access.ts'

/** CME officers record what stands between a child and a school place. */
export const WORK_PLACEMENTS = allow('record placement barriers', (user) => hasRole(user, 'cme_officer'))
