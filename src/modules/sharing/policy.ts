import { allow, hasRole } from '../../platform/access.ts'
import { WORK_CASES } from '../register/policy.ts'

/** CME officers decide what to share, and with whom. */
export const SHARE_CASES = WORK_CASES

/** Partner practitioners see the cases shared with their organisation, and nothing else of the register. */
export const SEE_SHARED = allow('see cases shared with their organisation', (user) => hasRole(user, 'partner_practitioner'))
