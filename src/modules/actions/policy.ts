import { allow, hasRole } from '../../platform/access.ts'

/** CME officers plan and do the work on cases. */
export const WORK_ACTIONS = allow('work on case actions', (user) => hasRole(user, 'cme_officer'))

/**
 * Anyone signed in may open the tasks they or their organisation own, and only those (the service
 * checks ownership of each): a partner given an action at a meeting sees the task, not the case.
 */
export const OWN_TASKS = allow('see and update tasks you own', () => true)

/** Who sees "Your tasks" in the menu: people outside the CME team, who have no "My work" (the page itself is open to all). */
export const TASKS_NAV = allow('see your tasks in the menu', (user) => !hasRole(user, 'cme_officer'))
