import type { CurrentUser } from './access.ts'
import type { AuditActor } from './audit.ts'

export const actorFor = (user: CurrentUser, ip: string | null): AuditActor => ({ laId: user.laId, userId: user.id, label: user.email, ip })
