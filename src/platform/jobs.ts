import PgBoss from 'pg-boss'
import type pg from 'pg'

export type JobHandler = (data: Record<string, unknown>) => Promise<void>
export type JobDefinition = { name: string; handler: JobHandler; cron?: string }

/** Background and scheduled work. Handlers must be safe to run twice: a job can be retried. */
export type Jobs = {
  send(name: string, data?: Record<string, unknown>): Promise<void>
  start(definitions: JobDefinition[]): Promise<void>
  stop(): Promise<void>
}

/** pg-boss on the app's own pool, so on PGlite it waits its turn for the single connection. */
export function pgBossJobs(pool: pg.Pool, onError: (err: Error) => void, pollingIntervalSeconds = 1): Jobs {
  const boss = new PgBoss({
    db: { executeSql: (text: string, values?: unknown[]) => pool.query(text, values) },
    schema: 'pgboss',
    // Monitoring and maintenance run on their own timers; keep them infrequent on a single connection.
    monitorStateIntervalSeconds: 300,
    maintenanceIntervalSeconds: 300,
  } as unknown as PgBoss.ConstructorOptions)
  boss.on('error', onError)
  let started = false
  return {
    async start(definitions) {
      await boss.start()
      started = true
      for (const def of definitions) {
        await boss.createQueue(def.name)
        await boss.work(def.name, { pollingIntervalSeconds }, async (jobs) => {
          for (const job of jobs) await def.handler((job.data ?? {}) as Record<string, unknown>)
        })
        if (def.cron) await boss.schedule(def.name, def.cron, {}, { tz: 'Europe/London' })
      }
    },
    async send(name, data = {}) {
      if (!started) throw new Error(`Jobs have not started; cannot send ${name}`)
      await boss.send(name, data, { singletonKey: typeof data.singletonKey === 'string' ? data.singletonKey : undefined })
    },
    async stop() {
      if (started) await boss.stop({ graceful: true, wait: true, timeout: 10_000 })
      started = false
    },
  }
}

/**
 * Runs each job straight after it is sent, in the same process. Used by tests and one-shot
 * command-line runs where a queue would outlive the process.
 */
export function inlineJobs(onError: (err: Error) => void): Jobs {
  const handlers = new Map<string, JobHandler>()
  return {
    async start(definitions) {
      for (const def of definitions) handlers.set(def.name, def.handler)
    },
    async send(name, data = {}) {
      const handler = handlers.get(name)
      if (!handler) throw new Error(`No job called ${name}`)
      await handler(data).catch(onError)
    },
    async stop() {
      handlers.clear()
    },
  }
}
