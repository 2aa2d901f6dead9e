import { allow, hasRole } from '../../platform/access.ts'

/** CME officers and panel members take part in meetings: plan them, record them. Chair-only steps are checked in the service. */
export const TAKE_PART = allow('take part in CME meetings', (user) => hasRole(user, 'cme_officer', 'panel_member'))

/** Setting up a meeting series and referring a case to one is CME team work. */
export const ORGANISE = allow('organise CME meetings', (user) => hasRole(user, 'cme_officer'))
