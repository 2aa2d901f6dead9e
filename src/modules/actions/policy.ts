import { allow, hasRole } from '../../platform/access.ts'

/** CME officers plan and do the work on cases. Partner organisations get task-shaped access later (issue 5). */
export const WORK_ACTIONS = allow('work on case actions', (user) => hasRole(user, 'cme_officer'))
