import type { Config } from './config.ts'
import type { Db } from './platform/db.ts'
import type { JobDefinition, Jobs } from './platform/jobs.ts'
import { deliverPendingEmail, SEND_EMAIL_JOB, type Transport } from './platform/mail.ts'
import { ESCALATE_OVERDUE_JOB, escalateOverdueActions } from './modules/actions/service.ts'
import { IMPORT_JOB, processImport } from './modules/notices/import-service.ts'
import { escalatePlacementWaits } from './modules/placement/service.ts'
import { processRun, processSource, RUN_JOB, SOURCE_JOB } from './modules/no-roll/service.ts'

/** Every background and scheduled job, in one list that the server and the tests both start. */
export function backgroundJobs(o: { db: Db; jobs: Jobs; transport: Transport; now: () => Date; config: Pick<Config, 'baseUrl'>; schedule: boolean }): JobDefinition[] {
  return [
    { name: SEND_EMAIL_JOB, cron: o.schedule ? '* * * * *' : undefined, handler: async () => { await deliverPendingEmail(o.db, o.transport, o.now) } },
    // Early each morning, before the CME team starts: overdue actions and long waits for a place reach the team manager.
    { name: ESCALATE_OVERDUE_JOB, cron: o.schedule ? '0 6 * * *' : undefined, handler: async () => {
      await escalateOverdueActions(o.db, o.now(), o.config.baseUrl)
      await escalatePlacementWaits(o.db, o.now(), o.config.baseUrl)
      await o.jobs.send(SEND_EMAIL_JOB)
    } },
    { name: IMPORT_JOB, handler: async (data) => {
      if (typeof data.laId === 'string' && typeof data.importId === 'string') await processImport(o.db, data.laId, data.importId, o.now)
    } },
    { name: SOURCE_JOB, handler: async (data) => {
      if (typeof data.laId === 'string' && typeof data.sourceId === 'string') await processSource(o.db, data.laId, data.sourceId, o.now)
    } },
    { name: RUN_JOB, handler: async (data) => {
      if (typeof data.laId === 'string' && typeof data.runId === 'string') await processRun(o.db, data.laId, data.runId, o.now)
    } },
  ]
}
