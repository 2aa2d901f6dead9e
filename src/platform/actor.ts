import type { CurrentUser } from './access.ts'
import type { AuditActor } from './audit.ts'

export const actorFor = (user: CurrentUser, ip: string | null): AuditActor => ({ laId: user.laId, userId: user.id, label: user.email, ip })

/** How a person appears on a child's chronology and on records they made: name and organisation. */
export const actorLabel = (user: CurrentUser): string => `${user.displayName}, ${user.organisationName}`
